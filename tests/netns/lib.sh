# Shared by the namespace tests: a three-namespace lab and helpers.  Source it, call
# lab_up, and the namespaces are removed on exit whatever happens (trap).
#
#   host (10.0.2.33/24, fd00:2::33/64) --- gw (10.0.2.1 | 172.16.0.1) --- peer (172.16.0.2)
#                                          (fd00:2::1 | fd00:16::1)       (fd00:16::2)
#   peer also owns 192.168.1.10/16 and fd00:168::10/64 (the far subnet).
#
# Nothing here touches the host's own namespace beyond creating veth pairs that are
# moved into the lab at once.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$TOP/build
LAB_ID=${LAB_ID:-$$}
NS_HOST=igd-h-$LAB_ID
NS_GW=igd-g-$LAB_ID
NS_PEER=igd-p-$LAB_ID
TMPD=$(mktemp -d /tmp/igd-test.XXXXXX)
LAB_PIDS=""
# TMPD goes even when the script ends before lab_up (or never calls it: helpers run
# by a test source this file too, and must leave the test's lab alone)
trap 'rm -rf "$TMPD"' EXIT

. "$TOP/tests/check.sh"
info() { echo "# $*"; }
need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	ip netns add igd-probe-$LAB_ID 2>/dev/null || skip "cannot create network namespaces"
	ip netns del igd-probe-$LAB_ID
}

need_bin() {
	for b in "$@"; do
		[ -x "$BUILD/$b" ] || skip "$BUILD/$b not built (make)"
	done
}

