#!/bin/sh
# NAT exemptions (ipsecguard fixes) on the NAT-before-IPsec lab: the gateway masquerades on its
# WAN through iptables-nft, a native nft table, an inet nft table and iptables-legacy
# in turn.  For each: before the fix the peer sees the host's pings (a long-running one
# and new ones) from 172.16.0.1; after `fixes apply` for 10.0.2.0/24 -> 192.168.0.0/16
# (and fd00:2::/64 -> fd00:168::/64) plus the conntrack flush, new flows and the
# long-running ping arrive from 10.0.2.33 / fd00:2::33, traffic to an unprotected
# address (203.0.113.5) is still masqueraded, the rule shows in iptables -S and in
# `fixes list`, a second apply adds nothing, and `fixes revert` gives back the ruleset
# exactly.  Proof on the peer: nft counters by source address.
. "$(dirname "$0")/lib.sh"

need_root
need_bin ipsecguard
command -v nft >/dev/null || skip "nft not installed"
command -v iptables-nft >/dev/null || skip "iptables-nft not installed"
lab_up

CLI=$BUILD/ipsecguard
ip -n "$NS_PEER" addr add 203.0.113.5/32 dev lo
ip -n "$NS_GW" route add 203.0.113.0/24 via 172.16.0.2

# Counters on the peer, by the source address the packets arrive with.
in_peer nft -f - <<'EOF' || fail "peer counters"
table inet obs {
	counter nat4 {}
	counter orig4 {}
	counter nat6 {}
	counter orig6 {}
	counter unprot_nat {}
	counter unprot_orig {}
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr 172.16.0.1 ip daddr 192.168.1.10 counter name nat4
		ip saddr 10.0.2.33 ip daddr 192.168.1.10 counter name orig4
		ip6 saddr fd00:16::1 ip6 daddr fd00:168::10 counter name nat6
		ip6 saddr fd00:2::33 ip6 daddr fd00:168::10 counter name orig6
		ip saddr 172.16.0.1 ip daddr 203.0.113.5 counter name unprot_nat
		ip saddr 10.0.2.33 ip daddr 203.0.113.5 counter name unprot_orig
	}
}
EOF

