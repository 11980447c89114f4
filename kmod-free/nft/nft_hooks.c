/* The daemon's own nf_tables tables.  See nft_hooks.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>

#include "nft/nft_batch.h"
#include "nft/nft_expr.h"
#include "nft/nft_hooks.h"
#include "guard/table_hold.h"

#define HOOKS_NAME_MAX	NFT_TABLE_MAXNAMELEN

static const struct igd_hook_spec hook_specs[IGD_HOOK_MAX] = {
	[IGD_HOOK_PREROUTING]	= { "prerouting",  NF_INET_PRE_ROUTING,  -150 },
	[IGD_HOOK_FORWARD]	= { "forward",     NF_INET_FORWARD,      0 },
	[IGD_HOOK_OUTPUT]	= { "output",      NF_INET_LOCAL_OUT,    0 },
	[IGD_HOOK_POSTROUTING]	= { "postrouting", NF_INET_POST_ROUTING, 101 },
};

static const uint32_t hook_families[] = { NFPROTO_IPV4, NFPROTO_IPV6 };

#define for_each_family(i) \
	for ((i) = 0; (i) < sizeof(hook_families) / sizeof(hook_families[0]); (i)++)

const struct igd_hook_spec *igd_hook_spec_get(enum igd_hook h)
{
	if ((unsigned int)h >= IGD_HOOK_MAX)
		return NULL;
	return &hook_specs[h];
}

const char *igd_hooks_table(const struct igd_hooks_cfg *cfg)
{
	return cfg && cfg->table ? cfg->table : IGD_HOOKS_TABLE;
}

static int hooks_name_check(const char *name)
{
	size_t len = strlen(name);

	return len && len < HOOKS_NAME_MAX ? 0 : -EINVAL;
}

int igd_hooks_cfg_check(const struct igd_hooks_cfg *cfg)
{
	uint32_t total;

	if (!cfg)
		return -EINVAL;
	if (hooks_name_check(igd_hooks_table(cfg)) < 0)
		return -EINVAL;
	total = cfg->queue_total ? cfg->queue_total : 1;
	if ((uint32_t)cfg->queue_num + total - 1 > UINT16_MAX)
		return -ERANGE;
	if (cfg->queue > IGD_HOOKS_QUEUE_XT)
		return -EINVAL;
	return 0;
}

static uint16_t hooks_queue_flags(const struct igd_hooks_cfg *cfg)
{
	uint16_t flags = 0;

	if (cfg->bypass)
		flags |= IGD_NFT_QUEUE_BYPASS;
	if (cfg->fanout)
		flags |= IGD_NFT_QUEUE_FANOUT;
	return flags;
}

/* One table message: add (NLM_F_CREATE: no error when it exists with these @flags)
 * or delete. */
static int hooks_put_table(struct igd_nft_batch *b, uint16_t type, uint32_t family,
			   const char *name, uint32_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	int ret = -ENOMEM;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0)
		goto out;
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	ret = igd_nft_batch_table(b, type,
				  type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, t);
out:
	nftnl_table_free(t);
	return ret;
}

static int hooks_put_chain(struct igd_nft_batch *b, uint32_t family,
			   const char *table, const struct igd_hook_spec *spec)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int ret = -ENOMEM;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, spec->chain) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") < 0)
		goto out;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, spec->hooknum);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, spec->priority);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	ret = igd_nft_batch_chain(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, c);
out:
	nftnl_chain_free(c);
	return ret;
}

/* add table (as it is now: @now); delete table; add table (@flags): whatever was
 * there goes, in the same transaction.  An orphaned persistent table is adopted by
 * the first add; a table another live process owns refuses it (EPERM). */
int igd_hooks_put_table_fresh(struct igd_nft_batch *b, uint32_t family, const char *table,
			      uint32_t now, uint32_t flags)
{
	return hooks_put_table(b, NFT_MSG_NEWTABLE, family, table, now) ?:
	       hooks_put_table(b, NFT_MSG_DELTABLE, family, table, 0) ?:
	       hooks_put_table(b, NFT_MSG_NEWTABLE, family, table, flags);
}

void igd_hooks_read_flags(struct igd_hooks_cfg *cfg)
{
	unsigned int i;

	for_each_family(i) {
		uint32_t flags;

		/* absent (or unreadable: the transaction will say why) */
		if (igd_nft_table_get(hook_families[i], igd_hooks_table(cfg), &flags, NULL))
			flags = cfg->table_flags;
		cfg->flags_now[i] = flags;
	}
}

static int hooks_put_family_tables(struct igd_nft_batch *b, uint32_t family,
				   const char *table, uint32_t skip, uint32_t now,
				   uint32_t flags)
{
	unsigned int h;
	int ret;

	ret = igd_hooks_put_table_fresh(b, family, table, now, flags);
	for (h = 0; h < IGD_HOOK_MAX && !ret; h++)
		if (!(skip & (1u << h)))
			ret = hooks_put_chain(b, family, table, &hook_specs[h]);
	return ret;
}

