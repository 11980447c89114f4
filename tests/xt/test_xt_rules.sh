#!/bin/sh
# The IPSECGUARD target's .t rule tests, for iptables-nft and iptables-legacy,
# IPv4 and IPv6, each line in a network namespace of its own (never the
# host's rules), with XTABLES_LIBDIR pointing at the build first.
# Also checks iptables-translate.  Exit 0 pass, 77 skipped, 1 fail.
cd "$(dirname "$0")/../.." || exit 1
. tests/check.sh
so=build/libxt_IPSECGUARD.so
tfile=xt_plugin/libxt_IPSECGUARD.t
prefix=igd-xt-$$

[ -f "$so" ] || skip "$so not built (make all)"
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
command -v python3 >/dev/null || skip "python3 missing"
command -v ip >/dev/null || skip "iproute2 missing"

cleanup() {
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case $ns in "$prefix"*) ip netns del "$ns" ;; esac
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sysdir=$(pkg-config --variable=xtlibdir xtables 2>/dev/null)
for d in "$sysdir" /usr/lib/x86_64-linux-gnu/xtables /usr/lib/xtables \
	 /usr/local/lib/xtables; do
	[ -n "$d" ] && [ -f "$d/libxt_NFQUEUE.so" ] && { sysdir=$d; break; }
done
[ -f "$sysdir/libxt_NFQUEUE.so" ] || skip "no system xtables libdir with libxt_NFQUEUE.so"
XTABLES_LIBDIR=$PWD/build:$sysdir
export XTABLES_LIBDIR
echo "# XTABLES_LIBDIR=$XTABLES_LIBDIR"

ip netns add "$prefix-probe" || skip "cannot create a network namespace"
ip netns del "$prefix-probe"

ran=0
for variant in nft legacy; do
	for family in 4 6; do
		bin=iptables; [ $family = 6 ] && bin=ip6tables
		if ! command -v "$bin-$variant" >/dev/null; then
			echo "# $bin-$variant missing, not tested"
			continue
		fi
		# A backend the kernel lacks (no ip_tables for legacy) is a
		# skip of that backend, not a failure of the plugin.
		ip netns add "$prefix-probe"
		if ! ip netns exec "$prefix-probe" "$bin-$variant" -L -n >/dev/null 2>&1; then
			ip netns del "$prefix-probe"
			echo "# $bin-$variant unusable on this kernel, not tested"
			continue
		fi
		ip netns del "$prefix-probe"
		ran=$((ran + 1))
		check "the .t lines with $bin-$variant" python3 tests/xt/xt_t.py \
			--variant $variant --family $family \
			--netns-prefix "$prefix-$variant$family" "$tfile"
	done
done
[ $ran -gt 0 ] || skip "neither iptables-nft nor iptables-legacy usable"

# iptables-translate goes through the extension's own xlate.
xlate() {
	want=$1; shift
	expect_eq "translate $*" "$(iptables-translate "$@" 2>/dev/null)" "$want"
}
if command -v iptables-translate >/dev/null; then
	xlate "nft 'add rule ip filter FORWARD counter queue num 0 bypass'" \
		-A FORWARD -j IPSECGUARD
	xlate "nft 'add rule ip filter FORWARD counter queue num 4'" \
		-A FORWARD -j IPSECGUARD --role out-clear --fail-closed
	xlate "nft 'add rule ip filter FORWARD counter queue num 12-15 bypass,fanout'" \
		-A FORWARD -j IPSECGUARD --role in-ipsec --queue-balance 8:11 --queue-cpu-fanout
	xlate "nft 'add rule ip filter INPUT counter queue num 2-3 fanout'" \
		-A INPUT -j IPSECGUARD --queue-balance 2:3 --queue-cpu-fanout --fail-closed
fi
exit 0
