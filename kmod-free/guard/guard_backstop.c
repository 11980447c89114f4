/* The backstop table (table_hold.h, hold "owner"; enforce and fix).  Not owned, so it
 * outlives the daemon, which the owned table does not on kernels without
 * NFT_TABLE_F_PERSIST:
 *
 *   table ip|ip6 <table>_backstop
 *     sets protected, held              the owned table's, kept in step with them
 *     chain postrouting  filter hook postrouting priority 102 (after the owned 101)
 *       meta oifkind "xfrm"|"vti"* accept  (into a tunnel interface: the kernel's)
 *       ct mark & MASK == OK     accept  (judged healthy, or no suspect at all)
 *       ct mark & MASK == FLAG   accept  (fix mode: flagged, not dropped)
 *       ct direction original  ct status snat  ct original ip daddr @protected
 *                                counter drop
 *       ct direction original  rt ipsec missing  ct original ip daddr @held
 *                                counter drop
 *     chain igd_exempt  (fix mode) the owned table's exemptions, kept in step
 *
 * While the owned table is there, every packet of a connection's original direction
 * leaves it with a verdict in the conntrack mark, is dropped, or waits in the queue
 * for one, but for the transformed packets of an untranslated connection, which pass
 * unmarked and match neither drop rule here; so the backstop drops only what the owned
 * table is no longer there to judge: the suspects that its queue rules, which have no bypass, would have dropped
 * while no daemon listened. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>
#include "guard/guard_int.h"
#include "guard/guard_rules.h"
#include "nft/nft_batch.h"
#include "nft/nft_expr.h"

static const uint32_t backstop_families[] = { NFPROTO_IPV4, NFPROTO_IPV6 };

const char *igd_guard_backstop_name(const char *table, char *buf, size_t len)
{
	snprintf(buf, len, "%s" IGD_GUARD_BACKSTOP_SUFFIX, table ? table : IGD_HOOKS_TABLE);
	return buf;
}

/* @cfg as it describes the backstop table: its name in @name. */
static void backstop_cfg(const struct igd_guard_cfg *cfg, struct igd_guard_cfg *bs,
			 char *name, size_t len)
{
	*bs = *cfg;
	bs->hooks.table = igd_guard_backstop_name(igd_hooks_table(&cfg->hooks), name, len);
	bs->hooks.table_flags = 0;
	bs->is_backstop = true;
}

static struct nftnl_rule *backstop_rule(const struct igd_guard_cfg *bs, uint32_t nfproto)
{
	return igd_nft_rule_new(nfproto, igd_hooks_table(&bs->hooks),
				igd_hook_spec_get(IGD_HOOK_POSTROUTING)->chain);
}

static int backstop_put_accept(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			       uint32_t nfproto, uint32_t value)
{
	struct nftnl_rule *r = backstop_rule(bs, nfproto);
	int ret;

	ret = r ? guard_match_ct_field(r, bs->mark_mask, value) ?:
		  igd_nft_expr_verdict(r, NF_ACCEPT) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

/* The two suspects the owned table queues without bypass, dropped. */
static int backstop_put_drop(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			     uint32_t nfproto, bool translated)
{
	struct nftnl_rule *r = backstop_rule(bs, nfproto);
	uint8_t none = 0;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = translated ? guard_match_snat(r) :
			   igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00) ?:
			   igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &none, 1);
	ret = ret ?: guard_match_orig_dst(r, bs, nfproto, translated ? IGD_GUARD_PROTECTED :
							      IGD_GUARD_HELD) ?:
	      igd_nft_expr_counter(r) ?:
	      igd_nft_expr_verdict(r, NF_DROP) ?:
	      igd_nft_rule_comment(r, IGD_GUARD_CTR_BACKSTOP);
	return guard_put_rule(b, r, ret);
}

