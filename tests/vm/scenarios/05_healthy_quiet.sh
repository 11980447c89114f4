#!/bin/sh
# A healthy tunnel costs no queue trip: gw1 and gw2 run an AES-GCM tunnel between
# 10.0.2.0/24 and 192.168.0.0/16 with in/fwd/out SPs of one reqid and no NAT.  With
# ipsecguardd on gw1 in audit and in enforce mode, pings and a TCP transfer from host
# to host2 (both directions of the tunnel) pass, and the daemon's queue sees not one
# packet: outbound nothing is suspect (transformed, not translated), inbound every
# decapsulated packet matches the decap_ok set (selectors . reqid of the SP pair).
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up
lab_tunnel gcm

_listens() { nsx host2 ss -Hltn "sport = :5901" | grep -q .; }

for mode in audit enforce; do
	daemon_start "$mode" gw1 --mode "$mode" --queue 7
	expect_eq "$mode: tunnel pings" "$(pings host $LAB_HOST2 5)" 5
	bg_start "srv-$mode" host2 socat -u TCP-LISTEN:5901,reuseaddr OPEN:/dev/null,creat
	wait_for 10 _listens || fail "nothing listens on host2:5901"
	nsx host sh -c "head -c 2000000 /dev/zero | timeout -s KILL 30 socat -u - TCP:$LAB_HOST2:5901"
	expect_eq "$mode: a 2 MB TCP transfer through the tunnel" "$?" 0
	bg_stop "srv-$mode"
	log "$mode: queue 7: $(nsx gw1 cat /proc/net/netfilter/nfnetlink_queue)"
	decap=$(nsx gw1 nft list chain ip ipsecguard prerouting | grep '@decap_ok' |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	expect_ge "$mode: decapsulated packets passed through the decap_ok set" "${decap:-0}" 10
	daemon_stop "$mode"
	L=$(daemon_log "$mode")
	expect_eq "$mode: the daemon judged no packet (stats)" \
		"$(log_last "$L" queues.packets event=stats)" 0
	expect_eq "$mode: no verdict line" "$(log_count "$L" event=verdict)" 0
	expect_ge "$mode: the kernel counted the tunnelled flows of gw1's out SP (stats)" \
		"$(log_last "$L" sp_flows.flows event=stats)" 2
	expect_eq "$mode: and no suspect (stats)" \
		"$(log_last "$L" kernel.suspects_translated event=stats)" 0
	nsx gw1 nft delete table ip ipsecguard 2>/dev/null
	nsx gw1 nft delete table ip6 ipsecguard 2>/dev/null
done

# --log-healthy: the same flows each get a pass line from an asynchronous copy of
# their first packet, naming the SP and SA; still not one packet queued.
daemon_start healthy gw1 --mode audit --queue 7 --log-healthy
expect_eq "log-healthy: tunnel pings" "$(pings host $LAB_HOST2 3)" 3
bg_start srv-healthy host2 socat -u TCP-LISTEN:5901,reuseaddr OPEN:/dev/null,creat
wait_for 10 _listens || fail "nothing listens on host2:5901"
nsx host sh -c "head -c 200000 /dev/zero | timeout -s KILL 30 socat -u - TCP:$LAB_HOST2:5901"
expect_eq "log-healthy: a TCP transfer through the tunnel" "$?" 0
bg_stop srv-healthy
L=$(daemon_log healthy)
# the pass lines of both flows, from asynchronous copies of their first packets (the
# log is written out every second)
_passes() {
	[ "$(log_count "$L" event=verdict reason=pass proto=icmp src=$LAB_HOST dst=$LAB_HOST2)" -ge 1 ] &&
		[ "$(log_count "$L" event=verdict reason=pass proto=tcp src=$LAB_HOST dst=$LAB_HOST2 \
			dport=5901)" -ge 1 ]
}
wait_for 10 _passes || log "no pass lines for both flows within 10 s"
daemon_stop healthy
log_show "$L" event=verdict reason=pass
expect_eq "log-healthy: the daemon judged no queued packet (stats)" \
	"$(log_last "$L" queues.packets event=stats)" 0
expect_ge "log-healthy: a pass line for the ping flow, naming gw1's out SP and its SA" \
	"$(log_count "$L" event=verdict reason=pass proto=icmp src=$LAB_HOST dst=$LAB_HOST2 \
		sp.dir=out sp.reqid=1 sa.spi=$LAB_SPI_12)" 1
expect_eq "log-healthy: and one for the TCP connection (its SYN)" \
	"$(log_count "$L" event=verdict reason=pass proto=tcp src=$LAB_HOST dst=$LAB_HOST2 \
		dport=5901 sp.dir=out sp.reqid=1)" 1
expect_eq "log-healthy: no other verdict" \
	"$(log_count "$L" event=verdict)" "$(log_count "$L" event=verdict reason=pass)"
nsx gw1 nft delete table ip ipsecguard 2>/dev/null
nsx gw1 nft delete table ip6 ipsecguard 2>/dev/null
exit 0
