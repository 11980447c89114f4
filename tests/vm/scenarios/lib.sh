# Shared by the lab's scenarios (sourced; runs inside the VM, busybox sh).
#
# The lab is a NAT-before-IPsec network, one namespace per box:
#
#   host 10.0.2.33 --lan-- gw1 10.0.2.1 | 172.16.0.1 ==wan== 172.16.0.2 gw2 | 192.168.1.1 --lan-- host2 192.168.1.10
#
# The WAN is a bridge (br0) in its own namespace "wan" with one port per gateway
# (p1 faces gw1, p2 faces gw2): captures there see the wire, not the gateways'
# own view (on a gateway's receiving interface, AF_PACKET also shows the decrypted
# inner packet), and nft bridge rules there act as the path (one-way drops).
# gw1 protects 10.0.2.0/24 <-> 192.168.0.0/16 with a static ESP tunnel to gw2
# (ip xfrm state/policy, AES-GCM by default); the interfaces are called "lan" and
# "wan" inside each gateway, "eth0" inside each host.
#
# Helpers: lab_up, lab_tunnel, nsx, capture_start/capture_stop/capture_count,
# sa_packets, xfrm_stat, pings; the assertions (ok/fail/check/expect_eq/expect_ge)
# are tests/check.sh, copied into the image as /scenarios/check.sh.
# Every scenario runs in /tmp/scenario (emptied between scenarios) with a fresh
# set of namespaces; exit 0 = pass, 77 = skipped, anything else = fail.

set -u

# busybox sh runs its own applets before anything in PATH: these names must reach
# the real programs.
ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }
ping() { /usr/bin/ping "$@"; }

LAB_DIR=/tmp/scenario
mkdir -p "$LAB_DIR"
LAB_BG_PIDS=""
LAB_T0=$(cut -d' ' -f1 /proc/uptime)

log() {
	printf '[%6s] %s\n' \
		"$(awk -v a="$LAB_T0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')" "$*"
}
. /scenarios/check.sh
note() { log "$*"; }

# nsx NS COMMAND...: runs COMMAND (a program, looked up in PATH) in namespace NS.
# (nsx is a function: "VAR=value nsx ..." does not export VAR; use nsx NS env VAR=...)
nsx() {
	_ns=$1
	shift
	/usr/sbin/ip netns exec "$_ns" "$@"
}

lab_cleanup() {
	for _p in $LAB_BG_PIDS; do
		kill "$_p" 2>/dev/null
	done
	LAB_BG_PIDS=""
}
trap lab_cleanup EXIT

