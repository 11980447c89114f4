#!/bin/sh
# An HA pair as an operator runs one: two gateways, A and B, share a LAN and a WAN
# address (the VIPs, moved by hand as keepalived would move them), source-NAT their LAN
# to the WAN VIP, run ipsecguardd in enforce, and conntrackd (FTFW over a link of their
# own) carries the conntrack entries, with the guard's verdicts in their marks, from
# one to the other; the failover runs what README's "HA pairs" section says.
#
#   client 10.0.2.33 -- LAN bridge -- A (10.0.2.2 | 172.16.0.3) -- WAN bridge -- peer
#                            \         B (10.0.2.3 | 172.16.0.4) --/  172.16.0.2, and
#                             VIPs 10.0.2.1 / 172.16.0.1            192.168.1.10/.30,
#                             A <-> B sync link 198.51.100.1/.2     203.0.113.5
#
# The SP protects 10.0.2.0/24 -> 192.168.0.0/16; the NAT exemption covers 192.168.1.30
# only, so the client's UDP to 192.168.1.10 leaves translated (nat-before-ipsec: the
# leak, dropped and flagged) while its UDP to 192.168.1.30 takes the SP (a tunnel flow:
# no ESP on this kernel, the optional template lets it out in clear, where the ESP would
# be).  A bypass SP lets 192.168.1.20 out in clear.
#
# 1. B is a standby whose IKE daemon installed no SP yet; it holds A's remembered
#    protections from A's file (--remember-from, the operator's sync).  Failover A -> B:
#    the entries come over with A's marks; the leak stays dropped and the tunnel flow
#    is dropped on B as tunnel-down (0 packets of either leave B in clear); a TCP
#    transfer to an unprotected destination survives the move, and B's queue does not
#    see it.
# 2. B's SPs come up (the same as A's): both daemons are now in the same verdict
#    generation.  Failover B -> A: A takes B's verdicts as they are — the leak is
#    dropped by A's kernel by its mark, and a TCP transfer B judged healthy (bypass)
#    survives — without one packet meeting A's queue.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
command -v conntrackd >/dev/null || fail "conntrackd missing (make deps installs conntrackd)"
command -v socat >/dev/null || fail "socat missing (make deps installs socat)"

NS_C=igd-hc-$LAB_ID
NS_A=igd-ha-$LAB_ID
NS_B=igd-hb-$LAB_ID
NS_P=igd-hp-$LAB_ID
ha_cleanup() {
	_rc=$?
	if [ "$_rc" != 0 ] && [ "$_rc" != 77 ]; then
		for g in a b; do
			[ -s "$TMPD/daemon-$g.err" ] && tail -n 8 "$TMPD/daemon-$g.err" | sed "s/^/# daemon $g: /"
			[ -s "$TMPD/verdicts-$g.jsonl" ] && tail -n 6 "$TMPD/verdicts-$g.jsonl" | cut -c1-300 | sed "s/^/# log $g: /"
			[ -s "$TMPD/ctd-$g.log" ] && tail -n 5 "$TMPD/ctd-$g.log" | sed "s/^/# conntrackd $g: /"
		done
	fi
	for p in $LAB_PIDS; do kill "$p" 2>/dev/null; done
	for ns in "$NS_C" "$NS_A" "$NS_B" "$NS_P"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMPD"
}
trap ha_cleanup EXIT
trap 'exit 1' INT TERM HUP
in_c() { ip netns exec "$NS_C" "$@"; }
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }
in_p() { ip netns exec "$NS_P" "$@"; }
ns_of() { case $1 in a) echo "$NS_A" ;; b) echo "$NS_B" ;; esac; }
in_g() { _g=$1; shift; ip netns exec "$(ns_of "$_g")" "$@"; }

info "the lab: a client, two gateways, a peer; bridges in the client and the peer"
for ns in "$NS_C" "$NS_A" "$NS_B" "$NS_P"; do
	ip netns add "$ns" || fail "netns add $ns"
	ip -n "$ns" link set lo up
