#!/bin/sh
# Packets our parser refuses to trust are accepted, counted and logged as malformed:
# they reach the peer, the queue never stalls, and a good flow still passes after them.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
in_peer nft add table ip t
in_peer nft add chain ip t c '{ type filter hook prerouting priority 0; }'
in_peer nft add rule ip t c tcp dport 7 tcp flags syn counter
syns() { in_peer nft list chain ip t c | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
syns_past() { [ "$(syns)" -gt "$1" ]; }
daemon_start --queue 13 --queue-scope heads

in_host python3 "$TOP/tests/netns/rawsend.py" 10.0.2.33 192.168.1.10 7 mss-bad-len 5
in_host python3 "$TOP/tests/netns/rawsend.py" 10.0.2.33 192.168.1.10 7 mss-twice 5
poll 10 syns_past 9
n=$(syns)
check "all 10 hostile SYNs were accepted and reached the peer ($n)" [ "$n" = 10 ]
check "a good flow passes after them" xfer 192.168.1.10 5004 1000000
set -- $(queue_kstats 13)
check "nothing waits in the queue ($1)" [ "$1" = 0 ]
check "daemon exits 0" daemon_stop
check "the log keeps the contract" python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG"
n=$(log_count reason=malformed verdict=accept error=bad-l4 hook=forward)
check "each hostile SYN was logged malformed at forward ($n)" [ "$n" = 10 ]
last=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats)
check "stats count the malformed packets by error" python3 -c "
import json,sys; s=json.loads(sys.argv[1])
assert s['malformed']['bad-l4'] >= 20, s
assert s['reasons']['malformed']['accept'] >= 20 and s['reasons']['malformed']['drop'] == 0, s" "$last"