# bg_start NAME NS PROGRAM [ARGS...]: starts PROGRAM in namespace NS in the
# background (ip netns exec execs it: the pid is the program's), output in
# $LAB_DIR/NAME.out, pid in $LAB_DIR/NAME.pid and remembered for cleanup.
bg_start() {
	_n=$1
	shift
	/usr/sbin/ip netns exec "$@" >"$LAB_DIR/$_n.out" 2>&1 &
	echo $! >"$LAB_DIR/$_n.pid"
	LAB_BG_PIDS="$LAB_BG_PIDS $!"
}
# bg_stop NAME: SIGINT, then SIGKILL after 4 s.
bg_stop() {
	[ -f "$LAB_DIR/$1.pid" ] || return 0
	_p=$(cat "$LAB_DIR/$1.pid")
	kill -INT "$_p" 2>/dev/null
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		kill -0 "$_p" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	rm -f "$LAB_DIR/$1.pid"
	return 0
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s.
wait_for() {
	_n=$(($1 * 5))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}

# --- topology ----------------------------------------------------------------------
LAB_HOST=10.0.2.33 LAB_GW1_LAN=10.0.2.1 LAB_GW1_WAN=172.16.0.1
LAB_GW2_WAN=172.16.0.2 LAB_GW2_LAN=192.168.1.1 LAB_HOST2=192.168.1.10
LAB_LEFT_NET=10.0.2.0/24 LAB_RIGHT_NET=192.168.0.0/16

_veth() { # ns1 if1 ns2 if2
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# lab_up [WAN_MTU]: the four namespaces, addresses, routes, forwarding on the gateways.
lab_up() {
	for _ns in host gw1 wan gw2 host2; do
		ip netns add "$_ns" || fail "ip netns add $_ns"
		ip -n "$_ns" link set lo up
	done
	ip -n wan link add br0 type bridge || fail "bridge in ns wan"
	_veth host eth0 gw1 lan || fail "veth host-gw1"
	_veth gw1 wan wan p1 || fail "veth gw1-wan"
	_veth gw2 wan wan p2 || fail "veth gw2-wan"
	_veth gw2 lan host2 eth0 || fail "veth gw2-host2"
	if [ -n "${1:-}" ]; then
		for _i in gw1/wan gw2/wan wan/p1 wan/p2; do
			ip -n "${_i%/*}" link set "${_i#*/}" mtu "$1"
		done
	fi
	ip -n wan link set p1 master br0
	ip -n wan link set p2 master br0
	ip -n wan link set br0 up
	ip -n host addr add $LAB_HOST/24 dev eth0
	ip -n host route add default via $LAB_GW1_LAN
	ip -n gw1 addr add $LAB_GW1_LAN/24 dev lan
	ip -n gw1 addr add $LAB_GW1_WAN/24 dev wan
	ip -n gw1 route add $LAB_RIGHT_NET via $LAB_GW2_WAN
	ip -n gw2 addr add $LAB_GW2_WAN/24 dev wan
	ip -n gw2 addr add $LAB_GW2_LAN/24 dev lan
	ip -n gw2 route add $LAB_LEFT_NET via $LAB_GW1_WAN
	ip -n host2 addr add $LAB_HOST2/24 dev eth0
	ip -n host2 route add default via $LAB_GW2_LAN
	for _ns in gw1 gw2; do
		nsx "$_ns" sysctl -qw net.ipv4.ip_forward=1
		nsx "$_ns" sysctl -qw net.ipv4.conf.all.rp_filter=0
		nsx "$_ns" sysctl -qw net.ipv4.conf.default.rp_filter=0
	done
	log "lab up: host $LAB_HOST - gw1 $LAB_GW1_LAN/$LAB_GW1_WAN - gw2 $LAB_GW2_WAN/$LAB_GW2_LAN - host2 $LAB_HOST2"
}

# Fixed test keys (never real ones).  AEAD keys carry the 4-byte salt at the end.
LAB_KEY_GCM_12=0x0102030405060708090a0b0c0d0e0f1011121314
LAB_KEY_GCM_21=0x2122232425262728292a2b2c2d2e2f3031323334
LAB_KEY_ENC_12=0x4142434445464748494a4b4c4d4e4f50
LAB_KEY_ENC_21=0x5152535455565758595a5b5c5d5e5f60
LAB_KEY_AUTH_12=0x6162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80
LAB_KEY_AUTH_21=0x8182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0
LAB_SPI_12=0x00001001   # gw1 -> gw2
LAB_SPI_21=0x00002001   # gw2 -> gw1

# _sa NS SRC DST SPI DIR(12|21) CIPHER REQID [MORE...]: one tunnel-mode ESP SA (MORE:
# further arguments of ip xfrm state add, "if_id 42", "mark 42").
_sa() {
	eval "_kg=\$LAB_KEY_GCM_$5 _ke=\$LAB_KEY_ENC_$5 _ka=\$LAB_KEY_AUTH_$5"
	_sn=$1 _ss=$2 _sd=$3 _si=$4 _sc=$6 _sr=$7
	shift 7
	case $_sc in
	gcm)
		ip -n "$_sn" xfrm state add src "$_ss" dst "$_sd" proto esp spi "$_si" reqid "$_sr" \
			mode tunnel aead 'rfc4106(gcm(aes))' "$_kg" 128 "$@" ;;
	cbc-sha256)
		ip -n "$_sn" xfrm state add src "$_ss" dst "$_sd" proto esp spi "$_si" reqid "$_sr" \
			mode tunnel enc 'cbc(aes)' "$_ke" auth-trunc 'hmac(sha256)' "$_ka" 128 "$@" ;;
	*) fail "unknown cipher $_sc" ;;
	esac || fail "xfrm state $_ss -> $_sd spi $_si in $_sn ($_sc)"
}

