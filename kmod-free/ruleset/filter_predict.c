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
#include "ruleset/chain_walk.h"
#include "ruleset/filter_predict.h"
#include "ruleset/nft_sets.h"
#include "natfix/natfix_int.h"
#include "natfix/natfix_legacy_line.h"
#include "nl/nl_talk.h"


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

/* The walk of one base chain into finding @f: its first drop, else the chain's
 * policy when it drops and the walk may end there. */
static bool filter_finding(const struct igd_walk *w, bool policy_drop,
			   struct igd_filter_finding *f)
{
	const struct igd_walk_hit *h = &w->hit;

	memset(f, 0, sizeof(*f));
	f->blocked = h->outcome;
	if (h->outcome != IGD_TRI_NEVER) {
		f->handle = h->handle;
		snprintf(f->rule_chain, sizeof(f->rule_chain), "%s", h->chain);
		if (strchr(h->path, '>'))
			snprintf(f->path, sizeof(f->path), "%s", h->path);
		snprintf(f->rule, sizeof(f->rule), "%s", h->rule);
		snprintf(f->why, sizeof(f->why), "%s", h->exempt_maybe ?
			 "an accept before it may take the packet" : h->why);
		return true;
	}
	if (!policy_drop || (w->end_sure && w->end != IGD_WALK_FALL))
		return false;	/* no packet of the flow reaches the policy */
	f->blocked = w->end == IGD_WALK_FALL && !w->maybe_ended ? IGD_TRI_ALWAYS : IGD_TRI_MAYBE;
	snprintf(f->why, sizeof(f->why), "%s", f->blocked == IGD_TRI_ALWAYS ? "the chain's policy" :
		 "the chain's policy, after an accept that may take the packet");
	return true;
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
	struct igd_walk w;
	int ret;

	if (c->nft_only || !natfix_legacy_table_exists(family, "filter"))
		return 0;
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.legacy = family;
	w.table = "filter";
	w.want = IGD_NAT_ACT_DROP;
	ret = igd_walk_base(&w, chain);
	if (ret < 0) {
		snprintf(err, errlen, "iptables-legacy: filter %s: %s", chain,
			 w.err[0] ? w.err : strerror(-ret));
		return ret;
	}
	if (!filter_finding(&w, w.policy_drop, f))
		return 0;
	snprintf(f->chain, sizeof(f->chain), "%s", chain);
	f->backend = "iptables-legacy";
	f->family = family == 6 ? "ip6" : "ip";
	snprintf(f->table, sizeof(f->table), "filter");
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
		struct igd_walk w;

		if (!natfix_chain_covers(&b->c, c->sel->family))
			continue;
		ret = igd_nft_sets_load(&sets, b->c.family, b->c.table);
		if (ret)
			break;
		cc = *c;
		cc.sets = &sets;
		memset(&w, 0, sizeof(w));
		w.c = &cc;
		w.nfproto = b->c.family;
		w.table = b->c.table;
		w.want = IGD_NAT_ACT_DROP;
		ret = igd_walk_base(&w, b->c.chain);
		igd_nft_sets_free(&sets);
		if (ret)
			break;
		if (!filter_finding(&w, b->policy == NF_DROP, &f[n]))
			continue;
		snprintf(f[n].chain, sizeof(f[n].chain), "%s", b->c.chain);
		f[n].backend = "nft";
		f[n].family = family_name(b->c.family);
		snprintf(f[n].table, sizeof(f[n].table), "%s", b->c.table);
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
