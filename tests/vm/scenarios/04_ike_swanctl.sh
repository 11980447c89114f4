#!/bin/sh
# The lab's tunnel negotiated by strongSwan (IKEv2, PSK) instead of static SAs:
# pings go through, the WAN carries IKE (UDP 500/4500) and ESP (no NAT: not UDP-encapsulated).
. /scenarios/lib.sh

lab_have_ike || skip "strongSwan (charon, swanctl) not in the image"
lab_up
wire_start ike
lab_ike aes128gcm16 || fail "IKEv2 tunnel did not come up"
got=$(pings host $LAB_HOST2 5)
wire_stop ike
capture_show ike udp port 500 or udp port 4500

expect_eq "pings through the IKE tunnel" "$got" 5
# IKE_SA_INIT on 500, IKE_AUTH on 4500 (strongSwan floats even without NAT).
expect_ge "IKE (UDP 500/4500) on the wire" "$(capture_count ike udp port 500 or udp port 4500)" 4
expect_ge "ESP gw1->gw2 on the wire" "$(capture_count ike esp and src $LAB_GW1_WAN)" 5
expect_eq "plaintext ICMP on the wire" "$(capture_count ike icmp)" 0
expect_eq "UDP-encapsulated SAs (no NAT on the path)" "$(ip -n gw1 xfrm state list | grep -c encap)" 0
spi=$(ip -n gw1 xfrm state list src $LAB_GW1_WAN dst $LAB_GW2_WAN | sed -n 's/.* spi \(0x[0-9a-f]*\) .*/\1/p' | head -n 1)
[ -n "$spi" ] || fail "no negotiated SA gw1 -> gw2 in gw1's SAD"
expect_ge "gw1's negotiated out SA ($spi) packets" "$(sa_packets gw1 "$spi")" 5
log "gw1's SAs: $(swanctl_in gw1 --list-sas 2>/dev/null | grep -E 'ESTABLISHED|INSTALLED|in  |out ' | tr -s ' \n' ' ')"

# Tunnel names: the daemon and `ipsecguard spd` name the negotiated SAs as swanctl.conf
# does (connection "lab", CHILD_SA "lab"), matched by SPI; no key material read.
lab_have_daemon || skip "build/ipsecguardd not in the image (make all): the tunnel names not checked"
daemon_start names gw1 --mode audit --log-healthy --vici "unix://$LAB_DIR/gw1.vici"
L=$(daemon_log names)
# The log is written out every second.  named: pass lines that name the SA.
named() { log_count "$L" event=verdict reason=pass sa.spi=$spi sa.conn=lab sa.child=lab; }
named_past() { [ "$(named)" -gt "$1" ]; }
# The names thread's first answer: until it comes, pass lines name no tunnel.  Each
# try is a new flow (a ping of its own ICMP id): its first packet gets a pass line.
_named_flow() {
	pings host $LAB_HOST2 1 >/dev/null
	named_past 0
}
wait_for 30 _named_flow || fail "no pass line names the tunnel (lab/lab, $spi) within 30 s"
n0=$(named)
expect_eq "pings through the tunnel, the daemon watching" "$(pings host $LAB_HOST2 3)" 3
# their flow's pass line, from the asynchronous copy of its first packet
wait_for 10 named_past "$n0" || log "no pass line for the pings within 10 s"
daemon_stop names
log_show "$L" event=verdict reason=pass
expect_ge "pass lines name the SA's connection and CHILD_SA (lab/lab, $spi)" \
	"$(named)" $((n0 + 1))
nsx gw1 ipsecguard spd --json --vici "unix://$LAB_DIR/gw1.vici" >"$LAB_DIR/spd.json"
expect_eq "ipsecguard spd names both SAs of the tunnel" \
	"$(grep -o '"conn":"lab","child":"lab"}' "$LAB_DIR/spd.json" | wc -l)" 2
nsx gw1 ipsecguard spd --names off --json >"$LAB_DIR/spd-off.json"
expect_eq "--names off: none" "$(grep -c '"conn"' "$LAB_DIR/spd-off.json")" 0
