#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include "judge_int.h"
#include "packet/tap_role.h"
#include "util/counter.h"

static const char *const hook_names[] = {
	[NF_INET_PRE_ROUTING] = "prerouting",
	[NF_INET_LOCAL_IN] = "input",
	[NF_INET_FORWARD] = "forward",
	[NF_INET_LOCAL_OUT] = "output",
	[NF_INET_POST_ROUTING] = "postrouting",
};

const char *igd_hook_name(unsigned int hook)
{
	return hook < sizeof(hook_names) / sizeof(hook_names[0]) ? hook_names[hook] : "?";
}

int igd_judge_init(struct igd_judge *j, const struct igd_judge_cfg *cfg)
{
	uint32_t n = cfg->queue_hi - cfg->queue_lo + 1;

	memset(j, 0, sizeof(*j));
	j->cfg = *cfg;
	/* rules of the IPSECGUARD target encode their role in the queue number */
	if (cfg->no_hooks && n % IGD_TAP_ROLES == 0)
		j->tap_width = n / IGD_TAP_ROLES;
	return igd_natguard_init(&j->guard, cfg->mark_mask);
}

/* The flow the kernel's policy lookup sees for @p (struct flowi). */
/* A packet entering or leaving a tunnel interface is looked up as the interface's own
 * lookup does: with its if_id (xfrm), or its key as the flow's mark (VTI). */
static void judge_flow_tunnel(const struct igd_judge *j, const struct igd_qpkt *qp,
			      struct igd_flow *f)
{
	bool in = qp->hook == NF_INET_PRE_ROUTING || qp->hook == NF_INET_LOCAL_IN;
	const struct igd_tunnel_if *t = igd_tunnels_if(j->tunnels, in ? qp->indev : qp->outdev);

	if (!t)
		return;
	if (t->kind == IGD_TUNNEL_XFRM)
		f->if_id = t->if_id;
	else if (in ? t->has_ikey : t->has_okey)
		f->mark = in ? t->ikey : t->okey;
}

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
	judge_flow_tunnel(j, qp, f);
}

void igd_judge_flag(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_judgement *jd,
		    enum igd_reason reason)
{
	bool nat = reason == IGD_R_NAT_BEFORE_IPSEC || reason == IGD_R_NAT_CHANGED_SP;

	jd->reason = reason;
	switch (j->cfg.mode) {
	case IGD_MODE_ENFORCE:
		jd->verdict = NF_DROP;
		return;
	case IGD_MODE_FIX:
		if (reason == IGD_R_UNJUDGED) {
			jd->verdict = NF_DROP;
			return;
		}
		if (nat) {
			/* this packet would leak: drop it; its retransmission takes
			 * the repaired path once the exemption is in */
			jd->verdict = NF_DROP;
			jd->want_fix = true;
			return;
		}
		break;
	case IGD_MODE_AUDIT:
		break;
	}
	/* tag: postrouting's first rule carries the flag into the ct mark (only our
	 * table has it: with --no-hooks the mark is left alone) */
	if (qp->hook != NF_INET_PRE_ROUTING && !j->cfg.no_hooks) {
		jd->set_mark = true;
		jd->mark = igd_natguard_flagged(&j->guard, qp->mark);
		/* at postrouting the chain's first rule takes it into the ct mark; from
		 * forward or output it travels there */
		if (qp->hook == NF_INET_POST_ROUTING)
			jd->verdict = NF_REPEAT;
	}
}

/* The SA the SP's first template is served by: for an out SP the one leaving from
 * here, for in/fwd the one arriving here. */
static const struct igd_sa *judge_sa(const struct igd_judge *j, const struct igd_sp *sp)
{
	const struct igd_sa *sa = NULL;
	bool out = sp->dir == IGD_DIR_OUT;

	if (!j->sad || !sp->ntmpl || !j->local)
		return NULL;
	while ((sa = igd_sad_next_by_reqid(j->sad, sp->tmpl[0].reqid, sa)))
		if (sa->proto == sp->tmpl[0].proto &&
		    igd_localaddr_is_local(j->local, sa->family, out ? &sa->saddr : &sa->daddr))
			return sa;
	return NULL;
}

/* The per-SP counters' slot of SP @index in @dir, taken if new; j->nsp when the
 * table is full (then sp_other counts). */
