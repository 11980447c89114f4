#!/bin/sh
# NAT before IPsec with real ESP under ipsecguardd: static AES-GCM tunnel gw1 <-> gw2 for
# 10.0.2.0/24 <-> 192.168.0.0/16 and MASQUERADE (iptables-nft, as in the seed) on gw1's WAN.
#   audit    the pings still succeed in clear (the wire shows the translated source);
#            the daemon logs nat-before-ipsec with the pre- and post-NAT tuples and the SP
#   enforce  the pings fail; not one plaintext packet of the flow on the wire; this
#            kernel (6.1) owns tables without persist: after kill -9 the owned table
#            goes with the daemon and the backstop beside it drops the pings
#   fix      the daemon puts the exemption into its own nat chain (igd_exempt) and
#            flushes conntrack; later pings are answered through the tunnel (ESP on
#            the wire, no plaintext of the flow); the nat table is left as it was
#   revert   `ipsecguard fixes revert` takes it out; the leak is back
#   doctor   `ipsecguard doctor` predicts the leak before any traffic and is quiet once
#            the exemption is in; `ipsecguard trace` walks the flow: leak, then tunnel
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up
lab_tunnel gcm
nsx gw1 iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || fail "MASQUERADE rule"
nat_rules() { nsx gw1 iptables-save -t nat | grep -v '^#' | sed 's/\[[0-9:]*\]//'; }
nat_rules >"$LAB_DIR/nat.before"

# --- doctor, before any traffic -------------------------------------------------------
nsx gw1 ipsecguard doctor --json >"$LAB_DIR/doctor.before"
expect_eq "doctor: exit status 4 (critical) before any traffic" "$?" 4
expect_eq "doctor: names nat-before-ipsec for the tunnel's SP" \
	"$(grep -o '"id":"nat-before-ipsec"[^}]*"src":"'"$LAB_LEFT_NET"'"' "$LAB_DIR/doctor.before" | wc -l)" 1
expect_eq "doctor: no sa-missing with the tunnel's SAs up" \
	"$(grep -c '"id":"sa-missing"' "$LAB_DIR/doctor.before")" 0
nsx gw1 ipsecguard trace --src "$LAB_HOST" --dst "$LAB_HOST2" >"$LAB_DIR/trace.before"
expect_eq "trace: the leaking flow, exit status 4" "$?" 4
sed 's/^/    trace: /' "$LAB_DIR/trace.before"
expect_eq "trace: verdict leak, the SP lookup after NAT finds none" \
	"$(grep -c -e '^verdict   leak' -e '^policy after nat  none' "$LAB_DIR/trace.before")" 2
expect_eq "doctor: the tunnel's MTU and MSS from its SA" \
	"$(grep -o '"evidence":"out SP [^"]*path MTU [0-9]* ([a-z]*): inner MTU [0-9]*, TCP MSS [0-9]*' "$LAB_DIR/doctor.before" | wc -l)" 1

# phase NAME COUNT: COUNT pings host -> host2 under a wire capture; sets PH_GOT (replies),
# PH_SA (gw1's out SA delta), PH_ESP (ESP gw1 -> gw2), PH_CLEAR (plaintext ICMP to host2
# on the wire, any source), PH_NATTED (of which with the translated source).
phase() {
	_sa0=$(sa_packets gw1 $LAB_SPI_12)
	wire_start "$1"
	PH_GOT=$(pings host $LAB_HOST2 "$2")
	wire_stop "$1"
	PH_SA=$(( $(sa_packets gw1 $LAB_SPI_12) - _sa0 ))
	PH_ESP=$(capture_count "$1" esp and src $LAB_GW1_WAN and dst $LAB_GW2_WAN)
	PH_CLEAR=$(capture_count "$1" icmp and dst $LAB_HOST2)
	PH_NATTED=$(capture_count "$1" icmp and src $LAB_GW1_WAN and dst $LAB_HOST2)
	log "$1: $PH_GOT/$2 replies, gw1 out SA +$PH_SA, wire: $PH_ESP ESP gw1->gw2," \
		"$PH_CLEAR plaintext ICMP to host2 ($PH_NATTED from $LAB_GW1_WAN)"
	capture_show "$1"
}

# --- audit ---------------------------------------------------------------------------
daemon_start audit gw1 --mode audit
phase audit 5
daemon_stop audit
L=$(daemon_log audit)
log_show "$L" reason=nat-before-ipsec
expect_eq "audit: pings answered (the leak is silent)" "$PH_GOT" 5
expect_ge "audit: the wire shows the plaintext leak with the translated source" "$PH_NATTED" 5
expect_eq "audit: no ESP from gw1 (the out SA is bypassed)" "$PH_ESP" 0
expect_eq "audit: gw1's out SA did not count" "$PH_SA" 0
expect_eq "audit: nat-before-ipsec logged once for the flow, pre/post tuples and the SP" \
	"$(log_count "$L" event=verdict hook=postrouting verdict=accept reason=nat-before-ipsec \
		family=4 proto=icmp src=$LAB_HOST dst=$LAB_HOST2 nat_src=$LAB_GW1_WAN \
		nat_dst=$LAB_HOST2 sp.dir=out sp.src=$LAB_LEFT_NET sp.dst=$LAB_RIGHT_NET sp.reqid=1)" 1
expect_eq "audit: no pre-NAT tap (the kernel attaches conntrack): nothing queued at forward" \
	"$(log_count "$L" event=verdict hook=forward)" 0
check "audit: the start line says suspects are judged by conntrack" \
	grep -q 'suspects judged by their conntrack entry' "$LAB_DIR/audit.out"
expect_eq "audit: nothing dropped" "$(log_count "$L" verdict=drop)" 0
expect_eq "audit: stats count the leak" \
	"$(log_last "$L" reasons.nat-before-ipsec.accept event=stats)" 1
sp_index=$(log_last "$L" sp.index reason=nat-before-ipsec)
expect_eq "audit: the SP index is gw1's out SP" \
	"$(nsx gw1 ipsecguard lookup --dir out --src $LAB_HOST --dst $LAB_HOST2 --json 2>/dev/null |
		sed -n 's/.*"index":\([0-9]*\).*/\1/p')" "$sp_index"
