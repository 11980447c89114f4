#!/bin/sh
# A fleet's log collection with the system's syslog, as README's "Fleets" shows it: on
# the gateway, rsyslog reads ipsecguardd's JSON log (imfile) and forwards each line
# over TCP to a collector in another namespace (the peer here), which writes what it
# receives to a file.  The collector must get the daemon's lines whole — still JSON,
# naming the gateway's host and the daemon's instance — among them the verdict of a
# leak the test provokes.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
command -v rsyslogd >/dev/null || fail "rsyslogd missing (make deps installs rsyslog)"
lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
gw_masquerade

# the collector: TCP syslog in, the message as it came out
mkdir -p "$TMPD/coll" "$TMPD/fwd"
cat >"$TMPD/coll.conf" <<EOF2
global(workDirectory="$TMPD/coll")
module(load="imtcp")
input(type="imtcp" address="172.16.0.2" port="10514" ruleset="in")
template(name="msgonly" type="string" string="%msg:2:\$%\n")
ruleset(name="in") {
	action(type="omfile" file="$TMPD/collected.jsonl" template="msgonly")
}
EOF2
# the gateway's shipper: the daemon's file in, TCP out (a queue on disk would survive
# the collector's absence; here an in-memory one is enough)
cat >"$TMPD/fwd.conf" <<EOF2
global(workDirectory="$TMPD/fwd")
module(load="imfile")
input(type="imfile" file="$TMPD/verdicts.jsonl" tag="ipsecguardd" ruleset="fwd"
      addMetadata="off" readMode="0")
template(name="line" type="string" string="<134>%timereported:::date-rfc3339% %hostname% %syslogtag% %msg%\n")
ruleset(name="fwd") {
	action(type="omfwd" target="172.16.0.2" port="10514" protocol="tcp" template="line"
	       action.resumeRetryCount="-1")
}
EOF2
bg in_peer rsyslogd -n -f "$TMPD/coll.conf" -i "$TMPD/coll.pid"
wait_for 10 "the collector listening on 172.16.0.2:10514" \
	sh -c "ip netns exec $NS_PEER ss -ltn | grep -q '172.16.0.2:10514'"
daemon_start --mode audit --log "$TMPD/verdicts.jsonl"
bg in_gw rsyslogd -n -f "$TMPD/fwd.conf" -i "$TMPD/fwd.pid"
in_host ping -c1 -W1 192.168.1.10 >/dev/null 2>&1
wait_for 10 "the leak's verdict in the daemon's own log" \
	grep -q '"reason":"nat-before-ipsec"' "$TMPD/verdicts.jsonl"
kill -USR1 "$DAEMON_PID"	# and a stats event after it
wait_for 10 "the stats event in the daemon's log" grep -q '"event":"stats"' "$TMPD/verdicts.jsonl"
wait_for 20 "the collector received the leak's verdict and the stats event" sh -c "
	grep -q '\"reason\":\"nat-before-ipsec\"' '$TMPD/collected.jsonl' &&
	grep -q '\"event\":\"stats\"' '$TMPD/collected.jsonl'"
check "every line the collector got is one of the daemon's, whole" python3 -c "
import json,sys
sent=[l.rstrip('\n') for l in open(sys.argv[1])]
got=[l.rstrip('\n') for l in open(sys.argv[2]) if l.strip()]
ok = got and all(l in sent for l in got) and all(json.loads(l)['event'] for l in got)
sys.exit(not ok)" "$TMPD/verdicts.jsonl" "$TMPD/collected.jsonl"
check "the leak's line names the gateway and the daemon" python3 -c "
import json,socket,sys
ls=[json.loads(l) for l in open(sys.argv[1]) if 'nat-before-ipsec' in l]
sys.exit(not ls or any(o['host'] != socket.gethostname() or o['instance'] != 'ipsecguard' for o in ls))" \
	"$TMPD/collected.jsonl"
n=$(wc -l <"$TMPD/collected.jsonl")
check "nothing lost on the way: the collector has every line written before it ($n)" python3 -c "
import sys
sent=[l.rstrip('\n') for l in open(sys.argv[1])]
got=set(l.rstrip('\n') for l in open(sys.argv[2]))
last=max(i for i,l in enumerate(sent) if l in got)
sys.exit(any(l not in got for l in sent[:last+1]))" "$TMPD/verdicts.jsonl" "$TMPD/collected.jsonl"
exit 0