/* The postrouting chain's rules (for the generation in @bs). */
static int backstop_put_rules(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			      uint32_t nfproto)
{
	int ret = guard_put_tunnel_accept(b, bs, nfproto,
					  igd_hook_spec_get(IGD_HOOK_POSTROUTING)->chain, true) ?:
		  backstop_put_accept(b, bs, nfproto, bs->mark_ok);

	if (!ret && !bs->enforce)
		ret = backstop_put_accept(b, bs, nfproto, bs->mark_flag);
	return ret ?: backstop_put_drop(b, bs, nfproto, true) ?:
	       backstop_put_drop(b, bs, nfproto, false);
}

static int backstop_put_family(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			       uint32_t nfproto, const struct igd_guard_sets *sets)
{
	return igd_hooks_put_table_fresh(b, nfproto, igd_hooks_table(&bs->hooks), 0, 0) ?:
	       guard_put_set(b, bs, nfproto, IGD_GUARD_PROTECTED, sets) ?:
	       guard_put_set(b, bs, nfproto, IGD_GUARD_HELD, sets) ?:
	       guard_put_chain(b, bs, nfproto, igd_hook_spec_get(IGD_HOOK_POSTROUTING)->chain,
			       NF_INET_POST_ROUTING, IGD_GUARD_BACKSTOP_PRIO) ?:
	       backstop_put_rules(b, bs, nfproto) ?:
	       guard_put_exempt(b, bs, nfproto, sets, false);
}

typedef int (*backstop_put_fn)(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			       uint32_t nfproto, const struct igd_guard_sets *sets);

/* @put for each family of the backstop, when the configuration has one. */
static int backstop_each(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			 const struct igd_guard_sets *sets, backstop_put_fn put)
{
	struct igd_guard_cfg bs;
	char name[128];
	unsigned int i;
	int ret = 0;

	if (!cfg->backstop)
		return 0;
	backstop_cfg(cfg, &bs, name, sizeof(name));
	for (i = 0; i < 2 && !ret; i++)
		ret = put(b, &bs, backstop_families[i], sets);
	return ret;
}

int guard_put_backstop(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		       const struct igd_guard_sets *sets)
{
	char name[128];

	if (!cfg->backstop)	/* one left by an earlier run (or mode) goes */
		return igd_hooks_put_remove(b, igd_guard_backstop_name(igd_hooks_table(
							&cfg->hooks), name, sizeof(name)), 0);
	return backstop_each(b, cfg, sets, backstop_put_family);
}

static int backstop_put_sets(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			     uint32_t nfproto, const struct igd_guard_sets *sets)
{
	return guard_put_set_content(b, bs, nfproto, IGD_GUARD_PROTECTED, sets, 1) ?:
	       guard_put_set_content(b, bs, nfproto, IGD_GUARD_HELD, sets, 1);
}

int guard_put_backstop_sets(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			    const struct igd_guard_sets *sets)
{
	return backstop_each(b, cfg, sets, backstop_put_sets);
}

static int backstop_put_exempt(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			       uint32_t nfproto, const struct igd_guard_sets *sets)
{
	return guard_put_exempt(b, bs, nfproto, sets, true);
}

int guard_put_backstop_exempt(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      const struct igd_guard_sets *sets)
{
	return backstop_each(b, cfg, sets, backstop_put_exempt);
}

/* The postrouting chain again, for a new verdict generation. */
static int backstop_put_gen(struct igd_nft_batch *b, const struct igd_guard_cfg *bs,
			    uint32_t nfproto, const struct igd_guard_sets *sets)
{
	(void)sets;
	return guard_flush(b, bs, nfproto, igd_hook_spec_get(IGD_HOOK_POSTROUTING)->chain) ?:
	       backstop_put_rules(b, bs, nfproto);
}

int guard_put_backstop_gen(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			   const struct igd_guard_sets *sets)
{
	return backstop_each(b, cfg, sets, backstop_put_gen);
}

int igd_guard_backstop_install(const struct igd_guard_cfg *cfg,
			       const struct igd_guard_sets *sets, char *err, size_t errlen)
{
	struct igd_nft_batch *b = igd_nft_batch_alloc();

	if (!b) {
		snprintf(err, errlen, "nft: out of memory");
		return -ENOMEM;
	}
	return guard_send(b, cfg, guard_put_backstop(b, cfg, sets), "backstop table", err,
			  errlen);
}
