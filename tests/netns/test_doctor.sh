#!/bin/sh
# ipsecguard doctor on gateways built to have each problem and built not to: an out SP
# 10.0.2.0/24 -> 192.168.0.0/16 and a MASQUERADE on the WAN (iptables-nft, native
# nft, iptables-legacy), with and without the exemptions that make it safe; forward
# policies with forwarding off; a required template without its SA; disable_xfrm.
# Each prediction is held against what real traffic does in the same namespace: the
# peer counts the packets that arrive translated.  This kernel has no ESP: the SP's
# template is optional ("level use") and without SA its packets leave untransformed,
# so rules that exempt only tunnelled traffic (rt ipsec, -m policy --pol) do not
# exempt them (doctor says so, traffic agrees); a second SP with a required template
# (held back without SA, transformed once it flows) shows those rules exempting.
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
		ip saddr 172.16.0.1 ip daddr 192.168.0.0/16 counter name "natted"
	}
	counter natted { }
}
NFT
natted() { in_peer nft list counter inet seen natted | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# does real traffic leave translated?  (a ping: the template is optional here)
leaks() {
	in_peer nft reset counters table inet seen >/dev/null
	in_gw conntrack -F >/dev/null 2>&1
	in_host ping -c1 -W1 192.168.1.10 >/dev/null 2>&1
	[ "$(natted)" -ge 1 ]
}
doctor() {	# doctor: the JSON answer in $TMPD/d.json, exit status in $DOC_RC
	in_gw "$BUILD/ipsecguard" doctor --json --sample 0 >"$TMPD/d.json"
	DOC_RC=$?
}
no_leak() { ! leaks; }
has() {		# has ID [SEVERITY]: a finding with that id (and severity)
	python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(0 if any(f['id']==sys.argv[2] and (len(sys.argv)<4 or f['severity']==sys.argv[3])
		  for f in d['findings']) else 1)" "$TMPD/d.json" "$@"
}
hasnt() { ! has "$@"; }
nat_findings() {	# nat_findings [SRC]: nat findings (about the SP of that source)
	python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
src=sys.argv[2] if len(sys.argv)>2 else ''
print(sum(1 for f in d['findings'] if f['id'].startswith('nat-') and
	  (not src or f['sp']['src'].startswith(src))))" "$TMPD/d.json" "$@"
}

info "no NAT at all"
doctor
check "doctor: no nat finding without NAT ($(nat_findings))" [ "$(nat_findings)" = 0 ]
check "and traffic agrees: nothing translated" no_leak

info "iptables-nft: MASQUERADE on the WAN"
in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -j MASQUERADE
doctor
check "doctor: nat-before-ipsec, critical" has nat-before-ipsec critical
check "doctor: exit status 4 for a critical finding" [ "$DOC_RC" = 4 ]
check "the finding names the backend and the SP" \
	grep -q '"evidence":"out SP [0-9]* 10.0.2.0/24 -> 192.168.0.0/16 reqid 1: iptables-nft' "$TMPD/d.json"
check "the fix is the exemption" grep -q 'iptables -t nat -I POSTROUTING 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j RETURN' "$TMPD/d.json"
check "and traffic agrees: the ping leaves translated" leaks
in_gw "$BUILD/ipsecguard" doctor --sample 0 >"$TMPD/d.txt"
check "the text output says it too" grep -q "^critical nat-before-ipsec" "$TMPD/d.txt"

info "iptables-nft: the exemption first"
in_gw iptables-nft -t nat -I POSTROUTING 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j RETURN
doctor
check "doctor: no nat finding with the exemption ($(nat_findings))" [ "$(nat_findings)" = 0 ]
check "and traffic agrees: nothing translated" no_leak
in_gw iptables-nft -t nat -D POSTROUTING 1

info "iptables-nft: MASQUERADE only for traffic without IPsec policy"
in_gw iptables-nft -t nat -F POSTROUTING
in_gw ip xfrm policy add dir out src 10.0.3.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport reqid 3
in_gw iptables-nft -t nat -A POSTROUTING -o wan0 -m policy --dir out --pol none -j MASQUERADE
doctor
check "doctor: -m policy --pol none exempts a tunnel that carries its SP ($(nat_findings 10.0.3.0))" \
	[ "$(nat_findings 10.0.3.0)" = 0 ]
check "doctor: but not an optional template without SA: its packets leave in clear" \
	has nat-before-ipsec critical
check "and traffic agrees: the ping leaves translated" leaks
in_gw iptables-nft -t nat -F POSTROUTING

info "iptables-nft: MASQUERADE bound to another interface"
in_gw iptables-nft -t nat -A POSTROUTING -o lan0 -j MASQUERADE
doctor
check "doctor: -o lan0 does not touch the WAN-bound SP ($(nat_findings))" [ "$(nat_findings)" = 0 ]
in_gw iptables-nft -t nat -F POSTROUTING

info "iptables-nft: MASQUERADE for part of the selector"
in_gw iptables-nft -t nat -A POSTROUTING -s 10.0.2.128/25 -j MASQUERADE
doctor
check "doctor: part of the source prefix: nat-may-translate, a warning" has nat-may-translate warning
check "doctor: exit status 3 for a warning" [ "$DOC_RC" = 3 ]
check "naming the undecided condition" grep -q 'undecided: source address' "$TMPD/d.json"
in_gw iptables-nft -t nat -F POSTROUTING
in_gw nft delete table ip nat

info "native nft: masquerade, then limited by oifname and by rt ipsec"
in_gw nft -f - <<'NFT'
table inet natx {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "wan0" masquerade
	}
}
NFT
doctor
check "doctor: native nft masquerade is nat-before-ipsec" has nat-before-ipsec critical
check "with the nft fix command" grep -q 'nft insert rule inet natx post ip saddr 10.0.2.0/24 ip daddr 192.168.0.0/16 return' "$TMPD/d.json"
check "and traffic agrees" leaks
in_gw nft flush chain inet natx post
in_gw nft add rule inet natx post oifname "wan0" rt ipsec missing masquerade
doctor
check "doctor: rt ipsec missing exempts the tunnelled SP ($(nat_findings 10.0.3.0))" \
	[ "$(nat_findings 10.0.3.0)" = 0 ]
