#!/bin/sh
# vm-timeout: 450
# A random-SPD differential with the kernel as the oracle.  For each case (seed and
# number printed) gw1 gets a random set of out SPs — protect (the tunnel's SA, template
# required), bypass (allow, no template) or block; nested and overlapping prefixes,
# protocol selectors, random priorities — and a random source NAT on its WAN (none,
# masquerade, masquerade with a RETURN exemption for part of the far network, SNAT of a
# part of the near one).  18 flows (3 sources x 3 destinations x icmp/udp) are sent one
# packet each, four times:
#   P0  no NAT, no daemon    the kernel says which flows go through ESP
#   P1  NAT, no daemon       ... which leave in clear: a flow that went through ESP
#                            without NAT and leaves in clear with it is a leak
#   P2  NAT, audit           the daemon names every leak nat-before-ipsec, calls nothing
#                            else so, and calls no flow a bypass SP decides a miss
#   P3  NAT, enforce         no leak leaves in clear; every other flow leaves as in P1
#                            (no protected or bypassed flow dropped)
# Before P1, `ipsecguard trace` is asked about every flow to a destination the case
# does not route into ipsec0; its verdict is held against what the kernel then did in
# P1 (tunnel: ESP; leak, clear, bypass: clear; dropped: nothing), NAT into a tunnel
# included.  (What a routed flow finally does inside ipsec0 — a lookup with if_id 42
# after NAT — is not what postrouting sees, so those are not compared.)
# gw1 is route-based as well: an xfrm interface ipsec0 (if_id 42, its own SA), and a
# case may route some of the far destinations into it and give it its SP (0.0.0.0/0,
# if_id 42; without one the interface drops what is routed in).
# What leaves, and how, is counted on gw1 at postrouting priority 500 (after NAT and the
# daemon's chains) per original tuple, in the original direction (not the replies, nor
# the ICMP errors that answer a UDP flow): rt ipsec exists or into ipsec0 (ESP), else
# clear.
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
SEEDS=${SPDRAND_SEEDS:-"7 19"}	# 19_steady_random_more.sh runs others
CASES=${SPDRAND_CASES:-2}
SRCS="10.0.2.33 10.0.2.34 10.0.2.66"
DSTS="192.168.1.10 192.168.2.10 192.168.3.10"

lab_up
lab_tunnel gcm
for a in 10.0.2.34 10.0.2.66; do ip -n host addr add $a/24 dev eth0; done
for d in 192.168.2.10 192.168.3.10; do
	ip -n host2 addr add $d/32 dev lo
	ip -n gw2 route add $d/32 via $LAB_HOST2
done
ip -n gw1 xfrm policy del dir out src $LAB_LEFT_NET dst $LAB_RIGHT_NET || fail "lab's out SP"
ip -n gw1 link add ipsec0 type xfrm dev wan if_id 42 || fail "xfrm interface"
ip -n gw1 link set ipsec0 up
_sa gw1 $LAB_GW1_WAN $LAB_GW2_WAN 0x00003001 12 gcm 1 if_id 42
_sa gw2 $LAB_GW1_WAN $LAB_GW2_WAN 0x00003001 12 gcm 1

# The observation table: per flow, what left gw1 in clear and what through ESP.
{
	echo "table ip obs {"
	echo "	chain post {"
	echo "		type filter hook postrouting priority 500; policy accept;"
	for s in $SRCS; do for d in $DSTS; do for p in icmp udp; do
		m="ct direction original ct original ip saddr $s ct original ip daddr $d ct protocol $p meta l4proto $p"
		echo "		$m oifname \"ipsec0\" counter comment \"esp $s $d $p\""
		echo "		$m oifname != \"ipsec0\" rt ipsec missing counter comment \"clear $s $d $p\""
		echo "		$m rt ipsec exists counter comment \"esp $s $d $p\""
	done; done; done
	echo "	}"
	echo "}"
} >"$LAB_DIR/obs.nft"

