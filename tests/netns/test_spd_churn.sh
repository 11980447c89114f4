#!/bin/sh
# Churn: 10,000 policy changes while the SPD mirror runs with a tiny receive buffer;
# it must notice the lost events, re-dump, and end equal to `ip xfrm policy`.
cd "$(dirname "$0")/../.." || exit 2
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -x build/ipsecguard ] || { echo "skip: build/ipsecguard not built"; exit 77; }

NS=igd-spd-$$
cleanup() {
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$NS" || { echo "skip: cannot create a network namespace"; exit 77; }
ip -n "$NS" xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out 2>/dev/null ||
	{ echo "skip: this kernel takes no XFRM policies"; exit 77; }
ip -n "$NS" xfrm policy flush
seed=${SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "seed $seed"
ip netns exec "$NS" python3 tests/netns/spd_churn.py build/ipsecguard 10000 "$seed"
