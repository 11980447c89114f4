#!/bin/sh
# The moment an SP goes.  The kernel sends the next packet of an SP it no longer has in
# clear at once; the daemon holds the SP's destination only once it has read of the
# removal.  A flow started in between leaves untransformed between the addresses of an
# SP that requires IPsec of all their traffic (the tunnelled set): the kernel queues it
# all the same, and the daemon, which reads the SPD's events before it judges, calls it
# tunnel-down and drops it.
#  - A stream of new untranslated UDP flows (no NAT at all), IPv4 and IPv6, while the
#    SP goes and comes back again and again: none reaches the peer in enforce.  (This
#    kernel has no ESP: while the SP is there the kernel itself drops its packets for
#    want of an SA, so any packet of the stream at the peer is one the SP's removal let
#    out.)
#  - Cleartext the SPD lets out between those addresses (a bypass SP of higher
#    priority) is queued by the same rule, judged bypass and passes in enforce, and
#    with the daemon killed (-9) it still passes: the rule never waits for a judge.
#  - Cleartext from a source the SP does not cover is not queued at all.
#  - Selectors that nest or cross, and 500 of them (IPv6), make a set the kernel
#    takes; what meets no SP lookup (an interface with disable_xfrm, the machine
#    itself) passes.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
in_peer ip addr add 192.168.9.10/32 dev lo
peer_count plain "ip saddr 10.0.2.33 ip daddr 192.168.1.10 udp dport 7000" \
	bypassed "ip saddr 10.0.2.33 ip daddr 192.168.9.10"
