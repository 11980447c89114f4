#!/bin/sh
# Asymmetric tunnels with real ESP: two tunnels between gw1 and gw2 with two reqids,
#   reqid 1  10.0.2.0/24 <-> 192.168.1.0/24  spi 0x1001 (gw1->gw2) / 0x2001 (gw2->gw1)
#   reqid 2  10.0.2.0/24 <-> 192.168.2.0/24  spi 0x1002 (gw1->gw2) / 0x2002 (gw2->gw1)
# and gw2's out SP for 192.168.1.0/24 -> 10.0.2.0/24 naming reqid 2 (the return path of
# tunnel 1 through tunnel 2's SA, as in the seed).  gw1 decrypts the replies with SA
# 0x2002, its fwd SP wants reqid 1: the kernel drops them and counts XfrmInTmplMismatch.
#
# Two kinds of traffic, counted apart:
#   A  host2 -> host echoes: every one is a new flow head at gw1 (the kernel drops it
#      before conntrack confirms it), decrypted by 0x2002 and queued by the daemon's
#      prerouting rule;
#   B  host -> host2 echoes: the replies are conntrack-established at gw1 (the requests
#      went out through it); the daemon queues every decapsulated packet of a
#      connection until one passes its check, so each of them is judged too.
# `ipsecguard doctor` on gw2 names the asymmetric out SP before any of this traffic.
# What ipsecguardd on gw1 reports (audit, --oneway 10, --xfrm-stat-interval 1):
#   - xfrm_stat events for XfrmInTmplMismatch, with meaning and cause, summing to the
#     kernel's delta over A and B;
#   - a one-way event for tunnel reqid 1 (out 0x1001 counts, in 0x2001 stays flat);
#   - A's heads: tmpl-mismatch once per head (its count equals the kernel's delta over
#     A), naming the decrypting SA (0x2002, reqid 2), the fwd SP (reqid 1) and the
#     reverse out SP (reqid 1);
#   - B's replies: tmpl-mismatch for each, the same names; the daemon's count equals
#     the kernel's delta over A and B.
. /scenarios/lib.sh

lab_have_daemon || skip "build/ipsecguardd not in the image (make all)"
lab_up
NET_A=192.168.1.0/24 NET_B=192.168.2.0/24 HOST2_B=192.168.2.10
ip -n gw2 addr add 192.168.2.1/24 dev lan
ip -n host2 addr add $HOST2_B/24 dev eth0
for ns in gw1 gw2; do
	_sa $ns $LAB_GW1_WAN $LAB_GW2_WAN 0x00001001 12 gcm 1
	_sa $ns $LAB_GW2_WAN $LAB_GW1_WAN 0x00002001 21 gcm 1
	_sa $ns $LAB_GW1_WAN $LAB_GW2_WAN 0x00001002 12 gcm 2
	_sa $ns $LAB_GW2_WAN $LAB_GW1_WAN 0x00002002 21 gcm 2
done
# sp NS DIR SRC DST REQID: a tunnel-mode policy to the other gateway.
sp() {
	case $1/$2 in
	gw1/out | gw2/in | gw2/fwd) _t="src $LAB_GW1_WAN dst $LAB_GW2_WAN" ;;
	*) _t="src $LAB_GW2_WAN dst $LAB_GW1_WAN" ;;
	esac
	ip -n "$1" xfrm policy add dir "$2" src "$3" dst "$4" \
		tmpl $_t proto esp reqid "$5" mode tunnel || fail "xfrm policy $*"
}
for net in A B; do
	eval "n=\$NET_$net"
	r=1; [ $net = B ] && r=2
	sp gw1 out $LAB_LEFT_NET "$n" $r
	sp gw1 in "$n" $LAB_LEFT_NET $r
	sp gw1 fwd "$n" $LAB_LEFT_NET $r
	sp gw2 in $LAB_LEFT_NET "$n" $r
	sp gw2 fwd $LAB_LEFT_NET "$n" $r
done
sp gw2 out $NET_B $LAB_LEFT_NET 2
sp gw2 out $NET_A $LAB_LEFT_NET 2	# the asymmetric one: tunnel 1's replies via reqid 2
log "two tunnels: reqid 1 ($NET_A, 0x1001/0x2001), reqid 2 ($NET_B, 0x1002/0x2002);" \
	"gw2 sends $NET_A -> $LAB_LEFT_NET through reqid 2"

expect_eq "control: host -> $HOST2_B (tunnel 2, symmetric) answered" "$(pings host $HOST2_B 3)" 3

