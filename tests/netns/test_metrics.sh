#!/bin/sh
# --metrics-file for node_exporter's textfile collector: written atomically, in the
# text format a strict parser accepts, with the counters the stats event reports;
# `ipsecguard stats --prometheus` likewise; every query of the shipped Grafana
# dashboard names a metric the daemon or the CLI writes.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd ipsecguard
P="python3 $TOP/tests/netns/promparse.py"
M=$TMPD/ipsecguard.prom
lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE

daemon_start --queue 97 --metrics-file "$M" --metrics-interval 1
check "the file is there from the start" [ -s "$M" ]
check "it parses strictly ($($P "$M" 2>&1))" $P "$M"
for i in 1 2 3 4 5 6; do in_host ping -c1 -W1 192.168.1.10 >/dev/null 2>&1; done
# the six pings judged (each its own flow), by a stats event asked for now
stat_past() { [ "$(daemon_stat "$1")" -gt "$2" ] 2>/dev/null; }
poll 10 stat_past reasons.nat-before-ipsec.accept 5
ev=$(daemon_stat reasons.nat-before-ipsec.accept)
# the file is written every second: until it shows that count
verdicts() { $P "$M" get ipsecguard_verdicts_total reason=nat-before-ipsec verdict=accept 2>/dev/null; }
file_shows() { [ "$(verdicts)" = "$1" ]; }
poll 10 file_shows "$ev"
check "it still parses after traffic" $P "$M"
got=$(verdicts)
check "verdicts: the metric equals the stats event ($got = $ev, at least 6)" \
	[ "$got" = "$ev" -a "$ev" -ge 6 ]
idx=$(in_gw "$BUILD/ipsecguard" spd --json | python3 -c "
import json,sys
print([p['index'] for p in json.load(sys.stdin)['policies'] if p['dir']=='out'][0])")
sp=$($P "$M" get ipsecguard_sp_verdicts_total sp="$idx" dir=out reason=nat-before-ipsec verdict=accept)
check "per SP: the out SP (index $idx) carries them ($sp)" [ "$sp" = "$got" ]
qd=$($P "$M" get ipsecguard_queue_kernel_drops_total queue=97 cause=queue_full)
check "the kernel's queue drops: $qd (the stats event: 0)" [ "$qd" = 0 ]
check "every xfrm_stat counter is there" \
	[ "$(grep -c '^ipsecguard_xfrm_stat_total{' "$M")" = "$(in_gw wc -l </proc/net/xfrm_stat)" ]
spd=$($P "$M" get ipsecguard_spd_policies)
check "the SPD's size ($spd)" [ "$spd" -ge 1 ]
check "no temporary file left" [ ! -e "$M.tmp" ]

in_gw "$BUILD/ipsecguard" stats --prometheus >"$TMPD/cli.prom"
check "ipsecguard stats --prometheus parses strictly ($($P "$TMPD/cli.prom" 2>&1))" $P "$TMPD/cli.prom"
a=$($P "$TMPD/cli.prom" get ipsecguard_kernel_rule_packets_total rule=suspects_translated)
check "and reads the same rule counters ($a suspects queued)" [ "$a" -ge 6 ]

{ $P "$M" families; $P "$TMPD/cli.prom" families; } | sort -u >"$TMPD/families"
python3 - "$TOP/nfqd/grafana/ipsecguard-dashboard.json" "$TMPD/families" <<'PY' >"$TMPD/dash" 2>&1
import json, re, sys
d = json.load(open(sys.argv[1]))
have = set(open(sys.argv[2]).read().split())
funcs = {"sum", "rate", "increase", "by", "or", "vector", "label_values", "and", "max",
         "min", "avg", "count", "on", "without", "irate", "delta", "topk", "bottomk"}
bad = []
for p in d["panels"]:
    for t in p.get("targets", []):
        expr = re.sub(r'"[^"]*"', '""', t["expr"])
        expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(by|without)\s*\([^)]*\)", "", expr)
        names = [n for n in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr) if n not in funcs]
        if not names:
            bad.append((p["title"], t["expr"], "no metric"))
        for n in names:
            if n not in have:
                bad.append((p["title"], n))
print(len(d["panels"]), "panels")
for b in bad:
    print("unknown:", b)
sys.exit(1 if bad else 0)
PY
rc=$?
sed 's/^/# /' "$TMPD/dash"
check "every dashboard query names a metric written here ($(head -1 "$TMPD/dash"))" [ $rc = 0 ]

daemon_stop
"$BUILD/ipsecguardd" --metrics-interval 0 2>/dev/null
check "--metrics-interval 0 exits 2" [ $? = 2 ]
exit 0
