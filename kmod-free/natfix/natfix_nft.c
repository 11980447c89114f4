/* NAT exemptions, nf_tables side: dump the nat postrouting chains and their tagged
 * rules, insert and delete in one transaction.  See natfix.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>

#include "natfix_int.h"
#include "nl/nl_talk.h"
#include "nft/nft_batch.h"


static void natfix_seterr(char *err, size_t errlen, const char *what, int ret)
{
	if (errlen)
		snprintf(err, errlen, "natfix: %s: %s", what, strerror(-ret));
}

/* ---- one nf_tables dump ---- */

/* ---- chains ---- */

bool natfix_chain_covers(const struct natfix_chain *c, int family)
{
	return c->family == NFPROTO_INET ||
	       c->family == (family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
}

/* iptables-nft keeps its nat chains as "ip nat POSTROUTING" / "ip6 nat POSTROUTING". */
static enum igd_natfix_kind natfix_chain_kind(uint32_t family, const char *table,
					      const char *chain)
{
	if (family != NFPROTO_INET && !strcmp(table, "nat") && !strcmp(chain, "POSTROUTING"))
		return IGD_NATFIX_IPT_NFT;
	return IGD_NATFIX_NFT;
}

static bool natfix_chain_is_natpost(const struct nftnl_chain *c)
{
	uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);

	if (family != NFPROTO_IPV4 && family != NFPROTO_IPV6 && family != NFPROTO_INET)
		return false;
	return nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	       nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_POST_ROUTING &&
	       type && !strcmp(type, "nat") &&
	       nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE) &&
	       nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
}

static int natfix_scan_add_chain(struct natfix_scan *s, const struct nftnl_chain *c)
{
	struct natfix_chain *nc;

	if (s->nchains == s->chains_cap) {
		unsigned int cap = s->chains_cap ? 2 * s->chains_cap : 8;

		nc = realloc(s->chains, cap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		s->chains = nc;
		s->chains_cap = cap;
	}
	nc = &s->chains[s->nchains++];
	memset(nc, 0, sizeof(*nc));
	nc->family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	snprintf(nc->table, sizeof(nc->table), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	snprintf(nc->chain, sizeof(nc->chain), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	/* the daemon's own exemptions are the daemon's (its tables are owned) */
	nc->kind = !strcmp(nc->chain, IGD_NATFIX_OWN_CHAIN) ? IGD_NATFIX_OWN :
		   natfix_chain_kind(nc->family, nc->table, nc->chain);
	nc->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
	return 0;
}

/* libnftnl's parser validates every attribute it reads (mnl_attr_validate). */
static int natfix_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct natfix_scan *s = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	int ret = MNL_CB_OK;

	if (!c) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		errno = EBADMSG;
		ret = MNL_CB_ERROR;
	} else if (natfix_chain_is_natpost(c) && natfix_scan_add_chain(s, c) < 0) {
		errno = ENOMEM;
		ret = MNL_CB_ERROR;
	}
	nftnl_chain_free(c);
	return ret;
}

static void natfix_chains_reset(void *data)
{
	struct natfix_scan *s = data;

	s->nchains = 0;
}

static int natfix_dump_chains(struct natfix_scan *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC,
				    NLM_F_DUMP, 0);
	return igd_nl_dump(nlh, natfix_chain_cb, s, natfix_chains_reset);
}

/* ---- rules ---- */

static int natfix_scan_add_rule(struct natfix_scan *s, const struct igd_natfix_rule *r)
{
	struct igd_natfix_rule *nr;

	if (s->nrules == s->rules_cap) {
		unsigned int cap = s->rules_cap ? 2 * s->rules_cap : 8;

		nr = realloc(s->rules, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		s->rules = nr;
		s->rules_cap = cap;
	}
	s->rules[s->nrules++] = *r;
	return 0;
}

struct natfix_walk {
	natfix_rule_fn fn;
	void (*reset)(void *data);
	void *data;
};

static int natfix_walk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct natfix_walk *w = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	int ret;

	if (!r) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		errno = EBADMSG;
		ret = -EBADMSG;
	} else {
		ret = w->fn(r, w->data);
		if (ret < 0)
			errno = -ret;
	}
	nftnl_rule_free(r);
	return ret < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static void natfix_walk_reset(void *data)
{
	struct natfix_walk *w = data;

	if (w->reset)
		w->reset(w->data);
}