# send_all: one packet of each flow (udp to port 7100)
send_all() {
	for s in $SRCS; do for d in $DSTS; do
		nsx host ping -n -q -c1 -W 0.3 -I $s $d >/dev/null 2>&1
		echo x | nsx host socat -u - UDP4-SENDTO:$d:7100,bind=$s 2>/dev/null
	done; done
}
# observe FILE: "src dst proto clear esp" per flow
observe() {
	nsx gw1 nft list chain ip obs post |
		sed -n 's/.*counter packets \([0-9]*\) bytes [0-9]* comment "\([a-z]*\) \([^"]*\)".*/\2 \3 \1/p' |
		awk '{ k = $2 " " $3 " " $4; if ($1 == "clear") c[k] = $5; else e[k] = $5; seen[k] = 1 }
		     END { for (k in seen) print k, c[k] + 0, e[k] + 0 }' | sort >"$1"
}
# a fresh table: its rules' counters at 0
reset_obs() {
	nsx gw1 nft delete table ip obs 2>/dev/null
	nsx gw1 nft -f "$LAB_DIR/obs.nft" || fail "observation table"
	nsx gw1 conntrack -F >/dev/null 2>&1
}

# gen SEED CASE: the case's SPs ("sp ACTION SRC DST PROTO PRIO") and NAT ("nat KIND")
gen() {
	awk -v seed="$1" -v cs="$2" 'BEGIN {
		srand(seed * 1000 + cs)
		split("10.0.2.0/24 10.0.2.32/27 10.0.2.33/32 10.0.2.64/26", S, " ")
		split("192.168.0.0/16 192.168.1.0/24 192.168.2.0/23 192.168.1.10/32 192.168.3.10/32", D, " ")
		split("any any any icmp udp", P, " ")
		n = 2 + int(rand() * 4)
		for (i = 1; i <= n; i++) {
			r = rand()
			a = r < 0.5 ? "protect" : r < 0.85 ? "bypass" : "block"
			printf "sp %s %s %s %s %d\n", a, S[1 + int(rand() * 4)], D[1 + int(rand() * 5)],
				P[1 + int(rand() * 5)], 100 * (1 + int(rand() * 4))
		}
		split("masq masq-except snat-part none", N, " ")
		r = rand()
		printf "nat %s\n", N[r < 0.9 ? 1 + int(r / 0.3) : 4]
	}'
	# the route-based part, from a generator of its own (the policy-based cases stay
	# what they were for each seed)
	awk -v seed="$1" -v cs="$2" 'BEGIN {
		srand(seed * 1000 + cs + 500)
		split("192.168.2.0/23 192.168.3.10/32 192.168.1.10/32", R, " ")
		for (i = 1; i <= 3; i++)
			if (rand() < 0.4)
				printf "route %s\n", R[i]
		if (rand() < 0.8)
			print "ifsp protect"
	}'
}

install_sps() {
	ip -n gw1 xfrm policy deleteall dir out
	ip -n gw1 route flush dev ipsec0
	grep '^route ' "$1" | while read -r _ dst; do
		ip -n gw1 route add $dst dev ipsec0
	done
	grep -q '^ifsp ' "$1" &&
		ip -n gw1 xfrm policy add dir out src 0.0.0.0/0 dst 0.0.0.0/0 if_id 42 \
			tmpl src $LAB_GW1_WAN dst $LAB_GW2_WAN proto esp reqid 1 mode tunnel
	grep '^sp ' "$1" | while read -r _ act src dst proto prio; do
		pr=""
		[ "$proto" = any ] || pr="proto $proto"
		case $act in
		protect) ip -n gw1 xfrm policy add dir out src $src dst $dst $pr priority $prio \
				tmpl src $LAB_GW1_WAN dst $LAB_GW2_WAN proto esp reqid 1 mode tunnel ;;
		bypass) ip -n gw1 xfrm policy add dir out src $src dst $dst $pr priority $prio ;;
		block) ip -n gw1 xfrm policy add dir out src $src dst $dst $pr priority $prio action block ;;
		esac 2>>"$LAB_DIR/xfrm.err"
	done
}
nat_on() {
	nsx gw1 nft delete table ip fw 2>/dev/null
	case $(sed -n 's/^nat //p' "$1") in
	none) return 0 ;;
	masq) rules='oifname "wan" masquerade' ;;
	masq-except) rules='ip daddr 192.168.1.0/24 return
		oifname "wan" masquerade' ;;
	snat-part) rules="ip saddr 10.0.2.32/27 snat to $LAB_GW1_WAN" ;;
	esac
	nsx gw1 nft -f - <<EOF || fail "nat rules"
