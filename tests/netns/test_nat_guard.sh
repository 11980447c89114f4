#!/bin/sh
# NAT before IPsec: an out SP protects 10.0.2.0/24 -> 192.168.0.0/16 and the
# gateway masquerades everything leaving its WAN.  This kernel has no ESP, so the SP's
# template is optional transport mode ("level use"): traffic flows, and what the peer
# receives shows whether NAT pushed it out of the SP.
#   audit    the leak is logged (pre- and post-NAT tuples, the SP) and still happens
#   enforce  no translated packet of the protected flow reaches the peer
#   and: NAT to an unprotected destination is never flagged; a second SP that the
#   translated tuple matches gives nat-changed-sp; IPv6 and native nft masquerade too.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
in_peer ip addr add 203.0.113.5/32 dev lo
in_gw ip route add 203.0.113.5/32 via 172.16.0.2
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw ip -6 xfrm policy add dir out src fd00:2::/64 dst fd00:168::/64 \
	tmpl proto esp mode transport level use reqid 6
in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
in_gw ip6tables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
# what the peer receives, by source
in_peer nft -f - <<'NFT'
table inet seen {
	chain in {
		type filter hook prerouting priority 0;
		ip saddr 172.16.0.1 ip daddr 192.168.0.0/16 counter name "natted4"
		ip saddr 10.0.2.33 counter name "orig4"
		ip6 saddr fd00:16::1 ip6 daddr fd00:168::/64 counter name "natted6"
	}
	counter natted4 { }
	counter orig4 { }
	counter natted6 { }
}
NFT
seen() { in_peer nft list counter inet seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
reset_seen() { in_peer nft reset counters table inet seen >/dev/null; }

info "audit"
daemon_start --queue 30
check "audit: the ping still goes through" in_host ping -c2 -i0.2 -W2 192.168.1.10
check "audit: TCP still goes through" xfer 192.168.1.10 5010 100000
check "audit: and the peer saw it translated (the leak)" [ "$(seen natted4)" -ge 4 ]
check "audit: unprotected NAT'd traffic passes" in_host ping -c1 -W2 203.0.113.5
check "audit: IPv6 ping goes through" in_host ping -6 -c2 -i0.2 -W2 fd00:168::10
# the flagged value of the generation in force, as the judged chain matches it
flag_value() {
	in_gw nft list chain ip ipsecguard judged |
		sed -n 's/.*ct mark & 0x00ff0000 == \(0x00[0-9a-f]*\) counter .*judged: flagged.*/\1/p'
}
flagged() { in_gw conntrack -L -m "$(flag_value)/0x00ff0000" 2>/dev/null | grep -c "$1"; }
check "audit: the leaking flows are tagged in the conntrack mark ($(flagged dst=192.168.1.10))" \
	[ "$(flagged dst=192.168.1.10)" -ge 2 ]
check "audit: the unprotected flow is not tagged" [ "$(flagged dst=203.0.113.5)" = 0 ]
# where the kernel attaches no conntrack entry to queued packets (the start line
# says so), the pre-NAT source comes from the prenat map, not from a queue trip
map=0
grep -q "prenat map" "$DAEMON_ERR" && map=1
if [ $map = 1 ]; then
	check "audit: the prenat map holds the leaking TCP flow's pre-NAT source" \
		sh -c "ip netns exec $NS_GW nft list map ip ipsecguard prenat | grep -q ' : 10.0.2.33 \. '"
fi
check "daemon exits 0" daemon_stop
if [ $map = 1 ]; then
	check "audit: no flow head was queued before NAT (forward, output: 0)" python3 -c "
import json,sys; h=json.loads(sys.argv[1])['hooks']
assert h['forward'] == 0 and h['output'] == 0 and h['postrouting'] > 0, h" \
		"$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats)"
fi
check "the log keeps the contract" python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG"
n=$(log_count reason=nat-before-ipsec hook=postrouting verdict=accept proto=icmp src=10.0.2.33 \
	dst=192.168.1.10 nat_src=172.16.0.1 sp.index=1 sp.dir=out sp.src=10.0.2.0/24 \
	sp.dst=192.168.0.0/16 sp.reqid=1)
