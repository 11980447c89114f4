#!/bin/sh
# The tunnel's own packets through this gateway's NAT and arriving in fragments,
# seen from the outer rules' copies: outer-nat and outer-frag events held against what
# the kernel did (conntrack's tuples, the receiver's sockets).  Nothing of it is queued.
#   peer 172.16.0.2 ==wan0== gw 172.16.0.1 | 10.0.2.1 --lan0-- host 10.0.2.33
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
events() { python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" events "$@"; }
# The log is written once a second, and whenever a stats event is asked for (SIGUSR1):
# daemon_usr1 returns once that event is in the file, with all logged before it.
# events_reach N EVENT [KEY=VALUE...]: a stats event asked for now, and N of those events
events_reach() { _er=$1; shift; daemon_usr1 >&2; [ "$(events "$@")" -ge "$_er" ]; }
# awaited N EVENT [KEY=VALUE...]: the count of those events once it reaches N, or what
# it is after 10 s (a loaded machine: the copy, the tick's conntrack lookup)
awaited() {
	_want=$1
	shift
	if ! poll 10 events_reach "$_want" "$@"; then	# what the daemon saw, for the log
		tail -n 5 "$DAEMON_LOG" | sed 's/^/# log: /' >&2
		sed 's/^/# err: /' "$DAEMON_ERR" >&2
		in_gw conntrack -L 2>&1 | sed 's/^/# ct: /' >&2
	fi
	events "$@"
}
stats() {	# stats KEY: from a stats event asked for now
	daemon_usr1 >&2
	python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats |
		python3 -c "import json,sys; o=json.load(sys.stdin)
for k in sys.argv[1].split('.'): o=o[int(k)] if k.isdigit() else o[k]
print(o)" "$1"
}
stat_past() { [ "$(stats "$1")" -gt "$2" ] 2>/dev/null; }	# KEY N
# daemon_sync: what the kernel copied to the daemon before now has been read.  A stats
# event is written before the copies that came in the same turn of the daemon's loop
# are read: two of them, one asked for after the other, put a whole turn in between.
daemon_sync() { daemon_usr1; daemon_usr1; }
# udp NS SRC SPORT DST DPORT [BYTES [esp]]: one datagram, IKE (the non-ESP marker
# first) or ESP in UDP (SPI 0x1001 first)
udp() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
head = b"\0\0\x10\x01" if sys.argv[6] == "esp" else b"\0\0\0\0"
s.sendto(head + b"x" * (int(sys.argv[5]) - 4), (sys.argv[3], int(sys.argv[4])))' \
		"$2" "$3" "$4" "$5" "${6:-64}" "${7:-ike}"
}
# udp_bound NS ADDR PORT: a UDP socket is bound to ADDR:PORT in NS
udp_bound() { ip netns exec "$1" ss -Hlun "sport = :$3" | grep -qF "$2:$3"; }
# listen NS ADDR PORT: a UDP socket that prints what it received, then exits
listen() {
	bg ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(3)
try:
    d, a = s.recvfrom(65535); print("%s:%d %d" % (a[0], a[1], len(d)))
except OSError:
    print("nothing")' "$2" "$3" >"$TMPD/recv.$3"
	LISTEN_PID=$LAST_PID
	poll 10 udp_bound "$1" "$2" "$3" || fail "no socket on $2:$3"
}

daemon_start --queue 90 --ike-port 88
check "the fragments chain is installed" sh -c "ip netns exec $NS_GW nft list chain ip ipsecguard fragments >/dev/null 2>&1"

