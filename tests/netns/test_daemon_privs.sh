#!/bin/sh
# After setup the daemon keeps only CAP_NET_ADMIN (effective, permitted, bounding),
# runs as --user, and still does its work: verdicts, and its table removed at exit.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
lab_up
chmod 0755 "$TMPD"
daemon_start --queue 70 --queue-scope heads --user nobody
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
check "traffic is judged" in_host ping -c1 -W2 192.168.1.10
kill -HUP "$pid"; sleep 0.3
check "SIGHUP reopen works as nobody" kill -0 "$pid"
check "daemon exits 0" daemon_stop
check "it removed its table with what it kept" no_gw_table ip ipsecguard
n=$(log_count hook=forward dst=192.168.1.10)
check "verdicts were logged ($n)" [ "$n" -ge 1 ]
