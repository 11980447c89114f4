#!/bin/sh
# What the daemon installs, rule for rule: for each configuration below the daemon
# starts on a gateway namespace with a fixed SPD, and `nft list table` of its ip and
# ip6 tables must equal the expected dump in tests/netns/dumps/ (counters and the
# kernel's spelling of the queue rule normalised).  The pre-NAT tap is named in each
# configuration, so the dumps do not depend on what the kernel attaches to queued
# packets.  IGD_UPDATE_DUMPS=1 writes the dumps instead (review them before commit).
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
DUMPS=$TOP/tests/netns/dumps
NS=igd-tbl-$$
trap 'ip netns pids $NS 2>/dev/null | xargs -r kill -9; ip netns del $NS 2>/dev/null; rm -rf "$TMPD"' EXIT
ip netns add $NS
ip -n $NS link set lo up
x() { ip netns exec $NS "$@"; }
# out SPs (one required, one optional), an in/fwd pair, IPv6 too
x ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel reqid 1
x ip xfrm policy add dir out src 10.0.3.0/24 dst 198.18.0.0/15 \
	tmpl proto esp mode transport level use reqid 2
for d in in fwd; do
	x ip xfrm policy add dir $d src 192.168.0.0/16 dst 10.0.2.0/24 \
		tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 1
done
x ip -6 xfrm policy add dir out src fd00:2::/64 dst fd00:168::/64 \
	tmpl src fd00:16::1 dst fd00:16::2 proto esp mode tunnel reqid 6

# the kernel prints the xtables NFQUEUE target and the native queue differently
norm() {
	sed -e '/^# Warning/d' \
	    -e 's/counter packets [0-9]* bytes [0-9]*/counter/' \
	    -e 's/queue num \([0-9-]*\) \(bypass\)/queue flags \2 to \1/' \
	    -e 's/queue num \([0-9-]*\)$/queue to \1/' \
	    -e 's/queue num \([0-9-]*\) /queue to \1 /'
}

one() {	# one NAME OPTIONS...: the daemon's tables with OPTIONS against dumps/NAME.nft
	name=$1; shift
	ip netns exec $NS "$BUILD/ipsecguardd" --queue 90 --log /dev/null --stats-interval 0 \
		--state-dir "$TMPD/state" --control "$TMPD/ctl.sock" "$@" \
		2>"$TMPD/$name.err" &
	pid=$!
	i=0
	until grep -q 'ipsecguardd: mode' "$TMPD/$name.err"; do
		i=$((i + 1)); [ $i -lt 100 ] || break
		sleep 0.05
	done
	kill -0 $pid 2>/dev/null || { sed "s/^/# /" "$TMPD/$name.err"; return 1; }
	{ x nft list table ip ipsecguard; x nft list table ip6 ipsecguard; } 2>&1 |
		norm >"$TMPD/$name.nft"
	kill -TERM $pid; wait $pid
	x nft delete table ip ipsecguard 2>/dev/null
	x nft delete table ip6 ipsecguard 2>/dev/null
	if [ "${IGD_UPDATE_DUMPS:-0}" = 1 ]; then
		cp "$TMPD/$name.nft" "$DUMPS/$name.nft"
		info "wrote $DUMPS/$name.nft"
		return 0
	fi
	if diff -u "$DUMPS/$name.nft" "$TMPD/$name.nft" >"$TMPD/$name.diff"; then
		return 0
	fi
	sed 's/^/# /' "$TMPD/$name.diff"
	return 1
}

mkdir -p "$DUMPS"
check "audit, pre-NAT tap on" one audit-tap --pre-nat-tap on
check "audit, no pre-NAT tap (kernels that attach conntrack)" one audit --pre-nat-tap off
check "audit, the prenat map (kernels that do not)" one audit-map --pre-nat-tap map
check "enforce with the prenat map" one enforce-map --mode enforce --pre-nat-tap map
check "enforce: flagged connections dropped, suspects without bypass" \
	one enforce --mode enforce --pre-nat-tap off
check "--mss 1300: SYN and SYN/ACK clamps, copied to the log group" \
	one mss --mss 1300 --pre-nat-tap off
check "--queue-scope heads: every flow head at every hook" one heads --queue-scope heads
check "--log-healthy: tunnelled flow heads copied to the log group" \
	one healthy --log-healthy --pre-nat-tap map

# The check-only probe that decides between scope "protected" and the heads fallback:
# nothing created, and a key the kernel lacks is named.
if [ -x "$BUILD/tests/probe_tool" ]; then
	out=$(x "$BUILD/tests/probe_tool" refuse)
	check "probe: keys this kernel lacks are refused one by one ($(echo $out))" \
		[ "$(echo $out)" = "results=0,-95,-95,0,0 missing=ct status, ct original ip saddr" ]
	out=$(x "$BUILD/tests/probe_tool" guard)
	check "probe: this kernel has every expression scope protected uses ($out)" \
		[ "$out" = "missing=" ]
	check "probe: and leaves no table behind" [ -z "$(x nft list tables)" ]
else
	fail "build/tests/probe_tool missing (make tests)"
fi