info "a NAT in front of a VPN server: udp 4500 outside mapped to 4009 inside"
# what reaches the host on 4009: the gateway has passed those packets through its rules
in_host nft -f - <<'NFT'
table ip seen4009 {
	chain in {
		type filter hook prerouting priority 0;
		ip saddr 172.16.0.2 udp dport 4009 counter
	}
}
NFT
at_host() { in_host nft list chain ip seen4009 in | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
at_host_past() { [ "$(at_host)" -gt "$1" ]; }
in_gw iptables-nft -t nat -A PREROUTING -i wan0 -p udp --dport 4500 \
	-j DNAT --to-destination 10.0.2.33:4009
listen "$NS_HOST" 10.0.2.33 4009
# ESP in UDP, longer than the copy the rule takes (128 bytes)
udp "$NS_PEER" 172.16.0.2 4500 172.16.0.1 4500 400 esp
wait "$LISTEN_PID"
check "the server got ESP in UDP on 4009 ($(cat "$TMPD/recv.4009"))" \
	grep -q '^172.16.0.2:4500 400$' "$TMPD/recv.4009"
check "outer-nat port-map naming 4500 outside and 4009 inside" \
	[ "$(awaited 1 outer-nat what=port-map proto=udp orig.dst=172.16.0.1 orig.dport=4500 \
		nat.dst=10.0.2.33 nat.dport=4009 orig.src=172.16.0.2)" = 1 ]
# no reply: the entry stays new, every packet of it passes the rule's ct state new
h=$(at_host)
udp "$NS_PEER" 172.16.0.2 4500 172.16.0.1 4500 400 esp
udp "$NS_PEER" 172.16.0.2 4500 172.16.0.1 4500 400 esp
poll 10 at_host_past $((h + 1)) || fail "the two packets did not reach the host ($h -> $(at_host))"
check "two more packets of the unanswered flow: not copied again (outer_seen), one event" \
	[ "$(stats kernel.outer_nat_flows)" = 1 -a "$(events outer-nat orig.src=172.16.0.2)" = 1 \
	  -a "$(stats outer.nat_flows)" = 1 ]
# another outside port mapped to the same inside one at once (the first entry gone):
# the same translated tuple, its own conntrack entry and its own event
in_gw conntrack -F >/dev/null 2>&1
in_gw iptables-nft -t nat -A PREROUTING -i wan0 -p udp --dport 500 \
	-j DNAT --to-destination 10.0.2.33:4009
udp "$NS_PEER" 172.16.0.2 4500 172.16.0.1 500 400 esp
check "500 outside to the same 4009 inside at once: its own event" \
	[ "$(awaited 1 outer-nat what=port-map orig.dport=500 nat.dst=10.0.2.33 nat.dport=4009)" = 1 ]
in_gw iptables-nft -t nat -F PREROUTING
in_gw conntrack -F >/dev/null 2>&1

info "the same mapping with equal ports: what NAT-T is built for"
in_gw iptables-nft -t nat -A PREROUTING -i wan0 -p udp --dport 4500 \
	-j DNAT --to-destination 10.0.2.33:4500
listen "$NS_HOST" 10.0.2.33 4500
before=$(stats outer.nat_flows)
udp "$NS_PEER" 172.16.0.2 4500 172.16.0.1 4500
wait "$LISTEN_PID"
check "the server got it on 4500" grep -q '^172.16.0.2:4500 ' "$TMPD/recv.4500"
# judged once the tick found its conntrack entry (an event then, or none)
poll 10 stat_past outer.nat_flows "$before"
check "the translated flow was copied ($before -> $(stats outer.nat_flows))" \
	[ "$(stats outer.nat_flows)" -gt "$before" ]
check "and no event for it" [ "$(events outer-nat nat.dport=4500)" = 0 ]
in_gw iptables-nft -t nat -F PREROUTING
in_gw conntrack -F >/dev/null 2>&1

info "the gateway itself behind the mapping: udp 4500 redirected to its own port 4009"
in_gw iptables-nft -t nat -A PREROUTING -i wan0 -p udp --dport 4500 -j REDIRECT --to-ports 4009
listen "$NS_GW" 172.16.0.1 4009
udp "$NS_PEER" 172.16.0.2 4500 172.16.0.1 4500
wait "$LISTEN_PID"
check "the gateway's socket got it on 4009" grep -q '^172.16.0.2:4500 ' "$TMPD/recv.4009"
check "outer-nat port-map 4500 -> 4009 to the gateway itself (input hook)" \
	[ "$(awaited 1 outer-nat what=port-map orig.dport=4500 nat.dst=172.16.0.1 nat.dport=4009)" = 1 ]
in_gw iptables-nft -t nat -F PREROUTING
in_gw conntrack -F >/dev/null 2>&1

info "88 outside to 4009 inside (--ike-port 88)"
in_gw iptables-nft -t nat -A PREROUTING -i wan0 -p udp --dport 88 \
	-j DNAT --to-destination 10.0.2.33:4009
listen "$NS_HOST" 10.0.2.33 4009
before=$(events outer-nat orig.dport=88)
udp "$NS_PEER" 172.16.0.2 4500 172.16.0.1 88
wait "$LISTEN_PID"
check "outer-nat port-map 88 -> 4009" \
	[ "$(awaited $((before + 1)) outer-nat what=port-map orig.dport=88 nat.dport=4009)" = $((before + 1)) ]
in_gw iptables-nft -t nat -F PREROUTING
in_gw conntrack -F >/dev/null 2>&1

info "MASQUERADE of IKE: keeping the port, then with random ports"
in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -p udp -j MASQUERADE
listen "$NS_PEER" 172.16.0.2 500
before=$(stats outer.nat_flows)
udp "$NS_HOST" 10.0.2.33 500 172.16.0.2 500
wait "$LISTEN_PID"
check "the peer got it from 172.16.0.1:500 ($(cat "$TMPD/recv.500"))" \
	grep -q '^172.16.0.1:500 ' "$TMPD/recv.500"
# judged once the tick found its conntrack entry (an event then, or none)
poll 10 stat_past outer.nat_flows "$before"
check "address only: no event" [ "$(events outer-nat orig.src=10.0.2.33)" = 0 ]
in_gw iptables-nft -t nat -F POSTROUTING
in_gw conntrack -F >/dev/null 2>&1
in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -p udp -j MASQUERADE --random-fully
listen "$NS_PEER" 172.16.0.2 500
before=$(stats outer.nat_flows)
udp "$NS_HOST" 10.0.2.33 500 172.16.0.2 500
wait "$LISTEN_PID"
port=$(sed -n 's/^172.16.0.1:\([0-9]*\) .*/\1/p' "$TMPD/recv.500")
poll 10 stat_past outer.nat_flows "$before"
if [ "${port:-500}" != 500 ]; then
	check "random ports: outer-nat source-port naming 500 -> $port" \
		[ "$(awaited 1 outer-nat what=source-port orig.sport=500 nat.sport="$port" \
			nat.src=172.16.0.1)" = 1 ]
else
	check "random-fully kept port 500 this time: no event" \
		[ "$(events outer-nat what=source-port)" = 0 ]
fi
in_gw iptables-nft -t nat -F POSTROUTING
in_gw conntrack -F >/dev/null 2>&1

info "ESP and ESP in UDP arriving in fragments"
in_peer python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
s.setsockopt(socket.IPPROTO_IP, 10, 0)	# IP_MTU_DISCOVER: IP_PMTUDISC_DONT
s.sendto(b"\0\0\x10\x01" + b"\0\0\0\1" + b"e" * 3000, ("172.16.0.1", 0))'
in_peer python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)
s.bind(("172.16.0.2", 4500))
s.sendto(b"\0\0\x20\x02" + b"\0\0\0\1" + b"u" * 3000, ("172.16.0.1", 4500))'
check "outer-frag for ESP: its SPI and the fragment size (1500)" \
	[ "$(awaited 1 outer-frag dir=in kind=esp spi=0x00001001 src=172.16.0.2 fragment_bytes=1500)" = 1 ]