# lab_tunnel [gcm|cbc-sha256] [REQID]: SAs in both directions and out/in/fwd SPs for
# 10.0.2.0/24 <-> 192.168.0.0/16 on both gateways (templates required: level required).
lab_tunnel() {
	_c=${1:-gcm}
	_r=${2:-1}
	for _ns in gw1 gw2; do
		# The same two SAs on both sides (the SAD is keyed by dst/spi/proto).
		_sa $_ns $LAB_GW1_WAN $LAB_GW2_WAN $LAB_SPI_12 12 "$_c" "$_r"
		_sa $_ns $LAB_GW2_WAN $LAB_GW1_WAN $LAB_SPI_21 21 "$_c" "$_r"
	done
	_sp() { # ns dir src dst tsrc tdst
		ip -n "$1" xfrm policy add dir "$2" src "$3" dst "$4" \
			tmpl src "$5" dst "$6" proto esp reqid "$_r" mode tunnel ||
			fail "xfrm policy $2 $3 -> $4 in $1"
	}
	_sp gw1 out $LAB_LEFT_NET $LAB_RIGHT_NET $LAB_GW1_WAN $LAB_GW2_WAN
	_sp gw1 fwd $LAB_RIGHT_NET $LAB_LEFT_NET $LAB_GW2_WAN $LAB_GW1_WAN
	_sp gw1 in $LAB_RIGHT_NET $LAB_LEFT_NET $LAB_GW2_WAN $LAB_GW1_WAN
	_sp gw2 out $LAB_RIGHT_NET $LAB_LEFT_NET $LAB_GW2_WAN $LAB_GW1_WAN
	_sp gw2 fwd $LAB_LEFT_NET $LAB_RIGHT_NET $LAB_GW1_WAN $LAB_GW2_WAN
	_sp gw2 in $LAB_LEFT_NET $LAB_RIGHT_NET $LAB_GW1_WAN $LAB_GW2_WAN
	log "tunnel up: $_c, reqid $_r, spi $LAB_SPI_12 (gw1->gw2) / $LAB_SPI_21 (gw2->gw1)"
}

# lab_routed xfrm|vti [ID]: the tunnel of lab_tunnel, route-based on gw1: an xfrm
# interface ipsec0 (if_id ID) or a VTI vti0 (key ID) over its WAN, SAs and SPs
# 0.0.0.0/0 <-> 0.0.0.0/0 bound to it (if_id ID / mark ID), 192.168.0.0/16 routed
# into it and a default route to gw2 for the rest; gw2 stays policy-based.  The
# interface's name is in LAB_TUN.
lab_routed() {
	_k=$1 _id=${2:-42}
	case $_k in
	xfrm)
		LAB_TUN=ipsec0 _bind="if_id $_id"
		ip -n gw1 link add ipsec0 type xfrm dev wan if_id "$_id" || fail "xfrm interface" ;;
	vti)
		LAB_TUN=vti0 _bind="mark $_id"
		ip -n gw1 link add vti0 type vti local $LAB_GW1_WAN remote $LAB_GW2_WAN \
			key "$_id" || fail "vti"
		# the VTI checked the policy with its key; the later check has no mark
		nsx gw1 sysctl -qw net.ipv4.conf.vti0.disable_policy=1 ;;
	*) fail "lab_routed: $_k" ;;
	esac
	ip -n gw1 link set $LAB_TUN up
	# shellcheck disable=SC2086
	_sa gw1 $LAB_GW1_WAN $LAB_GW2_WAN $LAB_SPI_12 12 gcm 1 $_bind
	# shellcheck disable=SC2086
	_sa gw1 $LAB_GW2_WAN $LAB_GW1_WAN $LAB_SPI_21 21 gcm 1 $_bind
	for _d in out in fwd; do
		if [ $_d = out ]; then _t="src $LAB_GW1_WAN dst $LAB_GW2_WAN"
		else _t="src $LAB_GW2_WAN dst $LAB_GW1_WAN"; fi
		# shellcheck disable=SC2086
		ip -n gw1 xfrm policy add dir $_d src 0.0.0.0/0 dst 0.0.0.0/0 $_bind \
			tmpl $_t proto esp reqid 1 mode tunnel || fail "gw1 $_d SP ($_bind)"
	done
	_sa gw2 $LAB_GW1_WAN $LAB_GW2_WAN $LAB_SPI_12 12 gcm 1
	_sa gw2 $LAB_GW2_WAN $LAB_GW1_WAN $LAB_SPI_21 21 gcm 1
	for _d in out in fwd; do
		if [ $_d = out ]; then _s=$LAB_RIGHT_NET _t=$LAB_LEFT_NET _tt="src $LAB_GW2_WAN dst $LAB_GW1_WAN"
		else _s=$LAB_LEFT_NET _t=$LAB_RIGHT_NET _tt="src $LAB_GW1_WAN dst $LAB_GW2_WAN"; fi
		# shellcheck disable=SC2086
		ip -n gw2 xfrm policy add dir $_d src $_s dst $_t tmpl $_tt proto esp reqid 1 \
			mode tunnel || fail "gw2 $_d SP"
	done
	routed_into $LAB_TUN
	log "route-based tunnel: $LAB_TUN ($_bind) on gw1, $LAB_RIGHT_NET routed into it"
}

