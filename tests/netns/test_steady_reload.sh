#!/bin/sh
# Enforcement survives the firewall's reloads: the host firewall's NAT is loaded with
# `nft -f` of a file that begins with `flush ruleset` (what Debian's nftables.service
# does on reload), three times, while a new leaking UDP flow starts every 2 ms.  With
# the daemon's tables owned (hold persist here; hold owner: the owned table and the
# backstop beside it) no translated packet reaches the peer, the daemon's tables are
# there at the end, and each reload is logged as a tables event; another process's
# `nft delete table` of them is refused.  With hold restore (a kernel without the owner
# flag) the tables are put back after each reload, and the window is reported.
# Fix mode beside a firewalld-shaped nat table (its masquerade two jumps and a goto
# down from a base chain at srcnat + 10), which firewalld's reload deletes and loads
# again: the exemption lives in the daemon's own nat chain, so after three reloads
# under a stream of new flows none reaches the peer translated, and with hold owner it
# holds even with the daemon killed (the backstop keeps it).
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
FW=$GW_FW
gw_masquerade
peer_count natted "ip saddr 172.16.0.1 ip daddr 192.168.1.10 udp dport 7000" \
	clean "ip saddr 10.0.2.33 ip daddr 192.168.1.10"
tables() { in_gw nft list tables | grep -c " ipsecguard$1\$"; }
sent() { cat "$TMPD/progress" 2>/dev/null || echo 0; }
sent_at_least() { [ "$(sent)" -ge "$1" ]; }
queue_empty() { w=$(queue_kstats 40 | cut -d" " -f1); [ "${w:-0}" = 0 ]; }
events() { python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" events tables "$@"; }

# stream N: N new flows, one every 2 ms, to udp 7000 of the far network; meanwhile
# the firewall is reloaded three times (after 1/4, 2/4 and 3/4 of the flows)
stream() {
	rm -f "$TMPD/progress"
	bg in_host python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7000 "$1" 0.002 \
		"$TMPD/progress"
	spid=$LAST_PID
	for q in 1 2 3; do
		wait_for 30 "$((q * $1 / 4)) flows sent" sent_at_least $((q * $1 / 4))
		in_gw nft -f "$FW" || fail "firewall reload $q"
	done
	wait "$spid"
	wait_for 10 "the queue to drain" queue_empty
}

info "the same stream without the daemon leaks"
stream 200
natted=$(seen natted)
check "without the daemon, translated flows reach the peer ($natted)" [ "$natted" -ge 150 ]
seen_reset

for hold in persist owner; do
	info "enforce, hold $hold: three reloads under 1,500 new leaking flows"
	daemon_start --queue 40 --mode enforce --table-hold "$hold"
	check "the start line names the hold" grep -q "tables owned.*(hold $hold)" "$DAEMON_ERR"
	stream 1500
	expect_eq "translated packets at the peer (hold $hold)" "$(seen natted)" 0
	check "the tables are there at the end" [ "$(tables)" = 2 ]
	kill -USR1 "$DAEMON_PID"
	wait_for 10 "a stats event" sh -c "grep -q '\"event\":\"stats\"' $DAEMON_LOG"
	drops=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" field stats \
		reasons.nat-before-ipsec.drop)
	check "the stream's flows were judged and dropped ($drops)" [ "${drops:-0}" -ge 1000 ]
	if [ "$hold" = persist ]; then
		expect_eq "three reloads logged, the tables kept" "$(events action=kept)" 3
	else
		expect_eq "three reloads logged, the backstop restored" \
			"$(events action=restored)" 3
		check "the backstop is there at the end" [ "$(tables _backstop)" = 2 ]
	fi
	check "the events name the process" [ "$(events by.comm=nft)" = 3 ]
	check "another process cannot delete the table" \
		sh -c "! ip netns exec $NS_GW nft delete table ip ipsecguard 2>/dev/null"
	check "the table is still there" gw_table ip ipsecguard
	check "a protected ping through NAT still gets no answer" \
		sh -c "! ip netns exec $NS_HOST ping -c2 -i0.2 -W1 192.168.1.10 >/dev/null"
	if [ "$hold" = owner ]; then
		info "kill -9: the owned table goes with the daemon, the backstop holds"
		kill -9 "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
		wait_for 10 "the owned table to go with its owner" no_gw_table ip ipsecguard
		check "the backstop stayed" [ "$(tables _backstop)" = 2 ]
		rm -f "$TMPD/progress"
		in_host python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7000 200 0.002 \
			"$TMPD/progress" >/dev/null
		expect_eq "translated packets at the peer with the daemon dead" "$(seen natted)" 0
		check "an unprotected NAT'd ping passes the backstop" in_host ping -c1 -W2 172.16.0.2
	else
		daemon_stop
	fi
	in_gw nft -f "$FW"
	seen_reset
done

FWD=$TMPD/firewalld.nft
# firewalld's reload: its own table deleted and loaded again, in one transaction
cat >"$FWD" <<'NFT'
table inet firewalld
delete table inet firewalld
table inet firewalld {
	chain nat_POSTROUTING {
		type nat hook postrouting priority srcnat + 10; policy accept;
		jump nat_POSTROUTING_POLICIES_pre
		jump nat_POSTROUTING_ZONES
		jump nat_POSTROUTING_POLICIES_post
	}
	chain nat_POSTROUTING_POLICIES_pre {
	}
	chain nat_POSTROUTING_ZONES {
		oifname "wan0" goto nat_POST_public
		goto nat_POST_public
	}
	chain nat_POSTROUTING_POLICIES_post {
	}
	chain nat_POST_public {
		jump nat_POST_public_pre
		jump nat_POST_public_log
		jump nat_POST_public_deny
		jump nat_POST_public_allow
		jump nat_POST_public_post
	}
	chain nat_POST_public_pre {
	}
	chain nat_POST_public_log {
	}
	chain nat_POST_public_deny {
	}
	chain nat_POST_public_allow {
		meta nfproto ipv4 oifname != "lo" masquerade
	}
	chain nat_POST_public_post {
	}
}
NFT
FW_SAVE=$FW
FW=$FWD
for hold in persist owner; do
	info "fix, hold $hold, beside a firewalld-shaped table reloaded three times"
	in_gw nft flush ruleset
	in_gw nft -f "$FWD"
	in_gw conntrack -F >/dev/null 2>&1
	seen_reset
	daemon_start --queue 40 --mode fix --table-hold "$hold"
	in_host ping -c1 -W1 192.168.1.10 >/dev/null 2>&1	# reveals the leak
	exempt_in() { in_gw nft list chain ip ipsecguard igd_exempt | grep -q 'ipsecguard-fix sp='; }
	wait_for 10 "the exemption" exempt_in
	seen_reset
	stream 600
	expect_eq "translated packets at the peer after three firewalld reloads" "$(seen natted)" 0
	clean=$(seen clean)
	check "the stream reached the peer untranslated ($clean)" [ "$clean" -ge 590 ]
	check "no flow was judged a leak again" \
		[ "$(log_count reason=nat-before-ipsec dport=7000)" = 0 ]
	if [ "$hold" = owner ]; then
		kill -9 "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
		wait_for 10 "the owned table to go with its owner" no_gw_table ip ipsecguard
		in_gw nft -f "$FWD"
		seen_reset
		rm -f "$TMPD/progress"
		in_host python3 "$TOP/tests/netns/udpstream.py" 192.168.1.10 7000 200 0.002 \
			"$TMPD/progress" >/dev/null
		expect_eq "daemon killed, firewalld reloaded: translated packets at the peer" \
			"$(seen natted)" 0
		check "the backstop's exemption let them through untranslated ($(seen clean))" \
			[ "$(seen clean)" -ge 190 ]
	else
		daemon_stop
	fi
done
FW=$FW_SAVE
in_gw nft flush ruleset
in_gw nft -f "$FW"
seen_reset

info "hold restore: the tables are put back after each reload"
daemon_start --queue 40 --mode enforce --table-hold restore
check "the start line names the hold" grep -q "(hold restore)" "$DAEMON_ERR"
stream 1500
leaked=$(seen natted)
info "translated packets at the peer in the windows of three restores: $leaked"
check "the tables are there at the end" [ "$(tables)" = 2 ]
expect_eq "three restores logged" "$(events action=restored)" 3
check "fewer than 2% of the flows leaked ($leaked)" [ "$leaked" -lt 30 ]
check "the deleted table is put back" in_gw nft delete table ip ipsecguard
wait_for 10 "the table to come back" gw_table ip ipsecguard
daemon_stop
