#!/bin/sh
# `make demo`: a NAT-before-IPsec gateway in network namespaces with ipsecguardd on it, in
# each of its modes, and what it catches.  Everything is removed at the end.
#
#   host 10.0.2.33 --- gw 10.0.2.1 | 172.16.0.1 --- peer 172.16.0.2, 192.168.0.0/16 behind
#
# The gateway has an out SP 10.0.2.0/24 -> 192.168.0.0/16 and masquerades everything
# leaving its WAN: the classic NAT-before-IPsec mistake.  This demo runs on any kernel,
# so the SP's template is optional (no ESP module is needed); tests/vm shows the same
# with real ESP.
LAB_ID=demo$$
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/netns/lib.sh"
need_root
need_bin ipsecguardd ipsecguard

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

show() {	# the log as a table
	python3 - "$DAEMON_LOG" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    ev = o.get("event")
    if ev == "verdict":
        tup = "%s %s -> %s" % (o.get("proto"), o.get("src"), o.get("dst"))
        if "dport" in o:
            tup = "%s %s:%s -> %s:%s" % (o["proto"], o["src"], o["sport"], o["dst"], o["dport"])
        extra = ""
        if "nat_src" in o:
            extra += "  after NAT: %s -> %s" % (o["nat_src"], o["nat_dst"])
        if o.get("sp"):
            extra += "  SP %s->%s reqid %s" % (o["sp"]["src"], o["sp"]["dst"], o["sp"]["reqid"])
        if o.get("mss"):
            extra += "  MSS %d -> %d" % (o["mss"]["from"], o["mss"]["to"])
        print("  %-11s %-6s %-16s %s%s" % (o["hook"], o["verdict"], o["reason"], tup, extra))
    elif ev == "fix":
        where = " ".join(o[k] for k in ("ruleset", "table", "chain") if k in o)
        print("  fix: %s %s%s" % (o["action"], o.get("rule", o.get("deleted", "")),
                                  " in " + where if "chain" in o else ""))
    elif ev == "xfrm_stat":
        print("  kernel counter %s +%d: %s" % (o["counter"], o["delta"], o["meaning"]))
PY
}

peer_saw() {
	in_peer nft list counter inet seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

say "lab: host 10.0.2.33 -- gateway 10.0.2.1/172.16.0.1 -- peer 172.16.0.2 (192.168.0.0/16)"
lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
in_peer nft -f - <<'NFT'
table inet seen {
	counter translated { }
	counter original { }
	chain in {
		type filter hook prerouting priority 0;
		ip saddr 172.16.0.1 ip daddr 192.168.0.0/16 counter name "translated"
		ip saddr 10.0.2.33 counter name "original"
	}
}
NFT
echo "  gateway SPD (ipsecguard spd):"
in_gw "$BUILD/ipsecguard" spd | sed 's/^/    /'
echo "  gateway NAT: iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE"

say "before any traffic: ipsecguard doctor, and trace for one flow"
in_gw "$BUILD/ipsecguard" doctor --sample 0 | sed 's/^/    /'
in_gw "$BUILD/ipsecguard" trace --src 10.0.2.33 --dst 192.168.1.10 --proto tcp --dport 5001 |
	sed 's/^/    /'

say "audit mode: tag and log, let it pass"
daemon_start --queue 0
in_host ping -c2 -i0.2 192.168.1.10 >/dev/null
xfer 192.168.1.10 5001 1000000 >/dev/null
daemon_stop
show
echo "  the peer received $(peer_saw translated) packets from 172.16.0.1: the flow left the SP, in clear"

say "enforce mode: no plaintext of a protected flow leaves"
in_peer nft reset counters table inet seen >/dev/null
daemon_start --queue 0 --mode enforce --no-log-pass
in_host ping -c2 -i0.2 -W1 192.168.1.10 >/dev/null 2>&1
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
show
echo "  the peer received $(peer_saw translated) translated packets"
echo "  the daemon killed with SIGKILL, its tables stay and drop the suspects:"
in_host ping -c3 -i0.2 -W1 192.168.1.10 | grep -E 'transmitted' | sed 's/^/  ping: /'
echo "  the peer received $(peer_saw translated) translated packets"
in_gw nft delete table ip ipsecguard; in_gw nft delete table ip6 ipsecguard

say "fix mode: insert the NAT exemption, flush the flows, let them re-bind"
in_peer nft reset counters table inet seen >/dev/null
daemon_start --queue 0 --mode fix --no-log-pass
in_host ping -c4 -i0.3 -W1 192.168.1.10 | grep -E 'transmitted' | sed 's/^/  ping: /'
# the exemption lives in the daemon's own nat chain, before the gateway's MASQUERADE
poll 10 sh -c "ip netns exec $NS_GW nft list chain ip ipsecguard igd_exempt | grep -q snat"
echo "  the daemon's nat chain, before the gateway's MASQUERADE:"
in_gw nft list chain ip ipsecguard igd_exempt | grep -E 'hook|snat' | sed 's/^[[:space:]]*/    /'
daemon_stop
show
echo "  the peer received $(peer_saw original) packets from 10.0.2.33 and $(peer_saw translated) translated"

say "policy misses: cleartext from the peer subnet where the fwd SP requires ESP"
in_gw ip xfrm policy add dir fwd src 192.168.0.0/16 dst 10.0.2.0/24 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 7
daemon_start --queue 0 --no-log-pass --xfrm-stat-interval 1
in_peer ping -c2 -i0.2 -W1 -I 192.168.1.10 10.0.2.33 >/dev/null 2>&1
# the daemon's xfrm_stat watcher (every second) logs the kernel's count of them
poll 10 grep -q '"event":"xfrm_stat",.*"counter":"XfrmInTmplMismatch"' "$DAEMON_LOG" ||
	echo "  (no xfrm_stat event within 10 s)"
daemon_stop
show

say "MSS: the WAN carries 1400 bytes and ICMP frag-needed is lost on the way"
in_gw ip xfrm policy del dir fwd src 192.168.0.0/16 dst 10.0.2.0/24
in_gw iptables -t nat -F POSTROUTING
in_gw ip link set wan0 mtu 1400
in_gw nft add table inet bh
in_gw nft add chain inet bh out '{ type filter hook output priority 0; }'
in_gw nft add rule inet bh out icmp type destination-unreachable drop
daemon_start --queue 0 --mss auto --no-log-pass
xfer 192.168.1.10 5002 3000000 >/dev/null && echo "  3 MB upload complete, byte-exact"
daemon_stop
show

say "done: the lab is removed"
