#!/bin/sh
# One-way ESP: the path (nft in the WAN bridge's namespace) drops IP
# protocol 50 from gw2 to gw1; the tunnel's SAs stay installed, gw1's out SA counts,
# its in SA does not.  ipsecguardd on both gateways with --oneway 10 (SA counters are
# sampled every 5 s):
#   gw1  logs one "oneway" event naming the tunnel's endpoints and both SPIs
#        (out 0x1001, in 0x2001), then "oneway_recovered" once the path is repaired;
#   gw2  logs none (both of its SAs count: ESP gw1 -> gw2 still arrives).
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up
lab_tunnel gcm
nsx wan nft -f - <<NFT || fail "one-way drop on the WAN bridge"
table bridge path {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip saddr $LAB_GW2_WAN ip protocol esp counter drop
	}
}
NFT
daemon_start gw1 gw1 --oneway 10
daemon_start gw2 gw2 --oneway 10
L1=$(daemon_log gw1) L2=$(daemon_log gw2)

s12=$(sa_packets gw1 $LAB_SPI_12) s21=$(sa_packets gw1 $LAB_SPI_21)
wire_start oneway p2
bg_start ping host ping -n -i 0.2 -W 1 $LAB_HOST2
t0=$(cut -d' ' -f1 /proc/uptime)
wait_for 40 grep -q '"event":"oneway"' "$L1" || log "gw1: no one-way event within 40 s"
t1=$(cut -d' ' -f1 /proc/uptime)
log "gw1's one-way event after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s of traffic"
wire_stop oneway
out_d=$(( $(sa_packets gw1 $LAB_SPI_12) - s12 )) in_d=$(( $(sa_packets gw1 $LAB_SPI_21) - s21 ))
log_show "$L1" event=oneway
expect_ge "gw1's out SA (0x1001) counts" "$out_d" 10
expect_eq "gw1's in SA (0x2001) stays flat" "$in_d" 0
expect_ge "ESP gw2 -> gw1 leaves gw2 (wire at p2)" \
	"$(capture_count oneway esp and src $LAB_GW2_WAN)" 10
expect_ge "the path's drop rule counted it" "$(nft_rule_packets wan bridge path forward)" 10
expect_eq "gw1: one one-way event naming both SPIs and the endpoints" \
	"$(log_count "$L1" event=oneway family=4 proto=esp local=$LAB_GW1_WAN \
		remote=$LAB_GW2_WAN reqid=1 paired_by=reqid out_spi=0x00001001 in_spi=0x00002001 \
		in_packets=0)" 1
dur=$(log_last "$L1" duration_ms event=oneway)
expect_ge "gw1: the episode lasted at least the hold (ms)" "$dur" 10000
expect_ge "gw1: packets sent during the episode" "$(log_last "$L1" out_packets event=oneway)" 10
check "gw1: the event names the likely causes" \
	sh -c "[ -n \"\$(grep '\"event\":\"oneway\"' '$L1' | grep -o '\"causes\":\"[^\"]*\"')\" ]"
expect_eq "gw1: what it saw: its own input filter accepts ESP, no IKE flow (static SAs)" \
	"$(log_count "$L1" event=oneway seen.input_filter=accepts seen.ike_conntrack=false)" 1
check "gw1: so the cause is the path" \
	sh -c "grep '\"event\":\"oneway\"' '$L1' | grep -q '\"cause\":\"nothing on this gateway drops ESP from $LAB_GW2_WAN'"

# Repair the path: the next sample sees the in SA count again.
nsx wan nft delete table bridge path
wait_for 15 grep -q '"event":"oneway_recovered"' "$L1" || log "gw1: no recovery event within 15 s"
log_show "$L1" event=oneway_recovered
expect_eq "gw1: oneway_recovered for the same tunnel" \
	"$(log_count "$L1" event=oneway_recovered reqid=1 out_spi=0x00001001 in_spi=0x00002001)" 1
expect_eq "gw1: no other one-way event" "$(log_count "$L1" event=oneway)" 1

# Now gw1's own input filter drops gw2's ESP: the next episode names that rule.
nsx gw1 nft -f - <<NFT || fail "gw1's input filter"
table inet fw {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $LAB_GW2_WAN meta l4proto esp counter drop
	}
}
NFT
handle=$(nsx gw1 nft -a list chain inet fw input | sed -n 's/.*esp counter.* # handle \([0-9]*\)/\1/p')
wait_for 40 sh -c "[ \$(grep -c '\"event\":\"oneway\"' '$L1') -ge 2 ]" ||
	log "gw1: no second one-way event within 40 s"
log_show "$L1" event=oneway
expect_eq "gw1: the second one-way event names its own rule (handle $handle)" \
	"$(grep '"event":"oneway"' "$L1" |
		grep -c '"input_filter":"drops","dropped_by":"nft inet fw input handle '"$handle"'"')" 1
expect_ge "gw1: which counted gw2's ESP" "$(nft_rule_packets gw1 inet fw input)" 10
nsx gw1 nft delete table inet fw

# The same drop in gw1's iptables-legacy filter: the daemon reads only nf_tables and
# says the legacy table is there, unread (ipsecguard doctor reads it).
wait_for 20 sh -c "[ \$(grep -c '\"event\":\"oneway_recovered\"' '$L1') -ge 2 ]" ||
	log "gw1: no second recovery within 20 s"
nsx gw1 iptables-legacy -A INPUT -s $LAB_GW2_WAN -p esp -j DROP ||
	fail "gw1's iptables-legacy rule"
wait_for 40 sh -c "[ \$(grep -c '\"event\":\"oneway\"' '$L1') -ge 3 ]" ||
	log "gw1: no third one-way event within 40 s"
bg_stop ping
grep '"event":"oneway"' "$L1" | tail -n 1 | sed 's/^/    /'
expect_eq "gw1: the third one-way event says its iptables-legacy filter is not read" \
	"$(grep '"event":"oneway"' "$L1" | tail -n 1 | grep -c '"legacy_filter_unread":true.*"cause":"[^"]*iptables-legacy')" 1
nsx gw1 iptables-legacy -F INPUT
daemon_stop gw1
daemon_stop gw2
expect_eq "gw2: no one-way event (both its SAs count)" "$(log_count "$L2" event=oneway)" 0
