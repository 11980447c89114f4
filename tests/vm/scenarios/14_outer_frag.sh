#!/bin/sh
# The tunnel's ESP in fragments, with real ESP over a 1400-byte WAN (AES-GCM: an inner
# packet of 1400 bytes leaves as 8 + 8 + 20 + 1404 + 16 = 1456 bytes of ESP):
#   - pings of 1400 bytes without DF pass: gw1 fragments its ESP to gw2, gw2 its ESP
#     back.  gw1's daemon logs outer-frag leaving (SPI 0x1001, 1456 bytes over a path
#     of 1400, the inner MTU that would fit: ((1400 - 36 - 16) & ~3) - 2 = 1346) and
#     arriving (SPI 0x2001, gw2's fragments); the wire shows the fragments;
#   - the WAN then drops the first fragment of gw1's ESP: the big pings are lost, small
#     ones still pass, and gw2's daemon names the later fragments that come without
#     their first (ESP from gw1).
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up 1400
lab_tunnel gcm
daemon_start gw1 gw1
daemon_start gw2 gw2
L1=$(daemon_log gw1) L2=$(daemon_log gw2)
_fragout_rule() { nsx gw1 nft list chain ip ipsecguard frag_out | grep -q 'ip length > 1400'; }
# has FILE MIN KEY=VALUE...: at least MIN such lines
has() { _hf=$1 _hm=$2; shift 2; [ "$(log_count "$_hf" "$@")" -ge "$_hm" ]; }
wait_for 10 _fragout_rule ||
	log "gw1: no frag_out rule for gw2 within 10 s"
nsx gw1 nft list chain ip ipsecguard frag_out | sed 's/^/    /'

wire_start frag p1
expect_eq "pings of 1400 bytes without DF pass the tunnel" \
	"$(nsx host ping -n -q -c 3 -i 0.3 -W 2 -M dont -s 1372 $LAB_HOST2 2>&1 |
		sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p')" 3
wire_stop frag
expect_ge "the wire carries gw1's ESP in fragments" \
	"$(capture_count frag src $LAB_GW1_WAN and 'ip[6:2] & 0x1fff != 0')" 3
wait_for 5 has "$L1" 1 event=outer-frag dir=out
log_show "$L1" event=outer-frag
# (the rate limiter lets a short burst of lines per flow through, then one per 10 s)
expect_ge "gw1: outer-frag leaving, SPI 0x1001, 1456 bytes over 1400, inner MTU 1346" \
	"$(log_count "$L1" event=outer-frag dir=out kind=esp spi=0x00001001 dst=$LAB_GW2_WAN \
		outer_bytes=1456 path_mtu=1400 inner_bytes=1402 inner_mtu=1346 sa.reqid=1)" 1
# both counts from one copy of the log: the daemon may add a line between them
cp "$L1" "$LAB_DIR/gw1-frag.log"
expect_eq "gw1: and no other leaving" \
	"$(log_count "$LAB_DIR/gw1-frag.log" event=outer-frag dir=out)" \
	"$(log_count "$LAB_DIR/gw1-frag.log" event=outer-frag dir=out outer_bytes=1456)"
expect_ge "gw1: outer-frag arriving, gw2's SPI 0x2001 in fragments of 1396 (20 + 1376)" \
	"$(log_count "$L1" event=outer-frag dir=in kind=esp spi=0x00002001 src=$LAB_GW2_WAN \
		fragment_bytes=1396 sa.reqid=1)" 1
expect_eq "gw1: no orphan" "$(log_count "$L1" event=outer-frag orphan=true)" 0

# The path drops first fragments of gw1's ESP.
nsx wan nft -f - <<NFT || fail "first-fragment drop on the WAN bridge"
table bridge path {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip saddr $LAB_GW1_WAN ip frag-off & 0x3fff == 0x2000 counter drop
	}
}
NFT
expect_eq "big pings are lost" \
	"$(nsx host ping -n -q -c 3 -i 0.3 -W 1 -M dont -s 1372 $LAB_HOST2 2>&1 |
		sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p')" 0
expect_eq "small pings still pass" "$(pings host $LAB_HOST2 2)" 2
expect_ge "the path's rule dropped the first fragments" \
	"$(nft_rule_packets wan bridge path forward)" 3
wait_for 5 has "$L2" 1 event=outer-frag orphan=true
log_show "$L2" event=outer-frag orphan=true
expect_ge "gw2: later fragments of ESP from gw1 without their first, SA named" \
	"$(log_count "$L2" event=outer-frag dir=in orphan=true kind=esp src=$LAB_GW1_WAN \
		offset=1376 sa.reqid=1)" 1
daemon_stop gw1
daemon_stop gw2
expect_ge "gw2's stats count the orphans of gw1" \
	"$(log_last "$L2" outer.orphan_fragments event=stats)" 3