# routed_healthy NAME: through the route-based tunnel (LAB_TUN) pings reach host2 in
# ESP, pings to gw2's WAN address go through gw1's MASQUERADE, and nothing is queued.
routed_healthy() {
	_e0=$(sa_packets_out) _q0=$(queued gw1)
	expect_eq "$1: pings through $LAB_TUN" "$(pings host $LAB_HOST2 3)" 3
	expect_ge "$1: ... in ESP" "$(($(sa_packets_out) - _e0))" 3
	expect_eq "$1: pings to the internet through the MASQUERADE" \
		"$(pings host $LAB_GW2_WAN 3)" 3
	expect_eq "$1: packets queued to the daemon" "$(($(queued gw1) - _q0))" 0
}
# sa_packets_out: packets gw1's outbound SAs (to gw2) have carried.
sa_packets_out() {
	ip -n gw1 -s xfrm state list src $LAB_GW1_WAN dst $LAB_GW2_WAN 2>/dev/null |
		sed -n 's/.*[ ,]\([0-9][0-9]*\)(packets).*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}
# routed_into TUN: gw1's route to the far network goes into TUN (LAB_TUN), the rest
# by a default route to gw2.
routed_into() {
	LAB_TUN=$1
	ip -n gw1 route del $LAB_RIGHT_NET via $LAB_GW2_WAN
	ip -n gw1 route add $LAB_RIGHT_NET dev $LAB_TUN || fail "route into $LAB_TUN"
	ip -n gw1 route add default via $LAB_GW2_WAN || fail "default route"
}

# --- traffic -------------------------------------------------------------------------
# stream_start: a new UDP flow (a new socket: a new source port) from host to host2
# port 7000 every 50 ms until stream_stop; stream_sent: how many so far.
stream_start() {
	rm -f "$LAB_DIR/stream.stop" "$LAB_DIR/stream.n"
	(
		n=0
		while [ ! -e "$LAB_DIR/stream.stop" ]; do
			echo "flow $n" | nsx host socat -u - UDP4-SENDTO:$LAB_HOST2:7000 2>/dev/null
			n=$((n + 1))
			echo $n >"$LAB_DIR/stream.n"
			sleep 0.05	# the stream's pace, not a wait for anything
		done
	) &
	STREAM_PID=$!
}
stream_stop() {
	: >"$LAB_DIR/stream.stop"
	wait "$STREAM_PID" 2>/dev/null
}
stream_sent() { cat "$LAB_DIR/stream.n" 2>/dev/null || echo 0; }
stream_past() { [ "$(stream_sent)" -ge "$1" ]; }
# stream_more N: waits (30 s at most) until N more flows than now have been sent.
stream_more() {
	_s0=$(stream_sent)
	wait_for 30 stream_past $((_s0 + $1))
}
# queued NS: packets ever given to a queue in NS (every queue's id sequence).
queued() {
	nsx "$1" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '{ n += $8 } END { print n + 0 }'
}
# pings NS DST COUNT: prints the number of replies received.
pings() {
	nsx "$1" ping -n -q -c "$3" -i 0.2 -W 2 "$2" 2>&1 |
		sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' | head -n 1
}

# --- observation ---------------------------------------------------------------------
# wire_start NAME [p1|p2]: capture on the WAN wire next to gw1 (p1, default) or gw2.
wire_start() {
	capture_start "$1" wan "${2:-p1}"
}
wire_stop() {
	capture_stop "$1"
}

# capture_start NAME NS IFACE [FILTER...]: tcpdump on IFACE in NS into $LAB_DIR/NAME.pcap
# (only what the pcap filter keeps, when one is given), returns once tcpdump listens.
capture_start() {
	_cn=$1 _cns=$2 _ci=$3
	shift 3
	bg_start "cap-$_cn" "$_cns" tcpdump -Z root --immediate-mode -U -n -i "$_ci" \
		-w "$LAB_DIR/$_cn.pcap" "$@"
	set -- "$_cn" "$_cns" "$_ci"
	wait_for 10 grep -q 'listening on' "$LAB_DIR/cap-$1.out" ||
		fail "tcpdump on $2/$3 did not start: $(cat "$LAB_DIR/cap-$1.out")"
}
# capture_stop NAME: stops tcpdump once it has written out every packet its filter
# took.  Asked for its counters (SIGUSR1: "N packets captured, M packets received by
# filter, D packets dropped by kernel" on its stderr), any answer given since this call
# began counts every packet that passed before it: once N + D reach M, they are in the
# file (-U writes each packet out as it comes).
capture_stop() {
	_tdp=$(cat "$LAB_DIR/cap-$1.pid" 2>/dev/null)
	_tdo=$LAB_DIR/cap-$1.out
	_tdn=$(grep -c 'captured, ' "$_tdo" 2>/dev/null)
	if [ -n "$_tdp" ] && ! poll 10 _capture_drained; then
		log "capture $1: tcpdump did not report every packet written within 10 s:" \
			"$(grep 'captured, ' "$_tdo" | tail -n 1)"
	fi
	bg_stop "cap-$1"
}
_capture_drained() {
	[ "$(grep -c 'captured, ' "$_tdo")" -gt "${_tdn:-0}" ] &&
		grep 'captured, ' "$_tdo" | tail -n 1 | awk '{
			for (i = 3; i <= NF; i++) {
				if ($i ~ /^captured/) c = $(i - 2)
				if ($i == "received") r = $(i - 2)
				if ($i == "dropped" && $(i + 2) ~ /^kernel/) d = $(i - 2)
			}
		} END { exit !(c + d >= r) }' && return 0
	kill -USR1 "$_tdp" 2>/dev/null || return 0	# gone: nothing more will be written
	return 1
}
# capture_count NAME FILTER...: packets in the capture that match a pcap filter.
capture_count() {
	_n=$1
	shift
	tcpdump -Z root -n -r "$LAB_DIR/$_n.pcap" "$@" 2>/dev/null | wc -l | tr -d ' '
}
# capture_show NAME [FILTER...]: the first packets, for the log.
capture_show() {
	_n=$1
	shift
	tcpdump -Z root -n -r "$LAB_DIR/$_n.pcap" "$@" 2>/dev/null | head -n 6 | sed "s/^/    $_n: /"
}

