#!/bin/sh
# Each rule set of rules/ loads on the lab's gateway (a fresh lab per set) and
# behaves with no daemon listening: the taps let flow heads through (bypass),
# MASQUERADE takes only untunnelled traffic, the leak guard drops cleartext
# towards the protected peer subnet, and an out SP without SA stops traffic
# before any tap.  The sets name the WAN eth0; the lab calls it wan0.
#
# This kernel may lack the native nft queue expression (CONFIG_NFT_QUEUE):
# then rules/ipsecguard.nft cannot load as written, and its queue lines are
# loaded as "accept" -- what "queue ... bypass" does with no listener.  The
# log says which form ran.
. "$(dirname "$0")/lib.sh"
need_root
so=$BUILD/libxt_IPSECGUARD.so
[ -f "$so" ] || skip "$so not built (make all)"
sysdir=$(pkg-config --variable=xtlibdir xtables 2>/dev/null)
[ -f "$sysdir/libxt_NFQUEUE.so" ] || sysdir=/usr/lib/x86_64-linux-gnu/xtables
XTABLES_LIBDIR=$BUILD:$sysdir
export XTABLES_LIBDIR
RULES=$TOP/rules
base_id=$$

# $SET is the set under test: legacy (rules/iptables-legacy.rules), ipt-nft
# (rules/iptables-nft.rules) or nft (rules/ipsecguard.nft); $IPT the
# iptables binary suffix of the first two.

# Counter of the rule called $1 in the loaded set: a tap role, or masq,
# guard, exemption.
cnt() {
	case $SET in
	nft) cnt_nft "$1" ;;
	*) cnt_ipt "$1" ;;
	esac
}

cnt_ipt() {
	case $1 in
	masq) t=nat pat="-j MASQUERADE" ;;
	exemption) t=nat pat="-j RETURN" ;;
	guard) t=filter pat="-j DROP" ;;
	*) t=mangle pat="ipsecguard $1\"" ;;
	esac
	in_gw "iptables-$IPT-save" -c -t $t | awk -v pat="$pat" '
		index($0, pat) { sub(/^\[/, ""); split($1, a, ":"); n += a[1] }
		END { print n + 0 }'
}

cnt_nft() {
	case $1 in
	masq) pat="masquerade" ;;
	exemption) pat="nat exemption" ;;
	guard) pat="leak guard" ;;
	*) pat=$1 ;;
	esac
	# prefix match: "leak guard" counts "leak guard replies" too
	in_gw nft list table inet igd_gateway | awk -v pat="comment \"$pat" '
		index($0, pat) { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) }
		END { print n + 0 }'
}

peer_cnt() {
	in_peer nft list table ip obs | awk -v pat="comment \"$1\"" '
		index($0, pat) { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) }
		END { print n + 0 }'
}

fails() { ! "$@"; }

# Every rule nft quoted in its errors ($TMPD/nft.err) is a queue statement.
only_queue_refused() {
	grep -A1 ': Error: ' "$TMPD/nft.err" | grep -v -e ': Error: ' -e '^--$' >"$TMPD/refused"
	[ -s "$TMPD/refused" ] && ! grep -qv 'queue num' "$TMPD/refused"
}

xfrm_stat() { in_gw awk -v k="$1" '$1 == k { print $2 }' /proc/net/xfrm_stat; }

load_ipt() {
	sed 's/-\([io]\) eth0/-\1 wan0/g' "$RULES/iptables-$IPT.rules" >"$TMPD/set.rules"
	check "rules/iptables-$IPT.rules loads" \
		in_gw "iptables-$IPT-restore" "$TMPD/set.rules"
	in_gw "iptables-$IPT-save" >"$TMPD/save1"
	check "its iptables-$IPT-save output restores unchanged" \
		in_gw "iptables-$IPT-restore" "$TMPD/save1"
	in_gw "iptables-$IPT-save" >"$TMPD/save2"
	check "the second save equals the first" \
		sh -c "grep -v '^#' '$TMPD/save1' >'$TMPD/a'; grep -v '^#' '$TMPD/save2' >'$TMPD/b'; cmp -s '$TMPD/a' '$TMPD/b'"
	n=$(grep -c -- '-j NFQUEUE --queue-num [0-9]* --queue-bypass' "$TMPD/save1")
	check "the four taps are saved as fail-open NFQUEUE rules ($n)" [ "$n" = 4 ]
}

load_nft() {
	sed 's/^define WAN = "eth0"/define WAN = "wan0"/' "$RULES/ipsecguard.nft" >"$TMPD/set.nft"
	if in_gw nft -f "$TMPD/set.nft" 2>"$TMPD/nft.err"; then
		info "rules/ipsecguard.nft loaded as written (kernel has nft queue)"
	else
		info "rules/ipsecguard.nft as written: $(head -n 1 "$TMPD/nft.err")"
		check "only the queue statements were refused" only_queue_refused
		info "loading it with each 'queue num N bypass' as 'accept' (no-listener equivalent)"
		sed -i 's/queue num [0-9-]* bypass/accept/' "$TMPD/set.nft"
		check "rules/ipsecguard.nft loads with the queue lines swapped" \
			in_gw nft -f "$TMPD/set.nft"
	fi
	check "loading it twice replaces the table" in_gw nft -f "$TMPD/set.nft"
}