static unsigned int judge_sp_slot(struct igd_judge *j, uint32_t index, uint8_t dir)
{
	unsigned int i;

	for (i = 0; i < j->nsp; i++)
		if (j->sp[i].index == index && j->sp[i].dir == dir)
			return i;
	if (i < IGD_JUDGE_SP_MAX) {
		j->sp[i].index = index;
		j->sp[i].dir = dir;
		/* the entry before its count: the loop thread sums while we judge */
		__atomic_store_n(&j->nsp, j->nsp + 1, __ATOMIC_RELEASE);
	}
	return i;
}

static void judge_count(struct igd_judge *j, const struct igd_judgement *jd)
{
	unsigned int d = jd->verdict == NF_DROP, i;

	igd_counter_inc(&j->count[jd->reason][d]);
	if (!jd->sp)
		return;
	i = judge_sp_slot(j, jd->sp->index, jd->sp->dir);
	if (i < j->nsp)
		igd_counter_inc(&j->sp[i].verdicts[jd->reason][d]);
	else
		igd_counter_inc(&j->sp_other[jd->reason][d]);
}

/* A packet at postrouting that did not parse: its flow as conntrack has it. */
static void judge_malformed_suspect(struct igd_judge *j, const struct igd_qpkt *qp,
				    const struct igd_pkt *raw, struct igd_judgement *jd)
{
	if (qp->has_ct && qp->ct.has_reply && qp->ctinfo < IP_CT_IS_REPLY) {
		igd_flow_from_ct(&qp->ct, &qp->ct.reply, true, &jd->flow);
		jd->flow.mark = igd_natguard_clear(&j->guard, qp->mark);
		jd->flow.oif = (int32_t)qp->outdev;
		judge_flow_tunnel(j, qp, &jd->flow);
	}
	igd_judge_post_nat(j, qp, NULL, raw, jd);
	if (jd->reason == IGD_R_PASS)
		jd->reason = IGD_R_MALFORMED;
}

/* A copy from one of our log rules, parsed, with its flow.  The kernel has already
 * done what the rule does; nothing here decides a verdict. */
static bool judge_copy(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		       enum igd_reason reason, struct igd_judgement *jd)
{
	*jd = (struct igd_judgement){ .reason = reason, .verdict = NF_ACCEPT, .tap = -1 };
	jd->parse_err = igd_pkt_parse_cap(p, qp->data, qp->len, qp->orig_len);
	if (p->family == 4 || p->family == 6)
		judge_flow(j, qp, p, &jd->flow);
	return jd->parse_err == IGD_PKT_OK;
}

/* What we could not read of a copy is counted, as malformed. */
static void judge_copy_unread(struct igd_judge *j, struct igd_judgement *jd)
{
	jd->reason = IGD_R_MALFORMED;
	igd_counter_inc(&j->copies_unread);
	judge_count(j, jd);
}

/* The copy's SP (the SYN's out SP, or the one of the SYN/ACK's reverse) and SA. */
static void judge_copy_sp(struct igd_judge *j, const struct igd_pkt *p, struct igd_judgement *jd)
{
	if (j->spd)
		igd_judge_mss_sp(j, p, jd);
	if (jd->sp)
		jd->sa = judge_sa(j, jd->sp);
	judge_count(j, jd);
}

void igd_judge_mss_copy(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			uint16_t to, struct igd_judgement *jd)
{
	if (!judge_copy(j, qp, p, IGD_R_MSS_CLAMP, jd) || !(p->flags & IGD_PKT_F_TCP_MSS) || !to) {
		judge_copy_unread(j, jd);
		return;
	}
	jd->mss_from = p->mss;
	jd->mss_to = to;
	judge_copy_sp(j, p, jd);
}

void igd_judge_pass_copy(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			 struct igd_judgement *jd)
{
	if (judge_copy(j, qp, p, IGD_R_PASS, jd))
		judge_copy_sp(j, p, jd);
	else
		judge_copy_unread(j, jd);
}

void igd_judge_uncovered_copy(struct igd_judge *j, const struct igd_qpkt *qp,
			      struct igd_pkt *p, struct igd_judgement *jd)
{
	if (!judge_copy(j, qp, p, IGD_R_PASS, jd) || !j->spd) {
		judge_copy_unread(j, jd);
		return;
	}
	jd->pre_flow = jd->flow;
	jd->pre = &jd->pre_flow;
	igd_judge_clear(j, qp, p, jd);
	jd->verdict = NF_ACCEPT;	/* a copy: the packet went on long ago */
	jd->set_mark = false;
	if (jd->sp && !jd->sa)
		jd->sa = judge_sa(j, jd->sp);
	judge_count(j, jd);
}

