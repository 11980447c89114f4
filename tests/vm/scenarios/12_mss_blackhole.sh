#!/bin/sh
# MSS with real ESP overhead: AES-GCM and AES-CBC/HMAC-SHA256
# tunnels over 1500 and 1400 byte WAN paths, with the gateways' ICMP "fragmentation
# needed" dropped (a PMTUD blackhole: the hosts never learn the tunnel's MTU).
#   - without clamping a 3 MB upload stalls (first configuration only);
#   - ipsecguardd --mss auto on gw1 clamps the host's SYN and host2's SYN/ACK to the
#     tunnel's MSS by the kernel's ESP arithmetic (IPv4 tunnel, no NAT-T):
#       inner = ((M - (8 + IV + 20) - ICV) & ~(B - 1)) - 2,  MSS = inner - 40
#       GCM (8/16/4):  M 1500 -> 1406, M 1400 -> 1306
#       CBC+SHA256 (16/16/16): M 1500 -> 1398, M 1400 -> 1286
#     the hosts receive exactly that MSS, 3 MB each way arrive byte-exact and no packet
#     hits the blackhole;
#   - the kernel agrees: a DF ping of exactly `inner` bytes passes the tunnel, one byte
#     more gets "frag needed" with mtu = inner.
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
command -v socat >/dev/null 2>&1 || skip "socat not in the image"

SIZE=3000000
DATA=$LAB_DIR/data
head -c $SIZE /dev/urandom >"$DATA"
SUM=$(md5sum <"$DATA" | cut -d' ' -f1)

# xfer NAME DIR PORT TIMEOUT: SIZE bytes host -> host2 (up) or host2 -> host (down) with
# socat; prints the md5 of what arrived ("short N" when incomplete).
xfer() {
	_xn=$1 _xd=$2 _xp=$3 _xt=$4
	rm -f "$LAB_DIR/$_xn.rx"
	if [ "$_xd" = up ]; then
		bg_start "$_xn-srv" host2 socat -u TCP-LISTEN:$_xp,reuseaddr CREATE:"$LAB_DIR/$_xn.rx"
		wait_listen host2 $_xp
		nsx host timeout -s KILL "$_xt" socat -u OPEN:"$DATA" TCP:$LAB_HOST2:$_xp
	else
		bg_start "$_xn-srv" host2 socat -u OPEN:"$DATA" TCP-LISTEN:$_xp,reuseaddr
		wait_listen host2 $_xp
		nsx host timeout -s KILL "$_xt" socat -u TCP:$LAB_HOST2:$_xp CREATE:"$LAB_DIR/$_xn.rx"
	fi
	_xrc=$?
	_srvpid=$(cat "$LAB_DIR/$_xn-srv.pid")
	# a completed transfer: the server writes its last bytes and exits
	[ $_xrc = 0 ] && wait_for 5 sh -c "! kill -0 $_srvpid 2>/dev/null"
	bg_stop "$_xn-srv"
	_got=$(wc -c <"$LAB_DIR/$_xn.rx" 2>/dev/null || echo 0)
	if [ "$_got" -eq $SIZE ]; then
		md5sum <"$LAB_DIR/$_xn.rx" | cut -d' ' -f1
	else
		echo "short $_got (rc $_xrc)"
	fi
}
blackhole() {
	for _g in gw1 gw2; do
		nsx $_g nft -f - <<'NFT' || fail "blackhole rule in $_g"
table inet blackhole {
	chain out {
		type filter hook output priority 0; policy accept;
		icmp type destination-unreachable icmp code frag-needed counter drop
	}
}
NFT
	done
}
dropped() { nft_rule_packets "$1" inet blackhole out; }