/* The rules of one chain, in chain order (the kernel filters the dump by table and
 * chain name). */
int natfix_chain_rules(const struct natfix_chain *c, natfix_rule_fn fn,
		       void (*reset)(void *data), void *data)
{
	struct natfix_walk w = { fn, reset, data };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	int ret;

	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->table) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->chain) < 0) {
		nftnl_rule_free(r);
		return -ENOMEM;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, (uint16_t)c->family,
				    NLM_F_DUMP, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	ret = igd_nl_dump(nlh, natfix_walk_cb, &w, natfix_walk_reset);
	return ret == -ENOENT ? 0 : ret;	/* chain gone meanwhile */
}

struct natfix_rule_ctx {
	struct natfix_scan *s;
	unsigned int first;		/* s->nrules when this chain's dump began */
};

static int natfix_tagged_fn(const struct nftnl_rule *r, void *data)
{
	struct natfix_rule_ctx *ctx = data;
	struct igd_natfix_rule fr;

	if (igd_natfix_rule_decode(r, &fr) == 0)
		return natfix_scan_add_rule(ctx->s, &fr);
	return 0;
}

static void natfix_rules_reset(void *data)
{
	struct natfix_rule_ctx *ctx = data;

	ctx->s->nrules = ctx->first;
}

static int natfix_dump_rules(struct natfix_scan *s, const struct natfix_chain *c)
{
	struct natfix_rule_ctx ctx = { s, s->nrules };

	return natfix_chain_rules(c, natfix_tagged_fn, natfix_rules_reset, &ctx);
}

