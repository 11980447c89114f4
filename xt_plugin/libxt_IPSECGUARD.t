:INPUT,FORWARD,OUTPUT
# The kernel holds an NFQUEUE rule, so the saved form is always -j NFQUEUE.
# Fail-open is the default: --queue-bypass is implied.
-j IPSECGUARD;-j NFQUEUE --queue-num 0 --queue-bypass;OK
-j IPSECGUARD --queue-bypass;-j NFQUEUE --queue-num 0 --queue-bypass;OK
-j IPSECGUARD --fail-closed;-j NFQUEUE --queue-num 0;OK
-j IPSECGUARD --fail-closed --queue-bypass;;FAIL
-j IPSECGUARD --queue-num 0;-j NFQUEUE --queue-num 0 --queue-bypass;OK
-j IPSECGUARD --queue-num 65535;-j NFQUEUE --queue-num 65535 --queue-bypass;OK
-j IPSECGUARD --queue-num 65536;;FAIL
-j IPSECGUARD --queue-num -1;;FAIL
-j IPSECGUARD --queue-num 1 --queue-num 2;;FAIL
-j IPSECGUARD --queue-balance 0:65534;-j NFQUEUE --queue-balance 0:65534 --queue-bypass;OK
-j IPSECGUARD --queue-balance 1:65535;-j NFQUEUE --queue-balance 1:65535 --queue-bypass;OK
-j IPSECGUARD --queue-balance 0:65535;;FAIL
-j IPSECGUARD --queue-balance 0:65536;;FAIL
-j IPSECGUARD --queue-balance -1:3;;FAIL
-j IPSECGUARD --queue-balance 4:4;;FAIL
-j IPSECGUARD --queue-balance 5:4;;FAIL
-j IPSECGUARD --queue-balance 4;;FAIL
-j IPSECGUARD --queue-num 3 --queue-balance 4:5;;FAIL
-j IPSECGUARD --queue-balance 0:6 --queue-cpu-fanout;-j NFQUEUE --queue-balance 0:6 --queue-bypass --queue-cpu-fanout;OK
-j IPSECGUARD --queue-cpu-fanout --fail-closed --queue-balance 0:6;-j NFQUEUE --queue-balance 0:6 --queue-cpu-fanout;OK
-j IPSECGUARD --queue-cpu-fanout;;FAIL
-j IPSECGUARD --queue-num 2 --queue-cpu-fanout;;FAIL
# Roles: queue = base + role * width (auto 0, in-ipsec 1, in-clear 2,
# out-ipsec 3, out-clear 4).
-j IPSECGUARD --role auto;-j NFQUEUE --queue-num 0 --queue-bypass;OK
-j IPSECGUARD --role in-ipsec;-j NFQUEUE --queue-num 1 --queue-bypass;OK
-j IPSECGUARD --role in-clear;-j NFQUEUE --queue-num 2 --queue-bypass;OK
-j IPSECGUARD --role out-ipsec;-j NFQUEUE --queue-num 3 --queue-bypass;OK
-j IPSECGUARD --role out-clear;-j NFQUEUE --queue-num 4 --queue-bypass;OK
-j IPSECGUARD --role out-clear --queue-num 10;-j NFQUEUE --queue-num 14 --queue-bypass;OK
-j IPSECGUARD --queue-num 10 --role in-clear --fail-closed;-j NFQUEUE --queue-num 12;OK
-j IPSECGUARD --role in-ipsec --queue-balance 8:11;-j NFQUEUE --queue-balance 12:15 --queue-bypass;OK
-j IPSECGUARD --queue-balance 8:11 --role out-clear --queue-cpu-fanout;-j NFQUEUE --queue-balance 24:27 --queue-bypass --queue-cpu-fanout;OK
-j IPSECGUARD --role out-clear --queue-num 65531;-j NFQUEUE --queue-num 65535 --queue-bypass;OK
-j IPSECGUARD --role out-clear --queue-num 65532;;FAIL
-j IPSECGUARD --role in-ipsec --queue-balance 65000:65535;;FAIL
-j IPSECGUARD --role sideways;;FAIL
-j IPSECGUARD --role;;FAIL
-p tcp -m conntrack --ctstate NEW -j IPSECGUARD --queue-balance 0:3 --queue-cpu-fanout;-p tcp -m conntrack --ctstate NEW -j NFQUEUE --queue-balance 0:3 --queue-bypass --queue-cpu-fanout;OK
# The taps of the rule sets in rules/.
:INPUT,FORWARD
-m conntrack --ctstate NEW -m policy --dir in --pol ipsec -j IPSECGUARD --role in-ipsec;-m conntrack --ctstate NEW -m policy --dir in --pol ipsec -j NFQUEUE --queue-num 1 --queue-bypass;OK
-m conntrack --ctstate NEW -m policy --dir in --pol none -j IPSECGUARD --role in-clear;-m conntrack --ctstate NEW -m policy --dir in --pol none -j NFQUEUE --queue-num 2 --queue-bypass;OK
:FORWARD,OUTPUT
-m conntrack --ctstate NEW -m policy --dir out --pol none -j IPSECGUARD --role out-clear;-m conntrack --ctstate NEW -m policy --dir out --pol none -j NFQUEUE --queue-num 4 --queue-bypass;OK
*mangle
:PREROUTING,POSTROUTING
-m conntrack --ctstate NEW -j IPSECGUARD;-m conntrack --ctstate NEW -j NFQUEUE --queue-num 0 --queue-bypass;OK
:POSTROUTING
-m policy --dir out --pol ipsec -j IPSECGUARD --role out-ipsec --queue-num 20;-m policy --dir out --pol ipsec -j NFQUEUE --queue-num 23 --queue-bypass;OK
:PREROUTING
-m policy --dir out --pol ipsec -j IPSECGUARD;;FAIL
