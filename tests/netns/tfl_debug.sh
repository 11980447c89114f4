#!/bin/sh
# Fix mode on an iptables-legacy gateway, under the daemon's own reduced privileges,
# while another process holds the xtables lock:
#   - the packet that reveals the leak is dropped, and the exemption is attempted by
#     the fix thread: nothing the daemon answers waits for it (an unrelated protected
#     connection through the gateway opens at once);
#   - iptables-legacy waits for the lock a bounded time, the failure is logged with
#     its cause and a retry delay, and the SP is not counted as fixed;
#   - once the lock is free the retry inserts the exemption (the daemon kept
#     CAP_NET_RAW, which iptables-legacy needs), and the flow goes out untranslated.
# The lock is a file of this test (XTABLES_LOCKFILE), never the host's.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
command -v iptables-legacy >/dev/null || skip "iptables-legacy not installed"
command -v flock >/dev/null || skip "flock not installed"
lab_up
in_peer ip addr add 192.168.9.10/32 dev lo
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables-legacy -t nat -A POSTROUTING -d 192.168.9.0/24 -j RETURN
in_gw iptables-legacy -t nat -A POSTROUTING -o wan0 -j MASQUERADE
in_peer nft -f - <<'NFT'
table ip seen {
	chain in {
		type filter hook prerouting priority 0;
		ip saddr 172.16.0.1 ip daddr 192.168.1.10 counter name "natted"
		ip saddr 10.0.2.33 ip daddr 192.168.1.10 counter name "orig"
	}
	counter natted { }
	counter orig { }
}
NFT
seen() { in_peer nft list counter ip seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
bg in_peer python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.9.10", 5300)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()'

export XTABLES_LOCKFILE=$TMPD/xtables.lock
: >"$XTABLES_LOCKFILE"
bg flock "$XTABLES_LOCKFILE" sleep 9
LOCK_PID=$LAST_PID
sleep 0.3
DAEMON_LOG=$TMPD/v.jsonl; DAEMON_ERR=$TMPD/d.err; bg ip netns exec "$NS_GW" strace -f -tt -e trace=execve,exit_group,wait4 -o /tmp/st.txt "$BUILD/ipsecguardd" --log "$DAEMON_LOG" --queue 60 --mode fix 2>"$DAEMON_ERR"; DAEMON_PID=$LAST_PID; sleep 1.5
t0=$(date +%s%N)
in_host ping -c1 -W1 192.168.1.10 >/dev/null 2>&1	# reveals the leak
# an unrelated protected connection, while the fix waits for the lock
ms=$(in_host python3 -c '
import socket, time
t = time.time(); socket.create_connection(("192.168.9.10", 5300), timeout=10).close()
print(int((time.time() - t) * 1000))')
info "a protected connection opened in ${ms} ms while the fix waited for the xtables lock"
check "the connection did not wait for the fix (${ms} ms)" [ "${ms:-99999}" -lt 1000 ]
check "nothing translated reached the peer" [ "$(seen natted)" = 0 ]

# iptables-legacy gives up after 5 s, the retry comes 1 s later, the lock is
# released after 9 s: wait for the exemption
i=0
until in_gw iptables-legacy -t nat -S POSTROUTING | grep -q ipsecguard-fix; do
	i=$((i + 1)); [ $i -lt 200 ] || break
	sleep 0.1
done
t1=$(date +%s%N)
info "exemption in place after $(( (t1 - t0) / 1000000 )) ms"
check "the retry inserted the exemption into iptables-legacy" \
	sh -c "ip netns exec $NS_GW iptables-legacy -t nat -S POSTROUTING | sed -n 2p | grep -q 'ipsecguard-fix sp=1'"
check "a ping now leaves untranslated" in_host ping -c1 -W2 192.168.1.10
check "the peer saw the original source ($(seen orig))" [ "$(seen orig)" -ge 1 ]
check "and nothing translated ($(seen natted))" [ "$(seen natted)" = 0 ]
check "daemon exits 0" daemon_stop
grep '"event":"fix"' "$DAEMON_LOG" | sed 's/^/# /'
fixev() { grep '"event":"fix","action":"nat-exemption"' "$DAEMON_LOG" | grep -c "$1"; }
cp "$DAEMON_LOG" /tmp/fixlegacy.jsonl; cp "$DAEMON_ERR" /tmp/fixlegacy.err
check "the lock timeout was logged with its cause and the retry delay" \
	[ "$(fixev '"error":".*iptables-legacy.*lock.*"retry_in_ms":1000')" -ge 1 ]
check "then the exemption was logged, once" [ "$(fixev '"ruleset":"iptables-legacy"')" = 1 ]
kill "$LOCK_PID" 2>/dev/null
cp "$DAEMON_LOG" /tmp/fixlegacy.jsonl; cp "$DAEMON_ERR" /tmp/fixlegacy.err
in_gw iptables-legacy -t nat -F POSTROUTING
