#!/bin/sh
# iptables -j IPSECGUARD rules on the gateway feed the daemon run with
# --no-hooks: pings get verdicts at the hook and on the queue their rule
# and role chose, for iptables-nft and iptables-legacy, IPv4 and IPv6.
# Then, with the daemon stopped, the default (bypass) rules keep traffic
# flowing and --fail-closed rules stop it.
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$BUILD/ipsecguardd" ] || skip "daemon not built ($BUILD/ipsecguardd)"
so=$BUILD/libxt_IPSECGUARD.so
[ -f "$so" ] || skip "$so not built (make all)"
sysdir=$(pkg-config --variable=xtlibdir xtables 2>/dev/null)
[ -f "$sysdir/libxt_NFQUEUE.so" ] || sysdir=/usr/lib/x86_64-linux-gnu/xtables
XTABLES_LIBDIR=$BUILD:$sysdir
export XTABLES_LIBDIR
BASE=20			# the daemon's base queue; role out-clear is BASE + 4

taps() {	# taps VARIANT [extra target options]: the test's IPSECGUARD rules
	v=$1; shift
	in_gw iptables-$v -t mangle -A PREROUTING -s 10.0.2.0/24 \
		-m conntrack --ctstate NEW -j IPSECGUARD --queue-num $BASE "$@" &&
	in_gw iptables-$v -t mangle -A FORWARD -s 10.0.2.0/24 -d 192.168.0.0/16 \
		-m conntrack --ctstate NEW -m policy --dir out --pol none \
		-j IPSECGUARD --queue-num $BASE --role out-clear "$@" &&
	in_gw ip6tables-$v -t mangle -A PREROUTING -s fd00:2::/64 \
		-m conntrack --ctstate NEW -j IPSECGUARD --queue-num $BASE "$@"
}

untap() {
	in_gw iptables-$1 -t mangle -F
	in_gw ip6tables-$1 -t mangle -F
}

lab_up
ran=0
for v in nft legacy; do
	command -v iptables-$v >/dev/null || { info "iptables-$v missing"; continue; }
	ran=$((ran + 1))
	info "=== iptables-$v"
	check "IPSECGUARD taps load with iptables-$v" taps $v 2>/dev/null
	daemon_start --no-hooks --queue $BASE-$((BASE + 4))
	check "no daemon table with --no-hooks" no_gw_table ip ipsecguard
	check "IPv4 ping through the gateway" in_host ping -q -c3 -i0.2 -W2 192.168.1.10
	check "IPv6 ping through the gateway" in_host ping -6 -q -c3 -i0.2 -W2 fd00:168::10
	check "daemon exits 0 on SIGTERM" daemon_stop
	check "every log line keeps the contract" \
		python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG"
	n=$(log_count hook=prerouting queue=$BASE family=4 proto=icmp src=10.0.2.33 dst=192.168.1.10)
	check "IPv4 ping judged at prerouting on queue $BASE ($n)" [ "$n" -ge 1 ]
	n=$(log_count hook=forward queue=$((BASE + 4)) family=4 proto=icmp src=10.0.2.33 dst=192.168.1.10)
	check "out-clear tap judged at forward on queue $((BASE + 4)) ($n)" [ "$n" -ge 1 ]
	n=$(log_count hook=prerouting queue=$BASE family=6 src=fd00:2::33 dst=fd00:168::10)
	check "IPv6 ping judged at prerouting on queue $BASE ($n)" [ "$n" -ge 1 ]
	n=$(log_count verdict=drop)
	check "audit mode dropped nothing ($n)" [ "$n" = 0 ]
	# flow heads only: three pings of one id are one flow
	n=$(log_count hook=prerouting family=4 src=10.0.2.33)
	check "only the flow head was queued ($n verdicts for 3 pings)" [ "$n" -le 2 ]

	check "daemon down, bypass taps: ping still passes" \
		in_host ping -q -c2 -i0.2 -W2 192.168.1.10
	untap $v
	check "--fail-closed taps load" taps $v --fail-closed 2>/dev/null
	check "daemon down, fail-closed taps: ping is dropped" \
		sh -c "! ip netns exec $NS_HOST ping -q -c2 -i0.2 -W1 192.168.1.10"
	untap $v
done
[ $ran -gt 0 ] || skip "neither iptables-nft nor iptables-legacy installed"
