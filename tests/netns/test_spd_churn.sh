#!/bin/sh
# Churn: 10,000 policy changes while the SPD mirror runs with a tiny receive buffer;
# it must notice the lost events, re-dump, and end equal to `ip xfrm policy`.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 2
need_root
need_bin ipsecguard
command -v python3 >/dev/null || skip "no python3"
lab_one
ip -n "$NS" xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out 2>/dev/null ||
	skip "this kernel takes no XFRM policies"
ip -n "$NS" xfrm policy flush
seed=${SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "seed $seed"
check "the mirror ends equal to the kernel's SPD after 10,000 changes" \
	ip netns exec "$NS" python3 tests/netns/spd_churn.py build/ipsecguard 10000 "$seed"
