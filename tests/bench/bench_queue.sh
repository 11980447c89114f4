#!/bin/sh
# TCP goodput through the gateway namespace (iperf3, host -> peer) in three set-ups,
# measured in one run and reported as ratios to the first:
#   plain     no daemon
#   all       the daemon queueing every packet (--queue-scope all, GSO aggregates)
#   heads     the daemon queueing flow heads only (the default)
# Usage: bench_queue.sh [SECONDS per run, default 5] [ROUNDS, default 2]
. "$(dirname "$0")/../netns/lib.sh"
need_root
need_bin ipsecguardd
command -v iperf3 >/dev/null || skip "iperf3 not installed"
secs=${1:-5}
rounds=${2:-2}
lab_up
bg in_peer iperf3 -s -B 192.168.1.10 -p 5201
sleep 0.5

gbps() {	# one iperf3 run; prints receiver Gbit/s
	in_host iperf3 -c 192.168.1.10 -p 5201 -t "$secs" -J 2>/dev/null | python3 -c '
import json,sys; r=json.load(sys.stdin); print("%.2f" % (r["end"]["sum_received"]["bits_per_second"]/1e9))'
}

run_mode() {
	case $1 in
	plain) gbps ;;
	all) daemon_start --queue 21 --queue-scope all --no-log-pass; gbps; daemon_stop >/dev/null ;;
	heads) daemon_start --queue 21 --queue-scope heads; gbps; daemon_stop >/dev/null ;;
	esac
}

# alternate the modes so that drift of the machine hits all of them alike
for r in $(seq "$rounds"); do
	for m in plain all heads; do
		v=$(run_mode $m)
		echo "$m $v" >>"$TMPD/results"
		info "round $r $m: $v Gbit/s"
	done
done
python3 "$TOP/tests/bench/ratios.py" "$TMPD/results" Gbit/s plain all heads
