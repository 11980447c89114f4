#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include "doctor/filter_predict.h"
#include "doctor/nft_sets.h"
#include "natfix/natfix_int.h"
#include "natfix/natfix_legacy_line.h"
#include "nl/nl_talk.h"

#define FILTER_DEPTH	8	/* jumps followed */

struct base_chain {
	struct natfix_chain c;
	int32_t prio;
	uint32_t policy;
};

struct chain_list {
	struct base_chain *v;
	unsigned int n, cap;
	unsigned int hook;
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_list *l = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *type, *table, *name;
	struct base_chain *b;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		errno = c ? EBADMSG : ENOMEM;
		return MNL_CB_ERROR;
	}
	type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) && type && table && name &&
	    !strcmp(type, "filter") && nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == l->hook) {
		if (l->n == l->cap) {
			unsigned int cap = l->cap ? 2 * l->cap : 8;

			b = realloc(l->v, cap * sizeof(*b));
			if (!b) {
				nftnl_chain_free(c);
				errno = ENOMEM;
				return MNL_CB_ERROR;
			}
			l->v = b;
			l->cap = cap;
		}
		b = &l->v[l->n++];
		memset(b, 0, sizeof(*b));
		b->c.family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
		snprintf(b->c.table, sizeof(b->c.table), "%s", table);
		snprintf(b->c.chain, sizeof(b->c.chain), "%s", name);
		b->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		b->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
			    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static void chains_reset(void *data)
{
	struct chain_list *l = data;

	l->n = 0;
}

/* One chain's walk and what it decided. */
enum walk_end { END_FALLTHROUGH, END_ACCEPT, END_DROP, END_RETURN };

struct walk {
	const struct igd_nat_ctx *c;
	uint32_t nfproto;
	int legacy;			/* iptables-legacy of this family (4, 6), 0: nft */
	const struct natfix_legacy_line *line;	/* legacy: the rule being judged */
	const char *table;
	unsigned int depth;
	enum walk_end end;
	bool decided;
	bool maybe_accept;		/* an accept that may have taken the packet */
	struct igd_filter_finding *f;	/* the first drop or may-drop */
	int err;
};

static void walk_chain(struct walk *w, const char *chain);

static void walk_reset(void *data)
{
	struct walk *w = data;

	w->end = END_FALLTHROUGH;
	w->decided = false;
}

static void note_drop(struct walk *w, enum igd_tri t, uint64_t handle, const char *why)
{
	if (w->f->blocked != IGD_TRI_NEVER)
		return;
	w->f->blocked = w->maybe_accept && t == IGD_TRI_ALWAYS ? IGD_TRI_MAYBE : t;
	w->f->handle = handle;
	if (w->line)
		natfix_legacy_join(w->line, w->f->rule, sizeof(w->f->rule));
	snprintf(w->f->why, sizeof(w->f->why), "%s", w->maybe_accept && t == IGD_TRI_ALWAYS ?
		 "an accept before it may take the packet" : why);
}

/* One rule's answer @e (handle, or legacy rule number, @h) applied to the walk. */
static void walk_step(struct walk *w, const struct igd_nat_eval *e, uint64_t h)
{
	struct walk sub;

	if (e->match == IGD_TRI_NEVER)
		return;
	switch (e->act) {
	case IGD_NAT_ACT_EXEMPT:
		if (e->match == IGD_TRI_ALWAYS) {
			w->end = END_ACCEPT;
			w->decided = true;
		} else {
			w->maybe_accept = true;
		}
		break;
	case IGD_NAT_ACT_DROP:
		note_drop(w, e->match, h, e->why);
		if (e->match == IGD_TRI_ALWAYS) {
			w->end = END_DROP;
			w->decided = true;
		}
		break;
	case IGD_NAT_ACT_RETURN:
		if (e->match == IGD_TRI_ALWAYS) {
			w->end = END_RETURN;
			w->decided = true;
		}
		break;
	case IGD_NAT_ACT_OTHER:
		if (!e->jump[0] || w->depth >= FILTER_DEPTH) {
			note_drop(w, IGD_TRI_MAYBE, h, "a verdict not followed");
			break;
		}
		sub = *w;
		sub.depth++;
		sub.line = NULL;
		walk_chain(&sub, e->jump);
		w->maybe_accept = sub.maybe_accept;
		w->err = sub.err;
		if (e->match == IGD_TRI_ALWAYS && (sub.end == END_ACCEPT || sub.end == END_DROP)) {
			w->end = sub.end;
			w->decided = true;
		}
		break;
	default:
		break;
	}
}

static int rule_fn(const struct nftnl_rule *r, void *data)
{
	struct walk *w = data;
	struct igd_nat_eval e;

	if (w->decided)
		return 0;
	igd_nat_eval_nft(r, w->nfproto, w->c, &e);
	walk_step(w, &e, nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE));
	return 0;
}