done
ip -n "$NS_C" link add br0 type bridge
ip -n "$NS_P" link add br0 type bridge
for g in a b; do
	ns=$(ns_of $g)
	ip link add "igdl$g$LAB_ID" netns "$NS_C" type veth peer name lan0 netns "$ns" ||
		fail "veth lan $g"
	ip link add "igdw$g$LAB_ID" netns "$NS_P" type veth peer name wan0 netns "$ns" ||
		fail "veth wan $g"
	ip -n "$NS_C" link set "igdl$g$LAB_ID" master br0 up
	ip -n "$NS_P" link set "igdw$g$LAB_ID" master br0 up
	ip -n "$ns" link set lan0 up
	ip -n "$ns" link set wan0 up
done
ip link add igdsa$LAB_ID netns "$NS_A" type veth peer name sync0 netns "$NS_B" || fail "veth sync"
ip -n "$NS_A" link set igdsa$LAB_ID name sync0
for ns in "$NS_C" "$NS_P"; do ip -n "$ns" link set br0 up; done
ip -n "$NS_A" link set sync0 up
ip -n "$NS_B" link set sync0 up
ip -n "$NS_C" addr add 10.0.2.33/24 dev br0
ip -n "$NS_C" route add default via 10.0.2.1
ip -n "$NS_A" addr add 10.0.2.2/24 dev lan0
ip -n "$NS_A" addr add 172.16.0.3/24 dev wan0
ip -n "$NS_A" addr add 198.51.100.1/30 dev sync0
ip -n "$NS_B" addr add 10.0.2.3/24 dev lan0
ip -n "$NS_B" addr add 172.16.0.4/24 dev wan0
ip -n "$NS_B" addr add 198.51.100.2/30 dev sync0
ip -n "$NS_P" addr add 172.16.0.2/24 dev br0
ip -n "$NS_P" addr add 192.168.1.10/16 dev lo
ip -n "$NS_P" addr add 192.168.1.20/32 dev lo
ip -n "$NS_P" addr add 192.168.1.30/32 dev lo
ip -n "$NS_P" addr add 203.0.113.5/32 dev lo
ip -n "$NS_P" route add 10.0.2.0/24 via 172.16.0.1
for g in a b; do
	in_g $g sysctl -qw net.ipv4.ip_forward=1
	in_g $g ip route add 192.168.0.0/16 via 172.16.0.2
	in_g $g ip route add 203.0.113.5/32 via 172.16.0.2
	# the firewall: the LAN leaves as the WAN VIP, but for the one exempted host
	in_g $g nft -f - <<'NFT' || fail "firewall on $g"
table ip fw {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" ip daddr 192.168.1.30 accept
		oifname "wan0" ip saddr 10.0.2.0/24 snat to 172.16.0.1
	}
}
NFT
done
B_MAC=$(ip -n "$NS_B" -br link show wan0 | awk '{ print $3 }')
# at the peer: the leak (translated, from either gateway) and the tunnel flow leaving
# B in clear
in_p nft -f - <<NFT || fail "peer counters"
table ip seen {
	counter leak { }
	counter tun_via_b { }
	counter tun { }
	chain in {
		type filter hook prerouting priority 0;
		ip saddr 172.16.0.1 udp dport 7001 counter name "leak"
		ether saddr $B_MAC ip saddr 10.0.2.33 udp dport 7002 counter name "tun_via_b"
		ip saddr 10.0.2.33 udp dport 7002 counter name "tun"
	}
}
NFT
seen() { in_p nft list counter ip seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

SP_MAIN="src 10.0.2.0/24 dst 192.168.0.0/16 priority 100"
TMPL="tmpl proto esp mode transport level use reqid 1"
SP_BYPASS="src 10.0.2.0/24 dst 192.168.1.20/32 priority 50"
sps_up() {	# the SPs an IKE daemon installs, in the same order on both
	in_g "$1" ip xfrm policy add dir out $SP_BYPASS action allow || fail "bypass SP on $1"
	in_g "$1" ip xfrm policy add dir out $SP_MAIN $TMPL || fail "SP on $1"
}

vip_up() {
	in_g "$1" ip addr add 10.0.2.1/24 dev lan0
	in_g "$1" ip addr add 172.16.0.1/24 dev wan0
}
vip_down() {
	in_g "$1" ip addr del 10.0.2.1/24 dev lan0
	in_g "$1" ip addr del 172.16.0.1/24 dev wan0
}
vip_up a
i=0
until in_c ping -c1 -W1 203.0.113.5 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 10 ] || fail "lab: the client cannot reach the peer through A"
done