check "audit: the ping's leak is logged with both tuples and the SP ($n)" [ "$n" = 1 ]
n=$(log_count reason=nat-before-ipsec proto=tcp dport=5010 nat_src=172.16.0.1)
check "audit: the TCP leak is logged with its ports ($n)" [ "$n" = 1 ]
n=$(log_count reason=nat-before-ipsec family=6 src=fd00:2::33 nat_src=fd00:16::1 sp.reqid=6)
check "audit: the IPv6 leak is logged ($n)" [ "$n" = 1 ]
n=$(log_count dst=203.0.113.5)
check "unprotected NAT'd flow: never queued, never flagged ($n lines)" [ "$n" = 0 ]

info "audit with the kernel's default out policy block: the leak becomes a drop"
# (NAT's output hook looks up the SP again, finds none and the default drops it)
in_gw ip xfrm policy setdefault out block
in_gw conntrack -F >/dev/null 2>&1
reset_seen
daemon_start --queue 30
in_host ping -c2 -i0.2 -W1 192.168.1.10 >/dev/null 2>&1
check "default out block: the translated flow never reaches the peer ($(seen natted4))" \
	[ "$(seen natted4)" = 0 ]
check "daemon exits 0" daemon_stop
n=$(log_count reason=nat-before-ipsec proto=icmp)
check "and no leak is logged: the kernel drops it at NAT, before the daemon's rules ($n)" \
	[ "$n" = 0 ]
in_gw ip xfrm policy setdefault out accept
in_gw conntrack -F >/dev/null 2>&1

info "enforce"
reset_seen
daemon_start --queue 30 --mode enforce
check "enforce: the protected ping gets no answer" \
	sh -c "! ip netns exec $NS_HOST ping -c2 -i0.2 -W1 192.168.1.10 >/dev/null"
check "enforce: a protected TCP connection fails" \
	sh -c "! ip netns exec $NS_HOST python3 -c 'import socket; socket.create_connection((\"192.168.1.10\", 5011), timeout=2)' 2>/dev/null"
check "enforce: IPv6 protected ping gets no answer" \
	sh -c "! ip netns exec $NS_HOST ping -6 -c2 -i0.2 -W1 fd00:168::10 >/dev/null"
check "enforce: unprotected NAT'd traffic still passes" in_host ping -c1 -W2 203.0.113.5
check "enforce: not one translated IPv4 packet of a protected flow reached the peer" \
	[ "$(seen natted4)" = 0 ]
check "enforce: nor an IPv6 one" [ "$(seen natted6)" = 0 ]
check "daemon exits 0" daemon_stop
n=$(log_count reason=nat-before-ipsec verdict=drop)
check "enforce: each leaking flow head was dropped by verdict ($n)" [ "$n" -ge 3 ]

info "fix"
need_bin ipsecguard
nat_rules() { in_gw iptables-save -t nat | grep -v '^#' | sed 's/\[[0-9:]*\]//'; }
nat_rules >"$TMPD/nat.before"
reset_seen
daemon_start --queue 30 --mode fix
# the first echo reveals the leak and is dropped; the exemption goes in and the next
# echoes leave with their own source
in_host ping -c6 -i0.3 -W1 192.168.1.10 >"$TMPD/fixping" 2>&1
info "$(tail -n 2 "$TMPD/fixping" | head -n 1)"
check "fix: later echoes are answered" grep -q ' 0% packet loss\| [1-5] received' "$TMPD/fixping"
check "fix: the peer receives the original source" [ "$(seen orig4)" -ge 3 ]
check "fix: nothing translated reached the peer" [ "$(seen natted4)" = 0 ]
check "fix: the exemption binds the selector to its own source in the daemon's nat chain" \
	sh -c "ip netns exec $NS_GW nft list chain ip ipsecguard igd_exempt | grep -q 'ip saddr 10.0.2.0/24 ip daddr 192.168.0.0/16 counter packets [1-9][0-9]* bytes [0-9]* snat to ip saddr comment \"ipsecguard-fix sp=1\"'"
