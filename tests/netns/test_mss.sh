#!/bin/sh
# A PMTUD blackhole: the WAN link carries 1400 bytes and the
# gateway's ICMP "fragmentation needed" never leaves it (the peer itself has 1500).
# A 5 MB upload from the host into the protected subnet stalls without clamping, and
# arrives byte-exact with --mss N and with --mss auto: the host's SYN is clamped by
# the daemon (it sees that flow head anyway), the far side's SYN/ACK by the rules the
# daemon keeps in its mss chain, one per protecting out SP.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
in_gw ip link set wan0 mtu 1400
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw ip -6 xfrm policy add dir out src fd00:2::/64 dst fd00:168::/64 \
	tmpl proto esp mode transport level use reqid 6
in_gw nft -f - <<'NFT'
table inet blackhole {
	chain out {
		type filter hook output priority 0;
		icmp type destination-unreachable icmp code frag-needed counter drop
		icmpv6 type packet-too-big counter drop
	}
}
NFT
export XFER_IDLE=6

check "without clamping the 5 MB upload stalls (PMTUD blackhole)" \
	sh -c "! TOP=$TOP NS_HOST=$NS_HOST NS_PEER=$NS_PEER LAB_ID=$LAB_ID sh $TOP/tests/netns/xfer_once.sh 192.168.1.10 5020 5000000"

# the mss chain's rule for the far side's SYN/ACKs: "set V" and its packet counter
mss_rule() {
	in_gw nft list chain "$1" ipsecguard mss | grep "flags syn,ack / syn,ack" |
		sed -n "s/.*counter packets \([0-9]*\) .*maxseg size set $2.*/\1/p" | head -n 1
}

daemon_start --queue 50 --mss 1300
check "--mss 1300: the 5 MB upload arrives byte-exact" xfer 192.168.1.10 5021 5000000
check "--mss 1300: IPv6 too" xfer fd00:168::10 5022 5000000
n=$(mss_rule ip 1300)
check "the far side's SYN/ACK was clamped to 1300 in the kernel (${n:-no rule})" [ "${n:-0}" -ge 1 ]
n=$(mss_rule ip6 1300)
check "and the IPv6 one (${n:-no rule})" [ "${n:-0}" -ge 1 ]
check "daemon exits 0" daemon_stop
n=$(log_count reason=mss-clamp hook=forward dport=5021 mss.to=1300 mss.from=1460)
check "the host's SYN was clamped 1460 -> 1300 ($n)" [ "$n" -ge 1 ]
n=$(log_count reason=mss-clamp family=6 dport=5022 mss.to=1300)
check "the IPv6 SYN was clamped ($n)" [ "$n" -ge 1 ]
n=$(log_count reason=mss-clamp hook=forward sport=5021 mss.to=1300 mss.from=1460 sp.reqid=1)
check "the peer's SYN/ACK clamp has its own line, naming the SP ($n)" [ "$n" = 1 ]
n=$(log_count reason=mss-clamp hook=forward dport=5021 nflog=4700)
check "the SYN's line comes from the kernel rule's copy, one per connection ($n)" [ "$n" = 1 ]
n=$(log_count reason=mss-clamp queue=50)
check "no clamp needed a queue trip ($n)" [ "$n" = 0 ]

daemon_start --queue 50 --mss auto
check "--mss auto: the 5 MB upload arrives byte-exact" xfer 192.168.1.10 5023 5000000
n=$(mss_rule ip 1290)
check "--mss auto: the SYN/ACK rule carries the computed 1290 and was hit (${n:-no rule})" \
	[ "${n:-0}" -ge 1 ]
check "daemon exits 0" daemon_stop
auto=$(python3 - "$DAEMON_LOG" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("reason") == "mss-clamp" and o.get("dport") == 5023:
        print(o["mss"]["to"])
PY
)
auto=$(echo "$auto" | head -n 1)
info "--mss auto clamped to $auto"
# no SA exists here: the documented worst case (AES-CBC + HMAC-SHA512/256, NAT-T) in
# transport mode over the 1400-byte path, as esp4_get_mtu() computes it:
#   ((1400 - header 32 (8 + IV 16 + NAT-T 8) - ICV 32 - IP 20) & ~15) + 20 - 2 = 1330
#   MSS = 1330 - 20 (IPv4) - 20 (TCP) = 1290
check "--mss auto used the worst case over the 1400-byte path ($auto)" [ "$auto" = 1290 ]