first=1 port=5000
for conf in gcm/1500/1406 cbc-sha256/1500/1398 gcm/1400/1306 cbc-sha256/1400/1286; do
	c=${conf%%/*} m=${conf#*/} m=${m%/*} want=${conf##*/}
	inner=$((want + 40))
	log "=== $c over a $m byte WAN: expected MSS $want (inner MTU $inner)"
	[ $first = 1 ] || lab_down
	lab_up "$m"
	lab_tunnel "$c"
	blackhole
	expect_eq "$c/$m: tunnel pings" "$(pings host $LAB_HOST2 2)" 2

	if [ $first = 1 ]; then
		port=$((port + 1))
		r=$(xfer stall up $port 8)
		log "$c/$m unclamped upload: $r; gw1 dropped $(dropped gw1) frag-needed"
		case $r in
		short*) ok "$c/$m: without clamping the upload stalls in the blackhole ($r)" ;;
		*) fail "$c/$m: the unclamped upload completed: no blackhole" ;;
		esac
		expect_ge "$c/$m: gw1 dropped its frag-needed" "$(dropped gw1)" 1
		lab_down
		lab_up "$m"
		lab_tunnel "$c"
		blackhole
		first=0
	fi

	daemon_start mss gw1 --mss auto
	capture_start syn host2 eth0 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0'
	capture_start synack host eth0 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack != 0'
	up=$((port + 1)) down=$((port + 2)) port=$((port + 2))
	r_up=$(xfer up up $up 60)
	r_down=$(xfer down down $down 60)
	capture_stop syn
	capture_stop synack
	nsx gw1 nft list chain ip ipsecguard mss | grep "flags syn,ack / syn,ack" |
		sed -n "s/.*counter packets \([0-9]*\) .*maxseg size set $want.*/\1/p" |
		head -n 1 >"$LAB_DIR/mss_rule"
	daemon_stop mss
	L=$(daemon_log mss)
	log_show "$L" reason=mss-clamp
	expect_eq "$c/$m: 3 MB upload arrives byte-exact" "$r_up" "$SUM"
	expect_eq "$c/$m: 3 MB download arrives byte-exact" "$r_down" "$SUM"
	expect_eq "$c/$m: no packet hit the blackhole on gw1" "$(dropped gw1)" 0
	expect_eq "$c/$m: no packet hit the blackhole on gw2" "$(dropped gw2)" 0
	# Both are clamped by the rules the daemon keeps in its mss chain for the SP; each
	# clamp reaches the daemon as an nflog copy and gets its line: none waits for it.
	for p in $up $down; do
		expect_eq "$c/$m: connection to port $p: the SYN clamped 1460 -> $want" \
			"$(log_count "$L" reason=mss-clamp hook=forward src=$LAB_HOST dst=$LAB_HOST2 \
				dport=$p mss.from=1460 mss.to=$want sa.spi=0x00001001 nflog=4700)" 1
		expect_eq "$c/$m: connection to port $p: the SYN/ACK clamped 1460 -> $want" \
			"$(log_count "$L" reason=mss-clamp hook=forward src=$LAB_HOST2 dst=$LAB_HOST \
				sport=$p mss.from=1460 mss.to=$want sa.spi=0x00001001 nflog=4700)" 1
	done
	expect_eq "$c/$m: clamps counted (stats)" \
		"$(log_last "$L" reasons.mss-clamp.accept event=stats)" 4
	expect_eq "$c/$m: no packet mangled in the daemon (stats)" \
		"$(log_last "$L" queues.mangled event=stats)" 0
	expect_eq "$c/$m: the mss chain's SYN/ACK rule carried $want and clamped both" \
		"$(cat "$LAB_DIR/mss_rule")" 2
	expect_eq "$c/$m: MSS of the SYNs host2 received" "$(syn_mss syn | sort -u | tr '\n' ' ')" "$want "
	expect_eq "$c/$m: MSS of the SYN/ACKs the host received" \
		"$(syn_mss synack | sort -u | tr '\n' ' ')" "$want "

	# The kernel's own limit: ICMP back on, a DF ping of exactly the inner MTU passes, one
	# byte more is refused with that MTU.
	nsx gw1 nft delete table inet blackhole
	expect_eq "$c/$m: DF ping of $inner bytes passes the tunnel" \
		"$(nsx host ping -n -c 1 -W 2 -M do -s $((inner - 28)) $LAB_HOST2 2>&1 |
			sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p')" 1
	kmtu=$(nsx host ping -n -c 1 -W 2 -M do -s $((inner - 27)) $LAB_HOST2 2>&1 |
		sed -n 's/.*[Ff]rag needed.*mtu = \([0-9]*\).*/\1/p' | head -n 1)
	expect_eq "$c/$m: one byte more: gw1 answers frag needed with the inner MTU" "$kmtu" "$inner"
done
