/* Judgement at the outbound taps: the pre-NAT tap (forward, output) looks the flow up
 * in the out SPD, hands protected flow heads a token, flags cleartext towards
 * protected prefixes that no SP covers (sp-miss-out) and clamps MSS; the post-NAT tap
 * (postrouting after srcnat) compares the translated tuple with the SP it needed. */
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/linux_nfnetlink_queue.h>
#include "packet/csum.h"
#include "judge_int.h"
#include "util/counter.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* Lowers the MSS option of a SYN or SYN/ACK of a flow @sp protects to what the tunnel
 * carries (@f is the flow in the direction the SP covers).  Never raises it. */
static void judge_mss(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		      const struct igd_sp *sp, const struct igd_flow *f,
		      struct igd_judgement *jd)
{
	uint16_t lim;

	if (!j->mss || j->mss->mode == IGD_MSS_OFF || !j->cfg.no_hooks)
		return;		/* with our tables, the mss chain's rules clamp */
	if (!(p->flags & IGD_PKT_F_TCP_MSS)) {
		igd_counter_inc(&j->mss_no_option);	/* the peer assumes 536 (IPv4) / 1220 (IPv6) */
		return;
	}
	if (p->flags & IGD_PKT_F_PARTIAL || qp->len != qp->orig_len)
		return;		/* a mangle must carry the whole packet */
	lim = igd_mss_limit(j->mss, sp, j->sad, f);
	if (!lim || p->mss <= lim || igd_tcp_mss_clamp(qp->data, qp->len, p, lim) != 1)
		return;
	/* a checksum the stack has not finished yet is ours to finish now: the
	 * kernel takes a mangled packet's checksum as complete */
	if (qp->skbinfo & NFQA_SKB_CSUMNOTREADY)
		igd_l4_csum_fill(qp->data, qp->len, p);
	jd->mss_from = p->mss;
	jd->mss_to = lim;
	if (jd->reason == IGD_R_PASS)
		jd->reason = IGD_R_MSS_CLAMP;
}

void igd_flow_reverse(const struct igd_flow *f, struct igd_flow *r)
{
	*r = *f;
	r->saddr = f->daddr;
	r->daddr = f->saddr;
	r->sport = f->dport;
	r->dport = f->sport;
	r->oif = 0;
}

/* A SYN/ACK coming back: the out SP of the reverse tuple protects its flow. */
static void judge_synack(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			 struct igd_judgement *jd)
{
	struct igd_flow rev;
	const struct igd_sp *sp;

	igd_flow_reverse(&jd->flow, &rev);
	sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, &rev);
	if (!sp || !igd_sp_protecting(sp))
		return;
	jd->sp = sp;
	judge_mss(j, qp, p, sp, &rev, jd);
}

void igd_judge_mss_sp(struct igd_judge *j, const struct igd_pkt *p, struct igd_judgement *jd)
{
	struct igd_flow rev;
	const struct igd_sp *sp;

	if (p->tcp_flags & TCP_ACK) {
		igd_flow_reverse(&jd->flow, &rev);
		sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, &rev);
	} else {
		sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, &jd->flow);
	}
	if (sp && igd_sp_protecting(sp))
		jd->sp = sp;
}

/* Key exchange and ESP itself travel outside the SPs by design (socket policies): by
 * what our parser saw, or for a packet it distrusted, by conntrack's tuple; and IPComp.
 * The IKE daemon's own sockets on other ports (--ike-port; TCP for ESP in TCP) only
 * when this machine sent the packet: a host behind the gateway chooses its ports. */
static bool judge_is_ike_or_esp(const struct igd_judge *j, const struct igd_qpkt *qp,
				const struct igd_pkt *p, const struct igd_flow *f)
{
	uint8_t proto = p ? p->proto : f->proto;

	if (proto == IPPROTO_ESP || proto == IPPROTO_AH || proto == IPPROTO_COMP)
		return true;
	if (p ? (p->flags & (IGD_PKT_F_IKE | IGD_PKT_F_UDP_ESP | IGD_PKT_F_NATT_KA)) != 0 :
		(proto == IPPROTO_UDP && (f->sport == 500 || f->sport == 4500 ||
					   f->dport == 500 || f->dport == 4500)))
		return true;
	return !qp->indev && j->ike_ports && (proto == IPPROTO_UDP || proto == IPPROTO_TCP) &&
	       (igd_outer_port_in(j->ike_ports, f->sport) ||
		igd_outer_port_in(j->ike_ports, f->dport));
}

