#!/bin/sh
# Rule sets read the way the kernel runs them: the nat shapes that firewalld, OpenWrt's
# fw4, Docker, libvirt, ufw and kube-proxy install, written as those tools write them
# (their chain names, hooks, priorities, jumps, gotos, returns, sets, marks), with the
# lab's LAN in place of each tool's own subnet.  For each, ipsecguard doctor and trace
# predict whether the traffic of an out SP 10.0.2.0/24 -> 192.168.0.0/16 is translated,
# and real traffic through the gateway answers: the peer counts the pings that arrive
# from the gateway's WAN address.  This kernel has no ESP: the SP's template is
# optional ("level use"), so without an SA its packets leave untransformed and what NAT
# does to them is what it would do before the tunnel.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguard
lab_up
in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport level use reqid 1
in_peer nft -f - <<'NFT'
table inet seen {
	chain in {
		type filter hook prerouting priority 0;
		ip saddr { 172.16.0.1, 172.16.0.9 } ip daddr 192.168.0.0/16 counter name "natted"
		ip saddr 10.0.2.33 ip daddr 192.168.0.0/16 counter name "clear"
	}
	counter natted { }
	counter clear { }
}
NFT
count() { in_peer nft list counter inet seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# real traffic: one ping; TRANSLATED=yes when it arrived from 172.16.0.1, no when it
# arrived from the host's own address (and the test fails when it arrived not at all)
traffic() {
	in_peer nft reset counters table inet seen >/dev/null
	in_gw conntrack -F >/dev/null 2>&1
	in_host ping -c1 -W2 192.168.1.10 >/dev/null 2>&1
	n=$(count natted) c=$(count clear)
	TRANSLATED=unknown
	[ "$n" -ge 1 ] && TRANSLATED=yes
	[ "$c" -ge 1 ] && TRANSLATED=no
}
doctor() {	# the nat finding about the SP: $NAT_ID (none), $NAT_EVIDENCE
	in_gw "$BUILD/ipsecguard" doctor --json --sample 0 >"$TMPD/d.json"
	set -- $(python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
f=[f for f in d['findings'] if f['id'].startswith('nat-')]
print(f[0]['id'] if f else 'none')
open(sys.argv[2],'w').write(f[0]['evidence'] if f else '')" "$TMPD/d.json" "$TMPD/evidence")
	NAT_ID=$1
	NAT_EVIDENCE=$(cat "$TMPD/evidence")
}
trace() {	# trace [--mark N]: $TV the verdict, $TPATH the nat path, $TSURE
	in_gw "$BUILD/ipsecguard" trace --src 10.0.2.33 --dst 192.168.1.10 --proto icmp \
		"$@" --json >"$TMPD/t.json"
	set -- $(python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
n=d.get('nat',{})
print(d['verdict'], n.get('path', n.get('chain','-')).replace(' ',''), n.get('sure','-'),
      d.get('reason','-'))" "$TMPD/t.json")
	TV=$1 TPATH=$2 TSURE=$3 TREASON=$4
}
reset_fw() {
	in_gw nft flush ruleset
	in_gw iptables-legacy -t nat -F 2>/dev/null
	in_gw iptables-legacy -t nat -X 2>/dev/null
	in_gw iptables-legacy -t mangle -F 2>/dev/null
}
# shape "what" EXPECT: doctor's finding, trace's verdict and the traffic agree with
# EXPECT: leak (translated, critical), exempt (not translated, no finding)
expect() {
	doctor
	trace
	traffic
	case $2 in
	leak)
		check "$1: doctor says nat-before-ipsec ($NAT_ID)" [ "$NAT_ID" = nat-before-ipsec ]
		check "$1: trace says leak, in the daemon's words nat-before-ipsec ($TV, $TREASON)" \
			sh -c "[ '$TV' = leak ] && [ '$TREASON' = nat-before-ipsec ]"
		check "$1: and the ping arrives translated ($TRANSLATED)" [ "$TRANSLATED" = yes ] ;;
	exempt)
		check "$1: doctor finds nothing to say ($NAT_ID)" [ "$NAT_ID" = none ]
		check "$1: trace says clear, not translated ($TV)" [ "$TV" = clear ]
		check "$1: and the ping arrives untranslated ($TRANSLATED)" [ "$TRANSLATED" = no ] ;;
	esac
}

info "firewalld (nftables backend): nat_POSTROUTING at srcnat + 10 jumps into the zones,"
info "goto by output interface into the zone, masquerade in the zone's allow chain"
cat >"$TMPD/firewalld.nft" <<'NFT'
table inet firewalld {
	chain nat_POSTROUTING {
		type nat hook postrouting priority srcnat + 10; policy accept;
		jump nat_POSTROUTING_POLICIES_pre
		jump nat_POSTROUTING_ZONES
		jump nat_POSTROUTING_POLICIES_post
	}
	chain nat_POSTROUTING_POLICIES_pre { }
	chain nat_POSTROUTING_POLICIES_post { }
	chain nat_POSTROUTING_ZONES {
		oifname "lan0" goto nat_POST_trusted
		oifname "wan0" goto nat_POST_public
		goto nat_POST_public
	}
	chain nat_POST_trusted {
		jump nat_POST_trusted_pre
		jump nat_POST_trusted_allow
	}
	chain nat_POST_trusted_pre { }
	chain nat_POST_trusted_allow { }
	chain nat_POST_public {
		jump nat_POST_public_pre
		jump nat_POST_public_log
		jump nat_POST_public_deny
		jump nat_POST_public_allow
		jump nat_POST_public_post
	}
	chain nat_POST_public_pre { }
	chain nat_POST_public_log { }
	chain nat_POST_public_deny { }
	chain nat_POST_public_allow {
		meta nfproto ipv4 oifname != "lo" masquerade
	}
	chain nat_POST_public_post { }
}
NFT
reset_fw
in_gw nft -f "$TMPD/firewalld.nft"
expect "firewalld, public zone masquerades" leak
check "doctor names the chains the kernel takes ($NAT_EVIDENCE)" sh -c "echo '$NAT_EVIDENCE' |
	grep -q 'nat_POSTROUTING > nat_POSTROUTING_ZONES > nat_POST_public > nat_POST_public_allow'"
check "trace names them too ($TPATH)" \
	[ "$TPATH" = "nat_POSTROUTING>nat_POSTROUTING_ZONES>nat_POST_public>nat_POST_public_allow" ]

info "firewalld, a policy that returns the VPN's traffic: return leaves only its own chain"
in_gw nft add rule inet firewalld nat_POSTROUTING_POLICIES_pre ip daddr 192.168.0.0/16 return
expect "firewalld, 'return' in a policy chain (the zones still masquerade)" leak
info "firewalld, a policy that accepts the VPN's traffic: the base chain ends there"
in_gw nft flush chain inet firewalld nat_POSTROUTING_POLICIES_pre
in_gw nft add rule inet firewalld nat_POSTROUTING_POLICIES_pre ip daddr 192.168.0.0/16 accept
expect "firewalld, 'accept' in a policy chain" exempt
info "firewalld, the WAN in the trusted zone (no masquerade there)"
in_gw nft flush chain inet firewalld nat_POSTROUTING_POLICIES_pre
in_gw nft flush chain inet firewalld nat_POSTROUTING_ZONES
in_gw nft add rule inet firewalld nat_POSTROUTING_ZONES oifname '"wan*"' goto nat_POST_trusted
in_gw nft add rule inet firewalld nat_POSTROUTING_ZONES goto nat_POST_public
expect "firewalld, wan* by wildcard into trusted; goto does not come back" exempt

info "OpenWrt fw4: srcnat jumps by output interface, masquerade in srcnat_wan"
reset_fw
in_gw nft -f - <<'NFT'
table inet fw4 {
	set vpn_remote {
		type ipv4_addr
		flags interval
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" jump srcnat_wan comment "!fw4: Handle wan IPv4/IPv6 srcnat traffic"
	}
	chain srcnat_wan {
		ip daddr @vpn_remote accept comment "!fw4: IPsec exemption"
		meta nfproto ipv4 masquerade comment "!fw4: Masquerade IPv4 wan traffic"
	}
}
NFT
expect "fw4, wan masquerade (the exemption's set empty)" leak
check "the path ($TPATH)" [ "$TPATH" = "srcnat>srcnat_wan" ]
in_gw nft add element inet fw4 vpn_remote '{ 192.168.0.0/16 }'
expect "fw4, the remote network in the exemption's named set" exempt
in_gw nft flush set inet fw4 vpn_remote
in_gw nft add element inet fw4 vpn_remote '{ 192.168.1.0/24 }'
doctor
check "fw4, the set holds part of the remote network: nat-may-translate ($NAT_ID)" \
	[ "$NAT_ID" = nat-may-translate ]

info "a verdict map by output interface (anonymous), as fw4 and hand-written sets do"
reset_fw
in_gw nft -f - <<'NFT'
table inet vm {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname vmap { "lan0" : accept, "wan0" : jump to_wan }
	}
	chain to_wan {
		masquerade
	}
}
NFT
expect "vmap: wan0 jumps to masquerade" leak
in_gw nft flush chain inet vm post
in_gw nft add rule inet vm post oifname vmap '{ "lan0" : jump to_wan, "wan0" : accept }'
expect "vmap: wan0 accepted" exempt

