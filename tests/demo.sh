#!/bin/sh
# `make demo`: the seed-004 gateway in network namespaces, the daemon on it, traffic
# through it, and what the daemon saw.  Everything is removed at the end.
#
#   host 10.0.2.33 --- gw 10.0.2.1 | 172.16.0.1 --- peer 172.16.0.2, 192.168.0.0/16 behind
LAB_ID=demo$$
. "$(dirname "$0")/netns/lib.sh"
need_root
need_bin ipsecguardd ipsecguard

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

show() {	# prints the verdict lines of the log as a table
	python3 - "$DAEMON_LOG" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for o in rows:
    if o.get("event") != "verdict":
        continue
    tup = "%s %s:%s -> %s:%s" % (o.get("proto"), o.get("src"), o.get("sport", "-"),
                                o.get("dst"), o.get("dport", "-"))
    nat = ""
    if "nat_src" in o:
        nat = "  nat %s -> %s" % (o["nat_src"], o["nat_dst"])
    sp = ""
    if o.get("sp"):
        sp = "  sp #%s %s->%s reqid %s" % (o["sp"]["index"], o["sp"]["src"], o["sp"]["dst"],
                                           o["sp"].get("reqid"))
    print("  %-11s %-6s %-17s %s%s%s" % (o["hook"], o["verdict"], o["reason"], tup, nat, sp))
PY
}

say "lab: host 10.0.2.33 -- gateway 10.0.2.1/172.16.0.1 -- peer 172.16.0.2 (192.168.0.0/16)"
lab_up
echo "  namespaces $NS_HOST, $NS_GW, $NS_PEER"

say "ipsecguardd on the gateway (audit mode, its own nf_tables hooks)"
daemon_start --queue 0
in_gw nft list table ip ipsecguard | sed 's/^/  /'

say "traffic: ping, and a 10 MB TCP transfer host -> 192.168.1.10"
in_host ping -c2 -i0.2 192.168.1.10 | tail -n 2 | sed 's/^/  /'
xfer 192.168.1.10 5001 10000000 && echo "  transfer complete, byte-exact"

say "verdicts (flow heads only; the bulk of the transfer never left the kernel)"
daemon_stop
show
say "counters"
python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("  reasons:", json.dumps(s["reasons"]))
q = s["queues"][0]
print("  queue %d: %d packets, %d verdict messages in %d batches, kernel drops %d/%d" % (
    q["queue"], q["packets"], q["verdict_msgs"], q["verdict_batches"],
    q["kernel_queue_dropped"], q["kernel_user_dropped"]))'
say "cleaning up"
