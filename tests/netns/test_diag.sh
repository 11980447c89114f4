#!/bin/sh
# Policy misses and tunnel diagnostics, against the kernel's own counters:
#   tmpl-mismatch  cleartext from the peer subnet on a fwd SP that requires ESP: the
#                  daemon's count equals the kernel's XfrmInTmplMismatch delta
#   sp-miss-out    a destination inside a protected prefix with no covering SP
#                  (audit: logged; enforce: dropped)
#   no-sa          a required template without an SA: the ACQUIRE names the SP
#   xfrm_stat      counter deltas logged with their meaning
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
xstat() { in_gw awk -v k="$1" '$1 == k { print $2 }' /proc/net/xfrm_stat; }

# inbound: 192.168.0.0/16 -> 10.0.2.0/24 must arrive through ESP
in_gw ip xfrm policy add dir fwd src 192.168.0.0/16 dst 10.0.2.0/24 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 7
# outbound: a second LAN, 10.0.3.0/24, has no SP; --protect names the far side
in_host ip addr add 10.0.3.5/24 dev eth0
in_gw ip route add 10.0.3.0/24 dev lan0
in_peer ip route add 10.0.3.0/24 via 172.16.0.1
daemon_start --queue 60 --protect 192.168.0.0/16 --xfrm-stat-interval 1

xstat_past() { [ $(($(xstat "$1") - $2)) -ge "$3" ]; }	# COUNTER BEFORE DELTA
before=$(xstat XfrmInTmplMismatch)
in_peer ping -c4 -i0.2 -W1 -I 192.168.1.10 10.0.2.33 >/dev/null 2>&1
# the kernel counts each ping after the daemon let it through, and the daemon's
# xfrm_stat watcher (every second) logs the increase
poll 10 xstat_past XfrmInTmplMismatch "$before" 4
poll 10 grep -q '"event":"xfrm_stat",.*"counter":"XfrmInTmplMismatch"' "$DAEMON_LOG"
after=$(xstat XfrmInTmplMismatch)
kdelta=$((after - before))
check "the kernel dropped the cleartext pings (XfrmInTmplMismatch +$kdelta)" [ "$kdelta" -ge 4 ]
in_host ping -c2 -i0.2 -W1 -I 10.0.3.5 192.168.1.10 >/dev/null 2>&1
check "audit: sp-miss-out traffic still flows" in_host ping -c1 -W2 -I 10.0.3.5 192.168.1.10
check "daemon exits 0" daemon_stop
check "the log keeps the contract" python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG"
n=$(log_count reason=tmpl-mismatch hook=prerouting src=192.168.1.10 dst=10.0.2.33 sp.dir=fwd sp.reqid=7)
check "tmpl-mismatch is logged with the fwd SP it needed ($n lines)" [ "$n" -ge 1 ]
counted=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats | python3 -c '
import json, sys; print(json.load(sys.stdin)["reasons"]["tmpl-mismatch"]["accept"])')
check "the daemon's tmpl-mismatch count ($counted) equals the kernel's delta ($kdelta)" \
	[ "$counted" = "$kdelta" ]
sup=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats | python3 -c '
import json, sys; print(json.load(sys.stdin)["log_suppressed"])')
check "repeats are rate-limited in the log, counted exactly ($n lines + $sup held back)" \
	[ $((n + sup)) -ge "$counted" -a "$sup" -ge 1 ]
n=$(log_count reason=sp-miss-out src=10.0.3.5 dst=192.168.1.10)
check "sp-miss-out logged for the uncovered source ($n)" [ "$n" -ge 1 ]
n=$(log_count reason=sp-miss-out src=10.0.2.33)
check "no sp-miss-out for covered or unprotected traffic ($n)" [ "$n" = 0 ]
check "the xfrm_stat delta was logged with its meaning" \
	grep -q '"event":"xfrm_stat",.*"counter":"XfrmInTmplMismatch".*"meaning"' "$DAEMON_LOG"

info "enforce: sp-miss-out is dropped"
daemon_start --queue 60 --protect 192.168.0.0/16 --mode enforce
check "enforce: the uncovered source cannot reach the protected prefix" \
	sh -c "! ip netns exec $NS_HOST ping -c2 -i0.2 -W1 -I 10.0.3.5 192.168.1.10 >/dev/null"
check "enforce: other traffic is untouched" in_host ping -c1 -W2 172.16.0.2
check "daemon exits 0" daemon_stop
n=$(log_count reason=sp-miss-out verdict=drop src=10.0.3.5)
check "enforce: the drops were logged ($n)" [ "$n" -ge 1 ]

info "no-sa: a required template with no SA"
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel reqid 9
daemon_start --queue 60
before=$(xstat XfrmOutNoStates)
in_host ping -c2 -i0.3 -W1 192.168.1.10 >/dev/null 2>&1
# the kernel's count, and the ACQUIRE the daemon reads and logs (written out every second)
poll 10 xstat_past XfrmOutNoStates "$before" 1
poll 10 grep -q '"event":"acquire",.*"reason":"no-sa"' "$DAEMON_LOG"
after=$(xstat XfrmOutNoStates)
check "the kernel counted XfrmOutNoStates (+$((after - before)))" [ $((after - before)) -ge 1 ]
check "daemon exits 0" daemon_stop
check "the ACQUIRE was logged as no-sa naming the SP" \
	grep -q '"event":"acquire",.*"reason":"no-sa".*"dst":"192.168.1.10".*"sp":{"index":[0-9]*,"dir":"out".*"reqid":9' "$DAEMON_LOG"