info "Docker (iptables-nft): the bridge's subnet masqueraded leaving by any other interface"
reset_fw
in_gw iptables-nft -t nat -N DOCKER
in_gw iptables-nft -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
in_gw iptables-nft -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
in_gw iptables-nft -t nat -A POSTROUTING -s 10.0.2.0/24 ! -o lan0 -j MASQUERADE
in_gw iptables-nft -t nat -A DOCKER -i lan0 -j RETURN
expect "Docker's MASQUERADE of its bridge subnet" leak
info "Docker with DOCKER-USER-style exemption in a user chain jumped to first"
in_gw iptables-nft -t nat -N VPN-EXEMPT
in_gw iptables-nft -t nat -A VPN-EXEMPT -d 192.168.0.0/16 -j ACCEPT
in_gw iptables-nft -t nat -I POSTROUTING 1 -j VPN-EXEMPT
expect "an ACCEPT in a user chain ends the base chain" exempt

info "libvirt (iptables-legacy): POSTROUTING jumps into LIBVIRT_PRT"
reset_fw
if command -v iptables-legacy >/dev/null && in_gw iptables-legacy -t nat -S >/dev/null 2>&1; then
	in_gw iptables-legacy -t nat -N LIBVIRT_PRT
	in_gw iptables-legacy -t nat -A POSTROUTING -j LIBVIRT_PRT
	for r in "-d 224.0.0.0/24 -j RETURN" "-d 255.255.255.255/32 -j RETURN" \
		 "! -d 10.0.2.0/24 -p tcp -j MASQUERADE --to-ports 1024-65535" \
		 "! -d 10.0.2.0/24 -p udp -j MASQUERADE --to-ports 1024-65535" \
		 "! -d 10.0.2.0/24 -j MASQUERADE"; do
		# shellcheck disable=SC2086
		in_gw iptables-legacy -t nat -A LIBVIRT_PRT -s 10.0.2.0/24 $r
	done
	expect "libvirt's network NAT (legacy, through -j LIBVIRT_PRT)" leak
	check "the path ($TPATH)" [ "$TPATH" = "POSTROUTING>LIBVIRT_PRT" ]
	in_gw iptables-legacy -t nat -I LIBVIRT_PRT 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j RETURN
	in_gw iptables-legacy -t nat -I POSTROUTING 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j ACCEPT
	expect "libvirt with the exemption in POSTROUTING first" exempt
	in_gw iptables-legacy -t nat -D POSTROUTING 1
	expect "a RETURN in LIBVIRT_PRT alone returns to POSTROUTING, whose end is its policy" exempt
	in_gw iptables-legacy -t nat -A POSTROUTING -o wan0 -j MASQUERADE
	expect "... unless POSTROUTING masquerades after the jump" leak
	in_gw iptables-legacy -t nat -F
	in_gw iptables-legacy -t nat -X
