#!/bin/sh
# The IKE daemon restarts under a stream of new flows.  gw1's tunnel is strongSwan's
# (IKEv2, 10.0.2.0/24 <-> 192.168.0.0/16); its NAT exempts the tunnel's traffic and
# masquerades the rest, as operators configure it.  When charon stops it takes its SAs
# and SPs out of the kernel, and until it is back the tunnel's flows leave by the route,
# in clear: without ipsecguardd the wire shows them.  With ipsecguardd --mode enforce,
# which remembers what the SPs protected, none of the stream's flows leaves in clear,
# nor a packet of a flow the tunnel carried before (a connection the route transforms
# is never marked healthy: its first packet in clear meets the suspect rules),
# while the SPs are gone, those of the moment before the daemon has read of their
# removal included (cleartext of an SP that requires ESP is queued and judged by the
# SPD as the kernel has it); each is named tunnel-down, and once the tunnel is back the
# flows go through ESP again.
. /scenarios/lib.sh

lab_have_ike || skip "strongSwan (charon, swanctl) not in the image"
lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up
lab_ike aes128gcm16 || fail "IKEv2 tunnel did not come up"
nsx gw1 nft -f - <<EOF || fail "gw1's nat table"
table ip fw {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $LAB_LEFT_NET ip daddr $LAB_RIGHT_NET return
		oifname "wan" masquerade
	}
}
EOF

no_sp() { [ "$(ip -n gw1 xfrm policy list dir out | grep -c "src $LAB_LEFT_NET")" = 0 ]; }
have_sp() { ! no_sp; }

# flow_start / flow_stop: a running flow from host to host2 port 7001, one socket (one
# conntrack entry), a datagram every 20 ms: a connection the tunnel carried before its
# SPs went.
flow_start() {
	rm -f "$LAB_DIR/flow.stop"
	(
		# until flow_stop, and a minute at most (3,000 datagrams)
		n=0
		while [ ! -e "$LAB_DIR/flow.stop" ] && [ $n -lt 3000 ]; do
			echo "running"
			n=$((n + 1))
			sleep 0.02	# the flow's pace, not a wait for anything
		done
	) | nsx host socat -u - UDP4-SENDTO:$LAB_HOST2:7001,sourceport=41001 2>/dev/null &
	FLOW_PID=$!
}
flow_stop() {
	: >"$LAB_DIR/flow.stop"
	wait "$FLOW_PID" 2>/dev/null
}

# restart_under_stream NAME: charon stops and starts again while the stream and the
# running flow go on, the wire captured; PLAIN is then the stream's plaintext on the
# wire, RUNNING the running flow's.
restart_under_stream() {
	wire_start "$1"
	flow_start
	stream_start
	wait_for 20 stream_past 5 || fail "$1: the stream did not start"
	ike_stop_gw1
	wait_for 20 no_sp || fail "$1: gw1's SPs did not go with charon"
	_s0=$(stream_sent)
	wait_for 30 stream_past $((_s0 + 20)) || fail "$1: the stream stalled"
	log "$1: $(($(stream_sent) - _s0)) new flows while gw1's SPs were gone"
	ike_start_gw1 || fail "$1: IKE did not come back"
	wait_for 20 have_sp || fail "$1: gw1's SPs did not come back"
	_s0=$(stream_sent)
	wait_for 30 stream_past $((_s0 + 10)) || fail "$1: the stream stalled"
	stream_stop
	flow_stop
	wire_stop "$1"
	PLAIN=$(capture_count "$1" udp and dst port 7000)
	RUNNING=$(capture_count "$1" udp and dst port 7001)
	log "$1: $(stream_sent) flows; plaintext on the wire: $PLAIN; of the running flow: $RUNNING"
}

# --- without the daemon ------------------------------------------------------------
restart_under_stream bare
expect_ge "without ipsecguardd the restart is a plaintext window" "$PLAIN" 5
expect_ge "... for the running flow too" "$RUNNING" 5
nsx gw1 conntrack -F >/dev/null 2>&1

# --- enforce -----------------------------------------------------------------------
daemon_start steady gw1 --mode enforce
expect_eq "tunnel up: pings through it" "$(pings host $LAB_HOST2 3)" 3
restart_under_stream enforce
# the stream is not translated (the NAT exempts the tunnel's traffic)
expect_eq "enforce: plaintext of the stream while the SPs were gone" "$PLAIN" 0
expect_eq "enforce: plaintext of the running flow while the SPs were gone" "$RUNNING" 0
expect_ge "the stream's flows after the restart went through ESP" \
	"$(capture_count enforce esp and src $LAB_GW1_WAN)" 10
expect_eq "tunnel back: pings through it" "$(pings host $LAB_HOST2 3)" 3
L=$(daemon_log steady)
daemon_stop steady
log_show "$L" reason=tunnel-down
expect_ge "the flows of the tunnel that was down are named tunnel-down and dropped" \
	"$(log_last "$L" reasons.tunnel-down.drop event=stats)" 5
expect_ge "naming the remembered selector" \
	"$(log_count "$L" reason=tunnel-down verdict=drop remembered.src=$LAB_LEFT_NET \
		remembered.dst=$LAB_RIGHT_NET)" 1
expect_eq "nothing called nat-before-ipsec" "$(log_count "$L" reason=nat-before-ipsec)" 0