nsx gw1 conntrack -F >/dev/null 2>&1

# --- enforce -------------------------------------------------------------------------
daemon_start enforce gw1 --mode enforce
phase enforce 5
daemon_stop enforce
L=$(daemon_log enforce)
log_show "$L" reason=nat-before-ipsec
expect_eq "enforce: pings fail" "$PH_GOT" 0
expect_eq "enforce: no plaintext ICMP to host2 on the wire" "$PH_CLEAR" 0
expect_eq "enforce: no ESP either (the flow is blocked, not repaired)" "$PH_ESP" 0
# Each echo is a new flow head again (the dropped one never confirmed its conntrack entry).
expect_eq "enforce: every echo dropped by verdict as nat-before-ipsec" \
	"$(log_last "$L" reasons.nat-before-ipsec.drop event=stats)" 5
expect_ge "enforce: drops logged with the translated source and the SP" \
	"$(log_count "$L" hook=postrouting verdict=drop reason=nat-before-ipsec src=$LAB_HOST \
		nat_src=$LAB_GW1_WAN sp.reqid=1)" 1
check "enforce: the MASQUERADE rule is untouched" cmp -s "$LAB_DIR/nat.before" - <<EOF
$(nat_rules)
EOF
nsx gw1 conntrack -F >/dev/null 2>&1

# --- enforce, the daemon killed --------------------------------------------------------
daemon_start enforce9 gw1 --mode enforce
check "enforce: this kernel's tables are owned, with the backstop beside them" \
	grep -q '(hold owner).*backstop' "$LAB_DIR/enforce9.out"
kill -9 "$(cat "$LAB_DIR/enforce9.pid")"
no_table() { ! nsx gw1 nft list table ip ipsecguard >/dev/null 2>&1; }
wait_for 10 no_table || fail "enforce: the owned table did not go with the daemon"
check "enforce: the backstop survives kill -9" nsx gw1 nft list table ip ipsecguard_backstop
phase killed 5
expect_eq "killed: pings fail" "$PH_GOT" 0
expect_eq "killed: no plaintext ICMP to host2 on the wire" "$PH_CLEAR" 0
expect_ge "killed: the backstop's rule dropped them" \
	"$(nft_rule_packets gw1 ip ipsecguard_backstop postrouting)" 5
nsx gw1 nft delete table ip ipsecguard_backstop
nsx gw1 nft delete table ip6 ipsecguard_backstop
nsx gw1 conntrack -F >/dev/null 2>&1