else
	info "(iptables-legacy cannot run here: libvirt's legacy shape left out)"
fi

info "ufw's before.rules (iptables-nft): *nat POSTROUTING masquerade of the LAN"
reset_fw
in_gw iptables-nft-restore -n <<'RULES'
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 10.0.2.0/24 -o wan0 -j MASQUERADE
COMMIT
RULES
expect "ufw's masquerade" leak
in_gw iptables-nft-restore -n <<'RULES'
*nat
:POSTROUTING ACCEPT [0:0]
-I POSTROUTING 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j ACCEPT
COMMIT
RULES
expect "ufw's masquerade after the IPsec exemption" exempt

info "kube-proxy (iptables-nft): KUBE-POSTROUTING masquerades what KUBE-MARK-MASQ marked"
reset_fw
in_gw iptables-nft-restore -n <<'RULES'
*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-MARK-MASQ
COMMIT
RULES
doctor
check "kube-proxy: doctor cannot know the packets' mark: nat-may-translate ($NAT_ID)" \
	[ "$NAT_ID" = nat-may-translate ]
check "and says the mark is what is undecided ($NAT_EVIDENCE)" \
	sh -c "echo '$NAT_EVIDENCE' | grep -q 'undecided: .*the packet mark'"
trace --mark 0
check "trace --mark 0: the mark check returns first: clear ($TV)" [ "$TV" = clear ]
traffic
check "and an unmarked ping arrives untranslated ($TRANSLATED)" [ "$TRANSLATED" = no ]
trace --mark 0x4000
check "trace --mark 0x4000: masqueraded: leak ($TV, sure $TSURE)" \
	sh -c "[ '$TV' = leak ] && [ '$TSURE' = True ]"