check "outer-frag for ESP in UDP 4500: its SPI" \
	[ "$(awaited 1 outer-frag kind=esp-in-udp spi=0x00002002 dport=4500)" = 1 ]
poll 10 stat_past kernel.frag_later_esp 1
poll 10 stat_past kernel.frag_later_udp 1
poll 10 stat_past outer.frag_datagrams 1
check "the kernel counted the later fragments ($(stats kernel.frag_later_esp) esp, $(stats kernel.frag_later_udp) udp)" \
	[ "$(stats kernel.frag_later_esp)" -ge 2 -a "$(stats kernel.frag_later_udp)" -ge 2 ]
check "and the first ones (stats outer.frag_datagrams $(stats outer.frag_datagrams))" \
	[ "$(stats outer.frag_datagrams)" = 2 ]
l=$(stats kernel.frag_later_udp)
in_peer python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)
s.sendto(b"d" * 3000, ("172.16.0.1", 5353))'
# its two later fragments counted: its first one came before them
poll 10 stat_past kernel.frag_later_udp $((l + 1)) || fail "the datagram to 5353 did not arrive"
daemon_sync
check "a fragmented datagram of another port: no event" \
	[ "$(events outer-frag dport=5353)" = 0 ]
peer=$(stats outer.peers | tr "'" '"')
check "stats per peer: 172.16.0.2 sent 2 fragmented datagrams, fragments of 1500 bytes ($peer)" \
	sh -c "echo '$peer' | grep -q '\"peer\": \"172.16.0.2\", \"nat_events\": [0-9]*, \"frag_datagrams\": 2, \"frag_bytes_min\": 1500'"
