#!/bin/sh
# vm-timeout: 300
# A route-based tunnel an IKE daemon configures: strongSwan negotiates gw1's CHILD_SA
# with if_id_in/if_id_out 42 (its SAs and SPs carry the if_id), gw1 routes the far
# network into the xfrm interface ipsec0 of that if_id, MASQUERADE on its WAN for the
# rest.  In audit and in enforce, tunnel pings go through ESP, internet pings through
# the MASQUERADE, nothing is queued and no verdict is logged.  Then charon restarts
# under a stream of new flows: its SPs go, the route stays, and the interface drops
# what it has no SP for: not one packet in clear, with or without the daemon, and the
# daemon does not call the tunnel down (its routes never went).
. /scenarios/lib.sh

lab_have_ike || skip "strongSwan (charon, swanctl) not in the image"
lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up
ip -n gw1 link add ipsec0 type xfrm dev wan if_id 42 || fail "xfrm interface"
ip -n gw1 link set ipsec0 up
LAB_IKE_IFID=42 lab_ike aes128gcm16 || fail "IKEv2 tunnel did not come up"
routed_into ipsec0
nsx gw1 iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || fail "MASQUERADE"
expect_ge "charon's SPs on gw1 carry if_id 42" \
	"$(ip -n gw1 xfrm policy list dir out | grep -c 'if_id 0x2a')" 1

no_sp() { [ "$(ip -n gw1 xfrm policy list dir out | grep -c 'if_id 0x2a')" = 0 ]; }
have_sp() { ! no_sp; }

routed_healthy "no daemon"
for mode in audit enforce; do
	daemon_start "ike-$mode" gw1 --mode $mode
	routed_healthy "$mode"
	L=$(daemon_log "ike-$mode")
	[ $mode = audit ] || break
	daemon_stop "ike-$mode"
	expect_eq "audit: verdict lines for the tunnel's and the internet's pings" \
		"$(log_count "$L" event=verdict)" 0
done

wire_start restart
stream_start
stream_more 5 || fail "the stream did not start"
ike_stop_gw1
wait_for 20 no_sp || fail "gw1's SPs did not go with charon"
stream_more 20 || fail "the stream stalled"
ike_start_gw1 || fail "IKE did not come back"
wait_for 20 have_sp || fail "gw1's SPs did not come back"
stream_more 10
stream_stop
wire_stop restart
expect_eq "charon restarting: the stream in clear on the wire" \
	"$(capture_count restart udp and dst port 7000)" 0
expect_ge "... and through ESP before and after" "$(capture_count restart esp)" 10
routed_healthy "enforce, tunnel back"
daemon_stop ike-enforce
expect_eq "enforce: nothing called tunnel-down or a miss (the routes stayed)" \
	"$(log_count "$L" reason=tunnel-down) $(log_count "$L" reason=sp-miss-out)" "0 0"