info "conntrackd on both, FTFW over the sync link, each with its own files"
ctd_conf() {	# GW SELF OTHER
	cat >"$TMPD/ctd-$1.conf" <<EOF
Sync {
	Mode FTFW {
		ResendQueueSize 131072
		PurgeTimeout 5
	}
	UDP {
		IPv4_address $2
		IPv4_Destination_Address $3
		Port 3780
		Interface sync0
		SndSocketBuffer 1249280
		RcvSocketBuffer 1249280
		Checksum on
	}
}
General {
	HashSize 8192
	HashLimit 65535
	LogFile $TMPD/ctd-$1.log
	Syslog off
	LockFile $TMPD/ctd-$1.lock
	UNIX {
		Path $TMPD/ctd-$1.sock
	}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	Filter From Userspace {
		Protocol Accept {
			TCP
			UDP
			ICMP
		}
		Address Ignore {
			IPv4_address 127.0.0.1
			IPv4_address 10.0.2.1
			IPv4_address 172.16.0.1
			IPv4_address 10.0.2.2
			IPv4_address 10.0.2.3
			IPv4_address 172.16.0.3
			IPv4_address 172.16.0.4
			IPv4_address 198.51.100.1
			IPv4_address 198.51.100.2
		}
	}
}
EOF
}
ctd_conf a 198.51.100.1 198.51.100.2
ctd_conf b 198.51.100.2 198.51.100.1
ctd() { _g=$1; shift; in_g "$_g" conntrackd -C "$TMPD/ctd-$_g.conf" "$@"; }
for g in a b; do
	bg in_g $g conntrackd -C "$TMPD/ctd-$g.conf" >/dev/null 2>&1
	wait_for 10 "conntrackd on $g answering on its socket" sh -c "[ -S '$TMPD/ctd-$g.sock' ]"
done

info "the daemons: enforce on both; B takes what A remembers from a copy of A's file"
mkdir -p "$TMPD/from-a" "$TMPD/from-b"
gw_daemon() {	# GW OPTIONS...: ipsecguardd in the gateway's namespace
	_g=$1; shift
	: >"$TMPD/verdicts-$_g.jsonl"
	bg in_g $_g "$BUILD/ipsecguardd" --mode enforce --queue 40 \
		--log "$TMPD/verdicts-$_g.jsonl" --state-dir "$TMPD/state-$_g" \
		--control "$TMPD/ctl-$_g.sock" "$@" 2>"$TMPD/daemon-$_g.err"
	eval "PID_$_g=\$LAST_PID"
	wait_for 10 "the daemon on $_g started" grep -q 'ipsecguardd: mode' "$TMPD/daemon-$_g.err"
}
gw_daemon a --remember-from "$TMPD/from-b/ipsecguard.remembered"
gw_daemon b --remember-from "$TMPD/from-a/ipsecguard.remembered"
status() { echo status | in_g "$1" socat - "UNIX-CONNECT:$TMPD/ctl-$1.sock"; }
stat_field() {	# GW DOTTED.PATH: a member of the control socket's status
	status "$1" | python3 -c "
import json,sys
o=json.load(sys.stdin)
for k in sys.argv[1].split('.'): o=o.get(k, '') if isinstance(o, dict) else ''
print(str(o).lower() if isinstance(o, bool) else o)" "$2"
}
# the values of the generation in force: "HEALTHY FLAGGED" (the mark field's byte)
gen_values() {
	_h=$(in_g "$1" nft list chain ip ipsecguard healthy | sed -n 's/.*| 0x00\([0-9a-f][0-9a-f]\)0000.*/\1/p')
	_f=$(in_g "$1" nft list chain ip ipsecguard judged | sed -n 's/.*ct mark & 0x00ff0000 == 0x00\([0-9a-f][0-9a-f]\)0000 counter packets [0-9]* bytes [0-9]* drop.*/\1/p')
	echo "$((0x${_h:-0})) $((0x${_f:-0}))"
}
# the mark field of the conntrack entry of the client's flow to DST PROTO DPORT on GW
ct_field() {
	_m=$(in_g "$1" conntrack -L -p "$3" -s 10.0.2.33 -d "$2" --dport "$4" 2>/dev/null |
		sed -n 's/.*mark=\([0-9]*\).*/\1/p' | head -n1)
	[ -n "$_m" ] && echo $(( (_m >> 16) & 255 ))
}
queue_ids() {	# the id the kernel gives the next packet queued to queue 40 on GW
	in_g "$1" awk '$1 == 40 { print $8 }' /proc/net/netfilter/nfnetlink_queue
}
lines() {	# GW KEY=VALUE...: verdict lines of GW's log matching all
	_g=$1; shift
	python3 "$TOP/tests/netns/checklog.py" "$TMPD/verdicts-$_g.jsonl" count "$@"
}
has_lines() { [ "$(lines "$@")" -ge 1 ]; }
progress() { cat "$TMPD/$1" 2>/dev/null || echo 0; }
held_has() { in_g "$1" nft list set ip ipsecguard held | grep -q "$2"; }

