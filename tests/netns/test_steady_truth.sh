#!/bin/sh
# The SPD is the source of truth, and protection outlives the SP that taught it.
#  - A bypass SP (allow, no template) beside a protecting one: its flows pass in
#    enforce, logged as bypass naming the SP; the protected flow through NAT is dropped.
#  - SPs narrowed to a protocol (L2TP/IPsec's udp 1701 transport SPs): the gateway's
#    pings to that peer pass in enforce, and nothing calls them a miss.
#  - Cleartext towards a destination an SP protects, from a source it does not cover:
#    reported (sp-miss-out, accepted) from a copy, never queued; --drop-uncovered drops.
#  - The tunnel goes (ip xfrm policy flush): its flows leaving in clear, translated or
#    not, are tunnel-down and dropped, a stream of new ones included; the daemon
#    remembers across a restart; `ipsecguard remembered` shows it and forgets it on
#    request; a hold time forgets it by itself; the SP back, its flows are judged again.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd ipsecguard
lab_up
in_peer ip addr add 192.168.9.10/32 dev lo
CTL=$TMPD/ctl.sock
STATE=$TMPD/state
gw_masquerade
peer_count natted "ip saddr 172.16.0.1 ip daddr 192.168.1.10" \
	plain "ip saddr 10.0.2.33 ip daddr 192.168.1.10"
