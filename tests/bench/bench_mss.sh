#!/bin/sh
# Where to clamp MSS: new TCP connections per second through the gateway (each one a
# SYN and a SYN/ACK to clamp), measured in one run:
#   none     no clamping, no daemon
#   kernel   a static nft rule: tcp flags syn tcp option maxseg size set 1300
#   guard    ipsecguardd in audit mode without --mss: a healthy protected flow (no NAT)
#            is no suspect and never queued (where the kernel attaches no conntrack
#            entry to queued packets, the prenat map's rule stands before the suspect
#            rule but does not match it)
#   enforce  the same in enforce mode
#   tap      audit with --pre-nat-tap on: every protected flow head queued once
#            before NAT (this kernel's default before the prenat map)
#   notap    audit with --pre-nat-tap off: the kernel's suspect rules alone
#   idle     the daemon with --no-hooks: no rules, but it reads the kernel's XFRM
#            events, here an ACQUIRE per connection (the SP's template has no SA)
#   daemon   ipsecguardd --mss 1300: SYN and SYN/ACK clamped by the per-SP rules it
#            keeps in its mss chain, each clamp copied to it through nflog
#   before   enforce mode of another build of ipsecguardd, BENCH_BEFORE=path/to/it
#            (an older tree's, to compare with "enforce" in the same run); it is
#            given only the options every build knows
# Usage: bench_mss.sh [CONNECTIONS per run, default 20000] [ROUNDS, default 3] [nat|routed]
# BENCH_VARIANTS="none guard ..." runs only those (the first is the ratios' base).
# With "nat" the gateway is first set up as gateways are: MASQUERADE on the WAN with
# the exemption of the protected networks before it (iptables-nft), so conntrack
# tracks every connection in every variant.  Without it the "none" and "kernel"
# variants run without conntrack in the gateway's namespace at all, and every variant
# with the daemon pays for turning it on (its rules read the conntrack state).  With
# "routed" the gateway is route-based: its SPs are 0.0.0.0/0 <-> 0.0.0.0/0 bound to an
# xfrm interface's if_id, and the connections go to the internet through MASQUERADE.
. "$(dirname "$0")/../netns/lib.sh"
need_root
need_bin ipsecguardd
conns=${1:-20000}
rounds=${2:-3}
lab_up
if [ "${3:-}" = routed ]; then
	# a route-based gateway's SPs (this kernel has no xfrm interface: the traffic
	# measured is what such a gateway sends to the internet through its MASQUERADE)
	for d in out in fwd; do
		in_gw ip xfrm policy add dir $d src 0.0.0.0/0 dst 0.0.0.0/0 if_id 42 \
			tmpl proto esp mode tunnel src 172.16.0.1 dst 172.16.0.9 reqid 1
	done
	in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -j MASQUERADE
	info "route-based gateway: SPs 0.0.0.0/0 <-> 0.0.0.0/0 with if_id 42, MASQUERADE on wan0"
else
	in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
		tmpl proto esp mode transport level use reqid 1
fi
if [ "${3:-}" = nat ]; then
	in_gw iptables-nft -t nat -A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -j RETURN
	in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -j MASQUERADE
	info "gateway with the NAT exemption and MASQUERADE on wan0: conntrack on throughout"
fi
bg in_peer python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.1.10", 5100)); s.listen(512)
while True:
    c, _ = s.accept(); c.close()'
sleep 0.5

rate() {
	# every run starts from an empty conntrack table: earlier runs' entries would
	# slow the later ones in a round
	in_gw conntrack -F >/dev/null 2>&1
	in_host python3 -c '
import socket, struct, sys, time
n = int(sys.argv[1]); t = time.time()
for i in range(n):
    s = socket.create_connection(("192.168.1.10", 5100))
    # close with a reset: no TIME_WAIT piling up to slow later runs
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
print("%.0f" % (n / (time.time() - t)))' "$conns"
}

# run VARIANT: one measurement of it, appended to the results
run() {
	case $1 in
	none) echo "none $(rate)" >>"$TMPD/r" ;;
	kernel)
		in_gw nft add table inet mssk
		in_gw nft add chain inet mssk f '{ type filter hook forward priority 0; }'
		in_gw nft add rule inet mssk f tcp flags syn tcp option maxseg size set 1300
		echo "kernel $(rate)" >>"$TMPD/r"
		in_gw nft delete table inet mssk ;;
	*)
		case $1 in
		guard) set -- guard --no-log-pass ;;
		enforce) set -- enforce --mode enforce --no-log-pass ;;
		tap) set -- tap --no-log-pass --pre-nat-tap on ;;
		notap) set -- notap --no-log-pass --pre-nat-tap off ;;
		idle) set -- idle --no-log-pass --no-hooks ;;
		daemon) set -- daemon --mss 1300 --no-log-pass ;;
		before)
			[ -x "${BENCH_BEFORE:-}" ] || fail "variant before: BENCH_BEFORE names no program"
			set -- before --mode enforce --no-log-pass ;;
		*) fail "unknown variant $1" ;;
		esac
		_v=$1
		shift
		if [ "$_v" = before ]; then
			DAEMON_BIN=$BENCH_BEFORE DAEMON_OWN_OPTS=no
			daemon_start --queue 80 "$@"
			unset DAEMON_BIN DAEMON_OWN_OPTS
		else
			daemon_start --queue 80 "$@"
		fi
		echo "$_v $(rate)" >>"$TMPD/r"
		daemon_stop >/dev/null
		# enforce keeps its tables when it stops
		in_gw nft delete table ip ipsecguard 2>/dev/null
		in_gw nft delete table ip6 ipsecguard 2>/dev/null
		in_gw nft delete table ip ipsecguard_backstop 2>/dev/null
		in_gw nft delete table ip6 ipsecguard_backstop 2>/dev/null ;;
	esac
}

variants=${BENCH_VARIANTS:-none kernel guard enforce tap notap idle daemon}
for r in $(seq "$rounds"); do
	for v in $variants; do
		run "$v"
	done
done
info "$(grep 'ipsecguardd: mode' "$DAEMON_ERR")"
python3 "$TOP/tests/bench/ratios.py" "$TMPD/r" connections/s $variants
