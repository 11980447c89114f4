#!/bin/sh
# Differential test: ipsecguard's SP lookup against the kernel's, read from the ACQUIRE
# the kernel sends for each probe packet.  Everything happens in a fresh namespace.
# Extra arguments go to spd_diff.py (e.g. --seed N to replay a run).
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 2
need_root
need_bin ipsecguard
command -v python3 >/dev/null || skip "no python3"
lab_one
ip -n "$NS" link add d0 type veth peer name d1 || skip "no veth"
ip -n "$NS" link set d1 up
ip -n "$NS" link set d0 up
ip -n "$NS" addr add 198.18.0.1/24 dev d0
ip -n "$NS" -6 addr add fd00:198:18::1/64 dev d0 nodad
ip -n "$NS" route add default dev d0
ip -n "$NS" -6 route add default dev d0
ip -n "$NS" xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out \
	tmpl proto esp reqid 1 mode transport 2>/dev/null ||
	skip "this kernel takes no XFRM policies"
ip -n "$NS" xfrm policy flush

check "ipsecguard's SP lookup agrees with the kernel's on every probe" \
	ip netns exec "$NS" python3 tests/netns/spd_diff.py --bin build/ipsecguard "$@"