# syn_mss NAME: the MSS options of the SYNs (or SYN/ACKs) in a capture, one a line.
syn_mss() {
	tcpdump -Z root -n -r "$LAB_DIR/$1.pcap" 2>/dev/null |
		sed -n 's/.*options \[mss \([0-9]*\).*/\1/p'
}
# wait_listen NS PORT: a TCP socket listening on PORT in NS (/proc/net/tcp, state 0A).
_listening() {
	nsx "$1" cat /proc/net/tcp | awk -v p="$(printf ':%04X' "$2")" \
		'$2 ~ p"$" && $4 == "0A" { f = 1 } END { exit !f }'
}
wait_listen() {
	wait_for 10 _listening "$1" "$2" || fail "nothing listens on $1:$2"
}
# syn_to NAME NS ADDR PORT: one TCP connection from host to ADDR:PORT (a listener in
# NS), the SYNs arriving in NS captured into NAME; prints their MSS options.
syn_to() {
	capture_start "$1" "$2" any "tcp dst port $4 and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0"
	bg_start "$1-srv" "$2" socat -u TCP-LISTEN:$4,reuseaddr /dev/null
	wait_listen "$2" "$4"
	nsx host timeout -s KILL 10 socat -u /dev/null TCP:$3:$4 >/dev/null 2>&1
	capture_stop "$1"
	bg_stop "$1-srv"
	syn_mss "$1" | sort -u | tr '\n' ' '
}

# sa_packets NS SPI: packets the SA with this SPI has processed (lifetime current).
sa_packets() {
	ip -n "$1" -s xfrm state list spi "$2" 2>/dev/null |
		sed -n 's/.*[ ,]\([0-9][0-9]*\)(packets).*/\1/p' | head -n 1
}