in_gw "$BUILD/ipsecguard" stats --guard --json >"$TMPD/guard.json"
check "ipsecguard stats --guard: the same later-fragment count as the stats event" \
	[ "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['kernel']['frag_later_esp'])" \
		"$TMPD/guard.json")" = "$(stats kernel.frag_later_esp)" ]


info "ESP, ESP in UDP and IKE leaving larger than the path to the peer"
# the tunnel to the peer: an out SP with its template (this kernel has no ESP SAs)
in_gw ip xfrm policy add src 10.0.2.0/24 dst 192.168.0.0/16 dir out \
	tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel
# the peer counts the fragments it receives, before it reassembles them
in_peer nft -f - <<'NFT'
table ip wire {
	chain pre {
		type filter hook prerouting priority -500; policy accept;
		ip frag-off & 0x3fff == 0x2000 ip protocol esp counter
		ip frag-off & 0x3fff == 0x2000 ip protocol udp counter
	}
}
NFT
peer_firsts() {	# peer_firsts esp|udp: first fragments the peer received
	in_peer nft -j list chain ip wire pre | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if not r: continue
    if any(m.get("match", {}).get("right") == sys.argv[1] for m in r["expr"]):
        print(next(e["counter"]["packets"] for e in r["expr"] if "counter" in e))' "$1"
}
fragout_rules() { in_gw nft list chain ip ipsecguard frag_out | grep -c 'goto frag_out_copy'; }
# fragout_has FAMILY PATTERN: a frag_out rule matches PATTERN within 8 s (the
# daemon follows the SPD and the routes every 5 s)
fragout_has() {
	_i=0
	while ! in_gw nft list chain "$1" ipsecguard frag_out | grep -q "$2"; do
		[ $_i -ge 80 ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}
_i=0
while [ "$(fragout_rules)" -lt 3 ] && [ $_i -lt 70 ]; do sleep 0.1; _i=$((_i + 1)); done
check "frag_out follows the SPD: three rules for the peer 172.16.0.2, MTU 1500 ($(fragout_rules))" \
	sh -c "[ $(fragout_rules) = 3 ] && ip netns exec $NS_GW nft list table ip ipsecguard | grep -A2 'set frag_peers' | grep -q 'elements = { 172.16.0.2 }'"
# esp GW BYTES [SPI]: one ESP packet of BYTES payload from the gateway to the peer
esp() {
	in_gw python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
s.setsockopt(socket.IPPROTO_IP, 10, 0)	# IP_MTU_DISCOVER: IP_PMTUDISC_DONT
n = int(sys.argv[1])
s.sendto(struct.pack("!II", int(sys.argv[2], 0), 1) + b"e" * (n - 8), ("172.16.0.2", 0))' "$1" "$2"
}
esp 1000 0x1001
esp 3000 0x1001
check "outer-frag out: ESP of 3020 bytes over a path of 1500, its SPI" \
	[ "$(awaited 1 outer-frag dir=out kind=esp spi=0x00001001 dst=172.16.0.2 outer_bytes=3020 path_mtu=1500)" = 1 ]
check "the small one: no event" [ "$(events outer-frag dir=out outer_bytes=1020)" = 0 ]
firsts_past() { [ "$(peer_firsts "$1")" -gt "$2" ]; }
poll 10 firsts_past esp 0
check "the peer received the big one in fragments, the small one whole ($(peer_firsts esp) fragmented)" \
	[ "$(peer_firsts esp)" = 1 ]
in_gw python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)
s.bind(("172.16.0.1", 4500))
s.sendto(b"\0\0\x10\x02" + b"\0\0\0\1" + b"u" * 2000, ("172.16.0.2", 4500))
s.sendto(b"\0\0\0\0" + b"i" * 2000, ("172.16.0.2", 4500))'
check "outer-frag out: ESP in UDP 4500, its SPI" \
	[ "$(awaited 1 outer-frag dir=out kind=esp-in-udp spi=0x00001002 dport=4500 outer_bytes=2036)" = 1 ]
