#!/bin/sh
# Failure behaviour: a table left by a killed daemon keeps traffic flowing (bypass)
# and is replaced by the next start; --fail-closed drops when nobody listens; SIGHUP
# reopens a rotated log; SIGUSR1 logs stats.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up

daemon_start --queue 11 --queue-scope heads
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
check "a killed daemon leaves its table" gw_table ip ipsecguard
check "with nobody listening, bypass lets a new flow through" \
	in_host ping -c1 -W2 192.168.1.10
daemon_start --queue 11 --queue-scope heads
# one queue rule per tap chain, plus prerouting's two for decapsulated packets
n=$(in_gw nft list table ip ipsecguard | grep -c 'queue')
check "restart replaced the stale table ($n queue rules, 6 expected)" [ "$n" -eq 6 ]
mv "$DAEMON_LOG" "$DAEMON_LOG.1"
# its config event, written after the log was reopened: in the new file
daemon_hup
check "ping after log rotation" in_host ping -c1 -W2 -p 01 192.168.1.10
check "SIGHUP reopened the log under its name" [ -s "$DAEMON_LOG" ]
daemon_usr1
check "SIGUSR1 logged a stats event" grep -q '"event":"stats"' "$DAEMON_LOG"
check "daemon exits 0" daemon_stop

daemon_start --queue 12 --queue-scope heads --fail-closed
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
check "--fail-closed without a listener drops new flows" \
	sh -c "! ip netns exec $NS_HOST ping -c1 -W1 192.168.1.10 >/dev/null"
daemon_start --queue 12 --queue-scope heads
check "a new daemon lifts it" in_host ping -c1 -W2 192.168.1.10
check "daemon exits 0" daemon_stop
check "no table left" no_gw_table ip ipsecguard