int igd_hooks_put_tables(struct igd_nft_batch *b, const struct igd_hooks_cfg *cfg)
{
	unsigned int i;
	int ret = igd_hooks_cfg_check(cfg);

	for_each_family(i) {
		if (ret)
			break;
		ret = hooks_put_family_tables(b, hook_families[i], igd_hooks_table(cfg),
					      cfg->skip_hooks, cfg->flags_now[i], cfg->table_flags);
	}
	return ret;
}

int igd_hooks_put_queue(struct nftnl_rule *r, const struct igd_hooks_cfg *cfg,
			enum igd_hooks_queue queue)
{
	uint16_t total = cfg->queue_total ? cfg->queue_total : 1;
	uint16_t flags = hooks_queue_flags(cfg);

	if (igd_nft_expr_counter(r))
		return -ENOMEM;
	if (queue == IGD_HOOKS_QUEUE_NATIVE)
		return igd_nft_expr_queue(r, cfg->queue_num, total, flags);
	return igd_nft_expr_nfqueue_xt(r, cfg->queue_num, total, flags);
}

/* [ct state new] counter queue, built into @r. */
static int hooks_queue_exprs(struct nftnl_rule *r, const struct igd_hooks_cfg *cfg,
			     enum igd_hooks_queue queue)
{
	int ret = 0;

	if (!cfg->all_packets)
		ret = igd_nft_expr_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
	return ret ?: igd_hooks_put_queue(r, cfg, queue);
}

int igd_hooks_put_remove(struct igd_nft_batch *b, const char *table, uint32_t flags)
{
	unsigned int i;
	int ret;

	if (!table)
		table = IGD_HOOKS_TABLE;
	ret = hooks_name_check(table);
	for_each_family(i) {
		if (!ret)
			ret = hooks_put_table(b, NFT_MSG_NEWTABLE, hook_families[i], table, flags);
		if (!ret)
			ret = hooks_put_table(b, NFT_MSG_DELTABLE, hook_families[i], table, 0);
	}
	return ret;
}

#define PROBE_CHAIN		"probe"
#define PROBE_MSG_FIRST		2	/* after the table and the chain */

static int hooks_put_plain_chain(struct igd_nft_batch *b, uint32_t family,
				 const char *table, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int ret = -ENOMEM;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) == 0 &&
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) == 0)
		ret = igd_nft_batch_chain(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, c);
	nftnl_chain_free(c);
	return ret;
}

int igd_hooks_probe_rules(igd_hooks_probe_build build, unsigned int n, void *arg,
			  int *results)
{
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	struct nftnl_rule *r;
	char table[64];
	unsigned int i;
	int ret;

	if (!b)
		return -ENOMEM;
	snprintf(table, sizeof(table), "igd_probe_%ld", (long)getpid());
	ret = hooks_put_table(b, NFT_MSG_NEWTABLE, NFPROTO_IPV4, table, 0) ?:
	      hooks_put_plain_chain(b, NFPROTO_IPV4, table, PROBE_CHAIN);
	for (i = 0; i < n && !ret; i++) {
		r = igd_nft_rule_new(NFPROTO_IPV4, table, PROBE_CHAIN);
		if (!r) {
			ret = -ENOMEM;
			break;
		}
		ret = build(r, i, arg) ?:
		      igd_nft_batch_rule(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
		nftnl_rule_free(r);
	}
	if (!ret) {
		/* each rule is acked on its own; a refused one is not the probe's failure */
		igd_nft_batch_send(b, false, NULL, 0);
		ret = igd_nft_batch_result(b, 0) ?: igd_nft_batch_result(b, 1);
	}
	for (i = 0; i < n; i++)
		results[i] = ret ? ret : igd_nft_batch_result(b, PROBE_MSG_FIRST + i);
	igd_nft_batch_free(b);
	return ret;
}

static int hooks_probe_queue(struct nftnl_rule *r, unsigned int i, void *arg)
{
	const struct igd_hooks_cfg cfg = { .table = "probe", .all_packets = true };

	(void)arg;
	return hooks_queue_exprs(r, &cfg, i ? IGD_HOOKS_QUEUE_XT : IGD_HOOKS_QUEUE_NATIVE);
}

int igd_hooks_probe(void)
{
	int res[2];
	int ret = igd_hooks_probe_rules(hooks_probe_queue, 2, NULL, res);

	if (ret)
		return ret;
	return !res[0] ? 1 : !res[1] ? 0 : -EOPNOTSUPP;
}

static void hooks_seterr(char *err, size_t errlen, const char *what, int ret)
{
	if (err && errlen)
		snprintf(err, errlen, "nft: %s: %s", what, strerror(-ret));
}

int igd_hooks_remove(const char *table, uint32_t flags, struct mnl_socket *nl, char *err,
		     size_t errlen)
{
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	int ret;

	if (!b) {
		hooks_seterr(err, errlen, "build batch", -ENOMEM);
		return -ENOMEM;
	}
	ret = igd_hooks_put_remove(b, table, flags);
	if (ret)
		hooks_seterr(err, errlen, "build batch", ret);
	else if (nl)
		ret = igd_nft_batch_send_on(b, nl, true, err, errlen);
	else
		ret = igd_nft_batch_send(b, true, err, errlen);
	igd_nft_batch_free(b);
	return ret;
}
