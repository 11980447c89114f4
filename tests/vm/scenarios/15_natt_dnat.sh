#!/bin/sh
# A NAT-T tunnel behind a port-changing DNAT, with real ESP in UDP (static SAs with
# UDP encapsulation, the encapsulating sockets opened with UDP_ENCAP_ESPINUDP): gw2
# is the NAT in front of its own VPN endpoint and maps udp 4500 outside to 4009.
#   - gw2's ESP-in-UDP socket listens on 4500 only: gw1's ESP arrives on 4009 and is
#     not decapsulated; the tunnel is "up" and carries nothing.  gw2's daemon logs
#     outer-nat port-map naming 4500 outside, 4009 inside and the tunnel's SA;
#   - the endpoint moved to the inside port (socket on 4009, gw2's SA sending from
#     4009, its replies translated back to 4500 by the mapping's conntrack entry): the
#     same mapping now carries the tunnel both ways.
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
command -v socat >/dev/null 2>&1 || skip "socat not in the image"
lab_up
lab_tunnel gcm
# natt_sa NS SRC DST SPI KEY SPORT DPORT: a GCM SA with ESP-in-UDP encapsulation
natt_sa() {
	ip -n "$1" xfrm state add src "$2" dst "$3" proto esp spi "$4" reqid 1 mode tunnel \
		aead 'rfc4106(gcm(aes))' "$5" 128 encap espinudp "$6" "$7" 0.0.0.0 ||
		fail "xfrm state $2 -> $3 spi $4 in $1 (espinudp $6 $7)"
}
for g in gw1 gw2; do
	ip -n $g xfrm state flush
	natt_sa $g $LAB_GW1_WAN $LAB_GW2_WAN $LAB_SPI_12 $LAB_KEY_GCM_12 4500 4500
	natt_sa $g $LAB_GW2_WAN $LAB_GW1_WAN $LAB_SPI_21 $LAB_KEY_GCM_21 4500 4500
done
# encap NAME NS ADDR PORT: a UDP socket that hands ESP in UDP to the kernel
# (UDP_ENCAP 100 = UDP_ENCAP_ESPINUDP 2, set before bind)
encap() {
	bg_start "$1" "$2" socat -u UDP4-RECV:"$4",bind="$3",setsockopt-listen=17:100:x02000000 \
		OPEN:/dev/null
	_eport=$(printf %04X "$4")
	wait_for 5 _udp_bound "$2" || fail "no encapsulating socket on $2:$4"
}
_udp_bound() { nsx "$1" cat /proc/net/udp | grep -q ":$_eport "; }
has() { _hf=$1 _hm=$2; shift 2; [ "$(log_count "$_hf" "$@")" -ge "$_hm" ]; }
encap enc1 gw1 $LAB_GW1_WAN 4500
encap enc2 gw2 $LAB_GW2_WAN 4500
expect_eq "the NAT-T tunnel carries pings" "$(pings host $LAB_HOST2 3)" 3
wire_start natt p2
expect_eq "... as ESP in UDP 4500" "$(pings host $LAB_HOST2 2)" 2
wire_stop natt
expect_ge "the wire shows ESP in UDP to gw2:4500" \
	"$(capture_count natt udp and dst $LAB_GW2_WAN and dst port 4500)" 2

# gw2 maps 4500 outside to 4009 inside
nsx gw2 nft -f - <<NFT || fail "gw2's DNAT"
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" udp dport 4500 counter redirect to :4009
	}
}
NFT
nsx gw2 conntrack -F >/dev/null 2>&1
daemon_start gw2 gw2
L2=$(daemon_log gw2)
in0=$(sa_packets gw2 $LAB_SPI_12)
expect_eq "behind the mapping the tunnel carries nothing" "$(pings host $LAB_HOST2 3)" 0
expect_eq "gw2's in SA decapsulated nothing" "$(( $(sa_packets gw2 $LAB_SPI_12) - in0 ))" 0
expect_ge "the DNAT translated gw1's ESP in UDP" "$(nft_rule_packets gw2 ip nat prerouting)" 1
wait_for 5 has "$L2" 1 event=outer-nat
log_show "$L2" event=outer-nat
has "$L2" 1 event=outer-nat || {	# what the daemon and the kernel saw, for the log
	nsx gw2 conntrack -L 2>&1 | sed 's/^/    ct: /'
	nsx gw2 nft list chain ip ipsecguard outer_in | sed 's/^/    /'
	daemon_usr1 gw2 || log "no stats event from gw2's daemon within 10 s"
	log_show "$L2" event=stats | grep -o '"outer":{[^}]*}'
}
expect_eq "gw2: outer-nat port-map 4500 outside -> 4009 inside, the tunnel's SA named" \
	"$(log_count "$L2" event=outer-nat what=port-map proto=udp orig.src=$LAB_GW1_WAN \
		orig.dport=4500 nat.dst=$LAB_GW2_WAN nat.dport=4009 sa.reqid=1)" 1

# the endpoint on the inside port: its socket on 4009, its SA sending from 4009
encap enc3 gw2 $LAB_GW2_WAN 4009
ip -n gw2 xfrm state delete src $LAB_GW2_WAN dst $LAB_GW1_WAN proto esp spi $LAB_SPI_21
natt_sa gw2 $LAB_GW2_WAN $LAB_GW1_WAN $LAB_SPI_21 $LAB_KEY_GCM_21 4009 4500
nsx gw2 conntrack -F >/dev/null 2>&1
in0=$(sa_packets gw2 $LAB_SPI_12)
expect_eq "with the endpoint on 4009 the mapped tunnel carries pings" "$(pings host $LAB_HOST2 3)" 3
expect_ge "gw2's in SA decapsulated them" "$(( $(sa_packets gw2 $LAB_SPI_12) - in0 ))" 3
daemon_stop gw2
expect_ge "gw2's stats: the translated flow seen" "$(log_last "$L2" outer.nat_flows event=stats)" 1