check "outer-frag out: IKE (the non-ESP marker)" \
	[ "$(awaited 1 outer-frag dir=out kind=ike dport=4500 outer_bytes=2032)" = 1 ]
# answering a peer behind NAT: from 4500 to the port its NAT mapped
in_gw python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IP, 10, 0)
s.bind(("172.16.0.1", 4500))
s.sendto(b"\0\0\x10\x04" + b"\0\0\0\1" + b"u" * 2000, ("172.16.0.2", 31337))'
check "outer-frag out: ESP in UDP from 4500 to a NAT-mapped port, once" \
	[ "$(awaited 1 outer-frag dir=out kind=esp-in-udp spi=0x00001004 sport=4500 dport=31337)" = 1 ]
poll 10 firsts_past udp 2
check "the peer received the three in fragments ($(peer_firsts udp))" [ "$(peer_firsts udp)" = 3 ]
info "a smaller path MTU to the peer: the rule follows the route"
in_gw ip route add 172.16.0.2/32 dev wan0 mtu 1400
check "frag_out now holds MTU 1400 for the peer" \
	fragout_has ip 'ip daddr 172.16.0.2 .*ip length > 1400'
esp 1430 0x1003
check "outer-frag out: 1450 bytes over 1400" \
	[ "$(awaited 1 outer-frag dir=out spi=0x00001003 outer_bytes=1450 path_mtu=1400)" = 1 ]
poll 10 firsts_past esp 1
check "the peer received it in fragments ($(peer_firsts esp))" [ "$(peer_firsts esp)" = 2 ]
check "stats: the kernel counted 2 ESP and 3 UDP packets leaving too big, each once ($(stats kernel.frag_out_esp), $(stats kernel.frag_out_ike_port_udp))" \
	[ "$(stats kernel.frag_out_esp)" = 2 -a "$(stats kernel.frag_out_ike_port_udp)" = 3 ]

info "fragments arriving without their first"
# frag NS SRC ID OFFSET MORE PROTO [DPORT]: one IPv4 fragment, built by hand; offset 0
# carries a UDP header to DPORT
frag() {
	ip netns exec "$1" python3 -c '
import socket, struct, sys
src, ident, off, more, proto = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
body = b"f" * 200
if off == 0 and proto == 17:
    body = struct.pack("!HHHH", 4500, int(sys.argv[6]), 1480, 0) + b"\0\0\x20\x01" + b"f" * 192
frag = (0x2000 if more else 0) | off // 8
h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident, frag, 64, proto, 0,
                socket.inet_aton(src), socket.inet_aton("172.16.0.1"))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(h + body, ("172.16.0.1", 0))' "$2" "$3" "$4" "$5" "$6" "${7:-0}"
}
frag "$NS_PEER" 172.16.0.2 0x4242 1480 0 17
frag "$NS_PEER" 172.16.0.2 0x4243 1480 0 50
# reordered: the later fragment first, then 100 other first fragments, then its first
# (one process: its start-up would otherwise be the gap on a loaded machine)
ip netns exec "$NS_PEER" python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def frag(ident, off, more):
    body = b"f" * 200
    if off == 0:
        body = struct.pack("!HHHH", 4500, 4500, 1480, 0) + b"\0\0\x20\x01" + b"f" * 192
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident,
                    (0x2000 if more else 0) | off // 8, 64, 17, 0,
                    socket.inet_aton("172.16.0.2"), socket.inet_aton("172.16.0.1"))
    s.sendto(h + body, ("172.16.0.1", 0))
frag(0x4244, 1480, False)
for i in range(100):
    frag(0x6000 + i, 0, True)
frag(0x4244, 0, True)'
# in order: the first, then the later one (not copied at all)
frag "$NS_PEER" 172.16.0.2 0x4245 0 1 17 4500
frag "$NS_PEER" 172.16.0.2 0x4245 1480 0 17
# from a box that is no tunnel endpoint
frag "$NS_HOST" 10.0.2.33 0x4246 1480 0 17
check "outer-frag orphan: UDP from the peer, id 0x4242 (16962) at offset 1480" \
	[ "$(awaited 1 outer-frag dir=in orphan=True kind=udp src=172.16.0.2 frag_id=16962 offset=1480)" = 1 ]
