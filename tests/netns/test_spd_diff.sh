#!/bin/sh
# Differential test: ipsecguard's SP lookup against the kernel's, read from the ACQUIRE
# the kernel sends for each probe packet.  Everything happens in a fresh namespace.
# Extra arguments go to spd_diff.py (e.g. --seed N to replay a run).
cd "$(dirname "$0")/../.." || exit 2
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
command -v ip >/dev/null || { echo "skip: no iproute2"; exit 77; }
[ -x build/ipsecguard ] || { echo "skip: build/ipsecguard not built"; exit 77; }

NS=igd-spd-$$
cleanup() {
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" || { echo "skip: cannot create a network namespace"; exit 77; }
ip -n "$NS" link set lo up
ip -n "$NS" link add d0 type veth peer name d1 || { echo "skip: no veth"; exit 77; }
ip -n "$NS" link set d1 up
ip -n "$NS" link set d0 up
ip -n "$NS" addr add 198.18.0.1/24 dev d0
ip -n "$NS" -6 addr add fd00:198:18::1/64 dev d0 nodad
ip -n "$NS" route add default dev d0
ip -n "$NS" -6 route add default dev d0
ip -n "$NS" xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out \
	tmpl proto esp reqid 1 mode transport 2>/dev/null ||
	{ echo "skip: this kernel takes no XFRM policies"; exit 77; }
ip -n "$NS" xfrm policy flush

ip netns exec "$NS" python3 tests/netns/spd_diff.py --bin build/ipsecguard "$@"