# doctor on gw2, before the traffic below: its out SP for tunnel 1's replies names
# reqid 2, its in/fwd SPs for the requests reqid 1
nsx gw2 ipsecguard doctor --json --sample 0 >"$LAB_DIR/doctor.gw2"
expect_eq "doctor on gw2: exit status 4" "$?" 4
expect_eq "doctor on gw2: reply-reqid-mismatch for $NET_A -> $LAB_LEFT_NET (reqid 2 out, 1 back)" \
	"$(grep -o '"id":"reply-reqid-mismatch"[^}]*"src":"'"$NET_A"'","dst":"'"$LAB_LEFT_NET"'"' \
		"$LAB_DIR/doctor.gw2" | wc -l)" 1

# trace on gw1, before the traffic: host2's packets arriving on gw1's wan, decapsulated
# by 0x2002 (what gw2's asymmetric out SP sends) are refused by the fwd SP of reqid 1;
# through 0x2001 (the symmetric return) they would be forwarded to the LAN
nsx gw1 ipsecguard trace --iif wan --via-spi 0x2002 --src $LAB_HOST2 --dst $LAB_HOST \
	--proto icmp --json >"$LAB_DIR/trace.2002"
expect_eq "trace on gw1 via 0x2002: exit status 3" "$?" 3
check "trace via 0x2002: dropped by the fwd SP's template of reqid 1 (XfrmInTmplMismatch)" \
	grep -q '"check":"XfrmInTmplMismatch".*"verdict":"dropped","why":"fwd SP [0-9]* 192.168.1.0/24 -> 10.0.2.0/24 reqid 1: its template 0 (reqid 1) does not accept SA spi 0x00002002 reqid 2' \
	"$LAB_DIR/trace.2002"
nsx gw1 ipsecguard trace --iif wan --via-spi 0x2001 --src $LAB_HOST2 --dst $LAB_HOST \
	--proto icmp --json >"$LAB_DIR/trace.2001"
check "trace via 0x2001: accepted and forwarded to the LAN" \
	grep -q '"oif":"lan".*"check":"ok".*"verdict":"clear"' "$LAB_DIR/trace.2001"

daemon_start audit gw1 --mode audit --oneway 10
L=$(daemon_log audit)
# kernel_past N: gw1's XfrmInTmplMismatch has grown by N since k0 (the kernel counts
# each echo once the daemon has let it through its prerouting queue)
kernel_past() { [ $(( $(xfrm_stat gw1 XfrmInTmplMismatch) - k0 )) -ge "$1" ]; }
# A: far-side heads.
k0=$(xfrm_stat gw1 XfrmInTmplMismatch)
a0=$(sa_packets gw1 0x00002001) b0=$(sa_packets gw1 0x00002002)
got_rev=$(nsx host2 ping -n -q -c 4 -i 0.3 -W 1 -I $LAB_HOST2 $LAB_HOST 2>&1 |
	sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p')
wait_for 10 kernel_past 4 || log "XfrmInTmplMismatch did not count A's 4 echoes within 10 s"
kA=$(( $(xfrm_stat gw1 XfrmInTmplMismatch) - k0 ))
# B: host -> host2 until the daemon calls tunnel 1 one-way (hold 10 s, samples every 5 s).
bg_start ping host ping -n -c 200 -i 0.2 -W 1 $LAB_HOST2
wait_for 40 grep -q '"event":"oneway"' "$L" || log "no one-way event within 40 s"
bg_stop ping
sent=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' "$LAB_DIR/ping.out")
recv=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$LAB_DIR/ping.out")
# every reply to B's echoes counted by the kernel (the last ones may still have been on
# their way), and the daemon's xfrm_stat events (every second) caught up with it
xsum() {
	log_values "$L" delta event=xfrm_stat counter=XfrmInTmplMismatch |
		awk '{ s += $1 } END { print s + 0 }'
}
_reported() {
	_k=$(( $(xfrm_stat gw1 XfrmInTmplMismatch) - k0 ))
	[ "$_k" -ge $((kA + ${sent:-0})) ] && [ "$(xsum)" -ge "$_k" ]
}
wait_for 20 _reported || log "the kernel's count of B's replies or the daemon's report of it fell short"
k1=$(xfrm_stat gw1 XfrmInTmplMismatch)
a1=$(sa_packets gw1 0x00002001) b1=$(sa_packets gw1 0x00002002)
daemon_stop audit
kdelta=$((k1 - k0)) kB=$((k1 - k0 - kA))
log "A: host2 -> host ${got_rev:-0}/4 answered, XfrmInTmplMismatch +$kA;" \
	"B: host -> host2 $sent sent, $recv answered, XfrmInTmplMismatch +$kB;" \
	"gw1 in SA 0x2001 +$((a1 - a0)), 0x2002 +$((b1 - b0))"
log_show "$L" event=xfrm_stat counter=XfrmInTmplMismatch
log_show "$L" event=oneway
log_show "$L" hook=prerouting src=$LAB_HOST2
log_show "$L" event=stats

expect_eq "A: host2 -> host echoes dropped by gw1's fwd policy check" "${got_rev:-0}" 0
expect_eq "A: the kernel counts one XfrmInTmplMismatch per echo" "$kA" 4
expect_eq "B: no reply arrives" "$recv" 0
expect_ge "B: echoes sent" "$sent" 20
expect_eq "B: the kernel counts one XfrmInTmplMismatch per reply" "$kB" "$sent"
expect_eq "gw1's SA 0x2002 (reqid 2) decrypted them all" "$((b1 - b0))" "$kdelta"
expect_eq "gw1's SA 0x2001 (reqid 1) stayed flat" "$((a1 - a0))" 0

# The daemon's view.
xsum=$(xsum)
expect_eq "xfrm_stat events: XfrmInTmplMismatch deltas sum to the kernel's (A + B)" "$xsum" "$kdelta"
expect_ge "xfrm_stat events carry the counter's meaning" \
	"$(log_values "$L" meaning event=xfrm_stat counter=XfrmInTmplMismatch |
		grep -c 'do not satisfy')" 1
