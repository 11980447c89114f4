#!/bin/sh
# Suspects judged per second by one queue thread against two (--queue 90 and
# --queue 90-91), on this machine's cores.  Each run: the daemon (audit) is stopped
# (SIGSTOP), two C senders pinned to CPU 0 and CPU 1 (tests/synflood_tool) send COUNT
# SYNs of new flows each through the NAT-before-IPsec gateway, whose MASQUERADE pushes
# every one out of its SP, so every one is queued (the rules spread the queues by CPU,
# fanout); once the kernel holds them all the daemon continues (SIGCONT) and the time
# until its queues are empty is measured.  A run counts only with 0 loss: every SYN
# judged, nothing dropped by the kernel's queue or socket.  Layouts alternate; the
# ratio of two queues over one comes from the same run of this script.
# With BENCH_BEFORE=PATH (another build's ipsecguardd) a third layout runs that build
# with two queues, for a figure before and after.
# Usage: bench_queues.sh [ROUNDS, default 5] [COUNT per sender, default 20000]
. "$(dirname "$0")/../netns/lib.sh"
need_root
need_bin ipsecguardd tests/synflood_tool
rounds=${1:-5}
count=${2:-20000}
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || { echo "bench_queues: needs 2 CPUs, this machine has $ncpu"; exit 0; }
lab_up
in_host ip addr add 10.0.2.34/24 dev eth0
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
RES=$TMPD/rates

waiting() {	# the packets the kernel holds in queues 90 and 91
	in_gw awk '$1 == 90 || $1 == 91 { n += $3 } END { print n + 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}

one_run() {	# LAYOUT QUEUES [DAEMON_BIN]
	DAEMON_BIN=$3 daemon_start --queue "$2" --no-log-pass --queue-maxlen 262144 \
		--rcvbuf 268435456
	in_gw conntrack -F >/dev/null 2>&1
	kill -STOP "$DAEMON_PID"
	in_host taskset -c 0 "$BUILD/tests/synflood_tool" 10.0.2.33 192.168.1.10 9 "$count" \
		>"$TMPD/s0" &
	s0=$!
	in_host taskset -c 1 "$BUILD/tests/synflood_tool" 10.0.2.34 192.168.1.10 9 "$count" \
		>"$TMPD/s1" &
	s1=$!
	wait "$s0" "$s1"
	sent=$(($(cat "$TMPD/s0") + $(cat "$TMPD/s1")))
	# every SYN held before the clock starts (or as many as the kernel will keep)
	ip netns exec "$NS_GW" python3 - "$sent" <<'PY'
import sys, time
sent = int(sys.argv[1])
last, same, t = -1, 0, time.monotonic() + 30
while time.monotonic() < t:
    w = sum(int(l.split()[2]) for l in open("/proc/net/netfilter/nfnetlink_queue")
            if l.split()[0] in ("90", "91"))
    if w >= sent:
        break
    same = same + 1 if w == last else 0
    if same >= 20:
        break
    last = w
    time.sleep(0.01)
PY
	held=$(waiting)
	# the clock: from SIGCONT until the queues are empty, polled every ms in the
	# gateway's namespace
	ip netns exec "$NS_GW" python3 - "$DAEMON_PID" >"$TMPD/t" <<'PY'
import os, signal, sys, time
pid = int(sys.argv[1])
def waiting():
    return sum(int(l.split()[2]) for l in open("/proc/net/netfilter/nfnetlink_queue")
               if l.split()[0] in ("90", "91"))
t0 = time.monotonic()
os.kill(pid, signal.SIGCONT)
deadline = t0 + 60
while waiting() and time.monotonic() < deadline:
    time.sleep(0.001)
print("%.6f" % (time.monotonic() - t0))
PY
	secs=$(cat "$TMPD/t")
	drops=$(in_gw awk '$1 == 90 || $1 == 91 { n += $6 + $7 } END { print n + 0 }' \
		/proc/net/netfilter/nfnetlink_queue)
	daemon_stop
	judged=$(python3 - "$DAEMON_LOG" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"event":"stats"' in l][-1]
print(sum(v["accept"] + v["drop"] for v in s["reasons"].values()))
PY
)
	rate=$(python3 -c "print('%.0f' % ($held / $secs))")
	echo "# $1: sent $sent, held $held, judged $judged in $secs s after SIGCONT: $rate/s; kernel drops $drops"
	if [ "$drops" = 0 ] && [ "$judged" -ge "$held" ] && [ "$held" -eq "$sent" ]; then
		echo "$1 $rate" >>"$RES"
	else
		echo "# $1: run not counted (loss, or not every SYN held)"
	fi
}

: >"$RES"
r=0
while [ $r -lt "$rounds" ]; do
	one_run one 90
	one_run two 90-91
	[ -z "$BENCH_BEFORE" ] || one_run before 90-91 "$BENCH_BEFORE"
	r=$((r + 1))
done
python3 "$TOP/tests/bench/ratios.py" "$RES" suspects/s one two ${BENCH_BEFORE:+before}
