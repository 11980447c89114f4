#!/bin/sh
# Fix mode on an iptables-legacy gateway, under the daemon's own reduced privileges
# (CAP_NET_ADMIN only), while another process holds the xtables lock the whole time:
#   - the packet that reveals the leak is dropped and nothing the daemon answers waits
#     for the fix (an unrelated protected connection opens at once);
#   - the exemption goes into the daemon's own nat chain, which runs before the
#     iptables-legacy nat table: it needs neither the lock nor iptables-legacy, and the
#     legacy table is left exactly as it was;
#   - the flow goes out untranslated, and a reload of the legacy rules (iptables-legacy
#     -F, then the MASQUERADE again) does not bring the leak back.
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
peer_count natted "ip saddr 172.16.0.1 ip daddr 192.168.1.10" \
	orig "ip saddr 10.0.2.33 ip daddr 192.168.1.10"
# reading takes the xtables lock too: the test reads past the one it holds
legacy_nat() { in_gw env XTABLES_LOCKFILE="$TMPD/read.lock" iptables-legacy -t nat -S POSTROUTING; }
bg in_peer python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.9.10", 5300)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()'
wait_for 10 "the peer's listener" sh -c "ip netns exec $NS_PEER ss -Hltn 'sport = :5300' | grep -q ."

info "without the daemon the leak is there"
check "a protected ping through the legacy MASQUERADE is answered" in_host ping -c1 -W2 192.168.1.10
check "translated ($(seen natted))" [ "$(seen natted)" -ge 1 ]
seen_reset
in_gw conntrack -F >/dev/null 2>&1

export XTABLES_LOCKFILE=$TMPD/xtables.lock
: >"$XTABLES_LOCKFILE"
# -o: the lock is flock's own, so it goes when flock is killed
bg flock -o "$XTABLES_LOCKFILE" sleep 600
LOCK_PID=$LAST_PID
legacy_nat >"$TMPD/legacy.before"
daemon_start --queue 60 --mode fix --user nobody
in_host ping -c1 -W1 192.168.1.10 >/dev/null 2>&1	# reveals the leak
ms=$(in_host python3 -c '
import socket, time
t = time.time(); socket.create_connection(("192.168.9.10", 5300), timeout=10).close()
print(int((time.time() - t) * 1000))')
info "a protected connection opened in ${ms} ms meanwhile"
check "the connection did not wait for the fix (${ms} ms)" [ "${ms:-99999}" -lt 1000 ]
exempt_in() { in_gw nft list chain ip ipsecguard igd_exempt | grep -q 'ipsecguard-fix sp=1'; }
wait_for 10 "the exemption, while the xtables lock is held" exempt_in
check "the xtables lock is still held" kill -0 "$LOCK_PID"
check "a ping now leaves untranslated" in_host ping -c1 -W2 192.168.1.10
check "the peer saw the original source ($(seen orig))" [ "$(seen orig)" -ge 1 ]
check "and nothing translated ($(seen natted))" [ "$(seen natted)" = 0 ]
legacy_nat >"$TMPD/legacy.during"
check "the iptables-legacy nat table is exactly as it was" cmp -s "$TMPD/legacy.before" "$TMPD/legacy.during"
pid=$(for p in $(ip netns pids "$NS_GW"); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = ipsecguardd ] && echo "$p"; done | head -n 1)
expect_eq "the daemon runs with CAP_NET_ADMIN only" \
	"$(sed -n 's/^CapEff:\t//p' /proc/$pid/status)" 0000000000001000

info "the legacy rules reloaded by their tool"
kill "$LOCK_PID" 2>/dev/null
wait "$LOCK_PID" 2>/dev/null
in_gw iptables-legacy -t nat -F POSTROUTING
in_gw iptables-legacy -t nat -A POSTROUTING -d 192.168.9.0/24 -j RETURN
in_gw iptables-legacy -t nat -A POSTROUTING -o wan0 -j MASQUERADE
in_gw conntrack -F >/dev/null 2>&1
check "a new flow after the reload leaves untranslated" in_host ping -c2 -i0.2 -W2 192.168.1.10
check "nothing translated ($(seen natted))" [ "$(seen natted)" = 0 ]
check "daemon exits 0" daemon_stop
grep '"event":"fix"' "$DAEMON_LOG" | sed 's/^/# /'
check "the exemption was logged, once" \
	[ "$(grep -c '"event":"fix","action":"nat-exemption".*"chain":"igd_exempt"' "$DAEMON_LOG")" = 1 ]
