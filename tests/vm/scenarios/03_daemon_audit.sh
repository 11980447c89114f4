#!/bin/sh
# ipsecguardd in audit mode on gw1 (its own nf_tables table, native nft queue on this
# kernel) while MASQUERADE leaks host -> host2 pings: a verdict line must appear in
# its log.  Infrastructure proof only; the reasons are the daemon scenarios' business.
. /scenarios/lib.sh

command -v ipsecguardd >/dev/null 2>&1 || skip "build/ipsecguardd not in the image (make all)"
ipsecguardd --help 2>&1 | grep -q -- '--log' || skip "ipsecguardd has no --log"

lab_up
lab_tunnel gcm
nsx gw1 nft -f - <<'NFT' || fail "MASQUERADE rule"
table ip lab_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" counter masquerade
	}
}
NFT

LOG=$LAB_DIR/ipsecguardd.json
bg_start daemon gw1 ipsecguardd --mode audit --log "$LOG"
daemon_table() { nsx gw1 nft list tables 2>/dev/null | grep -q ipsecguard; }
if ! wait_for 20 daemon_table; then
	cat "$LAB_DIR/daemon.out"
	fail "ipsecguardd did not install its table in gw1"
fi
ok "ipsecguardd runs in gw1: $(nsx gw1 nft list tables | tr '\n' ' ')"

got=$(pings host $LAB_HOST2 5)
log "pings with MASQUERADE under the audit daemon: $got/5 answered"
expect_eq "audit mode drops nothing" "$got" 5
wait_for 10 grep -q '"event":"verdict"' "$LOG" || {
	log "daemon output:"; sed 's/^/    /' "$LAB_DIR/daemon.out"
	log "log:"; sed 's/^/    /' "$LOG" 2>/dev/null
	fail "no verdict line in the daemon's log"
}
ok "verdict lines: $(grep -c '"event":"verdict"' "$LOG")"
log "reasons seen: $(grep -o '"reason":"[^"]*"' "$LOG" | sort | uniq -c | tr '\n' ' ')"
grep '"event":"verdict"' "$LOG" | head -n 3 | sed 's/^/    /'

bg_stop daemon
if nsx gw1 nft list tables 2>/dev/null | grep -q ipsecguard; then
	fail "ipsecguardd left its table behind after SIGINT"
fi
ok "ipsecguardd removed its table on exit"