exercise() {
	in_peer nft -f - <<-'EOF'
	table ip obs {
		chain pre {
			type filter hook prerouting priority -300; policy accept;
			ip daddr 192.168.0.0/16 icmp type echo-request counter comment "to-prot"
			ip saddr 172.16.0.1 icmp type echo-request counter comment "masq-src"
		}
	}
	EOF
	info "A: LAN to an Internet address (not protected)"
	check "host pings 172.16.0.2 through the gateway" in_host ping -q -c2 -i0.2 -W2 172.16.0.2
	check "MASQUERADE translated it ($(cnt masq))" [ "$(cnt masq)" -ge 1 ]
	check "the peer saw the gateway's address ($(peer_cnt masq-src))" [ "$(peer_cnt masq-src)" -ge 2 ]
	check "no tap saw it" [ "$(cnt out-clear)" = 0 ] && [ "$(cnt out-ipsec)" = 0 ]

	info "B: LAN to the peer subnet with no SP: would leave in clear"
	check "host cannot reach 192.168.1.10 in clear" fails in_host ping -q -c2 -i0.2 -W1 192.168.1.10
	n=$(cnt out-clear)
	check "the out-clear tap saw the flow heads and let them on ($n)" [ "$n" -ge 2 ]
	g=$(cnt guard)
	check "the leak guard dropped them ($g)" [ "$g" -ge 2 ]
	check "nothing reached the peer subnet" [ "$(peer_cnt to-prot)" = 0 ]
	[ "$SET" = nft ] && check "the NAT exemption returned them before srcnat ($(cnt exemption))" \
		[ "$(cnt exemption)" -ge 2 ]
	check "MASQUERADE did not take them ($(cnt masq) still)" [ "$(cnt masq)" -le 2 ]

	info "C: cleartext from the peer subnet"
	in_peer ping -c2 -i0.2 -W1 -I 192.168.1.10 10.0.2.33 >/dev/null
	n=$(cnt in-clear)
	check "the in-clear tap saw the flow head ($n)" [ "$n" -ge 1 ]
	check "the in-ipsec tap did not ($(cnt in-ipsec))" [ "$(cnt in-ipsec)" = 0 ]
	check "the leak guard dropped the replies ($(cnt guard) > $g)" [ "$(cnt guard)" -gt "$g" ]

	info "D: an out SP requiring ESP, no SA (this kernel has no ESP)"
	in_gw ip xfrm policy add src 10.0.2.0/24 dst 192.168.0.0/16 dir out \
		tmpl src 172.16.0.1 dst 172.16.0.2 proto esp mode tunnel level required
	before=$(cnt out-clear) nostates=$(xfrm_stat XfrmOutNoStates)
	check "host still cannot reach 192.168.1.10" fails in_host ping -q -c2 -i0.2 -W1 192.168.1.10
	check "XfrmOutNoStates rose ($nostates -> $(xfrm_stat XfrmOutNoStates))" \
		[ "$(xfrm_stat XfrmOutNoStates)" -gt "$nostates" ]
	check "the kernel dropped it before any tap ($(cnt out-clear) = $before)" \
		[ "$(cnt out-clear)" = "$before" ]
	check "nothing reached the peer subnet" [ "$(peer_cnt to-prot)" = 0 ]
	in_gw ip xfrm policy flush
}

# One lab per set, in a subshell so that lib.sh's cleanup trap runs for each.
run_set() {
	(
		SET=$1 IPT=$2 LAB_ID=$base_id$3
		NS_HOST=igd-h-$LAB_ID NS_GW=igd-g-$LAB_ID NS_PEER=igd-p-$LAB_ID
		TMPD=$(mktemp -d /tmp/igd-test.XXXXXX)
		lab_up
		info "=== rule set: $SET (lab $LAB_ID)"
		case $SET in
		nft) load_nft ;;
		*) load_ipt ;;
		esac
		exercise
	)
}

rc=0 ran=0
for set in legacy ipt-nft nft; do
	case $set in
	legacy) bin=iptables-legacy-restore ipt=legacy id=l ;;
	ipt-nft) bin=iptables-nft-restore ipt=nft id=n ;;
	nft) bin=nft ipt= id=f ;;
	esac
	if ! command -v $bin >/dev/null; then
		info "$bin missing: set $set not tested"
		continue
	fi
	run_set $set "$ipt" $id || rc=1
	ran=$((ran + 1))
done
[ $ran -gt 0 ] || skip "no rule set could be tried"
exit $rc
