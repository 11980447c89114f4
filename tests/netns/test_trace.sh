#!/bin/sh
# ipsecguard trace against real traffic in the same namespaces: each verdict (leak,
# wrong-tunnel, clear, dropped, local) is held against what the peer or the host
# receives, and the inbound policy check against the kernel's xfrm_stat counter.  This kernel
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
	counter snat9 { }
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

in_gw iptables-nft -t nat -I POSTROUTING 1 -o wan0 -d 192.168.0.0/16 -j SNAT --to-source 172.16.0.9
trace 10.0.2.33 192.168.1.10
check "leak through an iptables-nft SNAT target ($V)" [ "$V" = leak ]
check "the translated source read from the target's range: 172.16.0.9" \
	grep -q '"nat":{[^}]*"src":"172.16.0.9"' "$TMPD/t.json"
in_peer nft add rule inet seen in ip saddr 172.16.0.9 counter name "snat9"
send 10.0.2.33 192.168.1.10
check "and the peer receives it from 172.16.0.9 ($(seen snat9))" [ "$(seen snat9)" -ge 1 ]
in_gw iptables-nft -t nat -D POSTROUTING 1

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

# The kernel's default out policy (ip xfrm policy setdefault out block)
in_gw ip xfrm policy setdefault out block
trace 10.0.2.33 203.0.113.5
check "default out policy block: a flow no SP covers is dropped ($V, exit $RC)" \
	sh -c "[ '$V' = dropped -a '$RC' = 3 ] && grep -q 'default out policy is block' '$TMPD/t.json' &&
		grep -q '\"default_block\":\"out\"' '$TMPD/t.json'"
send 10.0.2.33 203.0.113.5
check "and nothing of it reaches the peer ($(seen natted))" [ "$(seen natted)" = 0 ]
trace 10.0.2.33 192.168.1.10
check "default out block: MASQUERADE takes the flow out of its SP, the kernel's lookup again finds none: dropped ($V)" \
	sh -c "[ '$V' = dropped ] && grep -q 'translated flow and the default out policy is block' '$TMPD/t.json'"
send 10.0.2.33 192.168.1.10
check "and nothing of it reaches the peer ($(seen natted) + $(seen orig))" \
	[ "$(seen natted)" = 0 -a "$(seen orig)" = 0 ]
# an SP that lets the flow out in clear (no templates): NAT's lookup finds none
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 203.0.113.5/32
trace 10.0.2.33 203.0.113.5
check "default out block, a bypass SP and MASQUERADE: dropped after NAT ($V)" \
	sh -c "[ '$V' = dropped ] && grep -q 'translated flow and the default out policy is block' '$TMPD/t.json'"
send 10.0.2.33 203.0.113.5
check "and nothing of it reaches the peer ($(seen natted))" [ "$(seen natted)" = 0 ]
in_gw ip xfrm policy del dir out src 10.0.2.0/24 dst 203.0.113.5/32
in_gw ip xfrm policy setdefault out accept
trace 10.0.2.33 203.0.113.5
check "default out accept again: clear ($V)" [ "$V" = clear ]

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

# Arriving on wan0 (--iif): the input route and the fwd/in policy check.
in_host nft -f - <<'NFT'
table inet seen {
	chain in {
		type filter hook input priority 0;
		ip saddr { 192.168.1.10, 10.0.2.99 } icmp type echo-request counter name "got"
	}
	counter got { }
}
NFT
got() { in_host nft list counter inet seen got | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
mismatch() { in_gw awk '$1 == "XfrmInTmplMismatch" { print $2 }' /proc/net/xfrm_stat; }
from_peer() {	# from_peer SRC DST: one ping from the peer, the host's counter reset before
	in_host nft reset counters table inet seen >/dev/null
	in_peer ping -c1 -W1 -I "$1" "$2" >/dev/null 2>&1
}
trace_in() {	# trace_in SRC DST [options]: arriving on wan0
	_s=$1 _d=$2
	shift 2
	in_gw "$BUILD/ipsecguard" trace --iif wan0 --src "$_s" --dst "$_d" "$@" --json >"$TMPD/t.json"
	RC=$?
	V=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['verdict'])" "$TMPD/t.json")
}

trace_in 192.168.1.10 10.0.2.33
check "inbound, no fwd SP: forwarded to the LAN in clear ($V)" [ "$V" = clear ]
check "out of lan0" grep -q '"oif":"lan0"' "$TMPD/t.json"
from_peer 192.168.1.10 10.0.2.33
check "and the host receives it ($(got))" [ "$(got)" -ge 1 ]

in_gw ip xfrm policy add dir fwd src 192.168.0.0/16 dst 10.0.2.0/24 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 5
trace_in 192.168.1.10 10.0.2.33
check "inbound, required fwd template: cleartext dropped ($V)" [ "$V" = dropped ]
check "naming the check and its counter" \
	grep -q '"check":"XfrmInTmplMismatch".*"why":"fwd SP [0-9]* 192.168.0.0/16 -> 10.0.2.0/24 reqid 5 requires IPsec' "$TMPD/t.json"
before=$(mismatch)
from_peer 192.168.1.10 10.0.2.33
check "and the host receives nothing ($(got))" [ "$(got)" = 0 ]
check "while the kernel counts XfrmInTmplMismatch ($before -> $(mismatch))" \
	[ "$(mismatch)" -gt "$before" ]
