#!/bin/sh
# Enforcement is a kernel property: in enforce mode the daemon's tables pick out the
# suspects (flows towards a protected prefix that source NAT translated), and their
# queue has no bypass and is not fail-open.  So no translated packet of a protected
# flow reaches the peer:
#   - while the daemon runs, and after it was killed with SIGKILL (the tables stay);
#   - under a flood of new leaking flows, more than the queue holds;
#   - for SYNs with duplicate or broken TCP options, which our parser distrusts;
# while an unprotected NAT'd flow and a protected flow that is not NAT'd keep working
# with the daemon dead, and a restarted daemon takes the tables over.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd tests/synflood_tool
lab_up
in_peer ip addr add 203.0.113.5/32 dev lo
in_gw ip route add 203.0.113.5/32 via 172.16.0.2
# 192.168.9.0/24 is protected too, and exempt from NAT: a healthy protected flow
in_peer ip addr add 192.168.9.10/32 dev lo
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables -t nat -A POSTROUTING -d 192.168.9.0/24 -j RETURN
in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
peer_count natted "ip saddr 172.16.0.1 ip daddr 192.168.0.0/16" \
	clean "ip saddr 10.0.2.33 ip daddr 192.168.9.10"
tables() { in_gw nft list tables | grep -c " ipsecguard\$"; }
raw() { in_host python3 "$TOP/tests/netns/rawsend.py" 10.0.2.33 192.168.1.10 "$@"; }
# stat_past PATH N: PATH of a stats event asked for now exceeds N
stat_past() { [ "$(daemon_stat "$1")" -gt "$2" ] 2>/dev/null; }
natted_past() { [ "$(seen natted)" -gt "$1" ]; }
queue_empty() { set -- $(queue_kstats 40); [ "$1" = 0 ]; }
marker_dropped() { [ "$(log_count reason=nat-before-ipsec verdict=drop dport=4242)" -ge 1 ]; }

info "enforce, daemon running"
daemon_start --queue 40 --mode enforce
check "protected NAT'd ping gets no answer" \
	sh -c "! ip netns exec $NS_HOST ping -c2 -i0.2 -W1 192.168.1.10 >/dev/null"
check "protected ping without NAT is answered" in_host ping -c1 -W2 192.168.9.10
check "unprotected NAT'd ping is answered" in_host ping -c1 -W2 203.0.113.5
d0=$(daemon_stat reasons.nat-before-ipsec.drop)
raw 7 mss-twice 5
raw 7 mss-bad-len 5
# all ten judged (and dropped: the verdict comes before anything could reach the peer)
poll 10 stat_past reasons.nat-before-ipsec.drop $((${d0:-0} + 9))
check "nothing translated reached the peer, hostile SYNs included ($(seen natted))" \
	[ "$(seen natted)" = 0 ]
daemon_usr1
last=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats)
check "the 10 hostile SYNs are judged and dropped as nat-before-ipsec" python3 -c "
import json,sys; s=json.loads(sys.argv[1])['reasons']
print(s)
assert s['nat-before-ipsec']['drop'] >= 10, s" "$last"

info "kill -9"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
check "the tables survive the daemon ($(tables) families)" [ "$(tables)" = 2 ]
check "protected NAT'd ping: no answer with the daemon dead" \
	sh -c "! ip netns exec $NS_HOST ping -c5 -i0.2 -W1 192.168.1.10 >/dev/null"
check "protected TCP through NAT fails with the daemon dead" \
	sh -c "! ip netns exec $NS_HOST python3 -c 'import socket; socket.create_connection((\"192.168.1.10\", 5011), timeout=2)' 2>/dev/null"
raw 7 mss-twice 5
check "unprotected NAT'd ping still answered" in_host ping -c1 -W2 203.0.113.5
check "protected ping without NAT still answered" in_host ping -c3 -i0.2 -W2 192.168.9.10
check "protected TCP without NAT still works" xfer 192.168.9.10 5012 200000
check "not one translated packet reached the peer ($(seen natted))" [ "$(seen natted)" = 0 ]

info "a restarted daemon adopts the tables"
daemon_start --queue 40 --mode enforce
check "one table per family, not a second copy ($(tables))" [ "$(tables)" = 2 ]
check "protected NAT'd ping still gets no answer" \
	sh -c "! ip netns exec $NS_HOST ping -c2 -i0.2 -W1 192.168.1.10 >/dev/null"
check "protected ping without NAT answered" in_host ping -c1 -W2 192.168.9.10

info "a flood of new leaking flows"
n=$(in_host "$BUILD/tests/synflood_tool" 10.0.2.33 192.168.1.10 9 50000)
info "sent $n SYNs"
check "the flood was sent ($n)" [ "${n:-0}" -ge 40000 ]
# the flood judged (or dropped by the full queue): nothing waits in the queue, and a
# marker sent after it, a flow of its own through the same rules, has its verdict
poll 20 queue_empty
raw 4242 good 1
poll 20 marker_dropped
set -- $(queue_kstats 40)
info "kernel: waiting $1, queue_dropped $2, user_dropped $3"
check "not one translated packet of the flood reached the peer ($(seen natted))" \
	[ "$(seen natted)" = 0 ]
check "protected ping without NAT answered after the flood" in_host ping -c1 -W2 192.168.9.10
check "daemon exits 0" daemon_stop
n=$(log_count reason=nat-before-ipsec verdict=drop dport=9)
u=$(log_count reason=unjudged verdict=drop)
info "flood verdicts logged: nat-before-ipsec $n, unjudged $u (the log is rate-limited)"
check "the flood's flows were judged ($n)" [ "$n" -ge 1 ]
check "enforce leaves the tables when stopped ($(tables))" [ "$(tables)" = 2 ]

info "audit: the same hostile SYNs pass (and so the checks above could fail)"
daemon_start --queue 40
raw 7 mss-twice 3
poll 10 natted_past 2
check "in audit the hostile SYNs reach the peer translated ($(seen natted))" \
	[ "$(seen natted)" -ge 3 ]
n=$(in_host "$BUILD/tests/synflood_tool" 10.0.2.33 192.168.1.10 9 20000)
# the kernel's rule counts the flood's flows as they pass (read with the stats event)
poll 20 stat_past kernel.suspects_translated 20002
check "daemon exits 0" daemon_stop
last=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats)
info "audit flood of $n: $(echo "$last" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["kernel"], s["reasons"])')"
check "audit: the kernel's suspect counter counts every leaking flow of the flood" python3 -c "
import json,sys; s=json.loads(sys.argv[1])
assert s['kernel']['suspects_translated'] >= 20003, s['kernel']" "$last"
check "audit removes its tables when stopped ($(tables))" [ "$(tables)" = 0 ]
check "the log keeps the contract" python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG"