TMPL="tmpl proto esp mode transport level use reqid 1"
sp_tunnel() { in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 priority 200 $TMPL; }
pings() { in_host ping -c "$2" -i 0.2 -W1 "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
gw_pings() { in_gw ping -I "$3" -c "$2" -i 0.2 -W1 "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
igd() { in_gw "$BUILD/ipsecguard" "$@"; }
start() { daemon_start --queue 40 --control "$CTL" --state-dir "$STATE" "$@"; }
# trace's verdict for a flow (its exit status in $TMPD/trace.rc)
trace_verdict() {
	igd trace --json --remembered "$STATE/ipsecguard.remembered" "$@" >"$TMPD/trace.json"
	echo $? >"$TMPD/trace.rc"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$TMPD/trace.json"
}
has_line() { [ "$(log_count "$@")" -ge 1 ]; }
# logged: the daemon writes its log out at least once a second
logged() { _w=$1; shift; wait_for 10 "$_w" has_line "$@"; ok "$_w"; }

info "a bypass SP beside a protecting one"
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.9.0/24 priority 100
sp_tunnel
start --mode enforce
expect_eq "pings the bypass SP lets out in clear, in enforce" "$(pings 192.168.9.10 3)" 3
logged "logged as bypass, naming the SP" reason=bypass verdict=accept sp.priority=100 \
	sp.dst=192.168.9.0/24
expect_eq "pings of the protecting SP through NAT, in enforce" "$(pings 192.168.1.10 2)" 0
logged "those are nat-before-ipsec" reason=nat-before-ipsec verdict=drop
check "no sp-miss-out at all" [ "$(log_count reason=sp-miss-out)" = 0 ]
expect_eq "trace says the same" "$(trace_verdict --src 10.0.2.33 --dst 192.168.9.10)" bypass
daemon_stop
in_gw ip xfrm policy flush

info "SPs narrowed to a protocol: L2TP/IPsec's udp 1701"
for d in "src 172.16.0.1 dst 172.16.0.2 sport 1701" "src 172.16.0.1 dst 172.16.0.2 dport 1701"; do
	in_gw ip xfrm policy add dir out $d proto udp tmpl proto esp mode transport reqid 7
done
start --mode enforce --remember 0
expect_eq "the gateway's pings to the L2TP peer, in enforce" "$(gw_pings 172.16.0.2 3 172.16.0.1)" 3
check "nothing calls them a miss" [ "$(log_count reason=sp-miss-out)" = 0 ]
daemon_stop
in_gw ip xfrm policy flush

info "cleartext from a source the SP does not cover"
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel reqid 2 ||
	fail "a tunnel SP"
start --mode enforce --remember 0
q0=$(in_gw awk '$1 == 40 { print $8 }' /proc/net/netfilter/nfnetlink_queue)
expect_eq "the gateway's own pings to the protected network, in enforce" \
	"$(gw_pings 192.168.1.10 3 172.16.0.1)" 3
logged "the report of the copy" reason=sp-miss-out verdict=accept src=172.16.0.1
logged "the report names the SP that covers the destination" reason=sp-miss-out sp.reqid=2
logged "it came from a copy, not the queue" reason=sp-miss-out nflog=4700
expect_eq "trace: clear" "$(trace_verdict --src 172.16.0.1 --dst 192.168.1.10)" clear
check "... naming what the daemon says of it" grep -q "sp-miss-out" "$TMPD/trace.json"
expect_eq "packets queued for it" "$(in_gw awk '$1 == 40 { print $8 }' /proc/net/netfilter/nfnetlink_queue)" "$q0"
daemon_stop
start --mode enforce --remember 0 --drop-uncovered
expect_eq "with --drop-uncovered they are dropped" "$(gw_pings 192.168.1.10 2 172.16.0.1)" 0
logged "as sp-miss-out" reason=sp-miss-out verdict=drop src=172.16.0.1
daemon_stop
in_gw ip xfrm policy flush

info "the tunnel goes: what its SP protected stays protected"
sp_tunnel
start --mode enforce
expect_eq "protected pings through NAT, tunnel up" "$(pings 192.168.1.10 2)" 0
in_gw ip xfrm policy flush
seen_reset
expect_eq "the same pings once the SP is gone" "$(pings 192.168.1.10 3)" 0
expect_eq "translated packets at the peer" "$(seen natted)" 0
logged "they are tunnel-down, naming what is remembered" \
	reason=tunnel-down verdict=drop remembered.dst=192.168.0.0/16 remembered.live=False
rm -f "$TMPD/progress"
in_host python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7000 300 0.002 "$TMPD/progress" >/dev/null
expect_eq "a stream of 300 new flows while the tunnel is down: translated packets at the peer" \
	"$(seen natted)" 0
igd remembered --control "$CTL" >"$TMPD/rem.txt"
cat "$TMPD/rem.txt"
check "ipsecguard remembered shows the tunnel that is down" \
	grep -q "10.0.2.0/24 -> 192.168.0.0/16 .*tunnel down since" "$TMPD/rem.txt"
wait_for 10 "the state file" test -s "$STATE/ipsecguard.remembered"
expect_eq "trace says tunnel-down" "$(trace_verdict --src 10.0.2.33 --dst 192.168.1.10)" tunnel-down
expect_eq "with exit status 4" "$(cat "$TMPD/trace.rc")" 4
in_gw nft delete table ip fw
expect_eq "without NAT, cleartext pings of the tunnel that is down" "$(pings 192.168.1.10 2)" 0
expect_eq "cleartext packets at the peer" "$(seen plain)" 0

info "a restart remembers"
daemon_stop
check "the state file holds it" grep -q "192.168.0.0/16" "$STATE/ipsecguard.remembered"
start --mode enforce
expect_eq "pings of the tunnel that is down, after a restart" "$(pings 192.168.1.10 2)" 0
logged "still tunnel-down" reason=tunnel-down
expect_eq "forget it" "$(igd remembered forget 192.168.0.0/16 --control "$CTL")" '{"forgotten":1}'
expect_eq "then they pass in clear: no SP, nothing remembered" "$(pings 192.168.1.10 3)" 3
igd remembered forget 10.0.0.0/33 --control "$CTL" 2>"$TMPD/forget.err"
expect_eq "a bad prefix is refused (exit 2)" "$?" 2
check "naming the problem" grep -q "expected a prefix" "$TMPD/forget.err"
sp_tunnel
check "the SP back: its flows are a suspect again and judged (no-NAT: healthy)" \
	sh -c "[ \$(ip netns exec $NS_HOST ping -c2 -W1 192.168.1.10 | sed -n 's/.* \([0-9]*\) received.*/\1/p') = 2 ]"
daemon_stop

info "a hold time forgets by itself"
start --mode enforce --remember 2
in_gw ip xfrm policy flush
expect_eq "right after the SP went" "$(pings 192.168.1.10 1)" 0
wait_for 20 "the protection to be forgotten after 2 s" sh -c "[ \$(ip netns exec $NS_HOST ping -c1 -W1 192.168.1.10 | sed -n 's/.* \([0-9]*\) received.*/\1/p') = 1 ]"
igd remembered --control "$CTL" >"$TMPD/rem2.txt"
expect_eq "nothing remembered any more" "$(wc -l <"$TMPD/rem2.txt")" 0
daemon_stop

info "--remember 0: nothing outlives its SP"
sp_tunnel
start --mode enforce --remember 0
in_gw ip xfrm policy flush
expect_eq "pings once the SP is gone" "$(pings 192.168.1.10 2)" 2
check "no tunnel-down" [ "$(log_count reason=tunnel-down)" = 0 ]
daemon_stop