trace_in 192.168.1.10 10.0.2.33 --via-spi 0x4242
check "an SPI without SA: dropped before routing, XfrmInNoStates ($V)" \
	sh -c "[ '$V' = dropped ] && grep -q 'XfrmInNoStates' '$TMPD/t.json'"
in_gw ip xfrm policy del dir fwd src 192.168.0.0/16 dst 10.0.2.0/24
in_gw ip xfrm policy add dir fwd src 192.168.0.0/16 dst 10.0.2.0/24 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 5 level use
trace_in 192.168.1.10 10.0.2.33
check "inbound, optional fwd template: cleartext passes ($V)" [ "$V" = clear ]
from_peer 192.168.1.10 10.0.2.33
check "and the host receives it ($(got))" [ "$(got)" -ge 1 ]

in_gw ip xfrm policy add dir in src 192.168.0.0/16 dst 172.16.0.1/32 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 6
trace_in 192.168.1.10 172.16.0.1
check "to the gateway itself, required in template: dropped ($V)" [ "$V" = dropped ]
check "the in SP named" grep -q '"local":false.*\|"dir":"in"' "$TMPD/t.json"
before=$(mismatch)
in_peer ping -c1 -W1 -I 192.168.1.10 172.16.0.1 >/dev/null 2>&1
check "and the kernel drops the ping the same way ($before -> $(mismatch))" \
	[ "$(mismatch)" -gt "$before" ]
trace_in 172.16.0.2 172.16.0.1
check "from an address no in SP covers: local ($V, exit $RC)" [ "$V" = local -a "$RC" = 0 ]
in_peer ping -c1 -W2 172.16.0.1 >/dev/null 2>&1
check "and the gateway answers its ping" [ $? = 0 ]

in_peer ip addr add 10.0.2.99/32 dev lo
in_gw sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.wan0.rp_filter=1
trace_in 10.0.2.99 10.0.2.33
check "a LAN source arriving on the WAN with strict rp_filter: dropped ($V)" [ "$V" = dropped ]
check "naming the reverse path filter" grep -q 'reverse path filter (strict) on wan0' "$TMPD/t.json"
from_peer 10.0.2.99 10.0.2.33
check "and the host receives nothing ($(got))" [ "$(got)" = 0 ]
in_gw sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.wan0.rp_filter=0
trace_in 10.0.2.99 10.0.2.33
check "rp_filter off: forwarded ($V)" [ "$V" = clear ]
from_peer 10.0.2.99 10.0.2.33
check "and the host receives it ($(got))" [ "$(got)" -ge 1 ]

# The default fwd policy, and an interface the kernel does not check (disable_policy)
nopols() { in_gw awk '$1 == "XfrmInNoPols" { print $2 }' /proc/net/xfrm_stat; }
in_gw ip xfrm policy setdefault fwd block
trace_in 10.0.2.99 10.0.2.33
check "default fwd policy block: a flow no fwd SP covers is dropped ($V)" \
	sh -c "[ '$V' = dropped ] && grep -q 'no fwd SP covers it and the default fwd policy is block' '$TMPD/t.json'"
before=$(nopols)
from_peer 10.0.2.99 10.0.2.33
check "and the host receives nothing, the kernel counts XfrmInNoPols ($(got); $before -> $(nopols))" \
	[ "$(got)" = 0 -a "$(nopols)" -gt "$before" ]
in_gw sysctl -qw net.ipv4.conf.wan0.disable_policy=1
trace_in 10.0.2.99 10.0.2.33
check "disable_policy on wan0: not checked, forwarded ($V)" \
	sh -c "[ '$V' = clear ] && grep -q '\"disable_policy\":true' '$TMPD/t.json'"
from_peer 10.0.2.99 10.0.2.33
check "and the host receives it ($(got))" [ "$(got)" -ge 1 ]
in_gw sysctl -qw net.ipv4.conf.wan0.disable_policy=0
in_gw ip xfrm policy setdefault fwd accept

in_gw sysctl -qw net.ipv4.conf.wan0.forwarding=0
trace_in 192.168.1.10 10.0.2.33
check "forwarding off on wan0: dropped, named ($V)" \
	sh -c "[ '$V' = dropped ] && grep -q 'forwarding is off on wan0' '$TMPD/t.json'"
from_peer 192.168.1.10 10.0.2.33
check "and the host receives nothing ($(got))" [ "$(got)" = 0 ]
in_gw sysctl -qw net.ipv4.conf.wan0.forwarding=1

in_gw "$BUILD/ipsecguard" trace --via-spi 0x10 --src 10.0.2.33 --dst 192.168.1.10 2>/dev/null
check "--via-spi without --iif exits 2" [ $? = 2 ]
in_gw "$BUILD/ipsecguard" trace --iif nosuch0 --src 10.0.2.33 --dst 192.168.1.10 2>/dev/null
check "an unknown --iif exits 2" [ $? = 2 ]
in_gw "$BUILD/ipsecguard" trace --src 10.0.2.33 2>/dev/null
check "trace without --dst exits 2" [ $? = 2 ]
in_gw "$BUILD/ipsecguard" trace --src 10.0.2.33 --dst fd00::1 2>/dev/null
check "mixed families exit 2" [ $? = 2 ]
exit 0
