#!/bin/sh
# A route-based gateway's SPD: out, in and fwd SPs 0.0.0.0/0 <-> 0.0.0.0/0 bound to an
# xfrm interface's if_id (this kernel has no xfrm interface or ESP: the interface's
# own traffic is proven in the VM lab), MASQUERADE on the WAN for the rest.  Such SPs
# match only inside the interface, so in enforce with --mss the gateway's internet
# traffic passes untouched: pings and a TCP transfer answered, nothing queued, no
# verdict, no suspect set or MSS rule made of 0.0.0.0/0, nothing remembered of them;
# an SP bound to a firewall mark (no VTI has that key) is policy-based and stays in
# the sets.  IPv6 too.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
gw_masquerade
for d in out in fwd; do
	in_gw ip xfrm policy add dir $d src 0.0.0.0/0 dst 0.0.0.0/0 if_id 42 \
		tmpl src 172.16.0.1 dst 172.16.0.9 proto esp mode tunnel reqid 1
	in_gw ip -6 xfrm policy add dir $d src ::/0 dst ::/0 if_id 42 \
		tmpl src fd00:16::1 dst fd00:16::9 proto esp mode tunnel reqid 1
done
set_elems() { in_gw nft list set "$1" ipsecguard "$2" | grep -c "elements"; }
queued() { in_gw awk '{ n += $8 } END { print n + 0 }' /proc/net/netfilter/nfnetlink_queue; }

daemon_start --queue 40 --mode enforce --mss 1300
check "pings to the peer through the MASQUERADE" in_host ping -c3 -i0.2 -W2 192.168.1.10
check "IPv6 pings too" in_host ping -6 -c3 -i0.2 -W2 fd00:168::10
check "a TCP transfer arrives intact" xfer 192.168.1.10 5400 200000
expect_eq "packets queued" "$(queued)" 0
for s in protected held required; do
	expect_eq "set $s of ip holds nothing of the if_id SPs" "$(set_elems ip $s)" 0
	expect_eq "set $s of ip6 too" "$(set_elems ip6 $s)" 0
done
expect_eq "no MSS rule of 0.0.0.0/0" \
	"$(in_gw nft list chain ip ipsecguard mss | grep -c 'maxseg size set')" 0
kill -USR1 "$DAEMON_PID"
wait_for 10 "a stats event" sh -c "grep -q '\"event\":\"stats\"' $DAEMON_LOG"
expect_eq "verdict lines" "$(grep -c '"event":"verdict"' "$DAEMON_LOG")" 0
daemon_stop
check "nothing remembered of them" sh -c "! grep -qs ' 42 ' $TMPD/state/ipsecguard.remembered"

info "an SP bound to a firewall mark is policy-based"
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 mark 7 \
	tmpl src 172.16.0.1 dst 172.16.0.9 proto esp mode tunnel reqid 2
daemon_start --queue 40 --mode enforce
check "its destination is in the protected set" sh -c \
	"ip netns exec $NS_GW nft list set ip ipsecguard protected | grep -q 192.168.0.0/16"
daemon_stop
in_gw nft delete table ip ipsecguard
in_gw nft delete table ip6 ipsecguard