check "the path ($TPATH)" [ "$TPATH" = "POSTROUTING>KUBE-POSTROUTING" ]
in_gw iptables-nft -t mangle -A PREROUTING -s 10.0.2.33 -j MARK --set-xmark 0x4000/0x4000
traffic
check "and a ping marked 0x4000 on the way arrives translated ($TRANSLATED)" [ "$TRANSLATED" = yes ]
in_gw iptables-nft -t mangle -F PREROUTING

info "several nat tables: the first binding wins, by priority (not by the order they were made)"
reset_fw
in_gw nft -f - <<'NFT'
table ip late {
	chain post {
		type nat hook postrouting priority srcnat + 50; policy accept;
		ip daddr 192.168.0.0/16 snat to 172.16.0.9
	}
}
table ip early {
	chain post {
		type nat hook postrouting priority srcnat - 50; policy accept;
		ip daddr 192.168.0.0/16 snat to 172.16.0.1
	}
}
NFT
expect "an snat at srcnat - 50 before another at srcnat + 50" leak
check "trace: table early's chain, to 172.16.0.1 (the peer saw that source)" python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(not (d['nat']['table'] == 'early' and d['nat']['src'] == '172.16.0.1'))" "$TMPD/t.json"
in_gw nft insert rule ip early post ip daddr 192.168.0.0/16 accept
expect "an accept in the early chain leaves the late one to translate" leak
check "trace: now table late's, to 172.16.0.9" python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(not (d['nat']['table'] == 'late' and d['nat']['src'] == '172.16.0.9'))" "$TMPD/t.json"

info "a goto whose chain returns some packets early: they leave the calling chain too"
reset_fw
in_gw nft -f - <<'NFT'
table inet g {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		goto x
		masquerade
	}
	chain x {
		ip daddr 10.0.0.0/8 return
		accept
	}
}
NFT
expect "goto x (return for 10/8, accept the rest); the masquerade after it never runs" exempt

