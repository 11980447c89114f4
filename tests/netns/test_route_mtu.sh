#!/bin/sh
# kmod-free/mtu/route_mtu against `ip route get` in the three-namespace lab (lib.sh), all
# queries made from the host namespace of the lab:
#   - links of different MTUs (eth0 1500; big0 9000 with an IPv6 mtu6 of 8000),
#   - routes with `mtu lock 1400` and `mtu 1450` (IPv4) and `mtu 1400` (IPv6),
#   - PMTU exceptions learned from real ICMP fragmentation-needed / packet-too-big sent
#     by the gateway whose WAN link is lowered to 1300, and the 552 floor (locked) that
#     IPv4 applies to a frag-needed below min_pmtu,
#   - source/oif selectors, one socket reused for many queries, unreachable routes.
# The namespaces are removed on exit whatever happens; the host's own namespace is
# never touched.
. "$(dirname "$0")/lib.sh"
TOOL=$BUILD/tests/route_mtu_tool

need_root
need_bin tests/route_mtu_tool
lab_up

# big0: a second host<->gateway link with jumbo frames
ip link add igdb$LAB_ID netns "$NS_HOST" mtu 9000 type veth \
	peer name igdc$LAB_ID netns "$NS_GW" mtu 9000 || fail "veth big0"
in_host ip link set igdb$LAB_ID name big0 || fail "rename big0"
in_host ip link set big0 up
in_gw ip link set igdc$LAB_ID up
in_host ip addr add 10.77.0.1/24 dev big0
in_host ip -6 addr add fd77::1/64 dev big0 nodad
in_host sysctl -qw net.ipv6.conf.big0.mtu=8000 || fail "mtu6 of big0"
in_host ip route add 10.78.0.0/24 via 10.77.0.2 mtu lock 1400 || fail "route mtu lock"
in_host ip route add 10.79.0.0/24 via 10.77.0.2 mtu 1450 || fail "route mtu"
in_host ip -6 route add fd78::/64 via fd77::2 mtu 1400 || fail "route -6 mtu"
# a route that expires by itself is not a PMTU exception
in_host ip -6 route add fd79::/64 via fd77::2 expires 300 || fail "route -6 expires"