void natfix_scan_free(struct natfix_scan *s)
{
	if (!s)
		return;
	free(s->chains);
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

int natfix_scan_nft(struct natfix_scan *s, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = natfix_dump_chains(s);
	if (ret < 0) {
		natfix_seterr(err, errlen, "dump nf_tables chains", ret);
		return ret;
	}
	for (i = 0; i < s->nchains; i++) {
		ret = natfix_dump_rules(s, &s->chains[i]);
		if (ret < 0) {
			if (errlen)
				snprintf(err, errlen, "natfix: dump rules of %s %s: %s",
					 s->chains[i].table, s->chains[i].chain,
					 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* ---- apply ---- */

static bool natfix_chain_has(const struct natfix_scan *s, const struct natfix_chain *c,
			     const struct igd_sel *sel)
{
	const struct igd_natfix_rule *r;
	unsigned int i;

	for (i = 0; i < s->nrules; i++) {
		r = &s->rules[i];
		if (r->family == c->family && !strcmp(r->table, c->table) &&
		    !strcmp(r->chain, c->chain) && igd_natfix_sel_equal(&r->sel, sel))
			return true;
	}
	return false;
}

static int natfix_put_insert(struct igd_nft_batch *b, const struct natfix_chain *c,
			     const struct igd_sel *sel, uint32_t sp_index)
{
	struct nftnl_rule *r;
	int ret;

	r = igd_natfix_rule_build(c->kind, c->family, c->table, c->chain, sel, sp_index);
	if (!r)
		return -errno;
	/* no NLM_F_APPEND, no position: the kernel puts it first in the chain */
	ret = igd_nft_batch_rule(b, NFT_MSG_NEWRULE, NLM_F_CREATE, r);
	nftnl_rule_free(r);
	return ret;
}

/* Fills res->rules with the rules just inserted, handles included (a second dump:
 * the batch acks carry no handles). */
static int natfix_report_inserted(const struct igd_sel *sel, const bool *added,
				  const struct natfix_scan *before,
				  struct igd_natfix_result *res, char *err, size_t errlen)
{
	struct natfix_scan after;
	unsigned int i, j;
	int ret;

	ret = natfix_scan_nft(&after, err, errlen);
	if (ret < 0)
		goto out;
	for (i = 0; i < before->nchains; i++) {
		const struct natfix_chain *c = &before->chains[i];

		if (!added[i])
			continue;
		for (j = 0; j < after.nrules; j++) {
			const struct igd_natfix_rule *r = &after.rules[j];

			if (r->family == c->family && !strcmp(r->table, c->table) &&
			    !strcmp(r->chain, c->chain) && igd_natfix_sel_equal(&r->sel, sel)) {
				natfix_res_add(res, r);
				break;
			}
		}
	}
out:
	natfix_scan_free(&after);
	return ret;
}

static int natfix_nft_insert(const struct natfix_scan *s, const struct igd_sel *sel,
			     uint32_t sp_index, bool *added, unsigned int *present,
			     char *err, size_t errlen)
{
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	unsigned int i, n = 0;
	int ret = 0;

	if (!b) {
		natfix_seterr(err, errlen, "allocate batch", -ENOMEM);
		return -ENOMEM;
	}
	for (i = 0; i < s->nchains && !ret; i++) {
		const struct natfix_chain *c = &s->chains[i];

		if (c->kind == IGD_NATFIX_OWN || !natfix_chain_covers(c, sel->family))
			continue;
		if (natfix_chain_has(s, c, sel)) {
			(*present)++;
			continue;
		}
		ret = natfix_put_insert(b, c, sel, sp_index);
		if (ret < 0)
			natfix_seterr(err, errlen, "build rule", ret);
		added[i] = true;
		n++;
	}
	if (!ret && n)
		ret = igd_nft_batch_send(b, true, err, errlen);
	igd_nft_batch_free(b);
	return ret < 0 ? ret : (int)n;
}

int natfix_nft_apply(const struct igd_sel *sel, uint32_t sp_index,
		     struct igd_natfix_result *res, char *err, size_t errlen)
{
	struct natfix_scan s;
	bool *added = NULL;
	int ret;

	ret = natfix_scan_nft(&s, err, errlen);
	if (ret < 0)
		goto out;
	added = calloc(s.nchains + 1, sizeof(*added));
	if (!added) {
		ret = -ENOMEM;
		natfix_seterr(err, errlen, "allocate", ret);
		goto out;
	}
	ret = natfix_nft_insert(&s, sel, sp_index, added, &res->present, err, errlen);
	if (ret > 0) {
		int n = ret;

		res->inserted += (unsigned int)n;
		ret = natfix_report_inserted(sel, added, &s, res, err, errlen);
		if (!ret)
			ret = n;
	}
out:
	free(added);
	natfix_scan_free(&s);
	return ret;
}

/* ---- revert ---- */

static int natfix_put_delete(struct igd_nft_batch *b, const struct igd_natfix_rule *fr)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	int ret = -ENOMEM;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, fr->family);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, fr->handle);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, fr->table) >= 0 &&
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, fr->chain) >= 0)
		ret = igd_nft_batch_rule(b, NFT_MSG_DELRULE, 0, r);
	nftnl_rule_free(r);
	return ret;
}

int natfix_nft_revert(const uint32_t *sp, unsigned int *count, char *err, size_t errlen)
{
	struct igd_nft_batch *b = NULL;
	struct natfix_scan s;
	unsigned int i, n = 0;
	int ret;

	ret = natfix_scan_nft(&s, err, errlen);
	if (ret < 0)
		goto out;
	b = igd_nft_batch_alloc();
	if (!b) {
		ret = -ENOMEM;
		natfix_seterr(err, errlen, "allocate batch", ret);
		goto out;
	}
	for (i = 0; i < s.nrules && !ret; i++) {
		if (sp && s.rules[i].sp_index != *sp)
			continue;
		ret = natfix_put_delete(b, &s.rules[i]);
		if (ret < 0)
			natfix_seterr(err, errlen, "build delete", ret);
		n++;
	}
	if (!ret && n)
		ret = igd_nft_batch_send(b, true, err, errlen);
	if (!ret)
		*count += n;
out:
	igd_nft_batch_free(b);
	natfix_scan_free(&s);
	return ret;
}

int natfix_nft_list(igd_natfix_cb cb, void *data, char *err, size_t errlen)
{
	struct natfix_scan s;
	unsigned int i;
	int ret;

	ret = natfix_scan_nft(&s, err, errlen);
	for (i = 0; !ret && i < s.nrules; i++)
		ret = cb(&s.rules[i], data);
	if (!ret)
		ret = (int)s.nrules;
	natfix_scan_free(&s);
	return ret;
}
