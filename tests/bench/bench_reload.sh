#!/bin/sh
# How long a firewall reload (flush ruleset) leaves the guard's tables away, from
# the reload's commit to the commit of the daemon's transaction that puts them back,
# both as nf_tables notifies them (tests/bench/reload_window.py):
#   owner    --table-hold owner: the owned main table outlives the reload; the
#            un-owned backstop beside it is what goes and comes back
#   restore  --table-hold restore: the whole main table goes and comes back (a kernel
#            without owned tables)
#   persist  --table-hold persist (where the kernel has it): nothing goes; counted
# The daemon's own figure (restore_us of its tables events: from reading the reload to
# its batch's ack) is printed beside.  The gateway has the lab's SP; each reload loads
# its firewall as Debian's nftables.service does, `nft -f` of a file that begins with
# flush ruleset.
# Usage: bench_reload.sh [RELOADS per hold, default 100]
. "$(dirname "$0")/../netns/lib.sh"
need_root
need_bin ipsecguardd
count=${1:-100}
lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
FW=$GW_FW
gw_masquerade

# stats NAME FILE: median and max of the numbers in FILE
stats() {
	sort -n "$2" | awk -v n="$1" '{ v[NR] = $1 }
		END { if (!NR) { printf "%-28s none\n", n; exit }
		      printf "%-28s median %6d us  max %6d us  (%d reloads)\n", n,
			v[int((NR + 1) / 2)], v[NR], NR }'
}

for hold in owner restore persist; do
	daemon_start --queue 80 --mode enforce --no-log-pass --table-hold "$hold" ||
		fail "daemon with hold $hold"
	grep -q "(hold $hold)" "$DAEMON_ERR" || { daemon_stop; info "hold $hold: not on this kernel"; continue; }
	table=ipsecguard
	[ "$hold" = owner ] && table=ipsecguard_backstop
	in_gw python3 "$TOP/tests/bench/reload_window.py" "$table" "$count" "$DAEMON_PID" \
		-f "$FW" >"$TMPD/window.$hold" || fail "hold $hold: the tables did not come back"
	daemon_stop >/dev/null
	grep -o '"restore_us":[0-9]*' "$DAEMON_LOG" | cut -d: -f2 >"$TMPD/daemon.$hold"
	stats "hold $hold: window" "$TMPD/window.$hold"
	stats "hold $hold: daemon restore_us" "$TMPD/daemon.$hold"
	[ "$hold" = persist ] && echo "hold persist: $(grep -c '"action":"kept"' "$DAEMON_LOG") of $count reloads kept the tables"
	for t in ipsecguard ipsecguard_backstop; do
		in_gw nft delete table ip $t 2>/dev/null
		in_gw nft delete table ip6 $t 2>/dev/null
	done
done
exit 0
