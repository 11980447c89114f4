#!/bin/sh
# vm-timeout: 400
# Route-based tunnels: gw1's side of the tunnel is an xfrm interface (ipsec0, if_id 42),
# then a VTI (vti0, key 42), with SPs 0.0.0.0/0 <-> 0.0.0.0/0 bound to it, 192.168.0.0/16
# routed into it, a default route to gw2 and MASQUERADE on the WAN for the rest (gw2
# policy-based).  Held against what the kernel does with the packets:
#  - in audit and in enforce, tunnel pings go through ESP and internet pings through
#    the MASQUERADE, as without the daemon; not one packet is queued, no verdict line;
#  - the tunnel's route withdrawn under a stream of new flows: without the daemon they
#    leave in clear by the default route (MASQUERADEd); in enforce not one reaches the
#    wire in clear, MASQUERADEd or exempted from it, each named tunnel-down with the
#    interface; audit names them; the route back, ESP again; the interface set down:
#    the same.
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"

plain() { capture_count "$1" udp and dst port 7000 and not esp; }
route_del() { ip -n gw1 route del $LAB_RIGHT_NET dev $LAB_TUN; }
route_add() { ip -n gw1 route add $LAB_RIGHT_NET dev $LAB_TUN; }
no_route() { ! ip -n gw1 route show $LAB_RIGHT_NET | grep -q "dev $LAB_TUN"; }
# trace_to NAME [OPTIONS...]: ipsecguard trace of a flow from host to host2 on gw1, its
# JSON in $LAB_DIR/NAME.trace
trace_to() {
	_tn=$1
	shift
	nsx gw1 ipsecguard trace --src $LAB_HOST --dst $LAB_HOST2 --proto udp --dport 7000 \
		--json "$@" >"$LAB_DIR/$_tn.trace"
	log "trace: $(cat "$LAB_DIR/$_tn.trace")"
}
# doctor_ids: the ids of doctor's findings on gw1, sorted, space-separated
doctor_ids() {
	nsx gw1 ipsecguard doctor --json --sample 0 2>/dev/null |
		grep -o '"id":"[a-z-]*"' | sed 's/"id":"\(.*\)"/\1/' | sort -u | tr '\n' ' '
}
has_id() { case " $1" in *" $2 "*) return 0 ;; esac; return 1; }
remembered_via() { grep -q " $LAB_TUN\$" "$1" 2>/dev/null; }

# withdrawn NAME: the stream runs while the route into the tunnel is withdrawn, then
# put back; PLAIN is what of it reached the wire in clear meanwhile.
withdrawn() {
	stream_start
	stream_more 5 || fail "$1: the stream did not start"
	wire_start "$1"
	route_del || fail "$1: route del"
	stream_more 20 || fail "$1: the stream stalled"
	wire_stop "$1"
	route_add || fail "$1: route add"
	stream_more 5
	stream_stop
	PLAIN=$(plain "$1")
	log "$1: $(stream_sent) flows, $PLAIN in clear on the wire while the route was gone"
}