check "outer-frag orphan: ESP from the peer" \
	[ "$(awaited 1 outer-frag orphan=True kind=esp src=172.16.0.2 frag_id=16963)" = 1 ]
# the kernel's copies of the four orphans, and the daemon's decision on each (after a wait for
# a first fragment to come late): the reordered one and the one from the host counted
poll 10 stat_past kernel.frag_orphan_udp 2
poll 10 stat_past kernel.frag_orphan_esp 0
poll 10 stat_past outer.orphan_reordered 0
poll 10 stat_past outer.orphan_other 0
check "the kernel copied the three without a first, not the one after its first ($(stats kernel.frag_orphan_udp) udp)" \
	[ "$(stats kernel.frag_orphan_udp)" = 3 -a "$(stats kernel.frag_orphan_esp)" = 1 ]
check "the reordered one: its first came, no event (orphan_reordered $(stats outer.orphan_reordered))" \
	[ "$(stats outer.orphan_reordered)" = 1 -a "$(events outer-frag frag_id=17476)" = 0 ]
check "not from a tunnel endpoint: counted, no event" \
	[ "$(stats outer.orphan_other)" = 1 -a "$(events outer-frag src=10.0.2.33)" = 0 ]

info "IPv6: ESP arriving in fragments, leaving too big, later fragments without a first"
in_peer python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 50)
s.sendto(b"\0\0\x30\x01" + b"\0\0\0\1" + b"e" * 3000, ("fd00:16::1", 0))'
check "outer-frag in, IPv6: its SPI, fragments of at most 1500" \
	[ "$(awaited 1 outer-frag dir=in family=6 kind=esp spi=0x00003001 src=fd00:16::2 fragment_bytes=1496)" = 1 ]
in_gw ip -6 xfrm policy add src fd00:2::/64 dst fd00:168::/64 dir out \
	tmpl src fd00:16::1 dst fd00:16::2 proto esp mode tunnel
check "frag_out (ip6) holds the peer fd00:16::2 with ip6 length (the payload length) > 1500 - 40" \
	fragout_has ip6 'ip6 daddr fd00:16::2 .*ip6 length > 1460'
in_gw python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 50)
s.sendto(b"\0\0\x30\x02" + b"\0\0\0\1" + b"e" * 1000, ("fd00:16::2", 0))
s.sendto(b"\0\0\x30\x02" + b"\0\0\0\1" + b"e" * 2992, ("fd00:16::2", 0))'
check "outer-frag out, IPv6: ESP of 3040 bytes over a path of 1500" \
	[ "$(awaited 1 outer-frag dir=out family=6 kind=esp spi=0x00003002 outer_bytes=3040 path_mtu=1500)" = 1 ]
check "the small one: no event" [ "$(events outer-frag dir=out family=6 outer_bytes=1048)" = 0 ]
in_peer python3 -c '
import socket, struct
src, dst = socket.inet_pton(socket.AF_INET6, "fd00:16::2"), socket.inet_pton(socket.AF_INET6, "fd00:16::1")
body = struct.pack("!BBHI", 17, 0, 1448, 0x5a5a5a5a) + b"f" * 200
h = struct.pack("!IHBB", 6 << 28, len(body), 44, 64) + src + dst
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(h + body, ("fd00:16::1", 0))'
check "outer-frag orphan, IPv6: UDP from the peer, id 0x5a5a5a5a at offset 1448" \
	[ "$(awaited 1 outer-frag dir=in family=6 orphan=True kind=udp src=fd00:16::2 frag_id=1515870810 offset=1448)" = 1 ]

[ -n "$IGD_SHOW" ] && grep outer-frag "$DAEMON_LOG" >&2
check "no packet was queued" [ "$(stats queues.0.packets)" = 0 ]
python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" >/dev/null
check "every line of the log is well-formed" [ $? = 0 ]
daemon_stop
check "daemon exits 0" [ $? = 0 ]

"$BUILD/ipsecguardd" --ike-port 0 2>"$TMPD/err"
check "--ike-port 0 exits 2 naming the option" \
	sh -c "[ $? = 2 ] && grep -q 'ike-port' '$TMPD/err'"
exit 0