# the operator's sync of the remembered files: A's to B, B's to A
sync_files() {
	for _g in a b; do
		[ -f "$TMPD/state-$_g/ipsecguard.remembered" ] || continue
		cp "$TMPD/state-$_g/ipsecguard.remembered" "$TMPD/from-$_g/ipsecguard.remembered.tmp" &&
			mv "$TMPD/from-$_g/ipsecguard.remembered.tmp" "$TMPD/from-$_g/ipsecguard.remembered"
	done
}
file_has() { grep -q "$2" "$TMPD/state-$1/ipsecguard.remembered" 2>/dev/null; }
# stops a process started with bg and what it started (ip netns exec, the program)
stop_tree() {
	for _c in $(ps -o pid= --ppid "$1" 2>/dev/null); do stop_tree "$_c"; done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
seen_at_least() { [ "$(seen "$1")" -ge "$2" ]; }
ext() { conntrackd -C "$TMPD/ctd-$1.conf" -e ct 2>/dev/null; }
ext_mark() {	# GW DPORT: the mark field of the external cache's entry of the client's flow
	_m=$(ext "$1" | grep "src=10.0.2.33 .*dport=$2 " | sed -n 's/.*mark=\([0-9]*\).*/\1/p' | head -n1)
	[ -n "$_m" ] && echo $(( (_m >> 16) & 255 ))
}
ext_is() { [ "$(ext_mark "$1" "$2")" = "$3" ]; }
lines_past() { [ "$(lines "$1" "$3" "$4" "$5")" -gt "$2" ]; }	# GW N K=V K=V K=V

info "a translated flow under way through A, towards a destination no SP covers yet"
bg in_c python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7001 9000 0.02 "$TMPD/leak" --one-flow
LEAK_PID=$LAST_PID
wait_for 20 "the flow at the peer, translated (legitimately: no SP yet)" seen_at_least leak 5
read -r A_OK0 A_FLAG0 <<EOF
$(gen_values a)
EOF
expect_eq "A's mark on it: healthy" "$(ct_field a 192.168.1.10 udp 7001)" "$A_OK0"

info "A's tunnel comes up: the flow is a leak now (nat-before-ipsec)"
sps_up a
wait_for 20 "A judged the leak (nat-before-ipsec, dropped)" \
	has_lines a reason=nat-before-ipsec verdict=drop dport=7001
LEAK0=$(seen leak)
read -r A_OK A_FLAG <<EOF
$(gen_values a)
EOF
info "A's values: healthy $A_OK0 -> $A_OK, flagged $A_FLAG0 -> $A_FLAG; the flow reached the peer $LEAK0 times before its SP came"
# enforce drops each packet of the leak without marking its connection: the entry
# keeps the healthy value of a generation gone, which no rule takes now, until the
# sweep of that generation clears it
ct_is() { [ "$(ct_field "$1" "$2" "$3" "$4")" = "$5" ]; }
wait_for 10 "A's entry of the leak: the old generation's value cleared" ct_is a 192.168.1.10 udp 7001 0
LEAK_V=0
wait_for 10 "A's remembered file names its SP" file_has a "192.168.0.0/16"
sync_files

info "(d) B, without SP or SA, holds A's protected destinations"
expect_eq "SPs on B" "$(in_b ip xfrm policy list | grep -c '^src')" 0
expect_eq "SAs on B" "$(in_b ip xfrm state list | grep -c '^src')" 0
wait_for 10 "B's held set has A's 192.168.0.0/16 (from A's file)" held_has b "192.168.0.0/16"
expect_eq "B's status: what it took from A's file (present, entries, bad lines)" \
	"$(stat_field b remember_from.present) $(stat_field b remember_from.entries) $(stat_field b remember_from.bad_lines)" \
	"true 1 0"
# a copy gone wrong: a line that does not parse is counted and named, the rest taken
{ cat "$TMPD/from-a/ipsecguard.remembered"; echo "4 not-a-prefix"; } >"$TMPD/from-a/x.tmp"
mv "$TMPD/from-a/x.tmp" "$TMPD/from-a/ipsecguard.remembered"
bad_counted() { [ "$(stat_field b remember_from.bad_lines)" = 1 ]; }
wait_for 10 "B counted the bad line of the copy" bad_counted
check "... named it on standard error" grep -q "remember-from .*: 1 lines that do not parse" "$TMPD/daemon-b.err"
check "... and holds A's destinations still" held_has b "192.168.0.0/16"
info "generations: A $(stat_field a verdict_gen), B $(stat_field b verdict_gen)"
check "B's verdict values are not A's (their SPDs differ)" [ "$(gen_values a)" != "$(gen_values b)" ]

info "phase 1: on A, a tunnel flow and a TCP transfer beside the leak"
bg in_c python3 "$TOP/tests/netns/udpstream.py" 192.168.1.30 7002 9000 0.02 "$TMPD/tun" --one-flow
TUN_PID=$LAST_PID
bg in_p python3 "$TOP/tests/netns/xfer.py" recv 203.0.113.5 5001 >"$TMPD/x1.recv"
X1R=$LAST_PID
wait_for 10 "the peer listening on 5001" sh -c "ip netns exec $NS_P ss -Hltn 'sport = :5001' | grep -q ."
bg in_c python3 "$TOP/tests/netns/xfer.py" send 203.0.113.5 5001 4000000 1000000 "$TMPD/gate1" >"$TMPD/x1.send"
X1S=$LAST_PID
wait_for 20 "the tunnel flow at the peer through A" seen_at_least tun 5
wait_for 20 "the transfer half way" test -f "$TMPD/gate1.reached"
expect_eq "A's mark on the tunnel flow: healthy" "$(ct_field a 192.168.1.30 udp 7002)" "$A_OK"
expect_eq "A's mark on the TCP transfer: healthy" "$(ct_field a 203.0.113.5 tcp 5001)" "$A_OK"
wait_for 20 "B's conntrackd holds A's entry of the tunnel flow, with A's healthy mark" ext_is b 7002 "$A_OK"
wait_for 20 "... and of the TCP transfer" ext_is b 5001 "$A_OK"
EXT_B=$(ext b | grep -c .)
wait_for 20 "... and of the leak, with the value its entry has on A" ext_is b 7001 "$LEAK_V"
info "B's external cache: $EXT_B entries"

# failover: the new active commits what the other sent and takes the addresses; the
# old one shortens its kernel timers and asks for a resync
failover() {	# FROM TO
	ctd "$2" -c || fail "conntrackd -c on $2"
	ctd "$2" -f || fail "conntrackd -f on $2"
	ctd "$2" -R || fail "conntrackd -R on $2"
	ctd "$2" -B || fail "conntrackd -B on $2"
	vip_down "$1"
	vip_up "$2"
	in_c ip neigh flush dev br0
	in_p ip neigh flush dev br0
	ctd "$1" -t || fail "conntrackd -t on $1"
	ctd "$1" -n || fail "conntrackd -n on $1"
}
info "failover A -> B"
nb=$(lines b reason=tunnel-down verdict=drop)
failover a b
read -r B_OK B_FLAG <<EOF
$(gen_values b)
EOF
info "(a) B's entries as committed: leak $(ct_field b 192.168.1.10 udp 7001), tunnel flow $(ct_field b 192.168.1.30 udp 7002), TCP $(ct_field b 203.0.113.5 tcp 5001); A's values: healthy $A_OK, flagged $A_FLAG; B's: $B_OK, $B_FLAG"
expect_eq "(a) B's entry of the tunnel flow carries A's healthy value" "$(ct_field b 192.168.1.30 udp 7002)" "$A_OK"
expect_eq "(a) B's entry of the TCP transfer carries A's healthy value" "$(ct_field b 203.0.113.5 tcp 5001)" "$A_OK"
expect_eq "(a) B's entry of the leak carries the value it had on A" "$(ct_field b 192.168.1.10 udp 7001)" "$LEAK_V"
sent_l=$(progress leak)
sent_t=$(progress tun)
wait_for 20 "B judged the leak again: tunnel-down (no SP here; A's protection held)" \
	has_lines b reason=tunnel-down verdict=drop dport=7001
wait_for 20 "B judged the tunnel flow: tunnel-down" has_lines b reason=tunnel-down verdict=drop dport=7002
wait_for 20 "50 more datagrams of each stream sent" sh -c \
	"[ \$(cat $TMPD/leak) -ge $((sent_l + 50)) ] && [ \$(cat $TMPD/tun) -ge $((sent_t + 50)) ]"
expect_eq "(b) the leak at the peer since A judged it" "$(seen leak)" "$LEAK0"
expect_eq "(d) the tunnel flow at the peer in clear through B" "$(seen tun_via_b)" 0
info "B's tunnel-down lines since the move: $(( $(lines b reason=tunnel-down verdict=drop) - nb )) (a flow's repeats are held back in the log)"
# both streams stop: from now on B's queue sees nothing unless the transfer meets it
stop_tree "$LEAK_PID"
stop_tree "$TUN_PID"
qb1=$(queue_ids b)
touch "$TMPD/gate1"
wait "$X1S"
wait "$X1R"
info "transfer 1: sent $(cat "$TMPD/x1.send"), received $(cat "$TMPD/x1.recv")"
check "(c) the TCP transfer survived the move, every byte" \
	sh -c "[ -s '$TMPD/x1.send' ] && cmp -s '$TMPD/x1.send' '$TMPD/x1.recv'"
expect_eq "(c) packets B queued while the transfer ran its second half on B" "$(queue_ids b)" "$qb1"
expect_eq "(c) B's verdict lines of the transfer" "$(lines b dport=5001)" 0
expect_eq "B's entry of the transfer: B's healthy value (set by B's kernel)" \
	"$(ct_field b 203.0.113.5 tcp 5001)" "$B_OK"

info "phase 2: B's tunnel comes up, the same SPs as A's"
na=$(lines b reason=nat-before-ipsec verdict=drop dport=7001)
sps_up b
wait_for 20 "B's held set empty again" sh -c "! ip netns exec $NS_B nft list set ip ipsecguard held | grep -q 192.168"
same_gen() { [ "$(gen_values a)" = "$(gen_values b)" ]; }
wait_for 20 "B in A's verdict generation (the same SPD)" same_gen
read -r B_OK B_FLAG <<EOF
$(gen_values b)
EOF
info "generations: A $(stat_field a verdict_gen), B $(stat_field b verdict_gen): healthy $B_OK, flagged $B_FLAG"
bg in_c python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7001 9000 0.02 "$TMPD/leak2" --one-flow
LEAK_PID=$LAST_PID
bg in_c python3 "$TOP/tests/netns/udpstream.py" 192.168.1.30 7002 9000 0.02 "$TMPD/tun2" --one-flow
TUN_PID=$LAST_PID
wait_for 20 "B judged the new leak under its SP: nat-before-ipsec" \
	lines_past b "$na" reason=nat-before-ipsec verdict=drop dport=7001
t0=$(seen tun)
wait_for 20 "the new tunnel flow at the peer through B (its SP up)" seen_at_least tun $((t0 + 5))
bg in_p python3 "$TOP/tests/netns/xfer.py" recv 192.168.1.20 5002 >"$TMPD/x2.recv"
X2R=$LAST_PID
wait_for 10 "the peer listening on 5002" sh -c "ip netns exec $NS_P ss -Hltn 'sport = :5002' | grep -q ."
bg in_c python3 "$TOP/tests/netns/xfer.py" send 192.168.1.20 5002 4000000 1000000 "$TMPD/gate2" >"$TMPD/x2.send"
X2S=$LAST_PID
wait_for 20 "the second transfer half way" test -f "$TMPD/gate2.reached"
wait_for 10 "B judged it: bypass, accepted" has_lines b reason=bypass verdict=accept dport=5002
expect_eq "B's mark on the bypass transfer: healthy" "$(ct_field b 192.168.1.20 tcp 5002)" "$B_OK"
wait_for 20 "A's conntrackd holds B's entry of the bypass transfer, with B's healthy mark" \
	ext_is a 5002 "$B_OK"
info "failover B -> A"
na=$(lines a reason=nat-before-ipsec verdict=drop dport=7001)
qa0=$(queue_ids a)
failover b a
expect_eq "(a) A's entry of the bypass transfer carries B's healthy value" \
	"$(ct_field a 192.168.1.20 tcp 5002)" "$B_OK"
sent_l=$(progress leak2)
wait_for 20 "A judged the leak (dropped; no entry came for it: B dropped its every packet)" \
	lines_past a "$na" reason=nat-before-ipsec verdict=drop dport=7001
t0=$(seen tun)
wait_for 20 "50 more datagrams of the leak sent, the tunnel flow on through A" sh -c \
	"[ \$(cat $TMPD/leak2) -ge $((sent_l + 50)) ] && [ \$(ip netns exec $NS_P nft list counter ip seen tun | sed -n 's/.*packets \\([0-9]*\\).*/\\1/p') -ge $((t0 + 25)) ]"
expect_eq "(b) the leak at the peer since A first judged it" "$(seen leak)" "$LEAK0"
stop_tree "$LEAK_PID"
qa1=$(queue_ids a)
info "A's queue ids: $qa0 before the move back, $qa1 once the leak was judged and stopped"
touch "$TMPD/gate2"
wait "$X2S"
wait "$X2R"
info "transfer 2: sent $(cat "$TMPD/x2.send"), received $(cat "$TMPD/x2.recv")"
check "(c) the bypass transfer survived the move back, every byte" \
	sh -c "[ -s '$TMPD/x2.send' ] && cmp -s '$TMPD/x2.send' '$TMPD/x2.recv'"
t0=$(seen tun)
wait_for 20 "the tunnel flow on through A" seen_at_least tun $((t0 + 25))
expect_eq "(c) packets A queued meanwhile (the transfer and the tunnel flow taken as B judged them)" \
	"$(queue_ids a)" "$qa1"
expect_eq "(c) A's verdict lines of the bypass transfer" "$(lines a dport=5002)" 0
expect_eq "(c) A's verdict lines of the tunnel flow" "$(lines a dport=7002)" 0
info "figures: B's external cache $EXT_B entries at the first failover; A's queue ids $qa0 -> $qa1 -> $(queue_ids a); the tunnel flow at the peer $(seen tun) (in clear through B: $(seen tun_via_b), all after B's SP came)"
exit 0
