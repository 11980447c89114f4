#!/bin/sh
# Infrastructure proof: static AES-GCM tunnel between gw1 and gw2 carries host ->
# host2 pings; the WAN sees ESP only (no plaintext ICMP) and the SAs count them.
. /scenarios/lib.sh

lab_up
lab_tunnel gcm

wire_start wire
got=$(pings host $LAB_HOST2 10)
wire_stop wire
capture_show wire

expect_eq "host -> host2 pings answered through the tunnel" "$got" 10
expect_ge "ESP gw1->gw2 on the WAN" "$(capture_count wire esp and src $LAB_GW1_WAN and dst $LAB_GW2_WAN)" 10
expect_ge "ESP gw2->gw1 on the WAN" "$(capture_count wire esp and src $LAB_GW2_WAN and dst $LAB_GW1_WAN)" 10
expect_eq "plaintext ICMP on the WAN" "$(capture_count wire icmp)" 0
expect_ge "gw1's out SA (spi $LAB_SPI_12) packets" "$(sa_packets gw1 $LAB_SPI_12)" 10
expect_ge "gw2's in SA (spi $LAB_SPI_12) packets" "$(sa_packets gw2 $LAB_SPI_12)" 10
expect_ge "gw1's in SA (spi $LAB_SPI_21) packets" "$(sa_packets gw1 $LAB_SPI_21)" 10
for c in XfrmInError XfrmInNoStates XfrmInTmplMismatch XfrmInNoPols XfrmOutNoStates XfrmOutError; do
	expect_eq "gw1 $c" "$(xfrm_stat gw1 $c)" 0
done

# The same with AES-CBC/HMAC-SHA256: the crypto templates load on demand.
ip -n gw1 xfrm state flush; ip -n gw2 xfrm state flush
ip -n gw1 xfrm policy flush; ip -n gw2 xfrm policy flush
lab_tunnel cbc-sha256
expect_eq "pings through an AES-CBC/HMAC-SHA256 tunnel" "$(pings host $LAB_HOST2 5)" 5
expect_ge "gw1's out SA packets (cbc-sha256)" "$(sa_packets gw1 $LAB_SPI_12)" 5