info "a mark set in a chain only some packets take does not mark the others"
reset_fw
in_gw nft -f - <<'NFT'
table inet m {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr 10.0.0.0/8 jump setmark
		meta mark 0x1 masquerade
	}
	chain setmark {
		meta mark set 0x1
	}
}
NFT
trace --mark 0
check "trace --mark 0: only 10/8 is marked, the ping to 192.168.1.10 is not: clear ($TV)" [ "$TV" = clear ]
traffic
check "and the ping arrives untranslated ($TRANSLATED)" [ "$TRANSLATED" = no ]

info "a verdict map's catch-all element"
reset_fw
in_gw nft -f - <<'NFT'
table inet c {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr vmap { 10.0.0.0/8 : accept, * : jump to_wan }
	}
	chain to_wan {
		masquerade
	}
}
NFT
expect "vmap { 10/8 : accept, * : jump to_wan }: the catch-all masquerades" leak

if command -v iptables-legacy >/dev/null && in_gw iptables-legacy -t nat -S >/dev/null 2>&1; then
	info "iptables-legacy's nat table (priority 100) before an nft chain at srcnat + 10"
	reset_fw
	in_gw nft -f - <<'NFT'
table inet late {
	chain post {
		type nat hook postrouting priority srcnat + 10; policy accept;
		meta mark 0x5 snat ip to 172.16.0.9
	}
}
NFT
	in_gw iptables-legacy -t nat -A POSTROUTING -s 10.0.2.0/24 -j SNAT --to-source 172.16.0.1
	expect "legacy SNAT at 100, an undecided nft rule at 110" leak
	check "trace names the legacy rule that binds first" python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(not (d['nat']['backend'] == 'iptables-legacy' and d['nat']['src'] == '172.16.0.1'))" "$TMPD/t.json"
	in_gw iptables-legacy -t nat -F
fi

info "source NAT into a tunnel's selector (overlapping subnets): the kernel looks again after NAT"
reset_fw
in_gw ip xfrm policy del dir out src 10.0.2.0/24 dst 192.168.0.0/16
in_gw ip xfrm policy add dir out src 172.16.5.0/24 dst 192.168.0.0/16 \
	tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel reqid 5
in_gw nft add table ip overlap
in_gw nft add chain ip overlap post '{ type nat hook postrouting priority srcnat; }'
in_gw nft add rule ip overlap post ip saddr 10.0.2.0/24 ip daddr 192.168.0.0/16 snat to 172.16.5.1
nostates() { in_gw awk '$1 == "XfrmOutNoStates" { print $2 }' /proc/net/xfrm_stat; }
trace
check "trace: translated into SP 172.16.5.0/24's selector, whose SA is missing: dropped ($TV)" \
	[ "$TV" = dropped ]
check "and it says NAT put it there" python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit('translates it into out SP' not in d['why'])" "$TMPD/t.json"
before=$(nostates)
traffic
check "and the kernel agrees: nothing reaches the peer ($TRANSLATED)" [ "$TRANSLATED" = unknown ]
check "XfrmOutNoStates rose ($before -> $(nostates))" [ "$(nostates)" -gt "$before" ]
info "source NAT into a block SP's selector: the kernel's lookup after NAT drops it"
reset_fw
in_gw ip xfrm policy add dir out src 172.16.6.0/24 dst 192.168.0.0/16 action block
in_gw nft add table ip blk
in_gw nft add chain ip blk post '{ type nat hook postrouting priority srcnat; }'
in_gw nft add rule ip blk post ip saddr 10.0.2.0/24 ip daddr 192.168.0.0/16 snat to 172.16.6.1
trace
check "trace: translated into a block SP: dropped ($TV)" [ "$TV" = dropped ]
check "and it names the block" grep -q 'which blocks it' "$TMPD/t.json"
traffic
check "and the kernel agrees: nothing reaches the peer ($TRANSLATED)" [ "$TRANSLATED" = unknown ]
exit 0
