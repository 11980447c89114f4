#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/linux_nfnetlink_queue.h>
#include "csum.h"
#include "judge.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10

static const char *const reason_names[IGD_R_MAX] = {
	[IGD_R_PASS] = "pass",
	[IGD_R_MALFORMED] = "malformed",
	[IGD_R_NAT_BEFORE_IPSEC] = "nat-before-ipsec",
	[IGD_R_NAT_CHANGED_SP] = "nat-changed-sp",
	[IGD_R_SP_MISS_OUT] = "sp-miss-out",
	[IGD_R_SP_MISS_IN] = "sp-miss-in",
	[IGD_R_TMPL_MISMATCH] = "tmpl-mismatch",
	[IGD_R_NO_SA] = "no-sa",
	[IGD_R_MSS_CLAMP] = "mss-clamp",
};

static const char *const hook_names[] = {
	[NF_INET_PRE_ROUTING] = "prerouting",
	[NF_INET_LOCAL_IN] = "input",
	[NF_INET_FORWARD] = "forward",
	[NF_INET_LOCAL_OUT] = "output",
	[NF_INET_POST_ROUTING] = "postrouting",
};

const char *igd_reason_name(enum igd_reason r)
{
	return r < IGD_R_MAX ? reason_names[r] : "?";
}

const char *igd_hook_name(unsigned int hook)
{
	return hook < sizeof(hook_names) / sizeof(hook_names[0]) ? hook_names[hook] : "?";
}

int igd_judge_init(struct igd_judge *j, const struct igd_opts *o)
{
	memset(j, 0, sizeof(*j));
	j->opts = o;
	return igd_natguard_init(&j->guard, o->mark_mask);
}

/* The flow the kernel's policy lookup sees for @p (struct flowi). */
static void judge_flow(const struct igd_judge *j, const struct igd_qpkt *qp,
		       const struct igd_pkt *p, struct igd_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = p->family;
	f->proto = p->proto;
	f->saddr = p->src;
	f->daddr = p->dst;
	if (p->flags & IGD_PKT_F_PORTS) {
		f->sport = p->sport;
		f->dport = p->dport;
	} else if (p->flags & IGD_PKT_F_ICMP) {
		f->sport = p->icmp_type;
		f->dport = p->icmp_code;
	}
	f->mark = igd_natguard_clear(&j->guard, qp->mark);
	f->oif = (int32_t)qp->outdev;
}

/* Lowers the MSS option of a SYN or SYN/ACK of a flow @sp protects to what the tunnel
 * carries (@f is the flow in the direction the SP covers).  Never raises it. */
static void judge_mss(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		      const struct igd_sp *sp, const struct igd_flow *f,
		      struct igd_judgement *jd)
{
	uint16_t lim;

	if (!j->mss || j->mss->mode == IGD_MSS_OFF)
		return;
	if (!(p->flags & IGD_PKT_F_TCP_MSS)) {
		j->mss_no_option++;	/* the peer assumes 536 (IPv4) / 1220 (IPv6) */
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

static void flow_reverse(const struct igd_flow *f, struct igd_flow *r)
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

	flow_reverse(&jd->flow, &rev);
	sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, &rev);
	if (!sp || !igd_sp_protecting(sp))
		return;
	jd->sp = sp;
	judge_mss(j, qp, p, sp, &rev, jd);
}

/* Pre-NAT tap: remember protected flow heads for the post-NAT tap. */
static void judge_pre_nat(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
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
	if (!sp || !igd_sp_protecting(sp))
		return;
	jd->sp = sp;
	jd->set_mark = true;
	jd->mark = igd_natguard_tag(&j->guard, qp->mark, &jd->flow, sp);
	if (syn)
		judge_mss(j, qp, p, sp, &jd->flow, jd);
}

static void judge_nat_verdict(struct igd_judge *j, const struct igd_qpkt *qp,
			      struct igd_judgement *jd)
{
	jd->set_mark = true;
	switch (j->opts->mode) {
	case IGD_MODE_ENFORCE:
		jd->verdict = NF_DROP;
		break;
	case IGD_MODE_FIX:
		/* this packet would leak: drop it; its retransmission takes the
		 * repaired path once the exemption is in */
		jd->verdict = NF_DROP;
		jd->want_fix = true;
		break;
	case IGD_MODE_AUDIT:
		jd->mark = igd_natguard_flagged(&j->guard, qp->mark);
		break;
	}
}

/* Post-NAT tap: was the packet translated out of its tunnel? */
static void judge_post_nat(struct igd_judge *j, const struct igd_qpkt *qp,
			   struct igd_judgement *jd)
{
	const struct igd_natguard_slot *s = igd_natguard_take(&j->guard, qp->mark);
	enum igd_nat_outcome o;

	if (!s)
		return;
	jd->set_mark = true;
	jd->mark = igd_natguard_clear(&j->guard, qp->mark);
	jd->sp = &s->sp;
	jd->pre = &s->flow;
	if (!j->spd)
		return;
	o = igd_natguard_judge(s, &jd->flow, j->spd, &jd->nat_sp);
	if (o == IGD_NAT_NONE)
		return;
	jd->reason = o == IGD_NAT_LEAK ? IGD_R_NAT_BEFORE_IPSEC : IGD_R_NAT_CHANGED_SP;
	judge_nat_verdict(j, qp, jd);
}

static void judge_count(struct igd_judge *j, const struct igd_judgement *jd)
{
	j->count[jd->reason][jd->verdict == NF_DROP]++;
}

void igd_judge_packet(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		      struct igd_judgement *jd)
{
	*jd = (struct igd_judgement){ .reason = IGD_R_PASS, .verdict = NF_ACCEPT };
	if (qp->hook < 5)
		j->hooks[qp->hook]++;
	jd->parse_err = igd_pkt_parse_cap(p, qp->data, qp->len, qp->orig_len);
	if (jd->parse_err != IGD_PKT_OK) {
		jd->reason = IGD_R_MALFORMED;
		if (jd->parse_err > 0 && jd->parse_err < IGD_PKT_ERR_MAX)
			j->malformed[jd->parse_err]++;
		/* a token must not outlive the packet that carried it */
		if (qp->mark & j->guard.mask) {
			jd->set_mark = true;
			jd->mark = igd_natguard_clear(&j->guard, qp->mark);
		}
		judge_count(j, jd);
		return;
	}
	judge_flow(j, qp, p, &jd->flow);
	switch (qp->hook) {
	case NF_INET_FORWARD:
	case NF_INET_LOCAL_OUT:
		judge_pre_nat(j, qp, p, jd);
		break;
	case NF_INET_POST_ROUTING:
		judge_post_nat(j, qp, jd);
		break;
	}
	judge_count(j, jd);
}