table ip fw {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		$rules
	}
}
EOF
}
nat_off() { nsx gw1 nft delete table ip fw 2>/dev/null; return 0; }
# trace_all FILE: "src dst proto verdict" per flow, from ipsecguard trace on gw1
trace_all() {
	for s in $SRCS; do for d in $DSTS; do for p in icmp udp; do
		dp=""
		[ $p = udp ] && dp="--dport 7100"
		v=$(nsx gw1 ipsecguard trace --src $s --dst $d --proto $p $dp --json 2>/dev/null |
			sed -n 's/.*"verdict":"\([a-z-]*\)".*/\1/p')
		echo "$s $d $p ${v:-none}"
	done; done; done >"$1"
}
# routed CASE DST: the case routes DST into ipsec0
routed() {
	for r in $(sed -n 's/^route //p' "$1"); do
		case $r:$2 in
		192.168.2.0/23:192.168.2.*|192.168.2.0/23:192.168.3.*|$2/32:$2) return 0 ;;
		esac
	done
	return 1
}
# trace_vs_kernel CASE TRACE OBS: the flows where trace's verdict is not what the
# kernel did
trace_vs_kernel() {
	for d in $DSTS; do routed "$1" $d && echo "$d"; done >"$1.routed"
	awk 'FILENAME == ARGV[1] { r[$1] = 1; next }
	     FILENAME == ARGV[2] { v[$1" "$2" "$3] = $4; next }
	     r[$2] { next }
	     { k = $1" "$2" "$3; did = $5 > 0 ? "esp" : $4 > 0 ? "clear" : "nothing"
	       t = v[k]; want = t == "tunnel" || t == "wrong-tunnel" ? "esp" :
	                 t == "leak" || t == "clear" || t == "bypass" || t == "tunnel-down" ? "clear" :
	                 t == "dropped" ? "nothing" : "undecided"
	       if (want != did) print k, "trace " t, "kernel " did }' "$1.routed" "$2" "$3"
}
# pass NAME: the flows sent once, observed into $LAB_DIR/NAME.obs
pass() {
	reset_obs
	send_all
	observe "$LAB_DIR/$1.obs"
}
total_leaks=0 total_flows=0 ncase=0 total_traced=0
for seed in $SEEDS; do
	c=1
	while [ $c -le $CASES ]; do
		K="s${seed}c$c"
		gen "$seed" "$c" >"$LAB_DIR/$K.case"
		log "case $K (seed $seed, case $c):"
		sed 's/^/    /' "$LAB_DIR/$K.case"
		install_sps "$LAB_DIR/$K.case"
		nat_off
		pass "$K.p0"
		nat_on "$LAB_DIR/$K.case"
		trace_all "$LAB_DIR/$K.trace"
		pass "$K.p1"
		trace_vs_kernel "$LAB_DIR/$K.case" "$LAB_DIR/$K.trace" "$LAB_DIR/$K.p1.obs" \
			>"$LAB_DIR/$K.tdiff"
		sed 's/^/    trace disagrees: /' "$LAB_DIR/$K.tdiff"
		nt=$(( 6 * (3 - $(wc -l <"$LAB_DIR/$K.case.routed")) ))
		expect_eq "$K: trace's verdict is what the kernel did, for the $nt flows not routed" \
			"$(wc -l <"$LAB_DIR/$K.tdiff" | tr -d ' ')" 0
		total_traced=$((total_traced + nt))
		# the oracle, without any awk join: a flow leaks when P0 had ESP, P1 clear
		awk 'NR == FNR { esp0[$1" "$2" "$3] = $5; next }
		     esp0[$1" "$2" "$3] > 0 && $4 > 0 { print $1, $2, $3 }' \
			"$LAB_DIR/$K.p0.obs" "$LAB_DIR/$K.p1.obs" >"$LAB_DIR/$K.leaks"
		nl=$(wc -l <"$LAB_DIR/$K.leaks" | tr -d ' ')
		log "$K: $nl leaks: $(tr '\n' ';' <"$LAB_DIR/$K.leaks")"

		daemon_start "$K-audit" gw1 --mode audit --no-log-pass
		pass "$K.p2"
		L=$(daemon_log "$K-audit")
		daemon_stop "$K-audit"
		while read -r s d p; do
			expect_ge "$K audit: leak $s -> $d $p named nat-before-ipsec" \
				"$(log_count "$L" reason=nat-before-ipsec src=$s dst=$d proto=$p)" 1
		done <"$LAB_DIR/$K.leaks"
		for s in $SRCS; do for d in $DSTS; do for p in icmp udp; do
			grep -q "^$s $d $p\$" "$LAB_DIR/$K.leaks" && continue
			# a false call shows what the kernel did with it in each pass, and the log
			[ "$(log_count "$L" reason=nat-before-ipsec src=$s dst=$d proto=$p)" = 0 ] || {
				grep -h "^$s $d $p " "$LAB_DIR/$K.p0.obs" "$LAB_DIR/$K.p1.obs" \
					"$LAB_DIR/$K.p2.obs" | sed 's/^/    obs p0,p1,p2: /'
				log_show "$L" src=$s dst=$d
			}
			expect_eq "$K audit: $s -> $d $p is no leak and not called one" \
				"$(log_count "$L" reason=nat-before-ipsec src=$s dst=$d proto=$p)" 0
			sp=$(nsx gw1 ipsecguard lookup --dir out --src $s --dst $d --proto $p --json 2>/dev/null)
			case $sp in
			*'"action":"allow","protecting":false'*)
				expect_eq "$K audit: $s -> $d $p, decided by a bypass SP, is no miss" \
					"$(log_count "$L" reason=sp-miss-out src=$s dst=$d proto=$p)" 0 ;;
			esac
		done; done; done

		daemon_start "$K-enforce" gw1 --mode enforce --remember 0
		pass "$K.p3"
		daemon_stop "$K-enforce"
		nsx gw1 nft delete table ip ipsecguard_backstop 2>/dev/null
		nsx gw1 nft delete table ip6 ipsecguard_backstop 2>/dev/null
		while read -r s d p c1 e1; do
			c3=$(awk -v k="$s $d $p" '$1" "$2" "$3 == k { print $4 }' "$LAB_DIR/$K.p3.obs")
			e3=$(awk -v k="$s $d $p" '$1" "$2" "$3 == k { print $5 }' "$LAB_DIR/$K.p3.obs")
			if grep -q "^$s $d $p\$" "$LAB_DIR/$K.leaks"; then
				expect_eq "$K enforce: leak $s -> $d $p leaves nothing in clear" "$c3" 0
			else
				expect_eq "$K enforce: $s -> $d $p leaves as without the daemon (clear $c1, esp $e1)" \
					"$c3 $e3" "$c1 $e1"
			fi
		done <"$LAB_DIR/$K.p1.obs"
		total_leaks=$((total_leaks + nl))
		total_flows=$((total_flows + 18))
		ncase=$((ncase + 1))
		c=$((c + 1))
	done
done
log "$ncase cases (seeds $SEEDS), $total_flows flows, $total_leaks kernel-verified leaks, $total_traced flows traced as the kernel sent them"
expect_ge "the cases had leaks to find" "$total_leaks" 1
[ -s "$LAB_DIR/xfrm.err" ] && sed 's/^/    xfrm: /' "$LAB_DIR/xfrm.err"
exit 0