in_peer nft -f - <<'NFT'
table ip6 seen6 {
	counter plain6 { }
	chain in {
		type filter hook prerouting priority 0;
		ip6 saddr fd00:2::33 ip6 daddr fd00:168::10 udp dport 7000 counter name "plain6"
	}
}
NFT
seen6() { in_peer nft list counter ip6 seen6 plain6 | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
SP4="src 10.0.2.0/24 dst 192.168.0.0/16"
SP6="src fd00:2::/64 dst fd00:168::/64"
TMPL="tmpl proto esp mode transport reqid 1"	# level required
sp_add() { in_gw ip xfrm policy add dir out $SP4 priority 200 $TMPL &&
	in_gw ip xfrm policy add dir out $SP6 priority 200 $TMPL; }
sp_del() { in_gw ip xfrm policy delete dir out $SP4 && in_gw ip xfrm policy delete dir out $SP6; }
has_line() { [ "$(log_count "$@")" -ge 1 ]; }
progress() { cat "$TMPD/$1" 2>/dev/null || echo 0; }
progress_past() { [ "$(progress "$1")" -gt "$2" ]; }
pings() { in_host ping -c "$2" -i 0.2 -W1 "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
gw_pings() { in_gw ping -I 172.16.0.1 -c "$2" -i 0.2 -W1 "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
# the packets the rule of the SP not applied queued (IPv4 table)
unapplied() {
	in_gw nft list chain ip ipsecguard postrouting |
		sed -n 's/.*counter packets \([0-9]*\).*sp not applied.*/\1/p'
}
stream() {
	rm -f "$TMPD/$1"
	bg in_host python3 "$TOP/tests/netns/udpstream.py" "$2" 7000 "$3" 0.001 "$TMPD/$1"
}

sp_add || fail "the SPs"
daemon_start --queue 40 --mode enforce
expect_eq "with the SP there and no SA, the kernel drops the host's pings" \
	"$(pings 192.168.1.10 2)" 0

info "the SP goes and comes back under a stream of new flows"
stream s4 192.168.1.10 60000
s4=$LAST_PID
stream s6 fd00:168::10 60000
s6=$LAST_PID
wait_for 20 "the streams to start" progress_past s6 50
CYCLES=15
i=0
while [ $i -lt $CYCLES ]; do
	sp_del || fail "the SPs' removal ($i)"
	n=$(progress s4)
	wait_for 20 "flows while the SPs are gone ($i)" progress_past s4 $((n + 50))
	sp_add || fail "the SPs back ($i)"
	n=$(progress s4)
	wait_for 20 "flows with the SPs back ($i)" progress_past s4 $((n + 50))
	i=$((i + 1))
done
kill "$s4" "$s6" 2>/dev/null
info "$(progress s4) IPv4 and $(progress s6) IPv6 flows; $CYCLES removals"
expect_eq "IPv4 flows of the stream in clear at the peer" "$(seen plain)" 0
expect_eq "IPv6 flows of the stream in clear at the peer" "$(seen6)" 0
expect_ge "named tunnel-down and dropped" \
	"$(log_count reason=tunnel-down verdict=drop dst=192.168.1.10)" 1
info "queued by the rule of the SP not applied: $(unapplied) packets"
check "nothing crashed" kill -0 "$DAEMON_PID"

info "what the SPD lets out in clear between those addresses"
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.9.0/24 priority 100 ||
	fail "a bypass SP"
u0=$(unapplied)
expect_eq "pings the bypass SP lets out, in enforce" "$(pings 192.168.9.10 3)" 3
check "they were queued by the rule of the SP not applied" [ "$(unapplied)" -gt "$u0" ]
wait_for 10 "them logged as bypass" has_line reason=bypass verdict=accept dst=192.168.9.10
check "none of them called tunnel-down" \
	[ "$(log_count reason=tunnel-down dst=192.168.9.10)" = 0 ]
u0=$(unapplied)
expect_eq "the gateway's own pings from a source the SP does not cover" \
	"$(gw_pings 192.168.1.10 3)" 3
expect_eq "are not queued by it" "$(unapplied)" "$u0"

info "the daemon killed"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
seen_reset
expect_eq "pings the bypass SP lets out, with no daemon" "$(pings 192.168.9.10 3)" 3
expect_eq "at the peer" "$(seen bypassed)" 3
in_gw ip xfrm policy flush

info "selectors that nest and cross, and many of them"
# 10.0.2.0/24 -> 192.168.0.0/16 holds 10.0.2.0/24 -> 192.168.1.0/24; 10.0.0.0/8 ->
# 192.168.1.0/24 crosses it: the kernel's set takes no two elements that meet
sp_add || fail "the SPs"
for sel in "src 10.0.2.0/24 dst 192.168.1.0/24" "src 10.0.0.0/8 dst 192.168.1.0/24"; do
	in_gw ip xfrm policy add dir out $sel priority 150 $TMPL || fail "SP $sel"
done
i=1
while [ $i -le 500 ]; do
	printf 'xfrm policy add dir out src fd00:2::/64 dst fd01:%x::/64 %s\n' $i "$TMPL"
	i=$((i + 1))
done >"$TMPD/many.batch"
in_gw ip -6 -batch "$TMPD/many.batch" || fail "500 IPv6 SPs"
daemon_start --queue 40 --mode enforce
tun_elems() { in_gw nft -j list set "$1" ipsecguard tunnelled |
	python3 -c 'import json,sys; d=json.load(sys.stdin)["nftables"]; print(len([x for x in d if "set" in x][0]["set"].get("elem", [])))'; }
check "the daemon runs with them" kill -0 "$DAEMON_PID"
in_gw nft list set ip ipsecguard tunnelled | sed -n '/elements/,/}/p'
expect_eq "the tunnelled set: three disjoint elements" "$(tun_elems ip)" 3
for pair in "10.9.9.9 192.168.1.5 1" "10.0.2.9 192.168.7.7 1" "10.0.2.9 192.168.1.5 1" \
	"10.9.9.9 192.168.7.7 0" "10.0.2.9 172.16.0.2 0"; do
	set -- $pair
	expect_eq "$1 -> $2 in the set" "$(in_gw nft get element ip ipsecguard tunnelled "{ $1 . $2 }" >/dev/null 2>&1 && echo 1 || echo 0)" "$3"
done
expect_eq "the IPv6 set holds the 501 pairs" "$(tun_elems ip6)" 501
in_gw ip -6 xfrm policy add dir out src fd00:2::/64 dst fd02::/64 $TMPL
wait_for 10 "the set to follow one more SP" sh -c \
	"ip netns exec $NS_GW nft list set ip6 ipsecguard tunnelled | grep -q 'fd02::/64'"
check "no set update failed" sh -c "! grep -q 'sets:' $DAEMON_ERR"
daemon_stop
in_gw ip xfrm policy flush
in_gw ip -6 xfrm policy flush

info "what meets no SP lookup: an interface with disable_xfrm, the machine itself"
sp_add || fail "the SPs"
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 0.0.0.0/0 priority 300 $TMPL ||
	fail "an SP of all destinations"
in_gw sysctl -qw net.ipv4.conf.wan0.disable_xfrm=1
expect_eq "without the daemon, disable_xfrm on wan0 lets the host's pings out in clear" \
	"$(pings 192.168.1.10 2)" 2
daemon_start --queue 40 --mode enforce
expect_eq "in enforce too (the kernel never looked an SP up for them)" \
	"$(pings 192.168.1.10 3)" 3
check "none of them called tunnel-down" \
	[ "$(log_count reason=tunnel-down dst=192.168.1.10)" = 0 ]
in_gw sysctl -qw net.ipv4.conf.wan0.disable_xfrm=0
u0=$(unapplied)
check "the gateway's pings from its LAN address to its own WAN address" \
	in_gw ping -I 10.0.2.1 -c3 -i0.2 -W1 172.16.0.1
expect_eq "are not queued (loopback)" "$(unapplied)" "$u0"
daemon_stop
