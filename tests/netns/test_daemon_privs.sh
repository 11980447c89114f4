#!/bin/sh
# After setup the daemon keeps only CAP_NET_ADMIN (effective, permitted, bounding),
# runs as --user, and still does its work: verdicts, its table removed at exit, and
# log rotation: a rename and SIGHUP where the user owns the log's directory, a
# copytruncate where it does not (and a rename there is reported in the old file).
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
lab_up
chmod 0755 "$TMPD"
mkdir "$TMPD/logs" && chown nobody "$TMPD/logs"
DAEMON_LOG_PATH=$TMPD/logs/v.jsonl
daemon_start --queue 70 --queue-scope heads --user nobody --log "$DAEMON_LOG_PATH"
DAEMON_LOG=$DAEMON_LOG_PATH
pid=$(ip netns pids "$NS_GW" | while read p; do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = ipsecguardd ] && echo "$p"; done | head -n 1)
check "the daemon runs ($pid)" [ -n "$pid" ]
capf() { awk -v k="$1:" '$1 == k { print $2 }' /proc/$pid/status; }
info "CapEff=$(capf CapEff) CapPrm=$(capf CapPrm) CapBnd=$(capf CapBnd) Uid=$(awk '/^Uid:/ {print $2}' /proc/$pid/status)"
check "effective capabilities: CAP_NET_ADMIN only" [ "$(capf CapEff)" = 0000000000001000 ]
check "permitted capabilities: CAP_NET_ADMIN only" [ "$(capf CapPrm)" = 0000000000001000 ]
check "bounding set: CAP_NET_ADMIN only" [ "$(capf CapBnd)" = 0000000000001000 ]
check "runs as nobody" [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = "$(id -u nobody)" ]
check "no new privileges" [ "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$pid/status)" = 1 ]
# the log is written out every second: wait for a line, up to 5 s
wait_grep() {
	i=0
	until grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 50 ] || return 1
		sleep 0.1
	done
}
check "traffic is judged" in_host ping -c1 -W2 192.168.1.10
wait_grep '"dst":"192.168.1.10"' "$DAEMON_LOG"
mv "$DAEMON_LOG" "$DAEMON_LOG.1"
# its config event, written after the log was reopened: in the new file
daemon_hup "$pid"
check "SIGHUP reopen works as nobody" kill -0 "$pid"
check "rotation: a new file at the path" [ -f "$DAEMON_LOG" ]
check "owned by the daemon's user" [ "$(stat -c %U "$DAEMON_LOG")" = nobody ]
in_host ping -c1 -W2 -p 0102 192.168.1.10 >/dev/null
in_host python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.168.1.10", 5999))'
check "rotation: new verdicts in the new file" wait_grep '"dport":5999' "$DAEMON_LOG"
check "rotation: the old file keeps the old ones" grep -q '"dst":"192.168.1.10"' "$DAEMON_LOG.1"
check "daemon exits 0" daemon_stop
check "the rotated file got no new lines" sh -c "! grep -q 5999 '$DAEMON_LOG.1'"

info "log in a directory the user may not write: copytruncate, and a rename reported"
: >"$TMPD/root.jsonl"
daemon_start --queue 70 --queue-scope heads --user nobody --log "$TMPD/root.jsonl"
DAEMON_LOG=$TMPD/root.jsonl
pid=$(ip netns pids "$NS_GW" | while read p; do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = ipsecguardd ] && echo "$p"; done | head -n 1)
in_host python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.168.1.10", 6001))'
wait_grep '"dport":6001' "$DAEMON_LOG"
cp "$DAEMON_LOG" "$DAEMON_LOG.1" && : >"$DAEMON_LOG"	# logrotate's copytruncate
in_host python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.168.1.10", 6002))'
wait_grep '"dport":6002' "$DAEMON_LOG"
check "copytruncate: new verdicts at the start of the same file" \
	sh -c "head -n 1 '$DAEMON_LOG' | grep -q '\"dport\":6002'"
mv "$DAEMON_LOG" "$DAEMON_LOG.2"
# the file cannot be made again: the log-reopen and config events go to the old one
daemon_hup "$pid" "$DAEMON_LOG.2"
check "a rename it cannot follow is reported in the old file" \
	grep -q '"event":"log-reopen".*"error":"Permission denied"' "$DAEMON_LOG.2"
check "and on standard error" grep -q 'reopen log .*Permission denied' "$DAEMON_ERR"
check "the daemon goes on" kill -0 "$pid"
check "daemon exits 0" daemon_stop
check "it removed its table with what it kept" no_gw_table ip ipsecguard
n=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG.2" count hook=forward dst=192.168.1.10)
check "verdicts were logged ($n)" [ "$n" -ge 1 ]
