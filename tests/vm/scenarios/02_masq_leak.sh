#!/bin/sh
# The silent NAT-before-IPsec leak with real ESP, and a kernel-only leak guard that holds
# without the daemon:
#   1. tunnel only: pings go as ESP;
#   2. MASQUERADE on gw1's WAN: the pings still succeed, but in clear (the translated
#      source 172.16.0.1 matches no SP) and gw1's out SA stops counting;
#   3. + the guard (postrouting, srcnat + 1: pre-NAT tuple in the protected set and
#      no IPsec on the route -> drop): the pings fail, no plaintext on the wire;
#   4. MASQUERADE removed, guard kept: tunnelled pings pass the guard (rt ipsec exists).
. /scenarios/lib.sh

lab_up
lab_tunnel gcm

# Every phase: 5 pings with a fresh ICMP id, a wire capture, gw1's out SA counter.
phase() {
	nsx gw1 conntrack -F >/dev/null 2>&1
	_sa0=$(sa_packets gw1 $LAB_SPI_12)
	wire_start "$1"
	PH_GOT=$(pings host $LAB_HOST2 5)
	wire_stop "$1"
	PH_SA=$(( $(sa_packets gw1 $LAB_SPI_12) - _sa0 ))
	PH_ESP=$(capture_count "$1" esp and src $LAB_GW1_WAN)
	PH_CLEAR=$(capture_count "$1" icmp and dst $LAB_HOST2)
	PH_CLEAR_BACK=$(capture_count "$1" icmp and src $LAB_HOST2)
	log "$1: $PH_GOT/5 replies, gw1 out SA +$PH_SA, wire: $PH_ESP ESP from gw1," \
		"$PH_CLEAR plaintext ICMP to host2, $PH_CLEAR_BACK back"
	capture_show "$1"
}

phase 1-tunnel
expect_eq "tunnel: pings answered" "$PH_GOT" 5
expect_ge "tunnel: gw1's out SA counted them" "$PH_SA" 5
expect_eq "tunnel: plaintext ICMP on the wire" "$PH_CLEAR" 0

nsx gw1 nft -f - <<'NFT' || fail "MASQUERADE rule"
table ip lab_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" counter masquerade
	}
}
NFT
phase 2-masquerade
expect_eq "masquerade: pings still answered (the silent leak)" "$PH_GOT" 5
expect_eq "masquerade: gw1's out SA stopped counting" "$PH_SA" 0
expect_eq "masquerade: ESP from gw1 on the wire" "$PH_ESP" 0
expect_ge "masquerade: plaintext ICMP to host2 on the wire" "$PH_CLEAR" 5
expect_ge "masquerade: the wire shows the translated source" \
	"$(capture_count 2-masquerade icmp and src $LAB_GW1_WAN and dst $LAB_HOST2)" 5

nsx gw1 nft -f - <<'NFT' || fail "leak guard rule"
table ip lab_guard {
	set prot4 {
		type ipv4_addr . ipv4_addr; flags interval
		elements = { 10.0.2.0/24 . 192.168.0.0/16 }
	}
	chain post {
		type filter hook postrouting priority srcnat + 1; policy accept;
		ct direction original ct original ip saddr . ct original ip daddr @prot4 rt ipsec missing counter drop
	}
}
NFT
phase 3-guard
expect_eq "guard: pings dropped" "$PH_GOT" 0
expect_eq "guard: plaintext ICMP to host2 on the wire" "$PH_CLEAR" 0
expect_eq "guard: ESP from gw1 on the wire" "$PH_ESP" 0
expect_ge "guard: the rule counted the drops" "$(nft_rule_packets gw1 ip lab_guard post)" 5

nsx gw1 nft delete table ip lab_nat || fail "delete MASQUERADE"
phase 4-guard-tunnel
expect_eq "guard without NAT: pings answered" "$PH_GOT" 5
expect_ge "guard without NAT: through gw1's out SA" "$PH_SA" 5
expect_eq "guard without NAT: plaintext ICMP on the wire" "$PH_CLEAR" 0
expect_ge "guard without NAT: ESP from gw1 on the wire" "$PH_ESP" 5
