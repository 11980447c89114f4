#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <libnftnl/rule.h>
#include <stdlib.h>
#include "ruleset/chain_walk.h"
#include "ruleset/nat_predict.h"
#include "ruleset/nft_sets.h"
#include "natfix/natfix_int.h"
#include "natfix/natfix_legacy_line.h"

static const char *family_name(uint32_t nfproto)
{
	return nfproto == NFPROTO_INET ? "inet" : nfproto == NFPROTO_IPV6 ? "ip6" : "ip";
}

/* Walks base chain @ch for @c into @w.  0 or -errno (said in @err). */
static int predict_chain(const struct igd_nat_ctx *c, const struct natfix_chain *ch,
			 struct igd_walk *w, char *err, size_t errlen)
{
	struct igd_nft_sets sets;
	struct igd_nat_ctx cc = *c;
	int ret;

	memset(w, 0, sizeof(*w));
	w->c = &cc;
	w->nfproto = ch->family;
	w->table = ch->table;
	w->want = IGD_NAT_ACT_TRANSLATE;
	ret = igd_nft_sets_load(&sets, ch->family, ch->table);
	if (ret == 0) {
		cc.sets = &sets;
		ret = igd_walk_base(w, ch->chain);
		igd_nft_sets_free(&sets);
	}
	w->c = c;
	if (ret < 0)
		snprintf(err, errlen, "nft: rules of %s %s %s: %s", family_name(ch->family),
			 ch->table, ch->chain, strerror(-ret));
	return ret;
}

static void finding_of(struct igd_nat_finding *f, const struct igd_walk *w)
{
	const struct igd_walk_hit *h = &w->hit;

	memset(f, 0, sizeof(*f));
	f->outcome = h->outcome;
	snprintf(f->rule_chain, sizeof(f->rule_chain), "%s", h->chain);
	if (strchr(h->path, '>'))
		snprintf(f->path, sizeof(f->path), "%s", h->path);
	snprintf(f->rule, sizeof(f->rule), "%s", h->rule);
	snprintf(f->why, sizeof(f->why), "%s", h->why);
	f->handle = h->handle;
	f->exempt_maybe = h->exempt_maybe;
	f->masquerade = h->masquerade;
	f->has_to = h->has_to;
	f->to = h->to;
	f->to_unknown = h->to_unknown;
}

/* The lowest priority of ipsecguardd's exempt chains that surely bind the selector's
 * flows to their own source: the kernel binds a connection's source once, so no nat
 * chain after it translates them.  INT64_MAX when none does. */
static int64_t predict_own_bound(const struct igd_nat_ctx *c, const struct natfix_scan *s,
				 char *err, size_t errlen, int *ret)
{
	int64_t bound = INT64_MAX;
	struct igd_walk w;
	unsigned int i;

	for (i = 0; *ret >= 0 && i < s->nchains; i++) {
		const struct natfix_chain *ch = &s->chains[i];

		if (ch->kind != IGD_NATFIX_OWN || !natfix_chain_covers(ch, c->sel->family))
			continue;
		*ret = predict_chain(c, ch, &w, err, errlen);
		if (*ret >= 0 && w.end == IGD_WALK_ACCEPT && w.end_sure &&
		    w.hit.outcome == IGD_TRI_NEVER && ch->prio < bound)
			bound = ch->prio;
	}
	return bound;
}

static int chain_prio_cmp(const void *a, const void *b)
{
	const struct natfix_chain *x = a, *y = b;

	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

static int predict_nft(const struct igd_nat_ctx *c, struct igd_nat_finding *f, int max,
		       char *err, size_t errlen, int64_t *bound_out)
{
	struct natfix_scan s;
	struct igd_walk w;
	unsigned int i;
	int64_t bound;
	int n = 0, ret;

	ret = natfix_scan_nft(&s, err, errlen);
	if (ret >= 0 && s.nchains > 1)	/* the kernel runs them by priority */
		qsort(s.chains, s.nchains, sizeof(*s.chains), chain_prio_cmp);
	bound = predict_own_bound(c, &s, err, errlen, &ret);
	for (i = 0; ret >= 0 && i < s.nchains && n < max; i++) {
		const struct natfix_chain *ch = &s.chains[i];

		if (ch->kind == IGD_NATFIX_OWN || !natfix_chain_covers(ch, c->sel->family) ||
		    ch->prio > bound)
			continue;
		ret = predict_chain(c, ch, &w, err, errlen);
		if (ret < 0)
			break;
		if (w.hit.outcome == IGD_TRI_NEVER)
			continue;
		if (w.hit.outcome == IGD_TRI_ALWAYS && ch->prio < bound)
			bound = ch->prio;	/* the first binding wins: later chains moot */
		finding_of(&f[n], &w);
		f[n].backend = ch->kind == IGD_NATFIX_IPT_NFT ? "iptables-nft" : "nft";
		f[n].family = family_name(ch->family);
		snprintf(f[n].table, sizeof(f[n].table), "%s", ch->table);
		snprintf(f[n].chain, sizeof(f[n].chain), "%s", ch->chain);
		f[n].prio = ch->prio;
		n++;
	}
	*bound_out = bound;
	natfix_scan_free(&s);
	return ret < 0 ? ret : n;
}

static int predict_legacy(const struct igd_nat_ctx *c, struct igd_nat_finding *f, int max,
			  char *err, size_t errlen)
{
	struct igd_walk w;
	int ret;

	if (max < 1 || !natfix_legacy_nat_exists(c->sel->family))
		return 0;
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.legacy = c->sel->family;
	w.table = "nat";
	w.want = IGD_NAT_ACT_TRANSLATE;
	ret = igd_walk_base(&w, NATFIX_LEGACY_CHAIN);
	if (ret < 0) {
		snprintf(err, errlen, "iptables-legacy: nat %s: %s", NATFIX_LEGACY_CHAIN,
			 w.err[0] ? w.err : strerror(-ret));
		return ret;
	}
	if (w.hit.outcome == IGD_TRI_NEVER)
		return 0;
	finding_of(&f[0], &w);
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
	struct igd_nat_finding t;
	int64_t bound;
	int n, m, i, j;

	if (max < 1)
		return 0;
	n = predict_nft(c, f, max - 1, err, errlen, &bound);
	if (n < 0 || bound < PREDICT_LEGACY_PRIO)
		return n;
	m = predict_legacy(c, f + n, 1, err, errlen);
	if (m < 0)
		return m;
	if (m) {
		f[n].prio = PREDICT_LEGACY_PRIO;
		/* in priority order with the nft chains (after those of the same) */
		for (i = n; i > 0 && f[i - 1].prio > f[i].prio; i--) {
			t = f[i - 1];
			f[i - 1] = f[i];
			f[i] = t;
		}
		n += m;
	}
	for (i = 0; i < n; i++)		/* the first binding wins: what follows is moot */
		if (f[i].outcome == IGD_TRI_ALWAYS) {
			for (j = i + 1; j < n && f[j].prio == f[i].prio; j++)
				;
			return j;
		}
	return n;
}