static int legacy_rule_fn(const struct natfix_legacy_line *l, unsigned int num, void *data)
{
	struct walk *w = data;
	struct igd_nat_eval e;

	if (w->decided)
		return 0;
	igd_nat_eval_legacy(l, w->c, &e);
	w->line = l;
	walk_step(w, &e, num);
	w->line = NULL;
	return 0;
}

static void walk_chain(struct walk *w, const char *chain)
{
	struct natfix_chain c = { .family = w->nfproto };
	int ret;

	snprintf(c.table, sizeof(c.table), "%s", w->table);
	snprintf(c.chain, sizeof(c.chain), "%s", chain);
	w->end = END_FALLTHROUGH;
	w->decided = false;
	if (w->legacy)
		ret = natfix_legacy_walk_chain(w->legacy, "filter", chain, legacy_rule_fn, w,
					       NULL, NULL, NULL, 0);
	else
		ret = natfix_chain_rules(&c, rule_fn, walk_reset, w);
	if (ret < 0 && !w->err)
		w->err = ret;
}

static const char *family_name(uint32_t nfproto)
{
	return nfproto == NFPROTO_INET ? "inet" : nfproto == NFPROTO_IPV6 ? "ip6" : "ip";
}

/* The legacy filter table's INPUT or OUTPUT chain: at most one finding into @f. */
static int predict_legacy(const struct igd_nat_ctx *c, unsigned int hook,
			  struct igd_filter_finding *f, char *err, size_t errlen)
{
	const char *chain = hook == NF_INET_LOCAL_IN ? "INPUT" : "OUTPUT";
	int family = c->sel->family;
	bool policy_drop = false;
	struct walk w;
	int ret;

	if (c->nft_only || !natfix_legacy_table_exists(family, "filter"))
		return 0;
	memset(f, 0, sizeof(*f));
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.legacy = family;
	w.table = "filter";
	w.f = f;
	w.end = END_FALLTHROUGH;
	ret = natfix_legacy_walk_chain(family, "filter", chain, legacy_rule_fn, &w, NULL,
				       &policy_drop, err, errlen);
	if (ret < 0)
		return ret;
	if (w.err) {
		snprintf(err, errlen, "iptables-legacy: filter chains: %s", strerror(-w.err));
		return w.err;
	}
	if (w.end != END_ACCEPT && w.end != END_DROP && policy_drop)
		note_drop(&w, IGD_TRI_ALWAYS, 0, "the chain's policy");
	if (f->blocked == IGD_TRI_NEVER)
		return 0;
	f->backend = "iptables-legacy";
	f->family = family == 6 ? "ip6" : "ip";
	snprintf(f->table, sizeof(f->table), "filter");
	snprintf(f->chain, sizeof(f->chain), "%s", chain);
	return 1;
}

int igd_filter_predict(const struct igd_nat_ctx *c, unsigned int hook,
		       struct igd_filter_finding *f, int max, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct chain_list l = { .hook = hook };
	struct igd_nft_sets sets;
	struct igd_nat_ctx cc;
	struct nlmsghdr *nlh;
	unsigned int i;
	int n = 0, ret;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, 0);
	ret = igd_nl_dump(nlh, chain_cb, &l, chains_reset);
	for (i = 0; !ret && i < l.n && n < max; i++) {
		struct base_chain *b = &l.v[i];
		struct walk w;

		if (!natfix_chain_covers(&b->c, c->sel->family))
			continue;
		ret = igd_nft_sets_load(&sets, b->c.family, b->c.table);
		if (ret)
			break;
		cc = *c;
		cc.sets = &sets;
		memset(&f[n], 0, sizeof(f[n]));
		memset(&w, 0, sizeof(w));
		w.c = &cc;
		w.nfproto = b->c.family;
		w.table = b->c.table;
		w.f = &f[n];
		walk_chain(&w, b->c.chain);
		igd_nft_sets_free(&sets);
		if (w.err) {
			ret = w.err;
			break;
		}
		if (w.end != END_ACCEPT && w.end != END_DROP && b->policy == NF_DROP)
			note_drop(&w, IGD_TRI_ALWAYS, 0, "the chain's policy");
		if (f[n].blocked == IGD_TRI_NEVER)
			continue;
		f[n].backend = "nft";
		f[n].family = family_name(b->c.family);
		snprintf(f[n].table, sizeof(f[n].table), "%s", b->c.table);
		snprintf(f[n].chain, sizeof(f[n].chain), "%s", b->c.chain);
		n++;
	}
	free(l.v);
	if (ret < 0) {
		snprintf(err, errlen, "nft: filter chains: %s", strerror(-ret));
		return ret;
	}
	if (n < max) {
		ret = predict_legacy(c, hook, &f[n], err, errlen);
		if (ret < 0)
			return ret;
		n += ret;
	}
	return n;
}
