#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <libnftnl/rule.h>
#include "doctor/nat_predict.h"
#include "doctor/nft_sets.h"
#include "natfix/natfix_int.h"
#include "natfix/natfix_legacy_line.h"

/* One chain's walk: the first rule that translates or may translate, unless a rule
 * surely exempting came first. */
struct chain_walk {
	const struct igd_nat_ctx *c;
	uint32_t nfproto;
	bool done, exempt_maybe;
	struct igd_nat_finding f;	/* f.outcome NEVER: nothing */
};

static void walk_reset(void *data)
{
	struct chain_walk *w = data;

	w->done = w->exempt_maybe = false;
	w->f.outcome = IGD_TRI_NEVER;
	w->f.why[0] = '\0';
}

/* The rule @e decided for the chain? */
static bool walk_step(struct chain_walk *w, const struct igd_nat_eval *e, uint64_t handle)
{
	if (w->done || e->match == IGD_TRI_NEVER)
		return w->done;
	switch (e->act) {
	case IGD_NAT_ACT_EXEMPT:
	case IGD_NAT_ACT_RETURN:	/* a nat base chain's policy is accept */
	case IGD_NAT_ACT_DROP:
		if (e->match == IGD_TRI_ALWAYS)
			w->done = true;
		else
			w->exempt_maybe = true;
		return w->done;
	case IGD_NAT_ACT_TRANSLATE:
	case IGD_NAT_ACT_OTHER:
		if (w->f.outcome == IGD_TRI_NEVER) {
			/* a jump or an unknown target may translate: never "surely" */
			w->f.outcome = e->act == IGD_NAT_ACT_TRANSLATE && !w->exempt_maybe ?
				       e->match : IGD_TRI_MAYBE;
			w->f.handle = handle;
			w->f.exempt_maybe = w->exempt_maybe;
			w->f.masquerade = e->masquerade;
			w->f.has_to = e->has_to;
			w->f.to = e->to;
			snprintf(w->f.why, sizeof(w->f.why), "%s",
				 e->act == IGD_NAT_ACT_OTHER ? "a jump or target not followed" :
				 w->exempt_maybe ? "an exemption before it covers part" : e->why);
		}
		if (e->match == IGD_TRI_ALWAYS)
			w->done = true;
		return w->done;
	case IGD_NAT_ACT_NONE:
		break;
	}
	return false;
}

static int nft_rule_fn(const struct nftnl_rule *r, void *data)
{
	struct chain_walk *w = data;
	struct igd_nat_eval e;

	if (w->done)
		return 0;
	igd_nat_eval_nft(r, w->nfproto, w->c, &e);
	walk_step(w, &e, nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE));
	return 0;
}

static const char *family_name(uint32_t nfproto)
{
	return nfproto == NFPROTO_INET ? "inet" : nfproto == NFPROTO_IPV6 ? "ip6" : "ip";
}

/* Walks one chain's rules for @c into @w.  0 or -errno (said in @err). */
static int predict_chain(const struct igd_nat_ctx *c, const struct natfix_chain *ch,
			 struct chain_walk *w, char *err, size_t errlen)
{
	struct igd_nft_sets sets;
	struct igd_nat_ctx cc = *c;
	int ret;

	memset(w, 0, sizeof(*w));
	w->c = &cc;
	w->nfproto = ch->family;
	ret = igd_nft_sets_load(&sets, ch->family, ch->table);
	if (ret == 0) {
		cc.sets = &sets;
		ret = natfix_chain_rules(ch, nft_rule_fn, walk_reset, w);
		igd_nft_sets_free(&sets);
	}
	w->c = c;
	if (ret < 0)
		snprintf(err, errlen, "nft: rules of %s %s %s: %s", family_name(ch->family),
			 ch->table, ch->chain, strerror(-ret));
	return ret;
}

/* The lowest priority of ipsecguardd's exempt chains that surely bind the selector's
 * flows to their own source: the kernel binds a connection's source once, so no nat
 * chain after it translates them.  INT64_MAX when none does. */