/* A flow judged healthy: remembered in the conntrack mark by postrouting's tag rule,
 * so the connection is not queued again (from the pre-NAT tap the packet carries the
 * value there; at postrouting NF_REPEAT runs the chain again). */
static void judge_healthy(struct igd_judge *j, const struct igd_qpkt *qp,
			  struct igd_judgement *jd)
{
	if (j->cfg.no_hooks || j->cfg.scope != IGD_SCOPE_PROTECTED)
		return;
	jd->set_mark = true;
	jd->mark = igd_natguard_clear(&j->guard, qp->mark) | igd_natguard_ok(&j->guard);
	if (qp->hook == NF_INET_POST_ROUTING)
		jd->verdict = NF_REPEAT;
}


void igd_judge_clear(struct igd_judge *j, const struct igd_qpkt *qp, const struct igd_pkt *p,
		     struct igd_judgement *jd)
{
	struct igd_out_decision o;
	const struct igd_sp *post;

	if (judge_is_ike_or_esp(j, qp, p, jd->pre)) {
		judge_healthy(j, qp, jd);
		return;
	}
	/* NAT into a tunnel: the kernel looks again after NAT and finds a protecting SP */
	if (igd_flow_translated(jd->pre, &jd->flow) &&
	    (post = igd_spd_lookup(j->spd, IGD_DIR_OUT, &jd->flow)) && igd_sp_protecting(post)) {
		jd->nat_sp = post;
		judge_healthy(j, qp, jd);
		return;
	}
	igd_out_classify(&j->out, jd->pre, &o);
	jd->sp = o.sp;
	switch (o.cls) {
	case IGD_OUT_BYPASS:
		jd->reason = IGD_R_BYPASS;
		judge_healthy(j, qp, jd);
		return;
	case IGD_OUT_HELD:
		jd->held = o.held;
		igd_judge_flag(j, qp, jd, IGD_R_TUNNEL_DOWN);
		return;
	case IGD_OUT_PROTECT:
		igd_judge_flag(j, qp, jd, IGD_R_SP_MISS_OUT);
		return;
	case IGD_OUT_UNCOVERED:
		if (o.drop) {
			igd_judge_flag(j, qp, jd, IGD_R_SP_MISS_OUT);
			return;
		}
		jd->reason = IGD_R_SP_MISS_OUT;	/* reported, not held */
		judge_healthy(j, qp, jd);
		return;
	default:
		judge_healthy(j, qp, jd);
		return;
	}
}

/* Pre-NAT tap: remember protected flow heads for the post-NAT tap. */
void igd_judge_pre_nat(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			  struct igd_judgement *jd)
{
	const struct igd_sp *sp;
	bool syn = p->proto == IPPROTO_TCP && (p->tcp_flags & TCP_SYN);

	if (!j->spd)
		return;
	if (syn && (p->tcp_flags & TCP_ACK)) {
		judge_synack(j, qp, p, jd);
		return;
	}
	sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, &jd->flow);
	if (!sp || !igd_sp_protecting(sp)) {
		jd->pre_flow = jd->flow;
		jd->pre = &jd->pre_flow;
		igd_judge_clear(j, qp, p, jd);
		return;
	}
	jd->sp = sp;
	/* the token needs our post-NAT tap and tag chain: not with --no-hooks */
	if (!j->cfg.no_hooks) {
		jd->set_mark = true;
		jd->mark = igd_natguard_tag(&j->guard, qp->mark, &jd->flow, sp);
	}
	if (syn)
		judge_mss(j, qp, p, sp, &jd->flow, jd);
}

/* The flow the kernel's SP lookup sees for conntrack tuple @t (ICMP: type and code
 * where the flow has ports). */