check "doctor: not the untransformed one ($(nat_findings 10.0.2.0))" [ "$(nat_findings 10.0.2.0)" = 1 ]
check "and traffic agrees" leaks
in_gw nft flush chain inet natx post
in_gw nft add set inet natx lans '{ type ipv4_addr; flags interval; elements = { 10.0.0.0/8 }; }'
in_gw nft add rule inet natx post ip saddr @lans oifname '{ "wan0", "wan1" }' masquerade
doctor
check "doctor: a named set and an anonymous one decide it: nat-before-ipsec" \
	has nat-before-ipsec critical
in_gw nft flush set inet natx lans
in_gw nft add element inet natx lans '{ 10.9.0.0/16 }'
doctor
check "doctor: the set no longer holds the SP's source: nothing ($(nat_findings 10.0.2.0))" \
	[ "$(nat_findings 10.0.2.0)" = 0 ]
check "and traffic agrees" no_leak
in_gw nft flush chain inet natx post
in_gw nft add rule inet natx post oifname "eth9" masquerade
doctor
check "doctor: another interface: nothing ($(nat_findings))" [ "$(nat_findings)" = 0 ]
check "and traffic agrees" no_leak
in_gw nft delete table inet natx

if command -v iptables-legacy >/dev/null && in_gw iptables-legacy -t nat -L -n >/dev/null 2>&1; then
	info "iptables-legacy: MASQUERADE, then the exemption"
	in_gw iptables-legacy -t nat -A POSTROUTING -o wan0 -j MASQUERADE
	doctor
	check "doctor: legacy MASQUERADE is nat-before-ipsec" has nat-before-ipsec critical
	check "naming the legacy rule" grep -q 'iptables-legacy nat POSTROUTING rule 1: -A POSTROUTING -o wan0 -j MASQUERADE' "$TMPD/d.json"
	check "and traffic agrees" leaks
	in_gw iptables-legacy -t nat -I POSTROUTING 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j RETURN
	doctor
	check "doctor: the legacy exemption counts ($(nat_findings 10.0.2.0))" \
		[ "$(nat_findings 10.0.2.0)" = 0 ]
	check "doctor: for its selector only: the other SP is still translated" \
		[ "$(nat_findings 10.0.3.0)" = 1 ]
	check "and traffic agrees" no_leak
	in_gw iptables-legacy -t nat -F POSTROUTING
else
	info "iptables-legacy not usable here: its cases not run"
fi

in_gw ip xfrm policy del dir out src 10.0.3.0/24 dst 192.168.0.0/16

info "the tunnel's own packets: IKE, NAT-T, ESP against the input and output filters"
in_gw ip xfrm policy add dir out src 10.0.5.0/24 dst 192.168.0.0/16 \
	tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel reqid 8
