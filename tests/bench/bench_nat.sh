#!/bin/sh
# The NAT guard's cost, measured in one run (figures, not pass/fail):
#   goodput   TCP (iperf3) host -> protected peer subnet, with the gateway's SP and
#             NAT exemption in place, without the daemon and with it in audit mode;
#             runs alternate, the ratio is audit / plain
#   flows/s   new protected UDP flows (each a flow head seen at both taps) pushed
#             through the gateway: arrival rate at the peer, without and with
#             (BENCH_UDP_LEN=N: small UDP datagrams received per second instead)
#   before    (BENCH_BEFORE=path/to/ipsecguardd) the goodput of another build in audit
#             mode, in the same alternating rounds (an older tree's, to compare)
# Usage: bench_nat.sh [SECONDS per goodput run, default 4] [ROUNDS, default 3] [FLOWS]
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/gateway.sh"
need_root
need_bin ipsecguardd
command -v iperf3 >/dev/null || skip "iperf3 not installed"
secs=${1:-4}
rounds=${2:-3}
flows=${3:-20000}
gateway_up
in_peer nft -f - <<'NFT'
table ip b {
	counter arrived { }
	chain c { type filter hook prerouting priority 0; udp dport 9 counter name "arrived"; }
}
NFT
iperf_server

# TCP goodput in Gbit/s; with BENCH_UDP_LEN=N, UDP datagrams of N bytes sent as fast as
# the host can, received per second in thousands (GSO aggregates TCP segments into a
# few large packets: the chains' cost per packet shows in small datagrams)
gbps() {
	if [ -n "${BENCH_UDP_LEN:-}" ]; then
		in_host iperf3 -c 192.168.1.10 -p 5201 -t "$secs" -u -b 0 -l "$BENCH_UDP_LEN" -J \
			2>/dev/null | python3 -c '
import json,sys; r=json.load(sys.stdin)["end"]["sum"]
print("%.1f" % ((r["packets"] - r["lost_packets"]) / r["seconds"] / 1e3))'
		return
	fi
	in_host iperf3 -c 192.168.1.10 -p 5201 -t "$secs" -J 2>/dev/null | python3 -c '
import json,sys; r=json.load(sys.stdin); print("%.2f" % (r["end"]["sum_received"]["bits_per_second"]/1e9))'
}
unit=Gbit/s
[ -z "${BENCH_UDP_LEN:-}" ] || unit="kpps (UDP, ${BENCH_UDP_LEN}-byte datagrams)"

arrived() { in_peer nft list counter ip b arrived | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

flow_rate() {	# sends $flows one-packet UDP flows; prints flows/s arriving at the peer
	in_peer nft reset counter ip b arrived >/dev/null
	start=$(date +%s.%N)
	in_host python3 -c '
import socket, sys
n = int(sys.argv[1])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.2.33", 10000 + i % 50000))
    s.sendto(b"x", ("192.168.1.10", 9))
    s.close()' "$flows"
	i=0
	while [ "$(arrived)" -lt "$flows" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	end=$(date +%s.%N)
	python3 -c "import sys; print('%.0f %s' % (int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])), sys.argv[1]))" \
		"$(arrived)" "$start" "$end"
}

modes="plain audit"
if [ -n "${BENCH_BEFORE:-}" ]; then
	[ -x "$BENCH_BEFORE" ] || fail "BENCH_BEFORE names no program"
	modes="$modes before"
fi
for r in $(seq "$rounds"); do
	echo "plain $(gbps)" >>"$TMPD/g"
	daemon_start --queue 40 --no-log-pass
	echo "audit $(gbps)" >>"$TMPD/g"
	daemon_stop >/dev/null
	if [ -n "${BENCH_BEFORE:-}" ]; then
		DAEMON_BIN=$BENCH_BEFORE DAEMON_OWN_OPTS=no
		daemon_start --queue 40 --no-log-pass
		unset DAEMON_BIN DAEMON_OWN_OPTS
		echo "before $(gbps)" >>"$TMPD/g"
		daemon_stop >/dev/null
	fi
done
set -- $(flow_rate); plain_rate=$1 plain_n=$2
daemon_start --queue 40 --no-log-pass
set -- $(flow_rate); audit_rate=$1 audit_n=$2
daemon_stop >/dev/null
heads=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats | python3 -c '
import json,sys; s=json.load(sys.stdin); print(s["hooks"]["forward"], s["hooks"]["postrouting"])')
echo "goodput (alternating runs):"
python3 "$TOP/tests/bench/ratios.py" "$TMPD/g" "$unit" $modes
echo "new protected flows per second arriving at the peer:"
printf 'plain %s\naudit %s\n' "$plain_rate" "$audit_rate" >"$TMPD/f"
python3 "$TOP/tests/bench/ratios.py" "$TMPD/f" flows/s plain audit
echo "arrived: plain $plain_n, audit $audit_n of $flows; daemon saw forward/postrouting heads: $heads"
