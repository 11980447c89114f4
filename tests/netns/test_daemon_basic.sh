#!/bin/sh
# The daemon on the gateway with its own hooks: ping and TCP pass, every queued packet
# is answered (no kernel queue or user drops), the log keeps the contract, and SIGTERM
# removes the tables.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
daemon_start --queue 7 --queue-scope heads

check "IPv4 ping through the gateway" in_host ping -c3 -i0.2 -W2 192.168.1.10
check "IPv6 ping through the gateway" in_host ping -6 -c3 -i0.2 -W2 fd00:168::10
check "IPv4 TCP transfer of 20 MB is byte-exact" xfer 192.168.1.10 5001 20000000
check "IPv6 TCP transfer of 5 MB is byte-exact" xfer fd00:168::10 5002 5000000
check "the ip table is installed" gw_table ip ipsecguard
check "the ip6 table is installed" gw_table ip6 ipsecguard

set -- $(queue_kstats 7)
check "no packet waits in queue 7 (waiting=$1)" [ "$1" = 0 ]
check "kernel dropped none from the queue (queue_dropped=$2)" [ "$2" = 0 ]
check "kernel dropped none for the reader (user_dropped=$3)" [ "$3" = 0 ]

check "daemon exits 0 on SIGTERM" daemon_stop
check "no ip table left behind" no_gw_table ip ipsecguard
check "no ip6 table left behind" no_gw_table ip6 ipsecguard

check "every log line keeps the contract" python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG"
check "every line names this host and the daemon's table" python3 -c "
import json,socket,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
sys.exit(not ls or any(o['host'] != socket.gethostname() or o['instance'] != 'ipsecguard' for o in ls))" "$DAEMON_LOG"
n=$(log_count hook=forward proto=tcp dport=5001)
check "the TCP flow head was judged at forward ($n)" [ "$n" -ge 1 ]
n=$(log_count hook=postrouting family=6 dport=5002)
check "the IPv6 flow head was judged at postrouting ($n)" [ "$n" -ge 1 ]
n=$(log_count hook=prerouting proto=icmp src=10.0.2.33 dst=192.168.1.10)
check "the ping was judged at prerouting ($n)" [ "$n" -ge 1 ]
# flow heads only: a 20 MB transfer is thousands of packets, its flow is a handful
n=$(log_count proto=tcp dport=5001)
check "only flow heads were queued ($n verdicts for the 20 MB flow)" [ "$n" -le 4 ]
last=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats)
check "a final stats event counts the passes" python3 -c "
import json,sys; s=json.loads(sys.argv[1]); q=s['queues'][0]
assert s['reasons']['pass']['accept'] >= 6, s
assert q['packets'] == q['accepted'] + q['dropped'], q
assert q['kernel_queue_dropped'] == 0 and q['kernel_user_dropped'] == 0, q" "$last"