static int64_t predict_own_bound(const struct igd_nat_ctx *c, const struct natfix_scan *s,
				 char *err, size_t errlen, int *ret)
{
	int64_t bound = INT64_MAX;
	struct chain_walk w;
	unsigned int i;

	for (i = 0; *ret >= 0 && i < s->nchains; i++) {
		const struct natfix_chain *ch = &s->chains[i];

		if (ch->kind != IGD_NATFIX_OWN || !natfix_chain_covers(ch, c->sel->family))
			continue;
		*ret = predict_chain(c, ch, &w, err, errlen);
		if (*ret >= 0 && w.done && w.f.outcome == IGD_TRI_NEVER && ch->prio < bound)
			bound = ch->prio;
	}
	return bound;
}

static int predict_nft(const struct igd_nat_ctx *c, struct igd_nat_finding *f, int max,
		       char *err, size_t errlen, int64_t *bound_out)
{
	struct natfix_scan s;
	struct chain_walk w;
	unsigned int i;
	int64_t bound;
	int n = 0, ret;

	ret = natfix_scan_nft(&s, err, errlen);
	bound = predict_own_bound(c, &s, err, errlen, &ret);
	*bound_out = bound;
	for (i = 0; ret >= 0 && i < s.nchains && n < max; i++) {
		const struct natfix_chain *ch = &s.chains[i];

		if (ch->kind == IGD_NATFIX_OWN || !natfix_chain_covers(ch, c->sel->family) ||
		    ch->prio > bound)
			continue;
		ret = predict_chain(c, ch, &w, err, errlen);
		if (ret < 0)
			break;
		if (w.f.outcome == IGD_TRI_NEVER)
			continue;
		f[n] = w.f;
		f[n].backend = ch->kind == IGD_NATFIX_IPT_NFT ? "iptables-nft" : "nft";
		f[n].family = family_name(ch->family);
		snprintf(f[n].table, sizeof(f[n].table), "%s", ch->table);
		snprintf(f[n].chain, sizeof(f[n].chain), "%s", ch->chain);
		n++;
	}
	natfix_scan_free(&s);
	return ret < 0 ? ret : n;
}

struct legacy_walk_ctx {
	struct chain_walk w;
	struct natfix_legacy_line keep;		/* the line of the finding */
};

static int legacy_fn(const struct natfix_legacy_line *l, unsigned int num, void *data)
{
	struct legacy_walk_ctx *x = data;
	struct igd_nat_eval e;
	enum igd_tri before = x->w.f.outcome;

	if (x->w.done)
		return 0;
	igd_nat_eval_legacy(l, x->w.c, &e);
	walk_step(&x->w, &e, num);
	if (before == IGD_TRI_NEVER && x->w.f.outcome != IGD_TRI_NEVER)
		natfix_legacy_join(l, x->w.f.rule, sizeof(x->w.f.rule));
	return 0;
}

static int predict_legacy(const struct igd_nat_ctx *c, struct igd_nat_finding *f, int max,
			  char *err, size_t errlen)
{
	static struct legacy_walk_ctx x;
	unsigned int nrules;
	int ret;

	if (max < 1 || !natfix_legacy_nat_exists(c->sel->family))
		return 0;
	memset(&x, 0, sizeof(x));
	x.w.c = c;
	ret = natfix_legacy_walk(c->sel->family, legacy_fn, &x, &nrules, err, errlen);
	if (ret < 0)
		return ret;
	if (x.w.f.outcome == IGD_TRI_NEVER)
		return 0;
	f[0] = x.w.f;
	f[0].backend = "iptables-legacy";
	f[0].family = c->sel->family == 6 ? "ip6" : "ip";
	snprintf(f[0].table, sizeof(f[0].table), "nat");
	snprintf(f[0].chain, sizeof(f[0].chain), "%s", NATFIX_LEGACY_CHAIN);
	return 1;
}

/* iptables-legacy's nat table hooks in at NF_IP_PRI_NAT_SRC */
#define PREDICT_LEGACY_PRIO	100

int igd_nat_predict(const struct igd_nat_ctx *c, struct igd_nat_finding *f, int max,
		    char *err, size_t errlen)
{
	int64_t bound;
	int n, m;

	n = predict_nft(c, f, max, err, errlen, &bound);
	if (n < 0 || bound < PREDICT_LEGACY_PRIO)
		return n;
	m = predict_legacy(c, f + n, max - n, err, errlen);
	return m < 0 ? m : n + m;
}