# q DST [args]: one `route` query from the host namespace; its output in $OUT
q() { OUT=$(in_host "$TOOL" route "$@" 2>"$TMPD/err") || { cat "$TMPD/err"; return 1; }; }
# field KEY: the value of KEY=... in $OUT (first line)
field() { printf '%s\n' "$OUT" | head -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# ipmtu DST: the mtu `ip route get` prints (with or without lock), empty when none
ipmtu() { in_host ip route get "$1" | sed -n 's/.* mtu \(lock \)\{0,1\}\([0-9][0-9]*\).*/\2/p' | head -n 1; }
ipexpires() { in_host ip route get "$1" | sed -n 's/.* expires \([0-9][0-9]*\)sec.*/\1/p' | head -n 1; }
# lifetime_like_ip OURS IPS: 1..600 s (net.ipv4.route.mtu_expires and the IPv6 default),
# ours rounded up where iproute2 rounds down
lifetime_like_ip() {
	[ -n "$1" ] && [ -n "$2" ] && [ "$1" -ge 1 ] && [ "$1" -le 600 ] &&
		[ $(($1 - $2)) -ge 0 ] && [ $(($1 - $2)) -le 1 ]
}
linkmtu() { in_host cat "/sys/class/net/$1/mtu"; }

# expect DST MTU SOURCE LOCKED OIF: one assertion on a query and on ip route get
expect() {
	q "$1" || { echo "not ok - route $1: query failed"; exit 1; }
	info "$1: $OUT"
	got="$(field mtu) $(field source) $(field locked) $(field oif)"
	check "route $1: mtu $2 from $3, locked $4, via $5 (got $got)" \
		[ "$got" = "$2 $3 $4 $5" ]
	want=$(ipmtu "$1")
	if [ -n "$want" ]; then
		check "route $1: ip route get says mtu $want too" [ "$want" = "$(field mtu)" ]
	else
		check "route $1: no route mtu per ip route get, the device's" \
			[ "$(field metric)" = 0 ]
	fi
}

info "--- routes and devices"
expect 10.78.0.5 1400 route 1 big0
expect 10.79.0.5 1450 route 0 big0
expect 10.77.0.5 9000 dev 0 big0
check "10.77.0.5: device MTU is big0's" [ "$(field dev)" = "$(linkmtu big0)" ]
expect 192.168.1.10 1500 dev 0 eth0
expect 172.16.0.2 1500 dev 0 eth0
expect fd78::5 1400 route 0 big0
expect fd77::5 8000 dev 0 big0
check "fd77::5: IPv6 uses big0's mtu6 (8000), not its 9000" [ "$(field dev)" = 8000 ]
expect fd79::5 8000 dev 0 big0
check "fd79::5: an expiring route is not a PMTU exception" [ "$(field expires)" = 0 ]
expect fd00:168::10 1500 dev 0 eth0

OUT=$(in_host "$TOOL" link big0 4)
check "link big0 for IPv4: 9000 ($OUT)" [ "$OUT" = mtu=9000 ]
OUT=$(in_host "$TOOL" link big0 6)
check "link big0 for IPv6: mtu6 8000 ($OUT)" [ "$OUT" = mtu=8000 ]

info "--- PMTU exceptions from ICMP"
in_gw ip link set wan0 mtu 1300
in_peer ip link set eth0 mtu 1300
in_host ping -c1 -W2 -M do -s 1400 192.168.1.10 >/dev/null 2>&1
in_host ping -6 -c1 -W2 -M do -s 1400 fd00:168::10 >/dev/null 2>&1
in_host ip route get 192.168.1.10 | sed 's/^/# /'
in_host ip -6 route get fd00:168::10 | sed 's/^/# /'
expect 192.168.1.10 1300 pmtu 0 eth0
e=$(field expires) ie=$(ipexpires 192.168.1.10)
check "192.168.1.10: exception lifetime $e s, ip route get $ie s" \
	lifetime_like_ip "$e" "$ie"
check "192.168.1.10: device MTU still 1500" [ "$(field dev)" = 1500 ]
expect fd00:168::10 1300 pmtu 0 eth0
e=$(field expires)
check "fd00:168::10: exception lifetime $e s" lifetime_like_ip "$e" "$(ipexpires fd00:168::10)"
check "fd00:168::10: the exception is a cached clone" [ "$(field cloned)" = 1 ]
q 192.168.1.10 flags lookup
check "RTM_F_LOOKUP_TABLE set: the exception is still reported ($OUT)" \
	[ "$(field source) $(field mtu)" = "pmtu 1300" ]
q fd00:168::10 flags lookup
check "IPv6, RTM_F_LOOKUP_TABLE set: still reported ($OUT)" \
	[ "$(field source) $(field mtu)" = "pmtu 1300" ]
q 192.168.1.10 flags fibmatch
check "RTM_F_FIB_MATCH: the FIB entry, without the exception ($OUT)" \
	[ "$(field source) $(field mtu)" = "dev 1500" ]
q fd00:168::10 flags fibmatch
check "IPv6 RTM_F_FIB_MATCH: without the exception ($OUT)" \
	[ "$(field source) $(field mtu)" = "dev 1500" ]
expect 172.16.0.2 1500 dev 0 eth0

# frag-needed below net.ipv4.route.min_pmtu (552): IPv4 learns 552 and locks it
in_gw ip link set wan0 mtu 500
in_host ping -c1 -W2 -M do -s 1000 172.16.0.2 >/dev/null 2>&1
minp=$(in_host sysctl -n net.ipv4.route.min_pmtu)
expect 172.16.0.2 "$minp" pmtu 1 eth0
in_gw ip link set wan0 mtu 1300

info "--- selectors and socket reuse"
q 192.168.1.10 from 10.0.2.33 oif eth0
check "from/oif given: same exception ($OUT)" [ "$(field source) $(field mtu)" = "pmtu 1300" ]
q fd00:168::10 from fd00:2::33 oif eth0
check "IPv6 from/oif given: same exception ($OUT)" \
	[ "$(field source) $(field mtu)" = "pmtu 1300" ]
q 10.78.0.5 oif big0
check "oif big0: the locked route ($OUT)" [ "$(field mtu) $(field locked)" = "1400 1" ]
q 203.0.113.9 oif big0
check "oif big0 for an off-link address: big0's MTU ($OUT)" [ "$(field mtu)" = 9000 ]
OUT=$(in_host "$TOOL" route 192.168.1.10 repeat 500) || fail "500 queries on one socket"
n=$(printf '%s\n' "$OUT" | grep -c '^mtu=1300 source=pmtu ')
check "500 queries on one socket and one buffer, all answered alike ($n)" [ "$n" = 500 ]
OUT=$(in_host "$TOOL" route 10.79.0.5 repeat 3)
n=$(printf '%s\n' "$OUT" | grep -c '^mtu=1450 source=route ')
check "then another destination on a new socket ($n)" [ "$n" = 3 ]

if in_host "$TOOL" route 192.168.1.10 from 10.9.9.9 2>"$TMPD/err"; then
	fail "a non-local source was accepted"
fi
check "non-local source refused: $(cat "$TMPD/err")" [ -s "$TMPD/err" ]

info "--- the exception goes with the cache"
in_host ip -6 route flush cache
expect fd00:168::10 1500 dev 0 eth0
in_host ip route flush cache
expect 192.168.1.10 1500 dev 0 eth0

info "--- errors"
in_host ip route del default
in_host ip -6 route del default
if in_host "$TOOL" route 203.0.113.9 2>"$TMPD/err"; then
	fail "unreachable IPv4 destination answered"
fi
check "unreachable IPv4: $(cat "$TMPD/err")" grep -q 'unreachable' "$TMPD/err"
if in_host "$TOOL" route 2001:db8::9 2>"$TMPD/err"; then
	fail "unreachable IPv6 destination answered"
fi
check "unreachable IPv6: $(cat "$TMPD/err")" grep -qi 'unreachable' "$TMPD/err"

echo "# all passed"