void igd_flow_from_ct(const struct igd_ct *ct, const struct igd_ct_tuple *t, bool reply,
		      struct igd_flow *f)
{
	bool icmp = t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6;

	memset(f, 0, sizeof(*f));
	f->family = ct->family;
	f->proto = t->proto;
	f->saddr = reply ? t->dst : t->src;
	f->daddr = reply ? t->src : t->dst;
	if (icmp) {
		f->sport = t->dport >> 8;
		f->dport = t->dport & 0xff;
	} else if (t->has_ports) {
		f->sport = reply ? t->dport : t->sport;
		f->dport = reply ? t->sport : t->dport;
	}
}

/* Whether the token's slot can belong to this packet: source NAT leaves the
 * destination alone.  A slot reused by a later flow head fails this. */
static bool judge_slot_fits(const struct igd_natguard_slot *s, const struct igd_flow *post)
{
	return s->flow.family == post->family && s->flow.proto == post->proto &&
	       !memcmp(&s->flow.daddr, &post->daddr, sizeof(post->daddr));
}

/* The first 4 bytes of the transport header, where the packet holds them. */
static const uint8_t *judge_th(const struct igd_qpkt *qp, const struct igd_pkt *raw)
{
	if (!raw || (raw->family != 4 && raw->family != 6) || !raw->l4_off ||
	    (size_t)raw->l4_off + 4 > qp->len)
		return NULL;
	return qp->data + raw->l4_off;
}

static bool judge_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_DCCP;
}

/* The pre-NAT tuple of a suspect the prenat map's rules marked: the packet's own
 * (plain), or with the source the map holds (translated).  False when unmarked or
 * the map has no element for it. */
static bool judge_pre_nat_map(struct igd_judge *j, const struct igd_qpkt *qp,
			      const struct igd_pkt *raw, struct igd_judgement *jd)
{
	uint32_t field = qp->mark & j->guard.mask;
	const uint8_t *th = judge_th(qp, raw);
	uint8_t key[IGD_PRENAT_KEY_MAX];
	struct igd_prenat pn;

	/* a plain suspect needs no map: the rule that marked it replaced any token */
	if (!field || !jd->flow.family ||
	    (!j->cfg.prenat_lookup && field != igd_natguard_plain(&j->guard)))
		return false;
	jd->pre_flow = jd->flow;
	if (th && judge_has_ports(jd->flow.proto) && !(raw->flags & IGD_PKT_F_PORTS)) {
		/* the parser distrusted the header after its ports: take them raw */
		jd->pre_flow.sport = jd->flow.sport = (uint16_t)(th[0] << 8 | th[1]);
		jd->pre_flow.dport = jd->flow.dport = (uint16_t)(th[2] << 8 | th[3]);
	}
	if (field == igd_natguard_plain(&j->guard))
		return true;
	if (field != igd_natguard_translated(&j->guard) || !th)
		return false;
	igd_prenat_key(key, jd->flow.family, &raw->src, &raw->dst, raw->proto, th);
	if (j->cfg.prenat_lookup(j->cfg.prenat_arg, jd->flow.family, key, &pn)) {
		igd_counter_inc(&j->prenat_missed);
		return false;
	}
	jd->pre_flow.saddr = pn.saddr;
	if (judge_has_ports(jd->flow.proto))
		jd->pre_flow.sport = pn.sport;
	return true;
}

/* The pre-NAT tuple and the SP it matched: from the pre-NAT tap's token, the
 * conntrack entry the queue attached, or the prenat map.  False when none is there. */
