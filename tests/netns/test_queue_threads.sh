#!/bin/sh
# Queues across cores: --queue 40-41 answers each queue on a thread of its own, and the
# rules spread suspects over the queues by CPU.
#  - Two C senders pinned to CPU 0 and CPU 1 push 3000 new flows each through a NAT
#    that takes them out of their SP: both queues are used, every flow is judged and
#    dropped in enforce, none reaches the peer, and the log holds one whole line per
#    drop (or counts what it had no room for).
#  - The SP goes and comes back under streams of new untranslated flows from both
#    CPUs: each thread reads the removal before it judges, none reaches the peer.
#  - The daemon stops (SIGTERM) with every queue answered and its threads gone.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd tests/synflood_tool
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs to spread the queues by CPU"
lab_up
in_host ip addr add 10.0.2.34/24 dev eth0
peer_count leak "ip saddr 172.16.0.1 ip daddr 192.168.1.10 tcp dport 9" \
	plain "ip saddr 10.0.2.0/24 ip daddr 192.168.1.10 udp dport 7000"
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1 || fail "the SP"
in_gw iptables -t nat -A POSTROUTING -o wan0 -p tcp -j MASQUERADE || fail "the NAT"
daemon_start --queue 40-41 --mode enforce --queue-maxlen 65536
judged() { python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" field stats \
	reasons.nat-before-ipsec.drop; }
judged_past() { daemon_usr1 >/dev/null; [ "$(judged)" -ge "$1" ] 2>/dev/null; }
qseq() { in_gw awk -v q="$1" '$1 == q { print $8 }' /proc/net/netfilter/nfnetlink_queue; }

threads=$(cat /proc/"$DAEMON_PID"/task/*/comm | grep -c '^igd-queue-4[01]$')
expect_eq "one thread per queue (igd-queue-40, igd-queue-41)" "$threads" 2

info "6000 new flows from two CPUs, every one out of its SP by the NAT"
in_host taskset -c 0 "$BUILD/tests/synflood_tool" 10.0.2.33 192.168.1.10 9 3000 >"$TMPD/s0" &
s0=$!
in_host taskset -c 1 "$BUILD/tests/synflood_tool" 10.0.2.34 192.168.1.10 9 3000 >"$TMPD/s1" &
s1=$!
wait "$s0" "$s1"
sent=$(($(cat "$TMPD/s0") + $(cat "$TMPD/s1")))
expect_eq "the senders sent" "$sent" 6000
wait_for 60 "every flow judged" judged_past "$sent"
expect_eq "flows dropped as nat-before-ipsec" "$(judged)" "$sent"
expect_eq "flows at the peer in clear" "$(seen leak)" 0
expect_ge "queue 40 got packets" "$(qseq 40)" 1
expect_ge "queue 41 got packets" "$(qseq 41)" 1
set -- $(queue_kstats 40) $(queue_kstats 41)
expect_eq "nothing the kernel's queues dropped" "$2 $3 $5 $6" "0 0 0 0"
python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" || fail "a log line is not whole"
ok "every log line whole"
lines=$(log_count reason=nat-before-ipsec verdict=drop)
lost=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" field stats log_lines_lost)
expect_eq "a line per drop, or counted as lost" "$((lines + ${lost:-0}))" "$sent"

info "the SP goes and comes back under new untranslated flows from both CPUs"
in_gw ip xfrm policy flush
SP="src 10.0.2.0/24 dst 192.168.0.0/16"
in_gw ip xfrm policy add dir out $SP priority 200 tmpl proto esp mode transport reqid 1 ||
	fail "the required SP"
seen_reset
bg in_host taskset -c 0 python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7000 60000 \
	0.001 "$TMPD/p0"
p0=$LAST_PID
bg in_host taskset -c 1 python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7000 60000 \
	0.001 "$TMPD/p1"
p1=$LAST_PID
progress() { cat "$TMPD/$1" 2>/dev/null || echo 0; }
progress_past() { [ "$(progress "$1")" -gt "$2" ]; }
wait_for 20 "the streams to start" progress_past p1 50
i=0
while [ $i -lt 10 ]; do
	in_gw ip xfrm policy delete dir out $SP || fail "the SP's removal ($i)"
	n=$(progress p0)
	wait_for 20 "flows while the SP is gone ($i)" progress_past p0 $((n + 30))
	in_gw ip xfrm policy add dir out $SP priority 200 tmpl proto esp mode transport \
		reqid 1 || fail "the SP back ($i)"
	n=$(progress p0)
	wait_for 20 "flows with the SP back ($i)" progress_past p0 $((n + 30))
	i=$((i + 1))
done
kill "$p0" "$p1" 2>/dev/null
expect_eq "untranslated flows at the peer in clear across 10 removals" "$(seen plain)" 0
down=$(log_count reason=tunnel-down verdict=drop)
expect_ge "the flows of those moments judged tunnel-down" "$down" 1

info "SIGTERM: the queues answered, the threads gone"
stats_before=$(grep -c '"event":"stats"' "$DAEMON_LOG")
daemon_stop
expect_eq "the daemon's exit status" "$?" 0
expect_ge "the last stats event written at exit" \
	"$(grep -c '"event":"stats"' "$DAEMON_LOG")" "$((stats_before + 1))"