expect_ge "xfrm_stat events name the asymmetric-tunnel cause and the reason" \
	"$(log_values "$L" cause event=xfrm_stat counter=XfrmInTmplMismatch reason=tmpl-mismatch |
		grep -c 'another reqid')" 1
expect_eq "one-way event for tunnel reqid 1 (out 0x1001 counting, in 0x2001 flat)" \
	"$(log_count "$L" event=oneway reqid=1 paired_by=reqid out_spi=0x00001001 \
		in_spi=0x00002001 local=$LAB_GW1_WAN remote=$LAB_GW2_WAN)" 1
expect_eq "no one-way event for tunnel reqid 2 (its in SA counts)" \
	"$(log_count "$L" event=oneway reqid=2)" 0
# (a reply is logged in its own direction: host2 -> host, ICMP echo reply)
expect_ge "B: the replies are judged at prerouting" \
	"$(log_count "$L" event=verdict hook=prerouting reason=tmpl-mismatch src=$LAB_HOST2 \
		dst=$LAB_HOST icmp_type=0)" 1
# A's heads (decapsulated: the daemon's prerouting rule marked them).
expect_ge "A: decapsulated heads judged against the fwd SP of reqid 1" \
	"$(log_count "$L" event=verdict hook=prerouting src=$LAB_HOST2 dst=$LAB_HOST \
		sp.dir=fwd sp.reqid=1)" 1
dtm=$(log_last "$L" reasons.tmpl-mismatch.accept event=stats)
dmiss=$(log_last "$L" reasons.sp-miss-in.accept event=stats)
sa_seen=$(log_values "$L" sa.spi event=verdict hook=prerouting src=$LAB_HOST2 | sort -u | tr '\n' ' ')
log "daemon: tmpl-mismatch $dtm, sp-miss-in $dmiss, SA named for A's heads: ${sa_seen:-none};" \
	"kernel XfrmInTmplMismatch +$kA (A) +$kB (B)"
expect_eq "A + B: the daemon's tmpl-mismatch count equals the kernel's delta" "$dtm" "$kdelta"
expect_eq "A: every tmpl-mismatch verdict names the decrypting SA (0x2002, reqid 2), the fwd SP (reqid 1) and the reverse out SP (reqid 1)" \
	"$(log_count "$L" event=verdict hook=prerouting reason=tmpl-mismatch src=$LAB_HOST2 \
		dst=$LAB_HOST sp.dir=fwd sp.reqid=1 sa.spi=0x00002002 sa.reqid=2 \
		reverse_sp.dir=out reverse_sp.src=$LAB_LEFT_NET reverse_sp.dst=$NET_A reverse_sp.reqid=1)" \
	"$(log_count "$L" event=verdict reason=tmpl-mismatch)"
expect_ge "A: tmpl-mismatch verdict lines" "$(log_count "$L" event=verdict reason=tmpl-mismatch)" 1
check "A: the verdict carries a hint about the other reqid" \
	[ -n "$(log_values "$L" hint reason=tmpl-mismatch | grep 'another reqid')" ]
expect_eq "no decapsulated head misjudged as sp-miss-in" "$dmiss" 0