# xfrm_stat NS NAME: one counter of /proc/net/xfrm_stat in NS.
xfrm_stat() {
	nsx "$1" cat /proc/net/xfrm_stat | awk -v n="$2" '$1 == n { print $2 }'
}

# nft_rule_packets NS TABLE_FAMILY TABLE CHAIN: packets counted by the chain's first
# rule carrying a counter.
nft_rule_packets() {
	nsx "$1" nft list chain "$2" "$3" "$4" |
		sed -n 's/.*counter packets \([0-9][0-9]*\) bytes.*/\1/p' | head -n 1
}

# --- IKEv2 (strongSwan) --------------------------------------------------------------
# lab_ike [ESP_PROPOSAL]: instead of lab_tunnel, a charon per gateway (each in its own
# mount namespace: charon's pid file lives in /run) negotiates the same tunnel with
# a PSK; gw1 initiates.  Control sockets: $LAB_DIR/<gw>.vici; logs: <gw>.charon.log.
# Returns non-zero (after logging why) when the tunnel does not come up.
lab_have_ike() {
	[ -x /usr/lib/ipsec/charon ] && [ -x /usr/sbin/swanctl ]
}
swanctl_in() { # GW --COMMAND [ARGS...]  (swanctl wants the command first)
	_g=$1
	_cmd=$2
	shift 2
	nsx "$_g" env STRONGSWAN_CONF="$LAB_DIR/$_g.strongswan.conf" \
		swanctl "$_cmd" --uri "unix://$LAB_DIR/$_g.vici" "$@"
}
# With LAB_IKE_IFID set, gw1's CHILD_SA and its SPs carry that if_id (if_id_in,
# if_id_out): route-based on gw1, for an xfrm interface of that if_id.
lab_ike() {
	_esp=${1:-aes128gcm16}
	for _g in gw1 gw2; do
		_ifid=""
		if [ $_g = gw1 ]; then
			_l=$LAB_GW1_WAN _r=$LAB_GW2_WAN _lts=$LAB_LEFT_NET _rts=$LAB_RIGHT_NET _peer=gw2
			[ -n "${LAB_IKE_IFID:-}" ] &&
				_ifid="if_id_in = $LAB_IKE_IFID
				if_id_out = $LAB_IKE_IFID"
		else
			_l=$LAB_GW2_WAN _r=$LAB_GW1_WAN _lts=$LAB_RIGHT_NET _rts=$LAB_LEFT_NET _peer=gw1
		fi
		cat >"$LAB_DIR/$_g.strongswan.conf" <<CONF
charon {
	load_modular = no
	load = random nonce aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey kernel-netlink socket-default vici
	install_routes = no
	retransmit_tries = 3
	retransmit_timeout = 2
	filelog {
		lab {
			path = $LAB_DIR/$_g.charon.log
			default = 1
			ike = 2
			knl = 2
			time_format = %T
			flush_line = yes
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
	plugins {
		vici {
			socket = unix://$LAB_DIR/$_g.vici
		}
	}
}
swanctl {
	socket = unix://$LAB_DIR/$_g.vici
}
CONF
		cat >"$LAB_DIR/$_g.swanctl.conf" <<CONF
connections {
	lab {
		version = 2
		local_addrs = $_l
		remote_addrs = $_r
		proposals = aes128-sha256-modp2048
		local {
			auth = psk
			id = $_g
		}
		remote {
			auth = psk
			id = $_peer
		}
		children {
			lab {
				local_ts = $_lts
				remote_ts = $_rts
				mode = tunnel
				esp_proposals = $_esp
				$_ifid
			}
		}
	}
}
secrets {
	ike-lab {
		id-1 = gw1
		id-2 = gw2
		secret = "ipsecguard-lab-test-psk"
	}
}
CONF
		ike_charon_start $_g
	done
	for _g in gw1 gw2; do
		ike_charon_load $_g || return 1
	done
	if ! swanctl_in gw1 --initiate --child lab --timeout 30 >"$LAB_DIR/initiate.out" 2>&1; then
		log "IKE initiation failed:"
		tail -n 20 "$LAB_DIR/initiate.out" | sed 's/^/    /'
		tail -n 20 "$LAB_DIR/gw2.charon.log" | sed 's/^/    gw2: /'
		return 1
	fi
	log "IKEv2 up (aes128-sha256-modp2048, ESP $_esp)"
}

# ike_charon_start GW: charon in GW, with the configuration lab_ike wrote (a private
# /run for charon.pid: one charon per gateway).
ike_charon_start() {
	bg_start "charon-$1" "$1" env STRONGSWAN_CONF="$LAB_DIR/$1.strongswan.conf" \
		unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon'
}
# ike_charon_load GW: waits for GW's charon to answer, then loads its connections.
ike_charon_load() {
	wait_for 20 swanctl_in $1 --stats >/dev/null 2>&1 || {
		log "charon in $1 did not answer on its vici socket:"
		swanctl_in $1 --stats 2>&1 | tail -n 3 | sed 's/^/    swanctl: /'
		sed 's/^/    /' "$LAB_DIR/charon-$1.out" "$LAB_DIR/$1.charon.log" 2>/dev/null | tail -n 20
		return 1
	}
	swanctl_in $1 --load-all --file "$LAB_DIR/$1.swanctl.conf" >"$LAB_DIR/$1.load.out" 2>&1 || {
		log "swanctl --load-all in $1 failed:"
		sed 's/^/    /' "$LAB_DIR/$1.load.out"
		return 1
	}
}
# ike_restart: gw1's charon stops (SIGINT: it takes its SAs and SPs out of the
# kernel, as an IKE daemon's restart does), starts again and initiates the tunnel.
ike_stop_gw1() {
	bg_stop charon-gw1
}
ike_start_gw1() {
	ike_charon_start gw1
	ike_charon_load gw1 || return 1
	swanctl_in gw1 --initiate --child lab --timeout 30 >"$LAB_DIR/initiate.out" 2>&1 || {
		log "IKE initiation failed:"
		tail -n 20 "$LAB_DIR/initiate.out" | sed 's/^/    /'
		return 1
	}
}

# --- rebuilding the lab within a scenario ----------------------------------------------
# lab_down: stops everything bg_start started and deletes the lab's namespaces (with
# their SAs, SPs, rules and conntrack), so that lab_up can build it anew (e.g. with
# another WAN MTU, and without route exceptions learnt before).
lab_down() {
	for _f in "$LAB_DIR"/*.pid; do
		[ -f "$_f" ] || continue
		_b=${_f##*/}
		bg_stop "${_b%.pid}"
	done
	lab_cleanup
	for _ns in host gw1 wan gw2 host2; do
		ip netns del "$_ns" 2>/dev/null
	done
	return 0
}

# --- the daemon ------------------------------------------------------------------------
lab_have_daemon() {
	command -v ipsecguardd >/dev/null 2>&1
}
# daemon_start NAME NS [OPTIONS...]: ipsecguardd in NS, logging JSON lines into
# $LAB_DIR/NAME.json (its stdout/stderr in NAME.out); returns once its table is in
# place.  --xfrm-stat-interval 1 unless OPTIONS give one.
daemon_start() {
	_dn=$1 _dns=$2
	shift 2
	case " $* " in *" --xfrm-stat-interval "*) ;; *) set -- --xfrm-stat-interval 1 "$@" ;; esac
	# what it remembers and its control socket: this daemon's own
	bg_start "$_dn" "$_dns" ipsecguardd --log "$LAB_DIR/$_dn.json" \
		--state-dir "$LAB_DIR/state-$_dn" --control "$LAB_DIR/$_dn.sock" "$@"
	wait_for 20 _daemon_ready "$_dn" "$_dns" || {
		sed 's/^/    /' "$LAB_DIR/$_dn.out"
		fail "ipsecguardd ($_dn) did not install its table in $_dns"
	}
	log "ipsecguardd ($_dn) runs in $_dns: $*"
}
# ready: its start line is out (an enforce daemon's tables outlive it, so their
# presence says nothing about the new one)
_daemon_ready() {
	grep -q 'ipsecguardd: mode' "$LAB_DIR/$1.out" 2>/dev/null &&
		nsx "$2" nft list table ip ipsecguard >/dev/null 2>&1
}
# daemon_stop NAME: SIGINT (the daemon writes its stats event and removes its table,
# but in enforce mode).
daemon_stop() {
	bg_stop "$1"
	grep -q '"event":"stats"' "$LAB_DIR/$1.json" 2>/dev/null || {
		sed 's/^/    /' "$LAB_DIR/$1.out"
		fail "ipsecguardd ($1) wrote no stats event on SIGINT"
	}
}
# daemon_log NAME: path of its JSON log.
daemon_log() {
	echo "$LAB_DIR/$1.json"
}
# daemon_usr1 NAME: SIGUSR1 to the daemon, and its answer: one more stats event in its
# log (which writes out what was logged before it too); 1 when none comes within 10 s.
daemon_usr1() {
	_uf=$(daemon_log "$1")
	_un=$(grep -c '"event":"stats"' "$_uf" 2>/dev/null)
	kill -USR1 "$(cat "$LAB_DIR/$1.pid")" 2>/dev/null || return 1
	wait_for 10 _stats_past "$_uf" "${_un:-0}"
}
_stats_past() { [ "$(grep -c '"event":"stats"' "$1" 2>/dev/null)" -gt "$2" ]; }