in_gw nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif "lo" accept
	}
}
NFT
doctor
check "doctor: policy drop after ct state: IKE may be blocked (a warning)" \
	has tunnel-may-be-blocked warning
check "naming IKE, NAT-T and ESP from the peer" \
	grep -q 'IKE (udp 500), NAT-T (udp 4500), ESP from 172.16.0.2 -> 172.16.0.1: the chain' "$TMPD/d.json"
in_gw nft add rule inet fw input udp dport '{ 500, 4500 }' accept
in_gw nft add rule inet fw input meta l4proto esp accept
doctor
check "doctor: with IKE, NAT-T and ESP accepted: nothing" \
	sh -c "! grep -q '\"id\":\"tunnel-' '$TMPD/d.json'"
in_gw nft insert rule inet fw input ip saddr 172.16.0.2 counter drop
doctor
check "doctor: a drop of the peer before any accept: tunnel-blocked, critical" \
	has tunnel-blocked critical
in_peer python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("172.16.0.2", 500)); s.sendto(b"x" * 28, ("172.16.0.1", 500))'
n=$(in_gw nft list chain inet fw input | sed -n 's/.*saddr 172.16.0.2 counter packets \([0-9]*\).*/\1/p')
check "and the kernel agrees: the peer's IKE packet hit that drop (${n:-0})" [ "${n:-0}" -ge 1 ]
in_gw nft delete table inet fw
if command -v iptables-legacy >/dev/null && in_gw iptables-legacy -L -n >/dev/null 2>&1; then
	info "the same with iptables-legacy: a user chain that drops ESP from the peer"
	in_gw iptables-legacy -N vpn-in
	in_gw iptables-legacy -A vpn-in -p udp -m multiport --dports 500,4500 -j ACCEPT
	in_gw iptables-legacy -A vpn-in -s 172.16.0.2/32 -p esp -j DROP
	in_gw iptables-legacy -A INPUT -i lo -j ACCEPT
	in_gw iptables-legacy -A INPUT -j LOG
	in_gw iptables-legacy -A INPUT -i wan0 -j vpn-in
	doctor
	check "doctor: legacy drop of ESP in a jumped-to chain: tunnel-blocked, critical" \
		has tunnel-blocked critical
	check "naming ESP only, the legacy rule and the chain" \
		grep -q '"evidence":"ESP from 172.16.0.2 -> 172.16.0.1: rule 2 \\"-A vpn-in -s 172.16.0.2/32 -p esp -j DROP\\" in iptables-legacy ip filter INPUT' "$TMPD/d.json"
	check "and the fix is an iptables-legacy command" \
		grep -q '"fix":"iptables-legacy -I INPUT 1 -s 172.16.0.2' "$TMPD/d.json"
	in_peer python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
s.sendto(b"\0\0\0\1" + b"\0" * 28, ("172.16.0.1", 0))'
	n=$(in_gw iptables-legacy -L vpn-in -v -n -x | awk '$3 == "DROP" { print $1 }')
	check "and the kernel agrees: the peer's ESP packet hit that drop (${n:-0})" [ "${n:-0}" -ge 1 ]
	in_gw iptables-legacy -R vpn-in 2 -s 172.16.0.2/32 -p esp -j ACCEPT
	in_gw iptables-legacy -P INPUT DROP
	doctor
	check "doctor: ESP accepted there, the rest falls to the DROP policy: IKE, NAT-T and ESP pass" \
		sh -c "! grep -q '\"id\":\"tunnel-' '$TMPD/d.json'"
	in_gw iptables-legacy -D INPUT -i wan0 -j vpn-in
	doctor
	check "doctor: without the jump, the legacy DROP policy blocks them" \
		grep -q '"evidence":"IKE (udp 500), NAT-T (udp 4500), ESP from 172.16.0.2 -> 172.16.0.1: the chain.s drop policy in iptables-legacy ip filter INPUT' "$TMPD/d.json"
	in_gw iptables-legacy -P INPUT ACCEPT
	in_gw iptables-legacy -F
	in_gw iptables-legacy -X
fi
in_gw ip xfrm policy del dir out src 10.0.5.0/24 dst 192.168.0.0/16

info "kernel settings and SAs"
in_gw ip xfrm policy add dir fwd src 192.168.0.0/16 dst 10.0.2.0/24 \
	tmpl proto esp mode transport reqid 1