void igd_judge_packet(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		      struct igd_judgement *jd)
{
	*jd = (struct igd_judgement){ .reason = IGD_R_PASS, .verdict = NF_ACCEPT, .tap = -1 };
	if (j->tap_width)
		jd->tap = igd_tap_role_of_queue(j->cfg.queue_lo, j->tap_width, qp->queue);
	if (qp->hook < 5)
		igd_counter_inc(&j->hooks[qp->hook]);
	jd->parse_err = igd_pkt_parse_cap(p, qp->data, qp->len, qp->orig_len);
	if (p->family == 4 || p->family == 6)
		judge_flow(j, qp, p, &jd->flow);	/* what parsed: the log's key */
	if (jd->parse_err != IGD_PKT_OK) {
		jd->reason = IGD_R_MALFORMED;
		if (jd->parse_err > 0 && jd->parse_err < IGD_PKT_ERR_MAX)
			igd_counter_inc(&j->malformed[jd->parse_err]);
		/* a suspect is judged on what conntrack parsed, or not at all: what
		 * our parser distrusts never decides that a protected flow passes */
		if (qp->hook == NF_INET_POST_ROUTING) {
			judge_malformed_suspect(j, qp, p, jd);
			judge_count(j, jd);
			return;
		}
		/* a token must not outlive the packet that carried it */
		if (qp->mark & j->guard.mask) {
			jd->set_mark = true;
			jd->mark = igd_natguard_clear(&j->guard, qp->mark);
		}
		judge_count(j, jd);
		return;
	}
	switch (qp->hook) {
	case NF_INET_FORWARD:
	case NF_INET_LOCAL_OUT:
		igd_judge_pre_nat(j, qp, p, jd);
		break;
	case NF_INET_POST_ROUTING:
		igd_judge_post_nat(j, qp, p, p, jd);
		break;
	case NF_INET_PRE_ROUTING:
		igd_judge_inbound(j, qp, p, jd);
		break;
	}
	if (jd->sp && !jd->sa && !jd->in_reqid)
		jd->sa = judge_sa(j, jd->sp);
	judge_count(j, jd);
}

void igd_judge_clear_counts(struct igd_judge *j)
{
	memset(j->count, 0, sizeof(j->count));
	memset(j->malformed, 0, sizeof(j->malformed));
	memset(j->hooks, 0, sizeof(j->hooks));
	memset(j->sp, 0, sizeof(j->sp));
	memset(j->sp_other, 0, sizeof(j->sp_other));
	j->nsp = 0;
	j->copies_unread = j->prenat_missed = j->sp_unapplied = j->mss_no_option = 0;
	j->guard.stale = 0;
}

static void judge_add_row(uint64_t (*to)[2], const uint64_t (*from)[2])
{
	unsigned int r;

	for (r = 0; r < IGD_R_MAX; r++) {
		to[r][0] += igd_counter_read(&from[r][0]);
		to[r][1] += igd_counter_read(&from[r][1]);
	}
}

static void judge_add_sp(struct igd_judge *to, const struct igd_judge_sp_count *c)
{
	unsigned int i = judge_sp_slot(to, c->index, c->dir);

	judge_add_row(i < to->nsp ? to->sp[i].verdicts : to->sp_other, c->verdicts);
}

void igd_judge_add_counts(struct igd_judge *to, const struct igd_judge *from)
{
	unsigned int i, n = __atomic_load_n(&from->nsp, __ATOMIC_ACQUIRE);

	judge_add_row(to->count, from->count);
	judge_add_row(to->sp_other, from->sp_other);
	for (i = 0; i < IGD_PKT_ERR_MAX; i++)
		to->malformed[i] += igd_counter_read(&from->malformed[i]);
	for (i = 0; i < 5; i++)
		to->hooks[i] += igd_counter_read(&from->hooks[i]);
	to->copies_unread += igd_counter_read(&from->copies_unread);
	to->prenat_missed += igd_counter_read(&from->prenat_missed);
	to->sp_unapplied += igd_counter_read(&from->sp_unapplied);
	to->mss_no_option += igd_counter_read(&from->mss_no_option);
	to->guard.stale += igd_counter_read(&from->guard.stale);
	for (i = 0; i < n && i < IGD_JUDGE_SP_MAX; i++)
		judge_add_sp(to, &from->sp[i]);
}