# --- JSON log lines (busybox awk; no jq in the image) ------------------------------------
# A KEY is a member name, or a dotted path into nested objects (sp.reqid,
# reasons.tmpl-mismatch.accept; through an array: its first object, queues.mangled);
# a string value is compared without its quotes.
_JSON_AWK='
function skipstr(s, i, n,   c) {	# i at the opening quote; returns the closing quote position
	for (i++; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\\") i++
		else if (c == "\"") return i
	}
	return n
}
function body(s,   i, n, d, c) {	# s starts with "{": the inside of that object
	n = length(s); d = 0
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\"") { i = skipstr(s, i, n); continue }
		if (c == "{" || c == "[") d++
		else if (c == "}" || c == "]") { d--; if (d == 0) return substr(s, 2, i - 2) }
	}
	return substr(s, 2)
}
function findkey(s, k,   i, n, d, c, pat, pl) {	# value position of "k": at depth 0
	pat = "\"" k "\":"; pl = length(pat); n = length(s); d = 0
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\"") {
			if (d == 0 && substr(s, i, pl) == pat) return i + pl
			i = skipstr(s, i, n); continue
		}
		if (c == "{" || c == "[") d++
		else if (c == "}" || c == "]") d--
	}
	return 0
}
function jv(line, key,   s, i, k, p, r, m) {
	s = body(line)
	while ((i = index(key, ".")) > 0) {
		k = substr(key, 1, i - 1); key = substr(key, i + 1)
		p = findkey(s, k)
		if (p && substr(s, p, 2) == "[{") p++	# an array: its first object
		if (!p || substr(s, p, 1) != "{") return ""
		s = body(substr(s, p))
	}
	p = findkey(s, key)
	if (!p) return ""
	r = substr(s, p)
	if (substr(r, 1, 1) == "\"") { r = substr(r, 2); m = index(r, "\""); return substr(r, 1, m - 1) }
	match(r, /^[^],}]*/)
	return substr(r, 1, RLENGTH)
}
function matches(line, conds,   n, cs, j, e) {
	n = split(conds, cs, " ")
	for (j = 1; j <= n; j++) {
		e = index(cs[j], "=")
		if (jv(line, substr(cs[j], 1, e - 1)) != substr(cs[j], e + 1)) return 0
	}
	return 1
}'
# log_count FILE KEY=VALUE...: lines that have every KEY with that VALUE.
log_count() {
	_f=$1
	shift
	awk -v conds="$*" "$_JSON_AWK"'
		/^\{/ && matches($0, conds) { hits++ }
		END { print hits + 0 }' "$_f" 2>/dev/null || echo 0
}
# log_values FILE KEY [KEY=VALUE...]: KEY of every line that matches (one a line;
# lines without KEY print nothing).
log_values() {
	_f=$1 _k=$2
	shift 2
	awk -v conds="$*" -v key="$_k" "$_JSON_AWK"'
		/^\{/ && matches($0, conds) { v = jv($0, key); if (v != "") print v }' "$_f" 2>/dev/null
}
# log_last FILE KEY [KEY=VALUE...]: KEY of the last matching line, 0 when absent
# (the stats event leaves out reasons that counted nothing).
log_last() {
	_v=$(log_values "$@" | tail -n 1)
	echo "${_v:-0}"
}
# log_show FILE [KEY=VALUE...]: the first matching lines, for the log.
log_show() {
	_f=$1
	shift
	awk -v conds="$*" "$_JSON_AWK"'
		/^\{/ && matches($0, conds) && n++ < 4 { print "    " $0 }' "$_f" 2>/dev/null
}