# --- fix -----------------------------------------------------------------------------
daemon_start fix gw1 --mode fix
phase fix 8
# The fix events come off the packet path, after the revealing packet.
L=$(daemon_log fix)
nsx gw1 nft list chain ip ipsecguard igd_exempt | sed 's/^/    exempt: /'
exempt=$(nsx gw1 nft list chain ip ipsecguard igd_exempt | grep 'ipsecguard-fix')
nat_rules >"$LAB_DIR/nat.fix"
expect_ge "fix: later pings answered" "$PH_GOT" 5
expect_ge "fix: through gw1's out SA" "$PH_SA" 5
expect_ge "fix: the wire shows ESP gw1 -> gw2" "$PH_ESP" 5
expect_eq "fix: no plaintext ICMP to host2 on the wire (the revealing echo was dropped)" \
	"$PH_CLEAR" 0
case $exempt in
*"ip saddr $LAB_LEFT_NET ip daddr $LAB_RIGHT_NET counter packets "*" snat to ip saddr comment \"ipsecguard-fix sp=$sp_index\""*)
	ok "fix: the exemption binds the flows to their own source: $exempt" ;;
*) fail "fix: the exempt chain holds '$exempt'" ;;
esac
check "fix: the nat table is left as it was" cmp -s "$LAB_DIR/nat.before" "$LAB_DIR/nat.fix"
nsx gw1 ipsecguard trace --src "$LAB_HOST" --dst "$LAB_HOST2" >"$LAB_DIR/trace.after"
expect_eq "trace after the fix: through the tunnel, exit status 0" "$?" 0
sed 's/^/    trace: /' "$LAB_DIR/trace.after"
expect_eq "trace after the fix: verdict tunnel, the SA of the out SPI" \
	"$(grep -c "^verdict   tunnel: SA spi $LAB_SPI_12" "$LAB_DIR/trace.after")" 1
nsx gw1 ipsecguard doctor --json >"$LAB_DIR/doctor.after"
expect_eq "doctor: once the exemption is in, only the MSS warning is left (exit 3)" "$?" 3
expect_eq "doctor: no critical finding" "$(grep -c '"severity":"critical"' "$LAB_DIR/doctor.after")" 0
expect_eq "doctor: the warning is tunnel-mtu" \
	"$(grep -o '"id":"tunnel-mtu","severity":"warning"' "$LAB_DIR/doctor.after" | wc -l)" 1
expect_eq "doctor: saying that no rule clamps the MSS" \
	"$(grep -o 'no rule clamps the TCP MSS' "$LAB_DIR/doctor.after" | wc -l)" 1
expect_eq "doctor: no nat finding after the fix" \
	"$(grep -c '"id":"nat-' "$LAB_DIR/doctor.after")" 0
nsx gw1 ipsecguard fixes list --control "$LAB_DIR/fix.sock" >"$LAB_DIR/fixes.list"
sed 's/^/    fixes list: /' "$LAB_DIR/fixes.list"
expect_eq "fix: ipsecguard fixes list names the exemption" \
	"$(grep -c "ipsecguardd .*$LAB_LEFT_NET" "$LAB_DIR/fixes.list")" 1

# --- revert --------------------------------------------------------------------------
nsx gw1 ipsecguard fixes revert --control "$LAB_DIR/fix.sock" >"$LAB_DIR/fixes.revert"
expect_eq "fixes revert: the daemon takes it out" "$(cat "$LAB_DIR/fixes.revert")" "1 rule deleted"
daemon_stop fix
log_show "$L" event=fix
expect_eq "fix: nat-exemption event (the daemon's chain, the SP's selector)" \
	"$(log_count "$L" event=fix action=nat-exemption ruleset=ipsecguardd chain=igd_exempt \
		sp.index=$sp_index sp.src=$LAB_LEFT_NET sp.dst=$LAB_RIGHT_NET)" 1
expect_eq "fix: nat-exemption-removed event" \
	"$(log_count "$L" event=fix action=nat-exemption-removed sp.index=$sp_index)" 1
expect_eq "fix: conntrack-flush event" "$(log_count "$L" event=fix action=conntrack-flush)" 1
expect_ge "fix: the revealing echo was dropped, not leaked" \
	"$(log_last "$L" reasons.nat-before-ipsec.drop event=stats)" 1
expect_eq "fix: no leak accepted" "$(log_last "$L" reasons.nat-before-ipsec.accept event=stats)" 0
# the backstop (this kernel) stays behind the stopped daemon: removed as documented
nsx gw1 nft delete table ip ipsecguard_backstop
nsx gw1 nft delete table ip6 ipsecguard_backstop
nat_rules >"$LAB_DIR/nat.after"
check "the nat table is exactly as before" cmp -s "$LAB_DIR/nat.before" "$LAB_DIR/nat.after"
nsx gw1 conntrack -F >/dev/null 2>&1
phase reverted 3
expect_eq "reverted: the leak is back (pings answered in clear)" "$PH_NATTED" 3
