#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "judge.h"

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

/* Pre-NAT tap: remember protected flow heads for the post-NAT tap. */
static void judge_pre_nat(struct igd_judge *j, const struct igd_qpkt *qp,
			  struct igd_judgement *jd)
{
	const struct igd_sp *sp;

	if (!j->spd)
		return;
	sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, &jd->flow);
	if (!sp || !igd_sp_protecting(sp))
		return;
	jd->sp = sp;
	jd->set_mark = true;
	jd->mark = igd_natguard_tag(&j->guard, qp->mark, &jd->flow, sp);
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
		judge_pre_nat(j, qp, jd);
		break;
	case NF_INET_POST_ROUTING:
		judge_post_nat(j, qp, jd);
		break;
	}
	judge_count(j, jd);
}
