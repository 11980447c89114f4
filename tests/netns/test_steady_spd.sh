#!/bin/sh
# Verdicts follow the SPD.  A running translated flow towards a destination no SP
# covers is legitimately in clear; when an SP protecting it appears, its next packets
# are judged again and, in enforce, dropped: none reaches the peer translated.  A
# flagged flow whose SP goes is released (audit: the kernel stops counting it as
# flagged) when nothing remembers the SP (--remember 0).  A healthy flow the suspect rules do not take crosses an SPD change
# without meeting the queue.  And a generation's values are cleared from conntrack
# before they come back: an idle connection's verdict from nine SPD changes ago is
# gone.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
in_peer ip addr add 203.0.113.5/32 dev lo
in_gw ip route add 203.0.113.5/32 via 172.16.0.2
gw_masquerade
peer_count late "ip saddr 172.16.0.1 udp dport 7001" \
	flagged "ip saddr 172.16.0.1 udp dport 7002"
SP="src 10.0.2.0/24 dst 192.168.0.0/16"
TMPL="tmpl proto esp mode transport level use reqid 1"
seen_at_least() { [ "$(seen "$1")" -ge "$2" ]; }
progress() { cat "$TMPD/$1" 2>/dev/null || echo 0; }
progress_at_least() { [ "$(progress "$1")" -ge "$2" ]; }
# the stats event's verdict_gen.switches, asked for with SIGUSR1
switches() {
	n=$(grep -c '"event":"stats"' "$DAEMON_LOG")
	kill -USR1 "$DAEMON_PID"
	poll 5 sh -c "[ \$(grep -c '\"event\":\"stats\"' $DAEMON_LOG) -gt $n ]"
	python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" field stats verdict_gen.switches
}
switched_past() { [ "$(switches)" -gt "$1" ]; }
# a dotted field of the stats event (asked for with SIGUSR1 first)
stat() { switches >/dev/null; python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" field stats "$1"; }
# a flow of one datagram every 20 ms from one socket, COUNT of them, to PORT
flow() {
	bg in_host python3 "$TOP/tests/netns/udpstream.py" "$2" "$1" "$3" 0.02 \
		"$TMPD/flow$1" --one-flow
}
flagged_ctr() {
	in_gw nft list chain ip ipsecguard judged |
		sed -n 's/.*counter packets \([0-9]*\).*judged: flagged.*/\1/p'
}
# the healthy value of the generation in force, as the healthy chain sets it
healthy_value() {
	v=$(in_gw nft list chain ip ipsecguard healthy | sed -n 's/.*| 0x00\([0-9a-f][0-9a-f]\)0000.*/\1/p')
	echo $((0x${v:-0}))
}
# the conntrack mark field (0x00ff0000) of the flow to $1 port $2
ctfield() {
	m=$(in_gw conntrack -L -p udp --dport "$2" -d "$1" 2>/dev/null | sed -n 's/.*mark=\([0-9]*\).*/\1/p' | head -n1)
	echo $(( (${m:-0} >> 16) & 255 ))
}

info "enforce: an SP appears under a running translated flow"
daemon_start --queue 40 --mode enforce
flow 7001 192.168.1.10 300
lpid=$LAST_PID
wait_for 10 "the flow to reach the peer in clear before any SP" seen_at_least late 5
s0=$(switches)
in_gw ip xfrm policy add dir out $SP $TMPL
wait_for 10 "a new verdict generation" switched_past "$s0"
sent=$(progress flow7001)
wait_for 20 "20 more datagrams of the flow" progress_at_least flow7001 $((sent + 20))
before=$(seen late)
wait_for 20 "20 more datagrams again" progress_at_least flow7001 $((sent + 40))
expect_eq "translated packets at the peer after the SP appeared" "$(seen late)" "$before"
drops=$(stat reasons.nat-before-ipsec.drop)
check "... and not because they are not sent: the flow's packets are judged and dropped ($drops)" \
	[ "${drops:-0}" -ge 40 ]
check "the log names the flow" [ "$(log_count reason=nat-before-ipsec verdict=drop dport=7001)" -ge 1 ]
wait "$lpid"
daemon_stop

info "audit, nothing remembered: the SP goes under a flagged flow"
daemon_start --queue 40 --remember 0
flow 7002 192.168.1.10 200
fpid=$LAST_PID
wait_for 10 "the flow to be flagged" sh -c "[ \$(ip netns exec $NS_GW nft list chain ip ipsecguard judged | sed -n 's/.*counter packets \([0-9]*\).*flagged.*/\1/p') -ge 3 ]"
s0=$(switches)
in_gw ip xfrm policy del dir out $SP
wait_for 10 "a new verdict generation" switched_past "$s0"
sent=$(progress flow7002)
wait_for 20 "5 more datagrams of the flow" progress_at_least flow7002 $((sent + 5))
f0=$(flagged_ctr)
wait_for 20 "10 more datagrams" progress_at_least flow7002 $((sent + 15))
expect_eq "the released flow is no longer counted as flagged" "$(flagged_ctr)" "$f0"
expect_eq "its connection carries this generation's healthy mark" \
	"$(ctfield 192.168.1.10 7002)" "$(healthy_value)"
wait "$fpid"

info "a healthy flow crosses SPD changes without the queue"
idseq() { in_gw awk '$1 == 40 { print $8 }' /proc/net/netfilter/nfnetlink_queue; }
flow 7003 203.0.113.5 200
hpid=$LAST_PID
wait_for 10 "the healthy flow under way" progress_at_least flow7003 5
q0=$(idseq)
s0=$(switches)
in_gw ip xfrm policy add dir out src 10.9.9.0/24 dst 10.8.8.0/24 $TMPL
wait_for 10 "a new verdict generation" switched_past "$s0"
sent=$(progress flow7003)
wait_for 20 "20 more datagrams of the healthy flow" progress_at_least flow7003 $((sent + 20))
expect_eq "packets queued meanwhile" "$(idseq)" "$q0"
wait "$hpid"

info "nine SPD changes: an idle connection's verdict is cleared before its values return"
in_host python3 "$TOP/tests/netns/udpstream.py" 203.0.113.5 7004 1 0.01 "$TMPD/idle" >/dev/null
wait_for 10 "the idle flow's healthy mark" sh -c "[ \$(ip netns exec $NS_GW conntrack -L -p udp --dport 7004 2>/dev/null | grep -c 'mark=[1-9]') -ge 1 ]"
mark0=$(ctfield 203.0.113.5 7004)
info "its mark field: $mark0"
for i in 1 2 3 4 5 6 7 8 9; do
	s0=$(switches)
	if [ $((i % 2)) = 1 ]; then
		in_gw ip xfrm policy del dir out src 10.9.9.0/24 dst 10.8.8.0/24
	else
		in_gw ip xfrm policy add dir out src 10.9.9.0/24 dst 10.8.8.0/24 $TMPL
	fi
	wait_for 20 "verdict generation after change $i" switched_past "$s0"
done
expect_eq "the idle connection's old verdict was cleared" "$(ctfield 203.0.113.5 7004)" 0
cleared=$(stat verdict_gen.cleared)
check "the sweeps cleared entries ($cleared)" [ "${cleared:-0}" -ge 1 ]
daemon_stop
