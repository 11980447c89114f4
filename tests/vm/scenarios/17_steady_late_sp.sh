#!/bin/sh
# An SP that appears after its flow.  gw1 masquerades its WAN; host pings host2 with no
# SP in place: translated, in clear, legitimately.  Then the tunnel comes up (SAs and
# SPs for 10.0.2.0/24 <-> 192.168.0.0/16) under the running ping: the kernel now picks
# the SP for the flow's pre-NAT tuple, and conntrack's NAT binding pushes every further
# echo out of it, in clear.  Without ipsecguardd the wire shows them; with
# ipsecguardd --mode enforce the verdict the flow had (healthy, made before the SP) is
# of an earlier SPD: the flow is judged again and not one echo reaches the wire in
# clear after the daemon has the new SPD; a new flow goes the same way.
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up
nsx gw1 iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || fail "MASQUERADE rule"

# ping_start NAME: one ICMP flow, an echo every 100 ms for 30 s, from host to host2.
ping_start() {
	bg_start "$1" host ping -n -i 0.1 -c 300 -W 1 $LAB_HOST2
}
natted() { capture_count "$1" icmp and src $LAB_GW1_WAN and dst $LAB_HOST2; }
natted_ge() { [ "$(natted "$1")" -ge "$2" ]; }
# echoes the host sent, in capture NAME on its side of gw1
sent_ge() { [ "$(capture_count "$1" 'icmp[icmptype] == icmp-echo')" -ge "$2" ]; }
# stats_switches DAEMON: verdict_gen.switches of a fresh stats event (SIGUSR1)
stats_more() { [ "$(grep -c '"event":"stats"' "$(daemon_log "$1")")" -gt "$2" ]; }
stats_switches() {
	_before=$(grep -c '"event":"stats"' "$(daemon_log "$1")")
	kill -USR1 "$(cat "$LAB_DIR/$1.pid")"
	wait_for 10 stats_more "$1" "$_before"
	log_last "$(daemon_log "$1")" verdict_gen.switches event=stats
}
switched() { [ "$(stats_switches "$1")" -ge 1 ]; }

# --- without the daemon --------------------------------------------------------------
ping_start bare
wire_start bare0
wait_for 20 natted_ge bare0 5 || fail "the ping did not run"
wire_stop bare0
lab_tunnel gcm
wire_start bare1
wait_for 20 natted_ge bare1 5
wire_stop bare1
expect_ge "without ipsecguardd the flow keeps leaking after its SP appeared" "$(natted bare1)" 5
bg_stop bare
ip -n gw1 xfrm policy flush
ip -n gw1 xfrm state flush
ip -n gw2 xfrm policy flush
ip -n gw2 xfrm state flush
nsx gw1 conntrack -F >/dev/null 2>&1

# --- enforce -------------------------------------------------------------------------
daemon_start late gw1 --mode enforce --remember 0
ping_start ping
wire_start before
wait_for 20 natted_ge before 5 || fail "the ping did not run"
wire_stop before
expect_ge "before any SP the flow leaves translated, in clear (legitimately)" "$(natted before)" 5
lab_tunnel gcm
wait_for 20 switched late || fail "the daemon did not take up the new SPD"
wire_start after
capture_start sent host eth0 icmp
wait_for 30 sent_ge sent 20 || fail "the ping stopped"
wire_stop after
capture_stop sent
log "after the SP appeared: $(capture_count sent 'icmp[icmptype] == icmp-echo') echoes sent"
expect_eq "after the SP appeared: echoes of the running flow in clear on the wire" \
	"$(natted after)" 0
expect_eq "... nor untranslated" "$(capture_count after icmp and dst $LAB_HOST2)" 0
bg_stop ping
expect_eq "a new flow: no answer (it would leak)" "$(pings host $LAB_HOST2 2)" 0
L=$(daemon_log late)
daemon_stop late
log_show "$L" reason=nat-before-ipsec
expect_ge "the running flow's echoes are judged nat-before-ipsec and dropped" \
	"$(log_last "$L" reasons.nat-before-ipsec.drop event=stats)" 10
