#!/bin/sh
# ipsecguard trace against real traffic in the same namespaces: each verdict (leak,
# wrong-tunnel, clear, dropped) is held against what the peer receives.  This kernel
# has no ESP: optional templates ("level use") let packets leave untransformed, a
# required one without SA holds them back.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguard
lab_up
in_peer ip addr add 203.0.113.5/32 dev lo
in_gw ip route add 203.0.113.5/32 via 172.16.0.2
in_host ip addr add 10.0.3.5/24 dev eth0
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -j MASQUERADE
in_peer nft -f - <<'NFT'
table inet seen {
	chain in {
		type filter hook prerouting priority 0;
		ip saddr 172.16.0.1 counter name "natted"
		ip saddr 10.0.2.33 counter name "orig"
		ip saddr 10.0.3.5 counter name "orig3"
	}
	counter natted { }
	counter orig { }
	counter orig3 { }
}
NFT
seen() { in_peer nft list counter inet seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
send() {	# send SRC DST: one ping from the host, counters reset before
	in_peer nft reset counters table inet seen >/dev/null
	in_gw conntrack -F >/dev/null 2>&1
	in_host ping -c1 -W1 -I "$1" "$2" >/dev/null 2>&1
}
trace() {	# trace SRC DST: the verdict in $V, the exit status in $RC
	in_gw "$BUILD/ipsecguard" trace --src "$1" --dst "$2" --json >"$TMPD/t.json"
	RC=$?
	V=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['verdict'])" "$TMPD/t.json")
}

trace 10.0.2.33 192.168.1.10
check "leak: MASQUERADE takes the protected flow out of its SP ($V)" [ "$V" = leak ]
check "leak: exit status 4" [ "$RC" = 4 ]
check "leak: the translated source is the WAN address" grep -q '"nat":{[^}]*"src":"172.16.0.1"' "$TMPD/t.json"
send 10.0.2.33 192.168.1.10
check "and the peer receives it translated ($(seen natted))" [ "$(seen natted)" -ge 1 ]
in_gw "$BUILD/ipsecguard" trace --src 10.0.2.33 --dst 192.168.1.10 >"$TMPD/t.txt"
check "the text output walks the phases" \
	sh -c "grep -q '^policy after nat  none' '$TMPD/t.txt' && grep -q '^verdict   leak' '$TMPD/t.txt'"

in_gw ip xfrm policy add dir out src 172.16.0.1/32 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 2
trace 10.0.2.33 192.168.1.10
check "wrong-tunnel: the translated source falls into another SP ($V)" [ "$V" = wrong-tunnel ]
check "naming it" grep -q '"sp_after_nat":{"index":[0-9]*,"dir":"out"[^}]*"src":"172.16.0.1/32"' "$TMPD/t.json"
in_gw ip xfrm policy del dir out src 172.16.0.1/32 dst 192.168.0.0/16

trace 10.0.2.33 203.0.113.5
check "clear: no SP protects an unprotected destination ($V)" [ "$V" = clear ]
check "clear: exit status 0" [ "$RC" = 0 ]
in_peer nft reset counters table inet seen >/dev/null
in_host ping -c1 -W1 203.0.113.5 >/dev/null 2>&1
check "and the peer receives it translated ($(seen natted))" [ "$(seen natted)" -ge 1 ]

in_gw iptables-nft -t nat -I POSTROUTING 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j RETURN
trace 10.0.2.33 192.168.1.10
check "exempted: nothing translates it, the optional template lets it out clear ($V)" \
	[ "$V" = clear ]
check "no nat phase" sh -c "! grep -q '\"nat\":' '$TMPD/t.json'"
send 10.0.2.33 192.168.1.10
check "and the peer receives the original source ($(seen orig)), nothing translated" \
	[ "$(seen orig)" -ge 1 -a "$(seen natted)" = 0 ]

in_gw ip xfrm policy add dir out src 10.0.3.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport reqid 3
in_gw iptables-nft -t nat -I POSTROUTING 1 -s 10.0.3.0/24 -d 192.168.0.0/16 -j RETURN
trace 10.0.3.5 192.168.1.10
check "dropped: a required template without SA holds the packet ($V)" [ "$V" = dropped ]
check "dropped: exit status 3" [ "$RC" = 3 ]
send 10.0.3.5 192.168.1.10
check "and nothing of it reaches the peer ($(seen orig3) + $(seen natted))" \
	[ "$(seen orig3)" = 0 -a "$(seen natted)" = 0 ]

in_gw "$BUILD/ipsecguard" trace --src 10.0.2.33 2>/dev/null
check "trace without --dst exits 2" [ $? = 2 ]
in_gw "$BUILD/ipsecguard" trace --src 10.0.2.33 --dst fd00::1 2>/dev/null
check "mixed families exit 2" [ $? = 2 ]
exit 0