in_host() { ip netns exec "$NS_HOST" "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }
in_peer() { ip netns exec "$NS_PEER" "$@"; }

lab_cleanup() {
	_rc=$?
	# a failed check: what the daemon said, for the log of the run
	if [ "$_rc" != 0 ] && [ "$_rc" != 77 ] && [ -s "${DAEMON_ERR:-}" ]; then
		sed 's/^/# daemon: /' "$DAEMON_ERR" | tail -n 10
		[ -s "${DAEMON_LOG:-}" ] && tail -n 15 "$DAEMON_LOG" | cut -c1-400 | sed 's/^/# log: /'
	fi
	for p in $LAB_PIDS; do kill "$p" 2>/dev/null; done
	for p in $LAB_PIDS; do
		i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
		kill -9 "$p" 2>/dev/null
	done
	for ns in "$NS_HOST" "$NS_GW" "$NS_PEER"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMPD"
}

# Runs "$@" in the background and remembers it for cleanup; sets LAST_PID.
bg() { "$@" & LAST_PID=$!; LAB_PIDS="$LAB_PIDS $LAST_PID"; }

lab_ping() {
	for i in 1 2 3 4 5; do
		in_host ping -c1 -W2 "$1" >/dev/null 2>&1 && return 0
	done
	return 1
}

# One namespace of the lab's names ($NS_GW, in $NS), removed on exit like the lab:
# for tests that need a kernel of their own and no wires.
lab_one() {
	NS=$NS_GW
	trap lab_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	ip netns add "$NS" || skip "cannot create a network namespace"
	ip -n "$NS" link set lo up
}

lab_up() {
	trap lab_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	for ns in "$NS_HOST" "$NS_GW" "$NS_PEER"; do
		ip netns add "$ns" || fail "netns add $ns"
		ip -n "$ns" link set lo up
	done
	ip link add igdh$LAB_ID netns "$NS_HOST" type veth peer name igdgl$LAB_ID netns "$NS_GW" ||
		fail "veth host-gw"
	ip link add igdp$LAB_ID netns "$NS_PEER" type veth peer name igdgw$LAB_ID netns "$NS_GW" ||
		fail "veth gw-peer"
	ip -n "$NS_HOST" link set igdh$LAB_ID name eth0
	ip -n "$NS_GW" link set igdgl$LAB_ID name lan0
	ip -n "$NS_GW" link set igdgw$LAB_ID name wan0
	ip -n "$NS_PEER" link set igdp$LAB_ID name eth0
	for ns in "$NS_HOST" "$NS_PEER"; do ip -n "$ns" link set eth0 up; done
	ip -n "$NS_GW" link set lan0 up
	ip -n "$NS_GW" link set wan0 up
	ip -n "$NS_HOST" addr add 10.0.2.33/24 dev eth0
	ip -n "$NS_HOST" -6 addr add fd00:2::33/64 dev eth0 nodad
	ip -n "$NS_GW" addr add 10.0.2.1/24 dev lan0
	ip -n "$NS_GW" -6 addr add fd00:2::1/64 dev lan0 nodad
	ip -n "$NS_GW" addr add 172.16.0.1/24 dev wan0
	ip -n "$NS_GW" -6 addr add fd00:16::1/64 dev wan0 nodad
	ip -n "$NS_PEER" addr add 172.16.0.2/24 dev eth0
	ip -n "$NS_PEER" -6 addr add fd00:16::2/64 dev eth0 nodad
	ip -n "$NS_PEER" addr add 192.168.1.10/16 dev lo
	ip -n "$NS_PEER" -6 addr add fd00:168::10/64 dev lo nodad
	ip -n "$NS_HOST" route add default via 10.0.2.1
	ip -n "$NS_HOST" -6 route add default via fd00:2::1
	ip -n "$NS_GW" route add 192.168.0.0/16 via 172.16.0.2
	ip -n "$NS_GW" -6 route add fd00:168::/64 via fd00:16::2
	ip -n "$NS_PEER" route add 10.0.2.0/24 via 172.16.0.1
	ip -n "$NS_PEER" -6 route add fd00:2::/64 via fd00:16::1
	in_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# first packets wait for neighbour discovery (slow on a loaded machine): retry
	lab_ping 192.168.1.10 || fail "lab: host cannot reach peer"
	lab_ping fd00:168::10 || fail "lab: no IPv6 from host to peer"
}

# Starts the daemon on the gateway with "$@"; waits until its queue is bound.
# Sets DAEMON_PID, DAEMON_LOG (JSON lines) and DAEMON_ERR (stderr).
daemon_start() {
	DAEMON_LOG=$TMPD/verdicts.jsonl
	DAEMON_ERR=$TMPD/daemon.err
	: >"$DAEMON_LOG"
	# what it remembers and its control socket: the test's own, never the host's.
	# DAEMON_BIN runs another build (a bench's tree before); DAEMON_OWN_OPTS=no leaves
	# out the options a build before them would not know.
	set -- --log "$DAEMON_LOG" "$@"
	[ "${DAEMON_OWN_OPTS:-yes}" = no ] ||
		set -- --state-dir "$TMPD/state" --control "$TMPD/ctl.sock" "$@"
	bg ip netns exec "$NS_GW" "${DAEMON_BIN:-$BUILD/ipsecguardd}" "$@" 2>"$DAEMON_ERR"
	DAEMON_PID=$LAST_PID
	i=0
	until grep -q 'ipsecguardd: mode' "$DAEMON_ERR" 2>/dev/null; do
		kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$DAEMON_ERR"; fail "daemon exited at start"; }
		i=$((i + 1)); [ $i -lt 100 ] || fail "daemon did not start"
		sleep 0.1
	done
}

# peer_count NAME MATCH [NAME MATCH ...]: a counter NAME at the peer's prerouting for
# each nft MATCH ("ip saddr 172.16.0.1 ip daddr 192.168.1.10"), in table ip seen;
# seen NAME reads one, seen_reset zeroes them all.
peer_count() {
	_rules= _ctrs=
	while [ $# -ge 2 ]; do
		_rules="$_rules		$2 counter name \"$1\"
"
		_ctrs="$_ctrs	counter $1 { }
"
		shift 2
	done
	in_peer nft -f - <<NFT
table ip seen {
	chain in {
		type filter hook prerouting priority 0;
$_rules	}
$_ctrs}
NFT
}
seen() { in_peer nft list counter ip seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
seen_reset() { in_peer nft reset counters table ip seen >/dev/null; }

# gw_masquerade: the gateway's firewall (native nft, table ip fw) masquerades all that
# leaves its WAN, with no exemption; loading it again is a reload (flush ruleset).
GW_FW=$TOP/tests/netns/fw_masquerade.nft
gw_masquerade() { in_gw nft -f "$GW_FW"; }

# Stops the daemon with SIGTERM and waits; returns its exit status.
daemon_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
}

# The kernel's counters of queue N in the gateway: "waiting queue_dropped user_dropped".
queue_kstats() {
	in_gw awk -v q="$1" '$1 == q { print $3, $6, $7 }' /proc/net/netfilter/nfnetlink_queue
}

# A TCP transfer of $3 bytes from the host to the peer's address $1, port $2: the peer
# listens, the host sends a deterministic stream; both print "bytes sha256".  Returns 0
# when the peer got every byte intact.
xfer() {
	bg in_peer python3 "$TOP/tests/netns/xfer.py" recv "$1" "$2" >"$TMPD/xfer.recv"
	rpid=$LAST_PID
	# connect only once it listens: a refused first try would be a flow of its own
	i=0
	until in_peer ss -Hltn "sport = :$2" | grep -q .; do
		i=$((i + 1)); [ $i -lt 100 ] || break
		sleep 0.05
	done
	in_host python3 "$TOP/tests/netns/xfer.py" send "$1" "$2" "$3" >"$TMPD/xfer.send" ||
		{ kill $rpid 2>/dev/null; return 1; }
	wait $rpid
	info "sent: $(cat "$TMPD/xfer.send"), received: $(cat "$TMPD/xfer.recv")"
	[ -s "$TMPD/xfer.send" ] && cmp -s "$TMPD/xfer.send" "$TMPD/xfer.recv"
}

# Whether the gateway has nf_tables table $2 of family $1.
gw_table() { in_gw nft list table "$1" "$2" >/dev/null 2>&1; }
no_gw_table() { ! gw_table "$@"; }

# How many verdict lines of the log match every KEY=VALUE given.
log_count() { python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" count "$@"; }

# log_events EVENT [LOG]: how many lines of event EVENT the daemon's log (DAEMON_LOG)
# holds; 0 while there is no such file.
log_events() {
	_le=$(grep -c "\"event\":\"$1\"" "${2:-$DAEMON_LOG}" 2>/dev/null)
	echo "${_le:-0}"
}
_events_past() { [ "$(log_events "$1" "$2")" -gt "$3" ]; }	# EVENT LOG N
# daemon_signal SIG EVENT [PID [LOG]]: sends the daemon (DAEMON_PID) SIG and waits until
# its log (DAEMON_LOG) holds one more EVENT line than before: the daemon's answer.
# Count first, signal after: the new line is this signal's.
daemon_signal() {
	_dsl=${4:-$DAEMON_LOG}
	_dsn=$(log_events "$2" "$_dsl")
	kill -"$1" "${3:-$DAEMON_PID}" || fail "kill -$1 ${3:-$DAEMON_PID}"
	wait_for 10 "the daemon's $2 event after SIG$1" _events_past "$2" "$_dsl" "$_dsn"
}
# daemon_hup [PID [LOG]]: SIGHUP, and its config event: written once the reload is
# applied (the new tables committed) or refused, after the log was reopened.
daemon_hup() { daemon_signal HUP config "$@"; }
# daemon_usr1 [PID [LOG]]: SIGUSR1, and its stats event (which writes out the lines
# logged before it too).
daemon_usr1() { daemon_signal USR1 stats "$@"; }
# daemon_stat PATH: a dotted PATH of a stats event asked for now (e.g.
# reasons.nat-before-ipsec.drop); empty when the event has no such member.
daemon_stat() {
	daemon_usr1 >&2
	python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" field stats "$1"
}
