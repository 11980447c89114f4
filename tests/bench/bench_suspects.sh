#!/bin/sh
# Suspects judged per second: COUNT SYNs of new flows (each its own source port, a
# C raw-socket sender) through the NAT-before-IPsec gateway, whose MASQUERADE pushes every one
# out of its SP, with ipsecguardd in audit mode.  Prints the rate at which the daemon
# judged them and what the kernel dropped on the way (a full queue is fail-open in
# audit: what it drops is passed unjudged, and counted here).
# Usage: bench_suspects.sh [COUNT, default 100000]
. "$(dirname "$0")/../netns/lib.sh"
need_root
need_bin ipsecguardd tests/synflood_tool
count=${1:-100000}
lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
daemon_start --queue 90 --no-log-pass
t0=$(date +%s.%N)
sent=$(in_host "$BUILD/tests/synflood_tool" 10.0.2.33 192.168.1.10 9 "$count")
i=0
until [ "$(queue_kstats 90 | cut -d' ' -f1)" = 0 ] || [ $i -ge 100 ]; do
	sleep 0.05; i=$((i + 1))
done
t1=$(date +%s.%N)
set -- $(queue_kstats 90)
daemon_stop
python3 - "$DAEMON_LOG" "$sent" "$t0" "$t1" "$2" "$3" <<'PY'
import json, sys
log, sent, t0, t1, qd, ud = sys.argv[1:]
stats = [json.loads(l) for l in open(log) if '"event":"stats"' in l][-1]
r = stats["reasons"]
judged = sum(v["accept"] + v["drop"] for k, v in r.items())
secs = float(t1) - float(t0)
print("sent %s SYNs in %.2f s; judged %d (%s); %.0f suspects/s; kernel queue_dropped %s, "
      "user_dropped %s" % (sent, secs, judged,
                           ", ".join("%s %d" % (k, v["accept"] + v["drop"]) for k, v in r.items()),
                           judged / secs, qd, ud))
PY
