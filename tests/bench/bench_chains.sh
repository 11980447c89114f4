#!/bin/sh
# What the guard's chains cost healthy traffic, measured in one run (figures, not
# pass/fail): a TCP transfer (iperf3) from the host to the protected peer network
# through the gateway of bench_nat.sh (SP, NAT exemption, MASQUERADE: conntrack on in
# every mode), while `perf record -a` samples the machine; per mode, the share of all
# samples spent in nf_tables' rule evaluation (nft_do_chain and the expressions it
# runs, symbols nft_*), and the goodput.  Modes alternate:
#   plain    no daemon (the gateway's own nat chains only)
#   audit    ipsecguardd in audit mode
#   before   (BENCH_BEFORE=path/to/ipsecguardd) another build in audit mode
# With BENCH_UDP_LEN=N the traffic is UDP datagrams of N bytes instead (more packets:
# GSO makes few large ones of a TCP transfer).
# Usage: bench_chains.sh [SECONDS per run, default 4] [ROUNDS, default 3]
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/gateway.sh"
need_root
need_bin ipsecguardd
command -v iperf3 >/dev/null || skip "iperf3 not installed"
command -v perf >/dev/null || skip "perf not installed (linux-perf)"
secs=${1:-4}
rounds=${2:-3}
gateway_up
iperf_server

# run MODE: one transfer sampled; appends "MODE share" and "MODE rate" lines
run() {
	if [ -n "${BENCH_UDP_LEN:-}" ]; then
		set -- "$1" -u -b 0 -l "$BENCH_UDP_LEN"
	else
		set -- "$1"
	fi
	_m=$1
	shift
	in_host iperf3 -c 192.168.1.10 -p 5201 -t "$secs" -J "$@" >"$TMPD/iperf.json" 2>/dev/null &
	_ip=$!
	perf record -a -q -o "$TMPD/perf.data" -- sleep $((secs - 1)) >/dev/null 2>&1
	wait $_ip
	perf report -i "$TMPD/perf.data" --stdio --no-children --sort sym 2>/dev/null |
		awk -v m="$_m" '$1 ~ /%$/ { t += $1 } $1 ~ /%$/ && $NF ~ /^nft_/ { n += $1 }
			END { printf "%s %.3f\n", m, t ? n * 100 / t : 0 }' >>"$TMPD/share"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["end"]
if sys.argv[3]:
    s = r["sum"]
    print(sys.argv[2], "%.1f" % ((s["packets"] - s["lost_packets"]) / s["seconds"] / 1e3))
else:
    print(sys.argv[2], "%.2f" % (r["sum_received"]["bits_per_second"] / 1e9))
' "$TMPD/iperf.json" "$_m" "${BENCH_UDP_LEN:-}" >>"$TMPD/rate"
}

modes="plain audit"
if [ -n "${BENCH_BEFORE:-}" ]; then
	[ -x "$BENCH_BEFORE" ] || fail "BENCH_BEFORE names no program"
	modes="$modes before"
fi
for r in $(seq "$rounds"); do
	run plain
	daemon_start --queue 40 --no-log-pass
	run audit
	daemon_stop >/dev/null
	if [ -n "${BENCH_BEFORE:-}" ]; then
		DAEMON_BIN=$BENCH_BEFORE DAEMON_OWN_OPTS=no
		daemon_start --queue 40 --no-log-pass
		unset DAEMON_BIN DAEMON_OWN_OPTS
		run before
		daemon_stop >/dev/null
	fi
done
echo "share of all samples in nf_tables rule evaluation (nft_*), percent:"
for m in $modes; do
	awk -v m="$m" '$1 == m { s += $2; n++; v = v " " $2 }
		END { printf "%-8s %.3f %%  (%d runs:%s)\n", m, s / n, n, v }' "$TMPD/share"
done
if [ -n "${BENCH_UDP_LEN:-}" ]; then
	unit="kpps (UDP, ${BENCH_UDP_LEN}-byte datagrams)"
else
	unit=Gbit/s
fi
echo "traffic:"
python3 "$TOP/tests/bench/ratios.py" "$TMPD/rate" "$unit" $modes
