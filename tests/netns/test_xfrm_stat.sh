#!/bin/sh
# ipsecguard stats on the gateway's own namespace: provoke XfrmOutNoStates (an out policy
# with a required ESP template and no SA) and XfrmInTmplMismatch (cleartext forwarded
# from the peer on a fwd policy that requires ESP), and check that the one-shot JSON and
# the --watch event lines report exactly those increases, with their meanings and the
# verdict reasons tied to them.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguard
lab_up
in_gw test -r /proc/net/xfrm_stat || skip "kernel without CONFIG_XFRM_STATISTICS"

IG=$BUILD/ipsecguard
N=4	# packets sent each way

# value of counter $2 in the one-shot JSON file $1
counter() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(c["value"] for c in d["counters"] if c["counter"] == sys.argv[2]))' "$1" "$2"
}

check "stats --json --all reads the namespace's counters" \
	sh -c "ip netns exec $NS_GW $IG stats --json --all >$TMPD/before.json"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["counters"]))' \
	"$TMPD/before.json")
check "every counter listed with --all ($n)" [ "$n" -ge 28 ]

# the watcher's baseline comes first: it has read it once it sleeps its first interval
# (nothing else in it waits)
watcher_sleeps() {
	for p in $(ip netns pids "$NS_GW"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = ipsecguard ] || continue
		case $(cat /proc/$p/wchan 2>/dev/null) in
		*nanosleep*) return 0 ;;
		0 | "") [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" = S ] && return 0 ;;
		esac
	done
	return 1
}
bg sh -c "ip netns exec $NS_GW $IG stats --watch 1 --count 9 --json >$TMPD/watch.jsonl"
WATCH_PID=$LAST_PID
wait_for 10 "the watcher's first interval" watcher_sleeps

# host -> peer: the gateway's out policy wants an ESP SA that does not exist
in_gw ip xfrm policy add src 10.0.2.0/24 dst 192.168.0.0/16 dir out \
	tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel ||
	fail "out policy not installed"
# peer -> host in clear: the gateway's fwd policy requires ESP
in_gw ip xfrm policy add src 192.168.0.0/16 dst 10.0.2.0/24 dir fwd \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel ||
	fail "fwd policy not installed"
in_host ping -c $N -i 0.2 -W 1 192.168.1.10 >/dev/null &&
	fail "host reached the peer although the out policy has no SA"
in_peer ping -c $N -i 0.2 -W 1 -I 192.168.1.10 10.0.2.33 >/dev/null &&
	fail "the peer's cleartext passed a fwd policy that requires ESP"

in_gw "$IG" stats --json >"$TMPD/after.json" || fail "stats --json after"
out=$(( $(counter "$TMPD/after.json" XfrmOutNoStates) - $(counter "$TMPD/before.json" XfrmOutNoStates) ))
tm=$(( $(counter "$TMPD/after.json" XfrmInTmplMismatch) - $(counter "$TMPD/before.json" XfrmInTmplMismatch) ))
info "XfrmOutNoStates +$out, XfrmInTmplMismatch +$tm"
check "XfrmOutNoStates grew by one per packet ($out)" [ "$out" -eq $N ]
check "XfrmInTmplMismatch grew by one per packet ($tm)" [ "$tm" -eq $N ]
check "the one-shot JSON explains them and names the verdicts" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["counter"]: x for x in d["counters"]}
assert c["XfrmOutNoStates"]["reason"] == "no-sa", c["XfrmOutNoStates"]
assert c["XfrmInTmplMismatch"]["reason"] == "tmpl-mismatch", c["XfrmInTmplMismatch"]
for k in ("XfrmOutNoStates", "XfrmInTmplMismatch"):
	assert c[k]["meaning"] and c[k]["cause"], c[k]
assert all(x["value"] > 0 for x in d["counters"]), "zero counters without --all"
' "$TMPD/after.json"

in_gw "$IG" stats >"$TMPD/after.txt"
check "the text output names the verdict" grep -q "XfrmInTmplMismatch.*verdict tmpl-mismatch" \
	"$TMPD/after.txt"

wait "$WATCH_PID"
check "the watcher exits 0 after --count intervals" [ $? -eq 0 ]
info "watch: $(cat "$TMPD/watch.jsonl")"
check "--watch reports the increases as xfrm_stat events" python3 -c '
import json, sys
n, tot = int(sys.argv[2]), {}
for line in open(sys.argv[1]):
	e = json.loads(line)
	assert e["event"] == "xfrm_stat" and e["ts"] and e["meaning"], e
	tot[e["counter"]] = tot.get(e["counter"], 0) + e["delta"]
	if e["counter"] == "XfrmOutNoStates":
		assert e["reason"] == "no-sa" and e["dir"] == "out", e
	if e["counter"] == "XfrmInTmplMismatch":
		assert e["reason"] == "tmpl-mismatch" and e["dir"] == "in", e
assert tot.get("XfrmOutNoStates") == n, tot
assert tot.get("XfrmInTmplMismatch") == n, tot
' "$TMPD/watch.jsonl" $N

in_gw "$IG" stats --file /nonexistent/xfrm_stat 2>"$TMPD/err"
rc=$?
check "a missing file is exit 1 ($rc)" [ $rc -eq 1 ]
check "with a hint about CONFIG_XFRM_STATISTICS" grep -q CONFIG_XFRM_STATISTICS "$TMPD/err"
in_gw "$IG" stats --count 2 2>/dev/null
check "--count without --watch is a usage error" [ $? -eq 2 ]