static bool judge_pre_nat_flow(struct igd_judge *j, const struct igd_qpkt *qp,
			       const struct igd_pkt *raw, struct igd_judgement *jd)
{
	uint32_t field = qp->mark & j->guard.mask;

	const struct igd_natguard_slot *s = igd_natguard_take(&j->guard, qp->mark);

	if (field) {
		jd->set_mark = true;
		jd->mark = igd_natguard_clear(&j->guard, qp->mark);
	}
	if (s && judge_slot_fits(s, &jd->flow)) {
		jd->pre_flow = s->flow;
		jd->pre_sp = s->sp;
		jd->pre = &jd->pre_flow;
		jd->sp = &jd->pre_sp;
		return true;
	}
	if (s)
		igd_counter_inc(&j->guard.stale);
	if (!j->spd)
		return false;
	if (!qp->has_ct && judge_pre_nat_map(j, qp, raw, jd)) {
		jd->pre = &jd->pre_flow;
		jd->sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, jd->pre);
		return true;
	}
	if (!qp->has_ct || qp->ct.family != jd->flow.family)
		return false;
	igd_flow_from_ct(&qp->ct, &qp->ct.orig, false, &jd->pre_flow);
	jd->pre_flow.mark = jd->flow.mark;
	jd->pre_flow.oif = jd->flow.oif;
	jd->pre_flow.if_id = jd->flow.if_id;
	jd->pre = &jd->pre_flow;
	jd->sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, jd->pre);
	return true;
}

/* A packet our rules saw leave untransformed and untranslated (the plain marker)
 * that an SP requiring IPsec covers, by the SPD the daemon has read: the kernel
 * applies such an SP to every packet it covers, so it did not have it when it routed
 * the packet: the SP was removed and the daemon has not read of it yet (the kernel
 * tells of a removal just after it unlinks the SP, so a packet can come first), or the
 * packet waited in the queue while the SP came back.  Either way it would leave in
 * clear (a verdict does not route it again): its tunnel is down.  The
 * tunnel's own key exchange and ESP leave outside the SPs by the IKE daemon's socket
 * policies, an optional template lets cleartext out while it has no SA, and some
 * packets meet no lookup at all. */
static bool judge_sp_unapplied(struct igd_judge *j, const struct igd_qpkt *qp,
			       const struct igd_pkt *p, struct igd_judgement *jd)
{
	if (!igd_sp_requires_ipsec(jd->sp) || igd_flow_translated(jd->pre, &jd->flow) ||
	    judge_is_ike_or_esp(j, qp, p, jd->pre))
		return false;
	/* no lookup at all: towards the machine itself, or by an interface with
	 * disable_xfrm */
	if ((j->local && igd_localaddr_is_local(j->local, jd->flow.family, &jd->flow.daddr)) ||
	    (jd->flow.family == 4 && j->noxfrm && igd_noxfrm_has(j->noxfrm, qp->outdev)))
		return false;
	igd_counter_inc(&j->sp_unapplied);
	igd_judge_flag(j, qp, jd, IGD_R_TUNNEL_DOWN);
	return true;
}

/* Postrouting, after source NAT: a suspect the kernel picked out (scope protected),
 * or a token of the pre-NAT tap.  Was the packet translated out of its tunnel, or
 * does it leave in clear towards a protected prefix? */
void igd_judge_post_nat(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			const struct igd_pkt *raw, struct igd_judgement *jd)
{
	bool suspect = j->cfg.scope == IGD_SCOPE_PROTECTED && !j->cfg.no_hooks;
	bool plain = (qp->mark & j->guard.mask) == igd_natguard_plain(&j->guard);
	enum igd_nat_outcome o;

	if (!judge_pre_nat_flow(j, qp, raw, jd)) {
		/* a suspect the daemon cannot judge is never let through unjudged when
		 * enforcing; in audit it is flagged, so the kernel counts it */
		if (suspect)
			igd_judge_flag(j, qp, jd, IGD_R_UNJUDGED);
		return;
	}
	if (!j->spd)
		return;
	if (!jd->sp || !igd_sp_protecting(jd->sp)) {
		igd_judge_clear(j, qp, p, jd);
		return;
	}
	if (plain && judge_sp_unapplied(j, qp, p, jd))
		return;
	o = igd_nat_judge(jd->pre, jd->sp, &jd->flow, j->spd, &jd->nat_sp);
	/* a block SP after NAT: the kernel's own lookup drops it, nothing leaves */
	if (o == IGD_NAT_NONE || o == IGD_NAT_INTO || o == IGD_NAT_BLOCKED) {
		judge_healthy(j, qp, jd);
		return;
	}
	igd_judge_flag(j, qp, jd, o == IGD_NAT_LEAK ? IGD_R_NAT_BEFORE_IPSEC :
		       IGD_R_NAT_CHANGED_SP);
}