in_gw sysctl -qw net.ipv4.ip_forward=0
doctor
check "doctor: fwd policies with forwarding off: ip-forward-off, critical" has ip-forward-off critical
in_gw sysctl -qw net.ipv4.ip_forward=1
doctor
check "doctor: not with forwarding on" hasnt ip-forward-off
in_gw ip xfrm policy add dir out src 10.0.9.0/24 dst 192.168.0.0/16 \
	tmpl proto esp mode transport reqid 9
doctor
check "doctor: a required template without SA: sa-missing" has sa-missing warning
check "doctor: not for the optional one" sh -c "! grep -q 'reqid 1: template' '$TMPD/d.json'"
info "replies that must come through another tunnel"
in_gw ip xfrm policy update dir fwd src 192.168.0.0/16 dst 10.0.2.0/24 \
	tmpl proto esp mode transport reqid 7
doctor
check "doctor: the fwd SP of the replies asks for reqid 7: reply-reqid-mismatch" \
	has reply-reqid-mismatch critical
in_gw ip xfrm policy update dir fwd src 192.168.0.0/16 dst 10.0.2.0/24 \
	tmpl proto esp mode transport reqid 1
doctor
check "doctor: not when both directions use reqid 1" hasnt reply-reqid-mismatch

info "strict rp_filter where the tunnel's ESP arrives"
in_gw ip route add 10.9.0.0/16 dev lan0
in_gw ip xfrm policy add dir fwd src 10.9.0.0/16 dst 10.0.2.0/24 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 5
in_gw sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.wan0.rp_filter=1
doctor
check "doctor: inner source routed elsewhere, strict rp_filter on wan0: rp-filter-strict" \
	has rp-filter-strict warning
in_gw sysctl -qw net.ipv4.conf.wan0.rp_filter=2
doctor
check "doctor: not with loose rp_filter" hasnt rp-filter-strict
in_gw ip xfrm policy del dir fwd src 10.9.0.0/16 dst 10.0.2.0/24

in_gw ip xfrm policy add dir in src 192.168.0.0/16 dst 10.0.4.0/24 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 4
doctor
check "doctor: a tunnel in SP for a network without its fwd twin: in-without-fwd" \
	has in-without-fwd warning
in_gw ip xfrm policy add dir fwd src 192.168.0.0/16 dst 10.0.4.0/24 \
	tmpl src 172.16.0.2 dst 172.16.0.1 proto esp mode tunnel reqid 4
doctor
check "doctor: not with the fwd SP" hasnt in-without-fwd
info "counters: cleartext from the peer where the fwd SP requires ESP, while doctor watches"
in_peer ping -i0.2 -c12 -W1 -I 192.168.1.10 10.0.2.33 >/dev/null 2>&1 &
in_gw "$BUILD/ipsecguard" doctor --json --sample 2 >"$TMPD/d.json"
wait
check "doctor --sample 2: the kernel's drops named (xfrm-counter XfrmInTmplMismatch)" \
	grep -q '"evidence":"XfrmInTmplMismatch +[0-9]* in 2 s' "$TMPD/d.json"
in_gw "$BUILD/ipsecguard" doctor --sample nope 2>/dev/null
check "doctor: a bad --sample exits 2" [ $? = 2 ]
in_gw sysctl -qw net.ipv4.conf.wan0.disable_xfrm=1
doctor
check "doctor: disable_xfrm on wan0: xfrm-disabled" grep -q 'conf/wan0/disable_xfrm = 1' "$TMPD/d.json"
check "doctor: a warning there, where the tunnels' packets leave" has xfrm-disabled warning
in_gw sysctl -qw net.ipv4.conf.wan0.disable_xfrm=0 net.ipv4.conf.lan0.disable_policy=1
doctor
check "doctor: information only on an interface no tunnel uses" has xfrm-disabled info
check "doctor: larval-drop noted while a required template has no SA" has larval-drop info
check "doctor: no default-policy finding while both are accept" hasnt xfrm-default-block
in_gw ip xfrm policy setdefault out block fwd block
doctor
check "doctor: the default out and fwd policies block: xfrm-default-block, named" \
	sh -c "grep -q 'the default out policy is block' '$TMPD/d.json' &&
		grep -q 'the default fwd policy is block' '$TMPD/d.json'"
in_gw ip xfrm policy setdefault out accept fwd accept
in_gw "$BUILD/ipsecguard" doctor --nope 2>/dev/null
check "doctor: an unknown option exits 2" [ $? = 2 ]
exit 0
