#!/bin/sh
# ipsecguardd.conf and reload: a file of long options, checked with --check-config and
# named file:line when bad; the command line overrides it; SIGHUP reads it again and
# applies a mode change to the next suspect while leaking flows keep coming (every
# queued packet answered: the kernel's queue counters show no drop); a bad file on
# reload keeps the running configuration; what needs a restart is named.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
CONF=$TMPD/ipsecguardd.conf
D=$BUILD/ipsecguardd
events() { python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" events "$@"; }

cat >"$CONF" <<'EOF2'
# a gateway in audit, one protected prefix
mode = audit
queue = 95        # comments after values too
protect = 198.51.100.0/24
fail-closed = no
stats-interval = 0
EOF2
"$D" --config "$CONF" --check-config >"$TMPD/out" 2>&1
check "--check-config: a good file exits 0 ($(cat "$TMPD/out"))" [ $? = 0 ]
bad() {	# bad LINE WANT: a file with LINE at line 3 exits 2 naming file:3 and WANT
	printf '# bad\nmode = audit\n%s\n' "$1" >"$TMPD/bad.conf"
	"$D" --config "$TMPD/bad.conf" --check-config 2>"$TMPD/err"
	rc=$?
	grep -qF "$TMPD/bad.conf:3: $2" "$TMPD/err"
	check "bad file ($1): exit 2 naming line 3: $(cat "$TMPD/err")" [ $rc = 2 -a $? = 0 ]
}
bad "bogus = 1" "unknown option 'bogus'"
bad "mode = maybe" "mode = maybe: expected audit, enforce or fix"
bad "fail-closed = perhaps" "fail-closed = perhaps: expected yes or no"
bad "mode" "expected name = value"
bad "queue =" "queue = '': needs a value"
bad "config = /etc/x" "'config' belongs on the command line"
bad "protect = 10.0.0.0/33" "protect = 10.0.0.0/33"
"$D" --config "$TMPD/none.conf" --check-config 2>"$TMPD/err"
check "a missing file exits 2 naming it" \
	sh -c "[ $? = 2 ] && grep -q 'none.conf: No such file' '$TMPD/err'"
"$D" --config /dev/null --check-config >/dev/null 2>"$TMPD/err"
check "a file that is not a regular one is refused" \
	sh -c "[ $? = 2 ] && grep -q 'not a regular file' '$TMPD/err'"

lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
peer_count natted "ip saddr 172.16.0.1 ip daddr 192.168.0.0/16"

sed -i 's/^mode = audit/mode = enforce/' "$CONF"
daemon_start --config "$CONF" --mode audit
check "the command line overrides the file (mode = enforce there)" \
	grep -q 'mode audit, queue 95-95' "$DAEMON_ERR"
daemon_stop
sed -i 's/^mode = enforce/mode = audit/' "$CONF"
daemon_start --config "$CONF"
check "started in the file's mode" grep -q 'mode audit, queue 95-95' "$DAEMON_ERR"
# new leaking flows, 50 a second, from the host for the rest of the test
bg in_host python3 -c '
import socket, time
while True:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("192.168.1.10", 9)); s.close(); time.sleep(0.02)'
natted_past() { [ "$(seen natted)" -gt "$1" ]; }
poll 10 natted_past 9
check "audit: the leaking flows reach the peer translated ($(seen natted))" [ "$(seen natted)" -ge 10 ]
# The flows are judged as they come, the verdicts written out within a second.
drops() { log_count reason=nat-before-ipsec verdict=drop; }
drops_past() { [ "$(drops)" -ge "$1" ]; }
# still_enforcing N DESCRIPTION: once a first flow has been dropped, N more leaking flows
# are judged and dropped (the path exercised N times) and not one more translated packet
# reaches the peer meanwhile.
still_enforcing() {
	wait_for 20 "a leaking flow judged and dropped" drops_past $(($(drops) + 1))
	a=$(seen natted) d=$(drops)
	wait_for 30 "$1 more leaking flows judged and dropped" drops_past $((d + $1))
	b=$(seen natted)
	check "$2 ($a -> $b while $(($(drops) - d)) flows were dropped)" [ "$a" = "$b" ]
}

info "mode = enforce in the file, SIGHUP, with the flows still coming"
sed -i 's/^mode = audit/mode = enforce/' "$CONF"
daemon_hup
check "a config event: applied, mode changed" \
	[ "$(events config result=applied mode=enforce)" = 1 ]
still_enforcing 75 "enforce from the next suspect on: nothing more reaches the peer"
q=$(queue_kstats 95)
check "every queued packet answered across the reload (waiting, queue_dropped, user_dropped: $q)" \
	sh -c "set -- $q; [ \$2 = 0 -a \$3 = 0 ]"
check "the daemon judged the later ones as drops" \
	[ "$(log_count reason=nat-before-ipsec verdict=drop)" -ge 10 ]

info "a bad file on reload: the running configuration stays"
echo "mode = sideways" >>"$CONF"
daemon_hup
check "config event: kept, naming the file's line" \
	grep -q '"event":"config",.*"result":"kept".*ipsecguardd.conf:7: mode = sideways' "$DAEMON_LOG"
still_enforcing 50 "still enforcing"
kill -0 "$DAEMON_PID"
check "and running" [ $? = 0 ]

info "what only a restart changes"
sed -i '/sideways/d; s/^queue = 95 .*/queue = 96/; s/^mode = enforce/mode = audit/' "$CONF"
echo "log = $TMPD/second.jsonl   # the command line's --log overrides it" >>"$CONF"
daemon_hup
check "applied: mode changed, queue needs a restart, the command line's log kept" \
	python3 -c "
import json,sys
ev=[json.loads(l) for l in open(sys.argv[1]) if '\"event\":\"config\"' in l]
e=ev[-1]; print(e)
assert e['result']=='applied' and e['changed']==['mode'] and e['restart_needed']==['queue'], e" "$DAEMON_LOG"
a=$(seen natted)
poll 10 natted_past "$a"
b=$(seen natted)
check "audit again: the flows reach the peer ($a -> $b)" [ "$b" -gt "$a" ]
check "no second log file" [ ! -e "$TMPD/second.jsonl" ]
check "still on queue 95" [ "$(queue_kstats 95)" != "" ]
daemon_stop
check "daemon exits 0" [ $? = 0 ]
exit 0