cnt() {
	in_peer nft list counter inet obs "$1" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
ge() { [ "$1" -ge "$2" ]; }
eq() { [ "$1" -eq "$2" ]; }
# cnt_past NAME N: the peer's counter NAME has passed N
cnt_past() { [ "$(cnt "$1")" -gt "$2" ]; }

# The gateway's rule sets, without counters and dates.
snap() {
	{
		in_gw nft list ruleset 2>/dev/null
		in_gw iptables-legacy-save 2>/dev/null
		in_gw ip6tables-legacy-save 2>/dev/null
	} | sed -E -e '/^#/d' -e 's/\[[0-9]+:[0-9]+\]//g' -e 's/packets [0-9]+ bytes [0-9]+//g' >"$1"
}

nat_iptables_nft() {
	in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -j MASQUERADE &&
	in_gw ip6tables-nft -t nat -A POSTROUTING -o wan0 -j MASQUERADE
}
unnat_iptables_nft() { in_gw nft delete table ip nat; in_gw nft delete table ip6 nat; }

nat_nft() {
	in_gw nft add table ip mynat &&
	in_gw nft add chain ip mynat post '{ type nat hook postrouting priority srcnat; }' &&
	in_gw nft add rule ip mynat post oif wan0 masquerade &&
	in_gw nft add table ip6 mynat6 &&
	in_gw nft add chain ip6 mynat6 post '{ type nat hook postrouting priority srcnat; }' &&
	in_gw nft add rule ip6 mynat6 post oif wan0 masquerade
}
unnat_nft() { in_gw nft delete table ip mynat; in_gw nft delete table ip6 mynat6; }

nat_inet() {
	in_gw nft add table inet inat &&
	in_gw nft add chain inet inat post '{ type nat hook postrouting priority srcnat; }' &&
	in_gw nft add rule inet inat post oif wan0 masquerade
}
unnat_inet() { in_gw nft delete table inet inat; }

nat_legacy() {
	in_gw iptables-legacy -t nat -A POSTROUTING -o wan0 -j MASQUERADE &&
	in_gw ip6tables-legacy -t nat -A POSTROUTING -o wan0 -j MASQUERADE
}
unnat_legacy() {
	in_gw iptables-legacy -t nat -F POSTROUTING
	in_gw ip6tables-legacy -t nat -F POSTROUTING
}

# The long-running pings of a variant: bg's pid is the subshell around
# "ip netns exec", so stop the pings by the host namespace's own pids.
stop_pings() {
	for p in $(ip netns pids "$NS_HOST"); do kill "$p" 2>/dev/null; done
	poll 10 host_quiet || fail "the pings did not stop"
}
host_quiet() { [ -z "$(ip netns pids "$NS_HOST")" ]; }

# variant NAME KIND(as `fixes list` prints it) NRULES(per family): one NAT setup.
variant() {
	name=$1 kind=$2
	info "=== $name"
	"nat_$name" || fail "$name: masquerade setup"
	snap "$TMPD/before.$name"
	bg in_host ping -q -i 0.2 -w 120 192.168.1.10
	bg in_host ping -6 -q -i 0.2 -w 120 fd00:168::10
	poll 10 cnt_past nat4 2
	poll 10 cnt_past nat6 2
	check "$name: before the fix the peer sees the host's IPv4 pings from 172.16.0.1" \
		ge "$(cnt nat4)" 3
	check "$name: before the fix no IPv4 ping arrives from 10.0.2.33" eq "$(cnt orig4)" 0
	check "$name: before the fix IPv6 pings arrive from fd00:16::1" ge "$(cnt nat6)" 3
	check "$name: before the fix no IPv6 ping arrives from fd00:2::33" eq "$(cnt orig6)" 0

	in_gw "$CLI" fixes apply --src 10.0.2.0/24 --dst 192.168.0.0/16 --sp 1 \
		>"$TMPD/apply4" 2>&1 || { cat "$TMPD/apply4"; fail "$name: fixes apply (IPv4)"; }
	in_gw "$CLI" fixes apply --src fd00:2::/64 --dst fd00:168::/64 --sp 2 \
		>"$TMPD/apply6" 2>&1 || { cat "$TMPD/apply6"; fail "$name: fixes apply (IPv6)"; }
	cat "$TMPD/apply4" "$TMPD/apply6"
	check "$name: one IPv4 rule inserted" grep -q '^1 rule inserted' "$TMPD/apply4"
	check "$name: one IPv6 rule inserted" grep -q '^1 rule inserted' "$TMPD/apply6"
	check "$name: the long-running IPv4 ping's conntrack entry was deleted" \
		grep -Eq '^[1-9][0-9]* conntrack entr' "$TMPD/apply4"
	# the pings re-bound: their first untranslated packets arrived (and with them all
	# translated ones sent before)
	poll 10 cnt_past orig4 0
	poll 10 cnt_past orig6 0
	n4=$(cnt nat4) o4=$(cnt orig4) n6=$(cnt nat6) o6=$(cnt orig6)
	# five more of each, untranslated
	poll 10 cnt_past orig4 $((o4 + 4))
	poll 10 cnt_past orig6 $((o6 + 4))
	check "$name: the running IPv4 ping re-binds: it arrives from 10.0.2.33" \
		ge "$(($(cnt orig4) - o4))" 5
	check "$name: ... and no longer from 172.16.0.1" eq "$(($(cnt nat4) - n4))" 0
	check "$name: the running IPv6 ping arrives from fd00:2::33" ge "$(($(cnt orig6) - o6))" 5
	check "$name: ... and no longer from fd00:16::1" eq "$(($(cnt nat6) - n6))" 0

	o4=$(cnt orig4)
	check "$name: a new IPv4 flow (TCP) goes through" xfer 192.168.1.10 5001 200000
	check "$name: ... and arrives from 10.0.2.33" ge "$(($(cnt orig4) - o4))" 10
	check "$name: ... not from 172.16.0.1" eq "$(($(cnt nat4) - n4))" 0
	o6=$(cnt orig6)
	check "$name: a new IPv6 flow arrives from fd00:2::33" in_host ping -6 -c 2 -i 0.2 -q fd00:168::10
	check "$name: ... counted at the peer" ge "$(($(cnt orig6) - o6))" 2
	u=$(cnt unprot_nat)
	check "$name: ping to the unprotected 203.0.113.5" in_host ping -c 2 -i 0.2 -q 203.0.113.5
	check "$name: ... is still masqueraded" ge "$(($(cnt unprot_nat) - u))" 2
	check "$name: ... never arrives from 10.0.2.33" eq "$(cnt unprot_orig)" 0

	in_gw "$CLI" fixes list >"$TMPD/list" || fail "$name: fixes list"
	cat "$TMPD/list"
	check "$name: fixes list shows the IPv4 fix" \
		grep -Eq "^$kind +(ip|inet) .* sp 1  10\.0\.2\.0/24 -> 192\.168\.0\.0/16\$" "$TMPD/list"
	check "$name: fixes list shows the IPv6 fix" \
		grep -Eq "^$kind +(ip6|inet) .* sp 2  fd00:2::/64 -> fd00:168::/64\$" "$TMPD/list"
	check "$name: fixes list shows nothing else" eq "$(wc -l <"$TMPD/list")" 2
	in_gw "$CLI" fixes list --json >"$TMPD/list.json" || fail "$name: fixes list --json"
	check "$name: fixes list --json parses, 2 fixes" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["fixes"]
assert len(f) == 2 and {x["sp"] for x in f} == {1, 2}, f
assert any(x["src"] == "10.0.2.0/24" and x["dst"] == "192.168.0.0/16" for x in f), f
' "$TMPD/list.json"

	case $name in
	iptables_nft)
		check "$name: iptables-nft -S shows the exemption" sh -c "ip netns exec $NS_GW \
			iptables-nft -t nat -S POSTROUTING 2>/dev/null | grep -qx -- '-A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -m comment --comment \"ipsecguard-fix sp=1\" -j RETURN'"
		check "$name: ip6tables-nft -S shows the exemption" sh -c "ip netns exec $NS_GW \
			ip6tables-nft -t nat -S POSTROUTING 2>/dev/null | grep -qx -- '-A POSTROUTING -s fd00:2::/64 -d fd00:168::/64 -m comment --comment \"ipsecguard-fix sp=2\" -j RETURN'"
		check "$name: the exemption is the first rule" sh -c "ip netns exec $NS_GW \
			iptables-nft -t nat -S POSTROUTING 2>/dev/null | grep '^-A' | head -1 | grep -q RETURN" ;;
	legacy)
		check "$name: iptables-legacy -S shows the exemption first" sh -c "ip netns exec $NS_GW \
			iptables-legacy -t nat -S POSTROUTING | grep '^-A' | head -1 | grep -qx -- '-A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -m comment --comment \"ipsecguard-fix sp=1\" -j RETURN'"
		check "$name: ip6tables-legacy -S shows the exemption first" sh -c "ip netns exec $NS_GW \
			ip6tables-legacy -t nat -S POSTROUTING | grep '^-A' | head -1 | grep -qx -- '-A POSTROUTING -s fd00:2::/64 -d fd00:168::/64 -m comment --comment \"ipsecguard-fix sp=2\" -j RETURN'" ;;
	*)
		check "$name: nft shows the tagged rule first" sh -c "ip netns exec $NS_GW \
			nft list ruleset | grep -A2 'type nat hook postrouting' | grep -q 'comment \"ipsecguard-fix sp='" ;;
	esac

	snap "$TMPD/applied.$name"
	in_gw "$CLI" fixes apply --src 10.0.2.33/24 --dst 192.168.1.10/16 --sp 7 >"$TMPD/again" ||
		fail "$name: second apply"
	check "$name: a second apply inserts nothing" grep -q '^0 rules inserted, 1 chain had it' "$TMPD/again"
	snap "$TMPD/again.$name"
	check "$name: ... and leaves the ruleset as it was" cmp -s "$TMPD/applied.$name" "$TMPD/again.$name"

	in_gw "$CLI" fixes revert --sp 2 >"$TMPD/revert" || fail "$name: fixes revert --sp 2"
	check "$name: revert --sp 2 deletes the IPv6 rule only" grep -qx '1 rule deleted' "$TMPD/revert"
	check "$name: ... the IPv4 one stays" sh -c "ip netns exec $NS_GW $CLI fixes list | grep -q 'sp 1 '"
	in_gw "$CLI" fixes revert >"$TMPD/revert" || fail "$name: fixes revert"
	check "$name: revert deletes the rest" grep -qx '1 rule deleted' "$TMPD/revert"
	snap "$TMPD/after.$name"
	diff -u "$TMPD/before.$name" "$TMPD/after.$name"
	check "$name: after revert the ruleset is exactly as before apply" \
		cmp -s "$TMPD/before.$name" "$TMPD/after.$name"
	check "$name: fixes list is empty" sh -c "ip netns exec $NS_GW $CLI fixes list | grep -qx 'no fixes'"

	stop_pings
	"unnat_$name"
	in_gw conntrack -F -f ipv4 >/dev/null 2>&1
	in_gw conntrack -F -f ipv6 >/dev/null 2>&1
	in_peer nft reset counters table inet obs >/dev/null
}

variant iptables_nft iptables-nft
variant nft nft
variant inet nft
if in_gw iptables-legacy -t nat -S POSTROUTING >/dev/null 2>&1 &&
   in_gw ip6tables-legacy -t nat -S POSTROUTING >/dev/null 2>&1; then
	variant legacy iptables-legacy
else
	info "iptables-legacy cannot reach the kernel here: legacy variant skipped"
fi

# Bad usage exits 2 and names the problem.
in_gw "$CLI" fixes apply --src 10.0.2.0/24 2>"$TMPD/usage"
check "apply without --dst exits 2" eq $? 2
check "... naming --dst" grep -q -- '--dst: required' "$TMPD/usage"
in_gw "$CLI" fixes revert --sp x 2>"$TMPD/usage"
check "revert --sp x exits 2" eq $? 2
echo "PASS"