nat_rules >"$TMPD/nat.during"
check "fix: the other tools' nat table is left as it was" cmp -s "$TMPD/nat.before" "$TMPD/nat.during"
check "fix: fixes list names it (the daemon's own)" sh -c \
	"ip netns exec $NS_GW $BUILD/ipsecguard fixes list --control $TMPD/ctl.sock | grep -q 'ipsecguardd .*sp 1  10.0.2.0/24 -> 192.168.0.0/16'"
check "fix: unprotected traffic is still masqueraded" in_host ping -c1 -W2 203.0.113.5
in_gw "$BUILD/ipsecguard" doctor --json >"$TMPD/doctor.fix" 2>&1
check "fix: doctor sees the exemption bind the flows first: no nat finding for the SP" \
	sh -c "! grep -q '\"id\":\"nat-[a-z-]*\".*\"src\":\"10.0.2.0/24\"' $TMPD/doctor.fix"
n=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" count reason=nat-before-ipsec verdict=drop)
check "fix: the revealing packet was dropped, not leaked ($n)" [ "$n" -ge 1 ]
check "fix: the exemption was logged as an event" \
	grep -q '"event":"fix","action":"nat-exemption".*"ruleset":"ipsecguardd","chain":"igd_exempt"' "$DAEMON_LOG"
check "fix: the conntrack flush was logged" grep -q '"action":"conntrack-flush"' "$DAEMON_LOG"
expect_eq "fixes revert takes it out of the daemon's chain" \
	"$(in_gw "$BUILD/ipsecguard" fixes revert --control "$TMPD/ctl.sock")" "1 rule deleted"
check "fix: the chain is empty" sh -c "! ip netns exec $NS_GW nft list chain ip ipsecguard igd_exempt | grep -q snat"
# the next leaking flow (a new echo id: MASQUERADE again) asks for the exemption anew
reset_seen
in_host ping -c6 -i0.3 -W1 192.168.1.10 >"$TMPD/fixping2" 2>&1
check "fix: after the revert, a new leaking flow has the exemption put back" \
	sh -c "ip netns exec $NS_GW nft list chain ip ipsecguard igd_exempt | grep -q 'snat to ip saddr comment \"ipsecguard-fix sp=1\"'"
check "fix: and its later echoes leave with their own source" [ "$(seen orig4)" -ge 3 ]
check "fix: nothing translated reached the peer after the revert either" [ "$(seen natted4)" = 0 ]
check "daemon exits 0" daemon_stop
in_gw conntrack -F >/dev/null 2>&1

info "nat-changed-sp: the translated tuple falls into another tunnel's SP"
in_gw ip xfrm policy add dir out src 172.16.0.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 2
daemon_start --queue 30
check "the ping goes through" in_host ping -c1 -W2 192.168.1.10
check "daemon exits 0" daemon_stop
n=$(log_count reason=nat-changed-sp sp.reqid=1 nat_sp.reqid=2 nat_src=172.16.0.1)
check "nat-changed-sp names both SPs ($n)" [ "$n" = 1 ]
in_gw ip xfrm policy del dir out src 172.16.0.0/24 dst 192.168.0.0/16

info "native nft masquerade instead of iptables"
in_gw iptables -t nat -F POSTROUTING
in_gw nft -f - <<'NFT'
table ip mynat {
	chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
}
NFT
reset_seen
daemon_start --queue 30 --mode enforce
check "nft masquerade: the protected ping gets no answer" \
	sh -c "! ip netns exec $NS_HOST ping -c1 -W1 192.168.1.10 >/dev/null"
check "nft masquerade: nothing translated reached the peer" [ "$(seen natted4)" = 0 ]
check "daemon exits 0" daemon_stop
n=$(log_count reason=nat-before-ipsec verdict=drop nat_src=172.16.0.1)
check "nft masquerade: the leak was caught ($n)" [ "$n" -ge 1 ]
in_gw nft delete table ip mynat
check "without NAT the protected flow is clean" in_host ping -c1 -W2 192.168.1.10