for kind in xfrm vti; do
	log "=== $kind"
	lab_up
	lab_routed $kind 42
	nsx gw1 iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || fail "MASQUERADE"

	routed_healthy "$kind, no daemon"
	trace_to "$kind-up"
	expect_eq "$kind: trace says tunnel, through $LAB_TUN" \
		"$(log_last "$LAB_DIR/$kind-up.trace" verdict) $(log_last "$LAB_DIR/$kind-up.trace" \
			tunnel_if.name)" "tunnel $LAB_TUN"
	withdrawn "$kind-bare"
	expect_ge "$kind: without the daemon the withdrawn route is a plaintext window" \
		"$PLAIN" 5
	nsx gw1 conntrack -F >/dev/null 2>&1

	daemon_start "$kind-audit" gw1 --mode audit --no-log-pass
	routed_healthy "$kind, audit"
	withdrawn "$kind-audit"
	L=$(daemon_log "$kind-audit")
	daemon_stop "$kind-audit"
	expect_ge "$kind audit: the flows that left in clear are named tunnel-down" \
		"$(log_count "$L" reason=tunnel-down verdict=accept remembered.via=$LAB_TUN)" 5
	expect_eq "$kind audit: no tunnel flow called a miss" \
		"$(log_count "$L" reason=sp-miss-out) $(log_count "$L" reason=sp-miss-in)" "0 0"
	nsx gw1 conntrack -F >/dev/null 2>&1

	daemon_start "$kind-enforce" gw1 --mode enforce --mss auto
	routed_healthy "$kind, enforce"
	# the clamp follows the interface's SA; the internet's SYNs keep their MSS
	want=$(log_last "$LAB_DIR/$kind-up.trace" mss)
	expect_eq "$kind: --mss auto: the SYN into $LAB_TUN arrives clamped to the tunnel's" \
		"$(syn_to "$kind-syn-tun" host2 $LAB_HOST2 7100)" "$want "
	expect_eq "$kind: --mss auto: a SYN to the internet keeps its MSS" \
		"$(syn_to "$kind-syn-inet" gw2 $LAB_GW2_WAN 7101)" "1460 "
	withdrawn "$kind-enforce"
	# the stream is MASQUERADEd once the default route takes it: a translated flow
	# towards a network routed into the tunnel is a suspect from the first moment
	expect_eq "$kind enforce: the stream in clear on the wire while the route was gone" \
		"$PLAIN" 0
	# exempted from the MASQUERADE, the stream leaves untranslated by the default
	# route: cleartext towards a network routed into the tunnel that leaves by another
	# interface is queued and judged with the route events read first
	nsx gw1 iptables -t nat -I POSTROUTING -d $LAB_RIGHT_NET -j RETURN || fail "exemption"
	nsx gw1 conntrack -F >/dev/null 2>&1
	withdrawn "$kind-enforce-untranslated"
	expect_eq "$kind enforce: untranslated, the stream in clear on the wire while the route was gone" \
		"$PLAIN" 0
	nsx gw1 iptables -t nat -D POSTROUTING -d $LAB_RIGHT_NET -j RETURN
	nsx gw1 conntrack -F >/dev/null 2>&1
	routed_healthy "$kind, enforce, route back"
	ip -n gw1 link set $LAB_TUN down
	wait_for 10 no_route || fail "$kind: the route stayed with $LAB_TUN down"
	R=$LAB_DIR/state-$kind-enforce/ipsecguard.remembered
	wait_for 10 remembered_via "$R" || fail "$kind: the daemon's file has no route entry"
	trace_to "$kind-down" --remembered "$R"
	expect_eq "$kind: trace says tunnel-down, naming $LAB_TUN" \
		"$(log_last "$LAB_DIR/$kind-down.trace" verdict) $(log_last "$LAB_DIR/$kind-down.trace" \
			remembered.via)" "tunnel-down $LAB_TUN"
	wire_start "$kind-down"
	expect_eq "$kind enforce, $LAB_TUN down: pings to the far network answered" \
		"$(pings host $LAB_HOST2 3)" 0
	wire_stop "$kind-down"
	expect_eq "$kind enforce, $LAB_TUN down: ... in clear on the wire" \
		"$(capture_count "$kind-down" icmp and dst $LAB_HOST2)" 0
	ip -n gw1 link set $LAB_TUN up
	route_add
	routed_healthy "$kind, enforce, up again"
	L=$(daemon_log "$kind-enforce")
	daemon_stop "$kind-enforce"
	log_show "$L" reason=tunnel-down
	expect_ge "$kind enforce: the flows are named tunnel-down, $LAB_TUN, and dropped" \
		"$(log_count "$L" reason=tunnel-down verdict=drop remembered.via=$LAB_TUN)" 5
	expect_eq "$kind enforce: no tunnel flow called a miss" \
		"$(log_count "$L" reason=sp-miss-out) $(log_count "$L" reason=sp-miss-in)" "0 0"
	nsx gw1 nft delete table ip ipsecguard 2>/dev/null
	nsx gw1 nft delete table ip6 ipsecguard 2>/dev/null
	nsx gw1 nft delete table ip ipsecguard_backstop 2>/dev/null
	nsx gw1 nft delete table ip6 ipsecguard_backstop 2>/dev/null

	# doctor: what breaks route-based tunnels, each held against the lab as it is
	D=$(doctor_ids)
	log "doctor: $D"
	check "$kind doctor: $LAB_TUN's MTU is above what its SA carries" has_id "$D" tunnel-if-mtu
	check "$kind doctor: nothing else of it" sh -c "! echo '$D' | grep -q 'tunnel-if-no\|tunnel-if-down\|vti-policy'"
	ip -n gw1 link set $LAB_TUN mtu 1446
	check "$kind doctor: MTU 1446: no more" sh -c "! echo '$(doctor_ids)' | grep -q tunnel-if-mtu"
	if [ $kind = vti ]; then
		nsx gw1 sysctl -qw net.ipv4.conf.vti0.disable_policy=0
		check "vti doctor: disable_policy off is named" has_id "$(doctor_ids)" vti-policy
	fi
	ip -n gw1 xfrm policy delete dir out src 0.0.0.0/0 dst 0.0.0.0/0 \
		$([ $kind = xfrm ] && echo if_id 42 || echo mark 42)
	check "$kind doctor: no out SP for $LAB_TUN is named" has_id "$(doctor_ids)" tunnel-if-no-sp
	ip -n gw1 link set $LAB_TUN down
	check "$kind doctor: $LAB_TUN down is named" has_id "$(doctor_ids)" tunnel-if-down
	lab_down
done
