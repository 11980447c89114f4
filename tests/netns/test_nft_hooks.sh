#!/bin/sh
# kmod-free/nft_hooks in a throw-away namespace pair: install, replace, remove the
# daemon's tables, and check that packets really reach the queue (fail-open with
# bypass and no listener, dropped without).  Never touches the host namespace.
cd "$(dirname "$0")/../.." || exit 2
TOOL=$PWD/build/tests/nft_hooks_tool

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
[ -x "$TOOL" ] || skip "build/tests/nft_hooks_tool not built (make tests)"
command -v nft >/dev/null || skip "nft not installed"
command -v ip >/dev/null || skip "iproute2 not installed"

A=igd-nfth-$$-a
B=igd-nfth-$$-b
cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$A" || skip "cannot create namespaces"
ip netns add "$B" || exit 1

fails=0
pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; fails=$((fails + 1)); }
check() {	# check DESCRIPTION COMMAND...
	what=$1; shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
ina() { ip netns exec "$A" "$@"; }
tool() { ina "$TOOL" "$@"; }
listing() { ina nft list table "$1" ipsecguard 2>/dev/null; }
queue_rules() { listing "$1" | grep -c ' queue num '; }
# packets counted by the rule of chain $2 in family $1
packets() {
	ina nft list chain "$1" ipsecguard "$2" 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -n 1
}

ip link add veth-a netns "$A" type veth peer name veth-b netns "$B" || exit 1
ina ip link set lo up
ina ip link set veth-a up
ina ip addr add 10.99.0.1/24 dev veth-a
ina ip addr add fd99::1/64 dev veth-a nodad
ip netns exec "$B" ip link set lo up
ip netns exec "$B" ip link set veth-b up
ip netns exec "$B" ip addr add 10.99.0.2/24 dev veth-b
ip netns exec "$B" ip addr add fd99::2/64 dev veth-b nodad
ping4() { ina ping -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1; }
ping6() { ina ping -6 -c 2 -i 0.2 -W 1 fd99::2 >/dev/null 2>&1; }
check "baseline ping without any table" ping4

# probe: answers, and leaves nothing behind
mode=$(tool probe)
check "probe answers native or xt (got '$mode')" test "$mode" = native -o "$mode" = xt
check "probe leaves no table" test -z "$(ina nft list tables)"

# install: two tables, four base chains each, hooks and priorities as designed
check "install (bypass)" tool install -b
for fam in ip ip6; do
	l=$(listing $fam)
	for c in "prerouting priority mangle" "forward priority filter" \
		 "output priority filter" "postrouting priority srcnat + 1"; do
		check "$fam: chain ${c%% *} hook ${c#* }" \
			sh -c 'printf "%s\n" "$1" | grep -q "type filter hook $2; policy accept;"' \
			_ "$l" "$c"
	done
	check "$fam: four queue rules" test "$(queue_rules $fam)" -eq 4
	check "$fam: flow heads only, bypass" test "$(printf '%s\n' "$l" |
		grep -c 'ct state new counter packets [0-9]* bytes [0-9]* queue num 0 bypass')" -eq 4
done

# fail-open: with bypass and no listener the pings pass and the counters rise
check "ipv4 ping passes with bypass, no listener" ping4
check "ipv6 ping passes with bypass, no listener" ping6
check "ip output counter rose ($(packets ip output))" test "$(packets ip output)" -gt 0
check "ip postrouting counter rose" test "$(packets ip postrouting)" -gt 0
check "ip6 output counter rose ($(packets ip6 output))" test "$(packets ip6 output)" -gt 0

# install again: the stale table is replaced in the same transaction, no duplicates
ina nft add rule ip ipsecguard forward counter drop
check "install again (queues 5-6, fanout)" tool install -q 5:2 -b -f
for fam in ip ip6; do
	check "$fam: still four queue rules" test "$(queue_rules $fam)" -eq 4
	check "$fam: new queue range" test "$(listing $fam | grep -c 'queue num 5-6 bypass,fanout')" -eq 4
done
check "stale extra rule gone" test "$(listing ip | grep -c 'drop')" -eq 0
check "counters restart with the new table" test "$(packets ip output)" -eq 0

# every packet, xt target forced (the compat path must work whatever the kernel)
check "install every packet, xt target" tool install -a -x -b
check "ip: no ct state in all-packets rules" test "$(listing ip | grep -c 'ct state')" -eq 0
check "ip: all-packets queue rules" test "$(listing ip | grep -c 'counter packets [0-9]* bytes [0-9]* queue num 0 bypass')" -eq 4
check "ipv4 ping passes, every packet queued with bypass" ping4
check "ip output counted every echo ($(packets ip output))" test "$(packets ip output)" -ge 2

# fail-closed: without bypass and no listener, flow heads are dropped
check "install without bypass" tool install
check "ipv4 ping dropped without bypass" sh -c '! ip netns exec "$1" ping -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1' _ "$A"
check "ipv6 ping dropped without bypass" sh -c '! ip netns exec "$1" ping -6 -c 2 -i 0.2 -W 1 fd99::2 >/dev/null 2>&1' _ "$A"
check "ip output counter counted the dropped heads" test "$(packets ip output)" -ge 2

# the native expression: works when probed, else fails naming the rule and leaves the
# installed table untouched (one transaction)
if [ "$mode" = native ]; then
	check "install native queue" tool install -n -b
	check "native: four queue rules" test "$(queue_rules ip)" -eq 4
else
	before=$(listing ip | grep -v 'packets')
	err=$(tool install -n -b 2>&1)
	check "native queue refused on this kernel" test $? -ne 0
	check "error names the failing rule: $err" sh -c \
		'printf "%s\n" "$1" | grep -q "^nft: add rule ip ipsecguard prerouting: "' _ "$err"
	check "failed install left the table as it was" \
		test "$(listing ip | grep -v 'packets')" = "$before"
fi

# remove: both tables gone; removing again is fine
check "remove" tool remove
check "ip table gone" sh -c '! ip netns exec "$1" nft list table ip ipsecguard >/dev/null 2>&1' _ "$A"
check "ip6 table gone" sh -c '! ip netns exec "$1" nft list table ip6 ipsecguard >/dev/null 2>&1' _ "$A"
check "remove when absent" tool remove
check "ping passes after remove" ping4

# another table name stays separate
check "install table igd2" tool install -t igd2 -b
check "igd2 present" sh -c 'ip netns exec "$1" nft list table ip igd2 >/dev/null' _ "$A"
check "remove igd2" tool remove -t igd2
check "no tables left" test -z "$(ina nft list tables)"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
