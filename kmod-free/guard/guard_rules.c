#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/xfrm.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include "guard/guard_rules.h"
#include "guard/guard_int.h"
#include "nft/nft_batch.h"
#include "nft/nft_expr.h"
#include "nft/prenat_map.h"

#define GUARD_SET_ID_BASE	0x6700
#define GUARD_MSS_PRIO		1	/* filter + 1: after the pre-NAT tap */
#define GUARD_MAX_ELEMS		1024	/* per message; more go in further messages */

static const uint32_t guard_families[] = { NFPROTO_IPV4, NFPROTO_IPV6 };

int guard_fam(uint32_t nfproto)
{
	return nfproto == NFPROTO_IPV6 ? 6 : 4;
}

uint32_t guard_alen(uint32_t nfproto)
{
	return nfproto == NFPROTO_IPV6 ? 16 : 4;
}

/* A new rule for the postrouting chain of @nfproto's table. */
struct nftnl_rule *guard_post_rule(const struct igd_guard_cfg *cfg, uint32_t nfproto)
{
	return igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks),
				igd_hook_spec_get(IGD_HOOK_POSTROUTING)->chain);
}

/* ct status & @bits != 0 (@any) or == 0 */
static int guard_match_status(struct nftnl_rule *r, uint32_t bits, bool any)
{
	uint32_t zero = 0;

	return igd_nft_expr_ct(r, NFT_CT_STATUS, -1, NFT_REG32_00) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &bits, &zero, 4) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, any ? NFT_CMP_NEQ : NFT_CMP_EQ, &zero, 4);
}

/* ip saddr . ip daddr into the registers from NFT_REG32_00 (a concatenation's
 * layout: IPv4 in 00 and 01, IPv6 in 00-03 and 04-07) */
static int guard_load_addr_pair(struct nftnl_rule *r, uint32_t nfproto)
{
	uint32_t alen = guard_alen(nfproto), soff = nfproto == NFPROTO_IPV6 ? 8 : 12;

	return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, soff, alen, NFT_REG32_00) ?:
	       igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, soff + alen, alen,
				    nfproto == NFPROTO_IPV6 ? NFT_REG32_04 : NFT_REG32_01);
}

static const char *const guard_set_names[IGD_GUARD_NSETS] = {
	[IGD_GUARD_PROTECTED] = "protected",
	[IGD_GUARD_REQUIRED] = "required",
	[IGD_GUARD_HELD] = "held",
};

/* Sets made in one transaction are told apart by their ids: the backstop's copies
 * have their own. */
static uint32_t guard_set_id(const struct igd_guard_cfg *cfg, enum igd_guard_set set,
			     uint32_t nfproto)
{
	return GUARD_SET_ID_BASE + (cfg->is_backstop ? 0x40 : 0) + 0x10 * set + nfproto;
}

static struct nftnl_set *guard_set_new(const struct igd_guard_cfg *cfg, uint32_t nfproto,
				       enum igd_guard_set set)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, nfproto);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, igd_hooks_table(&cfg->hooks));
	nftnl_set_set_str(s, NFTNL_SET_NAME, guard_set_names[set]);
	nftnl_set_set_u32(s, NFTNL_SET_ID, guard_set_id(cfg, set, nfproto));
	/* nft's datatypes: 7 ipv4_addr, 8 ipv6_addr */
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, nfproto == NFPROTO_IPV6 ? 8 : 7);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, guard_alen(nfproto));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	return s;
}

static int guard_put_elems(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			   uint32_t nfproto, enum igd_guard_set set,
			   const struct igd_set_elem *e, int n)
{
	struct nftnl_set *s;
	struct nftnl_set_elem *se;
	int i, ret = 0;

	for (i = 0; i < n && !ret; ) {
		int k;

		s = guard_set_new(cfg, nfproto, set);
		if (!s)
			return -ENOMEM;
		for (k = 0; k < GUARD_MAX_ELEMS / 4 && i < n; k++, i++) {
			se = nftnl_set_elem_alloc();
			if (!se) {
				ret = -ENOMEM;
				break;
			}
			nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, e[i].key.b, guard_alen(nfproto));
			if (e[i].end)
				nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_FLAGS,
						       NFT_SET_ELEM_INTERVAL_END);
			nftnl_set_elem_add(s, se);
		}
		if (!ret)
			ret = igd_nft_batch_setelems(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s);
		nftnl_set_free(s);
	}
	return ret;
}

int guard_put_set_content(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				 uint32_t nfproto, enum igd_guard_set set,
				 const struct igd_guard_sets *sets, int flush)
{
	struct igd_prefix *pfx = sets->v[set];
	size_t n = sets->n[set];
	struct igd_set_elem *e;
	struct nftnl_set *s;
	int cnt, ret = 0;

	if (flush) {
		s = guard_set_new(cfg, nfproto, set);
		if (!s)
			return -ENOMEM;
		ret = igd_nft_batch_setelems(b, NFT_MSG_DELSETELEM, 0, s);
		nftnl_set_free(s);
		if (ret)
			return ret;
	}
	e = calloc(2 * n + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	cnt = igd_prefix_set_elems(pfx, n, guard_fam(nfproto), e, 2 * n + 1);
	ret = cnt < 0 ? cnt : cnt ? guard_put_elems(b, cfg, nfproto, set, e, cnt) : 0;
	free(e);
	return ret;
}

int guard_put_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		  uint32_t nfproto, enum igd_guard_set set,
			 const struct igd_guard_sets *sets)
{
	struct nftnl_set *s = guard_set_new(cfg, nfproto, set);
	int ret;

	if (!s)
		return -ENOMEM;
	ret = igd_nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE, s);
	nftnl_set_free(s);
	return ret ?: guard_put_set_content(b, cfg, nfproto, set, sets, 0);
}

/* A decapsulated packet the in/fwd check surely accepts needs no judgement:
 * meta secpath exists  ip saddr . ip daddr . ipsec in reqid @decap_ok  accept */
static int guard_put_decap_ok(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      uint32_t nfproto)
{
	const char *chain = igd_hook_spec_get(IGD_HOOK_PREROUTING)->chain;
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	uint32_t rreg = nfproto == NFPROTO_IPV6 ? NFT_REG32_08 : NFT_REG32_02;
	uint8_t one = 1;
	int ret;

	ret = r ? igd_nft_expr_meta(r, NFT_META_SECPATH, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &one, 1) ?:
		  guard_load_addr_pair(r, nfproto) ?:
		  igd_nft_expr_xfrm(r, NFT_XFRM_KEY_REQID, XFRM_POLICY_IN, 0, rreg) ?:
		  igd_nft_expr_lookup(r, NFT_REG32_00, guard_pair_name(GUARD_PAIR_DECAP),
				      guard_pair_id(GUARD_PAIR_DECAP, nfproto), 0) ?:
		  igd_nft_expr_counter(r) ?:
		  igd_nft_expr_verdict(r, NF_ACCEPT) ?:
		  igd_nft_rule_comment(r, IGD_GUARD_CTR_DECAP_OK) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

static int guard_lookup(struct nftnl_rule *r, const struct igd_guard_cfg *cfg, uint32_t nfproto,
			enum igd_guard_set set)
{
	return igd_nft_expr_lookup(r, NFT_REG_1, guard_set_names[set],
				   guard_set_id(cfg, set, nfproto), 0);
}

/* ip saddr/daddr @protected (payload offset 12/16 for IPv4, 8/24 for IPv6) */
static int guard_match_set(struct nftnl_rule *r, const struct igd_guard_cfg *cfg,
			   uint32_t nfproto, int dst)
{
	uint32_t off = nfproto == NFPROTO_IPV6 ? (dst ? 24 : 8) : (dst ? 16 : 12);

	return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, guard_alen(nfproto),
				    NFT_REG_1) ?:
	       guard_lookup(r, cfg, nfproto, IGD_GUARD_PROTECTED);
}

/* meta mark & mask (op) value */
static int guard_match_mark(struct nftnl_rule *r, uint32_t mask, uint32_t op, uint32_t value)
{
	uint32_t zero = 0;

	return igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG32_00) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &mask, &zero, 4) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, op, &value, 4);
}

static int guard_queue(struct nftnl_rule *r, const struct igd_guard_cfg *cfg,
		       enum igd_hooks_queue q)
{
	return igd_hooks_put_queue(r, &cfg->hooks, q);
}

int guard_put_rule(struct igd_nft_batch *b, struct nftnl_rule *r, int ret)
{
	if (!r)
		return -ENOMEM;
	if (!ret)
		ret = igd_nft_batch_rule(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
	nftnl_rule_free(r);
	return ret;
}

static int guard_field_set(struct nftnl_rule *r, uint32_t mask, uint32_t value);
static int guard_put_tag_rule(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      uint32_t nfproto, const char *chain, uint32_t value,
			      bool accept);

/* Decapsulated packets are queued with SECPATH in the mark field: a queue reader is
 * not told about the secpath otherwise.  When the packet had no mark, the rest of the
 * mark carries the reqid of the SA that decrypted it (field SECREQ). */
static int guard_put_secpath(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			     uint32_t nfproto, enum igd_hooks_queue q, bool reqid)
{
	const char *chain = igd_hook_spec_get(IGD_HOOK_PREROUTING)->chain;
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	uint32_t zero = 0;
	uint8_t one = 1;
	int ret;

	if (!r)
		return -ENOMEM;
	/* the cheapest test first: most packets were never encrypted */
	ret = igd_nft_expr_meta(r, NFT_META_SECPATH, NFT_REG32_00) ?:
	      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &one, 1);
	/* every decapsulated packet of a connection until one passed the check */
	if (!ret && cfg->scope != IGD_SCOPE_ALL)
		ret = igd_nft_expr_ct(r, NFT_CT_MARK, -1, NFT_REG32_00) ?:
		      igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &cfg->mark_mask,
					   &zero, 4) ?:
		      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_NEQ, &cfg->mark_decap_ok, 4);
	if (!ret && cfg->scope == IGD_SCOPE_PROTECTED)
		ret = guard_match_set(r, cfg, nfproto, 0);
	if (!ret && reqid)
		ret = igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG32_00) ?:
		      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &zero, 4) ?:
		      igd_nft_expr_xfrm(r, NFT_XFRM_KEY_REQID, XFRM_POLICY_IN, 0, NFT_REG32_00) ?:
		      guard_field_set(r, cfg->mark_mask, cfg->mark_secreq);
	else if (!ret)
		ret = igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG32_00) ?:
		      guard_field_set(r, cfg->mark_mask, cfg->mark_secpath);
	ret = ret ?: igd_nft_expr_meta_set(r, NFT_META_MARK, NFT_REG32_00) ?:
	      guard_queue(r, cfg, q);
	return guard_put_rule(b, r, ret);
}

/* The queue rule of one tap chain (the outbound taps of scope "protected" are
 * guard_put_pre_nat_tap and guard_put_suspects). */
static int guard_put_tap(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			 uint32_t nfproto, enum igd_hook h, enum igd_hooks_queue q)
{
	const char *chain = igd_hook_spec_get(h)->chain;
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	uint8_t zero = 0;
	int ret = 0;

	if (!r)
		return -ENOMEM;
	if (cfg->scope == IGD_SCOPE_PROTECTED && h == IGD_HOOK_POSTROUTING)
		ret = guard_match_mark(r, cfg->mark_mask, NFT_CMP_NEQ, 0);
	else if (cfg->scope != IGD_SCOPE_ALL)
		ret = igd_nft_expr_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
	/* inbound: cleartext only (decapsulated packets have their own rules) */
	if (!ret && cfg->scope == IGD_SCOPE_PROTECTED && h == IGD_HOOK_PREROUTING)
		ret = igd_nft_expr_meta(r, NFT_META_SECPATH, NFT_REG32_00) ?:
		      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &zero, 1);
	if (!ret && cfg->scope == IGD_SCOPE_PROTECTED && h != IGD_HOOK_POSTROUTING)
		ret = guard_match_set(r, cfg, nfproto, h != IGD_HOOK_PREROUTING);
	if (!ret)
		ret = guard_queue(r, cfg, q);
	return guard_put_rule(b, r, ret);
}

int guard_match_ct_field(struct nftnl_rule *r, uint32_t mask, uint32_t value)
{
	uint32_t zero = 0;

	return igd_nft_expr_ct(r, NFT_CT_MARK, -1, NFT_REG32_00) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &mask, &zero, 4) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &value, 4);
}

/* ct state & new == 0 */
static int guard_match_not_new(struct nftnl_rule *r)
{
	uint32_t new_bit = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;

	return igd_nft_expr_ct(r, NFT_CT_STATE, -1, NFT_REG_1) ?:
	       igd_nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, &new_bit, &zero, 4) ?:
	       igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &zero, 4);
}

int guard_put_not_new_accept(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			     uint32_t nfproto, const char *chain, bool cleartext)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	uint8_t zero = 0;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = cleartext ? igd_nft_expr_meta(r, NFT_META_SECPATH, NFT_REG32_00) ?:
			  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &zero, 1) : 0;
	ret = ret ?: guard_match_not_new(r) ?: igd_nft_expr_verdict(r, NF_ACCEPT);
	return guard_put_rule(b, r, ret);
}

/* ct mark & MASK != FLAG */
static int guard_match_not_flag(struct nftnl_rule *r, const struct igd_guard_cfg *cfg)
{
	uint32_t zero = 0;

	return igd_nft_expr_ct(r, NFT_CT_MARK, -1, NFT_REG32_00) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &cfg->mark_mask, &zero, 4) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_NEQ, &cfg->mark_flag, 4);
}

/* A connection the route transforms is never marked healthy by the healthy chain, so
 * that its first packet leaving in clear, the moment its SP or route goes, meets the
 * suspect rules; its packets go on these two rules instead, after the healthy mark's:
 * what the route transforms now, untranslated (a flow source NAT put into a tunnel is
 * judged again in each generation, as before: its SP after NAT may have changed, and
 * the backstop wants its mark), and what goes the other way (a reply is no suspect);
 * a flagged connection's go on to the flagged rule:
 *   rt ipsec exists  ct state & new == 0  ct status & snat == 0
 *       ct mark & MASK != FLAG  accept
 *   ct direction reply  ct state & new == 0  ct mark & MASK != FLAG
 *       ip daddr != @frag_peers  accept */
static int guard_put_pass_rules(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				uint32_t nfproto, const char *chain)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	uint8_t one = 1, reply = IP_CT_DIR_REPLY;
	int ret;

	ret = r ? igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &one, 1) ?:
		  guard_match_not_new(r) ?: guard_match_status(r, IPS_SRC_NAT, false) ?:
		  guard_match_not_flag(r, cfg) ?:
		  igd_nft_expr_verdict(r, NF_ACCEPT) : -ENOMEM;
	ret = guard_put_rule(b, r, ret);
	if (ret)
		return ret;
	r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	ret = r ? igd_nft_expr_ct(r, NFT_CT_DIRECTION, -1, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &reply, 1) ?:
		  guard_match_not_new(r) ?: guard_match_not_flag(r, cfg) ?:
		  guard_match_no_peer(r, cfg, nfproto) ?:
		  igd_nft_expr_verdict(r, NF_ACCEPT) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

/* Whether a healthy connection's later packets have a chain of their own before the
 * outer rules (judged_ok): scope protected with the outer rules. */
static bool guard_has_judged_ok(const struct igd_guard_cfg *cfg)
{
	return cfg->scope == IGD_SCOPE_PROTECTED && cfg->outer && cfg->log_group;
}

/* The judged_ok chain, jumped to by the first rule of postrouting (with the outer
 * rules): a healthy connection's packets go at once, but for those the outer_out chain
 * looks at, a first packet (ct state new: the outer-nat copies, which a flow that gets
 * no reply meets again) and a packet to a tunnel endpoint (its ESP and IKE may leave
 * too big: frag_out), which go on to outer_out and the judged chain:
 *   ct mark & MASK == OK  ct state & new == 0  ip daddr != @frag_peers  accept */
static int guard_put_judged_ok_rule(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				    uint32_t nfproto)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks),
						IGD_GUARD_JUDGED_OK_CHAIN);
	int ret;

	ret = r ? guard_match_ct_field(r, cfg->mark_mask, cfg->mark_ok) ?:
		  guard_match_not_new(r) ?: guard_match_no_peer(r, cfg, nfproto) ?:
		  igd_nft_expr_verdict(r, NF_ACCEPT) : -ENOMEM;
	return guard_put_rule(b, r, ret) ?:
	       guard_put_pass_rules(b, cfg, nfproto, IGD_GUARD_JUDGED_OK_CHAIN);
}

/* The judged chain, jumped to from postrouting before any suspect test (after the
 * outer rules): a connection the daemon judged (or the last rule found healthy) under
 * the SPD in force.  A packet the daemon gave back with a verdict in the mark field
 * (NF_REPEAT) has it written into the conntrack mark first; healthy ones pass, flagged
 * ones are counted and, when enforcing, dropped: judged flows are never queued again.
 * The values are the generation's (see igd_guard_gen_update): a verdict of an earlier
 * SPD matches none of them, so its connection meets the suspect rules again. */
static int guard_put_judged_rules(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				  uint32_t nfproto)
{
	bool prot = cfg->scope == IGD_SCOPE_PROTECTED;
	struct nftnl_rule *r;
	int ret = 0;

	if (prot) {
		r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), IGD_GUARD_JUDGED_CHAIN);
		ret = r ? guard_match_ct_field(r, cfg->mark_mask, cfg->mark_ok) ?:
			  igd_nft_expr_verdict(r, NF_ACCEPT) : -ENOMEM;
		ret = guard_put_rule(b, r, ret);
		if (!ret && !guard_has_judged_ok(cfg))
			ret = guard_put_pass_rules(b, cfg, nfproto, IGD_GUARD_JUDGED_CHAIN);
	}
	ret = ret ?: guard_put_tag_rule(b, cfg, nfproto, IGD_GUARD_JUDGED_CHAIN, cfg->mark_flag,
					!prot);
	if (!ret && prot)
		ret = guard_put_tag_rule(b, cfg, nfproto, IGD_GUARD_JUDGED_CHAIN, cfg->mark_ok,
					 true);
	if (ret || !prot)
		return ret;
	r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), IGD_GUARD_JUDGED_CHAIN);
	ret = r ? guard_match_ct_field(r, cfg->mark_mask, cfg->mark_flag) ?:
		  igd_nft_expr_counter(r) ?:
		  igd_nft_expr_verdict(r, cfg->enforce ? NF_DROP : NF_ACCEPT) ?:
		  igd_nft_rule_comment(r, IGD_GUARD_CTR_FLAGGED) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

/* The healthy chain, jumped to by the last rule of postrouting: a packet of the
 * original direction that no suspect rule took is healthy, and so is its connection
 * (the suspect rules look at what conntrack fixed at its first packet, and at whether
 * it is transformed); its conntrack mark says so in this generation, unless the field
 * holds the inbound check's verdict (decap ok), or the route transforms it (such a
 * connection's packets pass on guard_put_pass_rules while they are transformed, and
 * meet the suspect rules when they are not):
 *   ct direction original  rt ipsec missing  ct mark & MASK != DECAP_OK
 *   ct mark set ct mark & ~MASK | OK */
static int guard_put_healthy_rule(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				  uint32_t nfproto)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks),
						IGD_GUARD_HEALTHY_CHAIN);
	uint8_t orig = IP_CT_DIR_ORIGINAL, none = 0;
	uint32_t keep = ~cfg->mark_mask, zero = 0;
	int ret;

	ret = r ? igd_nft_expr_ct(r, NFT_CT_DIRECTION, -1, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &orig, 1) ?:
		  igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &none, 1) ?:
		  igd_nft_expr_ct(r, NFT_CT_MARK, -1, NFT_REG32_00) ?:
		  igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &cfg->mark_mask, &zero, 4) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_NEQ, &cfg->mark_decap_ok, 4) ?:
		  igd_nft_expr_ct(r, NFT_CT_MARK, -1, NFT_REG32_00) ?:
		  igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &keep, &cfg->mark_ok, 4) ?:
		  igd_nft_expr_ct_set(r, NFT_CT_MARK, NFT_REG32_00) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

/* Traffic through a tunnel interface is the kernel's to judge: a packet routed into an
 * xfrm interface or a VTI leaves it encrypted by the interface's own lookup (if_id, or
 * the VTI's key as mark) or not at all (route/tunnels.h), and NAT on such an interface
 * changes nothing the lookup needs; a packet arriving through one passed the
 * interface's policy check.  At the top of postrouting (out), of prerouting (in):
 *   meta oifkind "xfrm" accept;  meta oifkind "vti"* accept   (vti and vti6)
 * Shared with the backstop (@chain its postrouting). */
int guard_put_tunnel_accept(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			    uint32_t nfproto, const char *chain, bool out)
{
	static const char xfrm[] = "xfrm", vti[] = "vti";
	unsigned int i;
	int ret = 0;

	for (i = 0; i < 2 && !ret; i++) {
		struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks),
							chain);

		/* "xfrm" with its NUL: that kind alone; "vti" without: vti, vti6 */
		ret = r ? igd_nft_expr_meta(r, out ? NFT_META_OIFKIND : NFT_META_IIFKIND,
					    NFT_REG_1) ?:
			  igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, i ? vti : xfrm,
					   i ? 3 : sizeof(xfrm)) ?:
			  igd_nft_expr_verdict(r, NF_ACCEPT) ?:
			  igd_nft_rule_comment(r, IGD_GUARD_TUNNEL_IF) : -ENOMEM;
		ret = guard_put_rule(b, r, ret);
	}
	return ret;
}

/* jump @chain, at the end of postrouting */
static int guard_put_jump(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			  uint32_t nfproto, const char *chain)
{
	struct nftnl_rule *r = guard_post_rule(cfg, nfproto);

	return guard_put_rule(b, r, r ? igd_nft_expr_jump(r, chain) : -ENOMEM);
}

/* The judged (judged_ok) and healthy chains of one family, emptied and filled again. */
static int guard_put_gen(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			 uint32_t nfproto)
{
	return (guard_has_judged_ok(cfg) ?
		guard_flush(b, cfg, nfproto, IGD_GUARD_JUDGED_OK_CHAIN) ?:
		guard_put_judged_ok_rule(b, cfg, nfproto) : 0) ?:
	       guard_flush(b, cfg, nfproto, IGD_GUARD_JUDGED_CHAIN) ?:
	       guard_put_judged_rules(b, cfg, nfproto) ?:
	       (cfg->scope == IGD_SCOPE_PROTECTED ?
		guard_flush(b, cfg, nfproto, IGD_GUARD_HEALTHY_CHAIN) ?:
		guard_put_healthy_rule(b, cfg, nfproto) : 0);
}

int guard_match_orig_dst(struct nftnl_rule *r, const struct igd_guard_cfg *cfg, uint32_t nfproto,
			 enum igd_guard_set set)
{
	uint8_t orig = IP_CT_DIR_ORIGINAL;
	uint32_t key = nfproto == NFPROTO_IPV6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP;

	return igd_nft_expr_ct(r, NFT_CT_DIRECTION, -1, NFT_REG32_00) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &orig, 1) ?:
	       igd_nft_expr_ct(r, key, IP_CT_DIR_ORIGINAL, NFT_REG_1) ?:
	       guard_lookup(r, cfg, nfproto, set);
}

/* The prenat map (see prenat_map.h).  nft's datatypes: 7 ipv4_addr, 8 ipv6_addr,
 * 12 inet_proto, 13 inet_service; a concatenation is their ids 6 bits apart. */
#define GUARD_PRENAT_ID_BASE	0x67c0

static struct nftnl_set *guard_prenat_set_new(const struct igd_guard_cfg *cfg,
					      uint32_t nfproto)
{
	uint32_t a = nfproto == NFPROTO_IPV6 ? 8 : 7;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, nfproto);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, igd_hooks_table(&cfg->hooks));
	nftnl_set_set_str(s, NFTNL_SET_NAME, IGD_PRENAT_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_ID, GUARD_PRENAT_ID_BASE + nfproto);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, (((a << 6 | a) << 6 | 12) << 6 | 13) << 6 | 13);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, (uint32_t)igd_prenat_key_len(guard_fam(nfproto)));
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, a << 6 | 13);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, (uint32_t)igd_prenat_data_len(guard_fam(nfproto)));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, IGD_PRENAT_TIMEOUT_MS);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, IGD_PRENAT_SIZE);
	return s;
}

static int guard_put_prenat_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				uint32_t nfproto)
{
	struct nftnl_set *s = guard_prenat_set_new(cfg, nfproto);
	int ret;

	if (!s)
		return -ENOMEM;
	ret = igd_nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE, s);
	nftnl_set_free(s);
	return ret;
}

int guard_match_snat(struct nftnl_rule *r)
{
	return guard_match_status(r, IPS_SRC_NAT, true);
}

/* ct status snat  ct direction original  ct original ip daddr @protected
 *   add @prenat { ip saddr . ip daddr . meta l4proto . th sport . th dport :
 *                 ct original ip saddr . ct original proto-src } */
static int guard_put_prenat_record(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				   uint32_t nfproto)
{
	struct nftnl_rule *r = guard_post_rule(cfg, nfproto);
	bool v6 = nfproto == NFPROTO_IPV6;
	uint32_t alen = guard_alen(nfproto), soff = v6 ? 8 : 12, w = alen / 4;
	int ret;

	ret = r ? guard_match_snat(r) ?:
		  guard_match_orig_dst(r, cfg, nfproto, IGD_GUARD_PROTECTED) ?:
		  igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, soff, alen, NFT_REG32_00) ?:
		  igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, soff + alen, alen,
				       NFT_REG32_00 + w) ?:
		  igd_nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG32_00 + 2 * w) ?:
		  igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2,
				       NFT_REG32_00 + 2 * w + 1) ?:
		  igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2,
				       NFT_REG32_00 + 2 * w + 2) ?:
		  igd_nft_expr_ct(r, v6 ? NFT_CT_SRC_IP6 : NFT_CT_SRC_IP, IP_CT_DIR_ORIGINAL,
				  NFT_REG32_00 + 2 * w + 3) ?:
		  igd_nft_expr_ct(r, NFT_CT_PROTO_SRC, IP_CT_DIR_ORIGINAL,
				  NFT_REG32_00 + 3 * w + 3) ?:
		  igd_nft_expr_dynset_add(r, IGD_PRENAT_MAP, GUARD_PRENAT_ID_BASE + nfproto,
					  NFT_REG32_00, NFT_REG32_00 + 2 * w + 3) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

/* The marker of a queued suspect: meta mark set meta mark & ~MASK | @value */
static int guard_mark_field(struct nftnl_rule *r, uint32_t mask, uint32_t value)
{
	return igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG32_00) ?:
	       guard_field_set(r, mask, value) ?:
	       igd_nft_expr_meta_set(r, NFT_META_MARK, NFT_REG32_00);
}

/* The suspects, at postrouting after source NAT, of connections not yet judged (the
 * judged ones left the chain above), by the pre-NAT destination conntrack remembers:
 * a flow towards a protected prefix that source NAT translated (nat-before-ipsec,
 * nat-changed-sp, a tunnel that is down, or a bypass SP), or one that leaves
 * untransformed towards a destination held to the tunnel (--protect, a remembered SP
 * whose tunnel is down: tunnel-down, sp-miss-out, or a bypass SP).  The sets may
 * cover more than the SPs' selectors: a false suspect is judged once and remembered
 * healthy.  Cleartext towards the other destinations the SPs protect is not held:
 * it is copied (guard_put_uncovered). */
enum guard_suspect {
	GUARD_SUSPECT_TRANSLATED,	/* ct status snat, towards @protected */
	GUARD_SUSPECT_PLAIN,		/* untransformed, no NAT at all (marker) */
	GUARD_SUSPECT_CLEAR,		/* untransformed, towards @held */
};

static int guard_put_suspect(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			     uint32_t nfproto, enum igd_hooks_queue q, enum guard_suspect kind)
{
	struct nftnl_rule *r = guard_post_rule(cfg, nfproto);
	struct igd_hooks_cfg hooks = cfg->hooks;
	bool snat = kind == GUARD_SUSPECT_TRANSLATED;
	uint8_t none = 0;
	int ret;

	if (!r)
		return -ENOMEM;
	if (snat)
		ret = guard_match_snat(r);
	else
		ret = igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00) ?:
		      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &none, 1);
	if (!ret && kind == GUARD_SUSPECT_PLAIN)
		ret = guard_match_status(r, IPS_SRC_NAT | IPS_DST_NAT, false);
	ret = ret ?: guard_match_orig_dst(r, cfg, nfproto, snat ? IGD_GUARD_PROTECTED :
						   IGD_GUARD_HELD);
	if (!ret && ((snat && cfg->prenat_map) || kind == GUARD_SUSPECT_PLAIN))
		ret = guard_mark_field(r, cfg->mark_mask, snat ? cfg->mark_translated :
				       cfg->mark_plain);
	/* a suspect the daemon cannot judge (dead, flooded) is dropped when enforcing */
	hooks.bypass = cfg->suspects_bypass;
	ret = ret ?: igd_hooks_put_queue(r, &hooks, q) ?:
	      igd_nft_rule_comment(r, snat ? IGD_GUARD_CTR_SUSPECT_NAT : IGD_GUARD_CTR_SUSPECT_CLEAR);
	return guard_put_rule(b, r, ret);
}

/* The pre-NAT taps' tokens of flows that turned out not to be suspects: cleared. */
static int guard_put_token_clear(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				 uint32_t nfproto)
{
	struct nftnl_rule *r = guard_post_rule(cfg, nfproto);
	int ret;

	ret = r ? guard_match_mark(r, cfg->mark_mask, NFT_CMP_NEQ, 0) ?:
		  igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG32_00) ?:
		  guard_field_set(r, cfg->mark_mask, 0) ?:
		  igd_nft_expr_meta_set(r, NFT_META_MARK, NFT_REG32_00) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

/* rt ipsec missing  ct direction original  ct status & @nat == 0: a packet of its
 * connection's first direction that leaves untransformed, without the NAT in @nat */
static int guard_match_untransformed(struct nftnl_rule *r, uint32_t nat)
{
	uint8_t none = 0, orig = IP_CT_DIR_ORIGINAL;

	return igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &none, 1) ?:
	       igd_nft_expr_ct(r, NFT_CT_DIRECTION, -1, NFT_REG32_00) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &orig, 1) ?:
	       guard_match_status(r, nat, false);
}

/* Cleartext towards a destination the SPs protect that no rule above held: the first
 * packet of the connection is copied to the daemon, which names what the SPD decided
 * (a bypass SP, an SP that covers the destination but not this source, an SP narrowed
 * to other traffic); nothing waits for it, and the last rule marks it healthy.  Not
 * source-translated: the kernel's out lookup saw the packet's own tuple.
 *   rt ipsec missing  ct direction original  ct status & snat == 0
 *   ip daddr @required  counter  limit  log group G prefix "ipsecguard uncovered" */
#define GUARD_UNCOVERED_RATE	500

static int guard_put_uncovered(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			       uint32_t nfproto)
{
	struct nftnl_rule *r = guard_post_rule(cfg, nfproto);
	uint32_t off = nfproto == NFPROTO_IPV6 ? 24 : 16;
	int ret;

	ret = r ? guard_match_untransformed(r, IPS_SRC_NAT) ?:
		  igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, guard_alen(nfproto),
				       NFT_REG_1) ?:
		  guard_lookup(r, cfg, nfproto, IGD_GUARD_REQUIRED) ?:
		  igd_nft_expr_counter(r) ?:
		  igd_nft_expr_limit(r, GUARD_UNCOVERED_RATE, GUARD_UNCOVERED_RATE) ?:
		  igd_nft_expr_log(r, cfg->log_group, IGD_GUARD_LOG_SNAPLEN,
				   IGD_GUARD_UNCOVERED_PREFIX) ?:
		  igd_nft_rule_comment(r, IGD_GUARD_CTR_UNCOVERED) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

/* Cleartext between the addresses of an out SP that requires IPsec of all their
 * traffic (the tunnelled set), not translated at all.  The kernel applies such an SP
 * to every packet it covers, so one of them that leaves untransformed has an SP the
 * kernel no longer applies: removed a moment ago (the IKE daemon restarting, a tunnel
 * torn down), before the daemon has read of it and held its destination; or a bypass
 * SP of higher priority carves it out.  Queued: the daemon reads the SPD's events
 * before it judges (igd_spdsync_catch_up), so the one gone is tunnel-down and the
 * bypassed one passes; and marked plain, the packet's own tuple being the one the
 * kernel looked up.  A dead daemon lets it pass (bypass): what the SPD lets out in
 * clear is not dropped because no daemon runs, and the held rules above keep what
 * the daemon last knew was down.  (A daemon alive but flooded past its queue still
 * loses what it cannot read, as with every queued suspect.)
 * Not what goes to the machine itself: the loopback device skips the SPD
 * (disable_xfrm), as the judge knows of other interfaces (route/noxfrm.h).
 *   rt ipsec missing  ct direction original  ct status & (snat|dnat) == 0
 *   meta oiftype != loopback  ip saddr . ip daddr @tunnelled
 *   meta mark set ...  queue flags bypass */
static int guard_put_unapplied(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			       uint32_t nfproto, enum igd_hooks_queue q)
{
	struct nftnl_rule *r = guard_post_rule(cfg, nfproto);
	struct igd_hooks_cfg hooks = cfg->hooks;
	uint16_t loopback = ARPHRD_LOOPBACK;
	int ret;

	hooks.bypass = true;
	ret = r ? guard_match_untransformed(r, IPS_SRC_NAT | IPS_DST_NAT) ?:
		  igd_nft_expr_meta(r, NFT_META_OIFTYPE, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_NEQ, &loopback, 2) ?:
		  guard_load_addr_pair(r, nfproto) ?:
		  igd_nft_expr_lookup(r, NFT_REG32_00, guard_pair_name(GUARD_PAIR_TUNNELLED),
				      guard_pair_id(GUARD_PAIR_TUNNELLED, nfproto), 0) ?:
		  guard_mark_field(r, cfg->mark_mask, cfg->mark_plain) ?:
		  igd_hooks_put_queue(r, &hooks, q) ?:
		  igd_nft_rule_comment(r, IGD_GUARD_CTR_SUSPECT_UNAPPLIED) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

static int guard_put_suspects(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      uint32_t nfproto, enum igd_hooks_queue q)
{
	int ret = 0;

	if (cfg->prenat_map)
		ret = guard_put_prenat_record(b, cfg, nfproto);
	ret = ret ?: guard_put_suspect(b, cfg, nfproto, q, GUARD_SUSPECT_TRANSLATED);
	/* untransformed without NAT: marked plain, so the daemon knows the kernel sent
	 * it untransformed even where it judges it once the SP is back */
	ret = ret ?: guard_put_suspect(b, cfg, nfproto, q, GUARD_SUSPECT_PLAIN);
	ret = ret ?: guard_put_suspect(b, cfg, nfproto, q, GUARD_SUSPECT_CLEAR) ?:
	      guard_put_unapplied(b, cfg, nfproto, q);
	if (!ret && cfg->log_group)
		ret = guard_put_uncovered(b, cfg, nfproto);
	if (!ret && cfg->pre_nat_tap)
		ret = guard_put_token_clear(b, cfg, nfproto);
	return ret;
}

/* meta l4proto tcp; tcp flags & (syn|ack) == @flags */
static int guard_match_syn(struct nftnl_rule *r, uint8_t flags)
{
	uint8_t tcp = IPPROTO_TCP, mask = 0x12, zero = 0;

	return igd_nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG32_00) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &tcp, 1) ?:
	       igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG32_00) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &mask, &zero, 1) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &flags, 1);
}

/* One direction of @m's flows: the SYN (@synack false: from the SP's source to its
 * destination) or the far side's SYN/ACK; an MSS above the limit is set to it, and
 * with a log group the packet is copied there first, so the daemon logs each clamp
 * without holding the packet. */
static int guard_put_mss_rule(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      uint32_t nfproto, const struct igd_mss_rule *m, bool synack)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks),
						IGD_GUARD_MSS_CHAIN);
	uint32_t alen = guard_alen(nfproto);
	uint32_t soff = nfproto == NFPROTO_IPV6 ? 8 : 12, doff = soff + alen;
	const union igd_addr *from = synack ? &m->dst : &m->src, *to = synack ? &m->src : &m->dst;
	uint8_t plen_from = synack ? m->plen_d : m->plen_s, plen_to = synack ? m->plen_s : m->plen_d;
	uint16_t v = htons(m->mss);
	char prefix[64];
	int ret;

	if (!r)
		return -ENOMEM;
	snprintf(prefix, sizeof(prefix), IGD_GUARD_MSS_PREFIX "%u", m->mss);
	if (m->ifindex)
		ret = igd_nft_expr_meta(r, synack ? NFT_META_IIF : NFT_META_OIF, NFT_REG32_00) ?:
		      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &m->ifindex, 4);
	else
		ret = igd_nft_expr_prefix(r, soff, alen, from->b, plen_from) ?:
		      igd_nft_expr_prefix(r, doff, alen, to->b, plen_to);
	ret = ret ?: guard_match_syn(r, synack ? 0x12 : 0x02) ?:
	      igd_nft_expr_tcp_mss_load(r, NFT_REG32_00) ?:
	      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_GT, &v, 2) ?:
	      igd_nft_expr_counter(r);
	if (!ret && cfg->log_group)
		ret = igd_nft_expr_log(r, cfg->log_group, IGD_GUARD_LOG_SNAPLEN, prefix);
	ret = ret ?: igd_nft_expr_immediate(r, NFT_REG32_00, &v, 2) ?:
	      igd_nft_expr_tcp_mss_set(r, NFT_REG32_00) ?:
	      igd_nft_rule_comment(r, IGD_GUARD_CTR_MSS);
	return guard_put_rule(b, r, ret);
}

int guard_flush(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		       uint32_t nfproto, const char *chain)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	int ret;

	if (!r)
		return -ENOMEM;
	ret = igd_nft_batch_rule(b, NFT_MSG_DELRULE, 0, r);
	nftnl_rule_free(r);
	return ret;
}

/* The first rule of a filled mss chain: every packet but a TCP SYN (or SYN/ACK) leaves
 * the chain there.  meta l4proto into one register, the TCP flags' SYN bit into the
 * next, both compared at once:
 *   meta l4proto . th byte 13 & 0x02 != tcp . 0x02  accept
 * (a packet too short for byte 13 ends the rule without a match: the rules after it
 * load the same header and end likewise) */
static int guard_put_mss_fast(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      uint32_t nfproto)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks),
						IGD_GUARD_MSS_CHAIN);
	static const uint8_t tcp_syn[8] = { IPPROTO_TCP, 0, 0, 0, 0x02, 0, 0, 0 };
	uint8_t syn = 0x02, zero = 0;
	int ret;

	/* both loads leave the rest of their register zero */
	ret = r ? igd_nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG32_00) ?:
		  igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG32_01) ?:
		  igd_nft_expr_bitwise(r, NFT_REG32_01, NFT_REG32_01, &syn, &zero, 1) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_NEQ, tcp_syn, sizeof(tcp_syn)) ?:
		  igd_nft_expr_verdict(r, NF_ACCEPT) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

int igd_guard_mss_update(const struct igd_guard_cfg *cfg, const struct igd_mss_rule *m,
			 size_t n, char *err, size_t errlen)
{
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	unsigned int i;
	bool fast;
	size_t k;
	int ret = 0;

	if (!b) {
		snprintf(err, errlen, "nft: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < 2 && !ret; i++) {
		ret = guard_flush(b, cfg, guard_families[i], IGD_GUARD_MSS_CHAIN);
		fast = false;
		for (k = 0; k < n && !ret; k++) {
			if (m[k].family != guard_fam(guard_families[i]))
				continue;
			if (!fast)
				ret = guard_put_mss_fast(b, cfg, guard_families[i]);
			fast = true;
			ret = ret ?: guard_put_mss_rule(b, cfg, guard_families[i], &m[k], false) ?:
			      guard_put_mss_rule(b, cfg, guard_families[i], &m[k], true);
		}
	}
	return guard_send(b, cfg, ret, "mss rules", err, errlen);
}

static int guard_put_typed_chain(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				 uint32_t nfproto, const char *name, const char *type,
				 uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int ret;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, nfproto);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, igd_hooks_table(&cfg->hooks));
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook != GUARD_NO_HOOK) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	ret = igd_nft_batch_chain(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, c);
	nftnl_chain_free(c);
	return ret;
}

int guard_put_chain(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		    uint32_t nfproto, const char *name, uint32_t hook, int32_t prio)
{
	return guard_put_typed_chain(b, cfg, nfproto, name, "filter", hook, prio);
}

int guard_put_exempt(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		     uint32_t nfproto, const struct igd_guard_sets *sets, bool flush)
{
	size_t i;
	int ret;

	if (!cfg->exempt_chain)
		return 0;
	ret = flush ? guard_flush(b, cfg, nfproto, IGD_GUARD_EXEMPT_CHAIN) :
		      guard_put_typed_chain(b, cfg, nfproto, IGD_GUARD_EXEMPT_CHAIN, "nat",
					    NF_INET_POST_ROUTING, IGD_GUARD_EXEMPT_PRIO);
	for (i = 0; i < sets->nexempt && !ret; i++) {
		const struct igd_guard_exempt *x = &sets->exempt[i];
		struct nftnl_rule *r;

		if (x->sel.family != guard_fam(nfproto))
			continue;
		r = igd_natfix_rule_build(IGD_NATFIX_OWN, nfproto, igd_hooks_table(&cfg->hooks),
					  IGD_GUARD_EXEMPT_CHAIN, &x->sel, x->sp_index);
		ret = guard_put_rule(b, r, r ? 0 : -errno);
	}
	return ret;
}

/* (reg & ~mask) ^ value into reg: clears the field, then sets @value in it */
static int guard_field_set(struct nftnl_rule *r, uint32_t mask, uint32_t value)
{
	uint32_t keep = ~mask;

	return igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &keep, &value, 4);
}

/* At the top of @chain: a packet the daemon gave back with @value in the mark field
 * and NF_REPEAT (the chain runs again) has @value written into the conntrack mark and
 * the field cleared, and is accepted when @accept.  No extra base chain on every packet's path. */
static int guard_put_tag_rule(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      uint32_t nfproto, const char *chain, uint32_t value,
			      bool accept)
{
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), chain);
	int ret;

	ret = r ? guard_match_mark(r, cfg->mark_mask, NFT_CMP_EQ, value) ?:
		  igd_nft_expr_counter(r) ?:
		  igd_nft_expr_ct(r, NFT_CT_MARK, -1, NFT_REG32_00) ?:
		  guard_field_set(r, cfg->mark_mask, value) ?:
		  igd_nft_expr_ct_set(r, NFT_CT_MARK, NFT_REG32_00) ?:
		  igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG32_00) ?:
		  guard_field_set(r, cfg->mark_mask, 0) ?:
		  igd_nft_expr_meta_set(r, NFT_META_MARK, NFT_REG32_00) : -ENOMEM;
	/* or it goes on to the judged rules (a flagged packet is dropped when enforcing) */
	if (!ret && accept)
		ret = igd_nft_expr_verdict(r, NF_ACCEPT);
	return guard_put_rule(b, r, ret);
}

/* The count chain: per protecting out SP (in lookup order), the new tunnelled flows
 * it carries, `ip saddr S ip daddr D counter return comment "sp N"`. */
static int guard_put_count_rules(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				 uint32_t nfproto, const struct igd_guard_sets *sets)
{
	uint32_t alen = guard_alen(nfproto), soff = nfproto == NFPROTO_IPV6 ? 8 : 12;
	char comment[32];
	size_t i;
	int ret = 0;

	for (i = 0; i < sets->ncount && !ret; i++) {
		const struct igd_guard_count *c = &sets->count[i];
		struct nftnl_rule *r;

		if (c->family != guard_fam(nfproto))
			continue;
		r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), IGD_GUARD_COUNT_CHAIN);
		snprintf(comment, sizeof(comment), IGD_GUARD_CTR_SP "%u", c->index);
		ret = r ? igd_nft_expr_prefix(r, soff, alen, c->src.b, c->plen_s) ?:
			  igd_nft_expr_prefix(r, soff + alen, alen, c->dst.b, c->plen_d) ?:
			  igd_nft_expr_counter(r) ?:
			  igd_nft_expr_verdict(r, NFT_RETURN) ?:
			  igd_nft_rule_comment(r, comment) : -ENOMEM;
		ret = guard_put_rule(b, r, ret);
	}
	return ret;
}

/* The chain (no hook) and, at the end of postrouting, the jump to it of every new
 * flow the route transforms: ct state new rt ipsec exists jump count. */
static int guard_put_count(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			   uint32_t nfproto, const struct igd_guard_sets *sets)
{
	const char *post = igd_hook_spec_get(IGD_HOOK_POSTROUTING)->chain;
	struct nftnl_rule *r;
	uint8_t one = 1;
	int ret;

	ret = guard_put_chain(b, cfg, nfproto, IGD_GUARD_COUNT_CHAIN, GUARD_NO_HOOK, 0) ?:
	      guard_put_count_rules(b, cfg, nfproto, sets);
	if (ret)
		return ret;
	r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), post);
	ret = r ? igd_nft_expr_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW)) ?:
		  igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &one, 1) ?:
		  igd_nft_expr_jump(r, IGD_GUARD_COUNT_CHAIN) : -ENOMEM;
	ret = guard_put_rule(b, r, ret);
	if (ret || !cfg->log_healthy || !cfg->log_group)
		return ret;
	/* the same heads, copied asynchronously for their pass lines (nothing waits) */
	r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks), post);
	ret = r ? igd_nft_expr_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW)) ?:
		  igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00) ?:
		  igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &one, 1) ?:
		  igd_nft_expr_log(r, cfg->log_group, IGD_GUARD_LOG_SNAPLEN,
				   IGD_GUARD_PASS_PREFIX) : -ENOMEM;
	return guard_put_rule(b, r, ret);
}

static int guard_put_family(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			    uint32_t nfproto, const struct igd_guard_sets *sets,
			    enum igd_hooks_queue q)
{
	unsigned int h;
	int ret;

	ret = guard_put_set(b, cfg, nfproto, IGD_GUARD_PROTECTED, sets) ?:
	      guard_put_set(b, cfg, nfproto, IGD_GUARD_REQUIRED, sets) ?:
	      guard_put_set(b, cfg, nfproto, IGD_GUARD_HELD, sets);
	if (!ret && cfg->prenat_map && cfg->scope == IGD_SCOPE_PROTECTED)
		ret = guard_put_prenat_set(b, cfg, nfproto);
	if (!ret && cfg->scope == IGD_SCOPE_PROTECTED)
		ret = guard_put_pair_set(b, cfg, nfproto, GUARD_PAIR_TUNNELLED, sets, false);
	/* inbound, what is neither decapsulated nor a connection's first packet is
	 * nothing the rules after look at: it leaves at the first one */
	if (!ret && cfg->scope == IGD_SCOPE_PROTECTED)
		ret = guard_put_not_new_accept(b, cfg, nfproto,
					       igd_hook_spec_get(IGD_HOOK_PREROUTING)->chain,
					       true);
	/* a connection whose decapsulated packets passed the check, and a flagged flow,
	 * are remembered in the conntrack mark */
	if (!ret && cfg->mark_decap_ok)
		ret = guard_put_tag_rule(b, cfg, nfproto,
					 igd_hook_spec_get(IGD_HOOK_PREROUTING)->chain,
					 cfg->mark_decap_ok, true);
	/* postrouting: a healthy connection's later packets leave at the first rule
	 * (judged_ok), the rest meet the tunnel's own packets' rules (outer_out), then
	 * the verdicts of this generation (judged) */
	ret = ret ?: guard_put_outer(b, cfg, nfproto);
	if (!ret && guard_has_judged_ok(cfg))
		ret = guard_put_chain(b, cfg, nfproto, IGD_GUARD_JUDGED_OK_CHAIN, GUARD_NO_HOOK,
				      0) ?:
		      guard_put_judged_ok_rule(b, cfg, nfproto) ?:
		      guard_put_jump(b, cfg, nfproto, IGD_GUARD_JUDGED_OK_CHAIN);
	if (!ret && cfg->outer && cfg->log_group)
		ret = guard_put_jump(b, cfg, nfproto, IGD_GUARD_OUTER_OUT_CHAIN);
	ret = ret ?: guard_put_chain(b, cfg, nfproto, IGD_GUARD_JUDGED_CHAIN, GUARD_NO_HOOK, 0) ?:
	      guard_put_judged_rules(b, cfg, nfproto) ?:
	      guard_put_jump(b, cfg, nfproto, IGD_GUARD_JUDGED_CHAIN);
	if (!ret && cfg->scope == IGD_SCOPE_PROTECTED)
		ret = guard_put_tunnel_accept(b, cfg, nfproto,
					      igd_hook_spec_get(IGD_HOOK_POSTROUTING)->chain,
					      true) ?:
		      guard_put_tunnel_accept(b, cfg, nfproto,
					      igd_hook_spec_get(IGD_HOOK_PREROUTING)->chain,
					      false);
	if (!ret && cfg->scope == IGD_SCOPE_PROTECTED)
		ret = guard_put_chain(b, cfg, nfproto, IGD_GUARD_HEALTHY_CHAIN, GUARD_NO_HOOK, 0) ?:
		      guard_put_healthy_rule(b, cfg, nfproto);
	/* the reqid of decapsulated packets (nft_xfrm): healthy ones pass at once */
	if (!ret && cfg->mark_secreq && cfg->scope == IGD_SCOPE_PROTECTED)
		ret = guard_put_pair_set(b, cfg, nfproto, GUARD_PAIR_DECAP, sets, false) ?:
		      guard_put_decap_ok(b, cfg, nfproto);
	if (!ret && cfg->mark_secreq)
		ret = guard_put_secpath(b, cfg, nfproto, q, true);
	if (!ret && cfg->mark_secpath)
		ret = guard_put_secpath(b, cfg, nfproto, q, false);
	for (h = 0; h < IGD_HOOK_MAX && !ret; h++) {
		bool outbound = h == IGD_HOOK_FORWARD || h == IGD_HOOK_OUTPUT;

		if (cfg->scope != IGD_SCOPE_PROTECTED)
			ret = guard_put_tap(b, cfg, nfproto, (enum igd_hook)h, q);
		else if (h == IGD_HOOK_POSTROUTING)
			ret = guard_put_suspects(b, cfg, nfproto, q) ?:
			      guard_put_count(b, cfg, nfproto, sets) ?:
			      guard_put_jump(b, cfg, nfproto, IGD_GUARD_HEALTHY_CHAIN);
		else if (!outbound || cfg->pre_nat_tap)
			ret = guard_put_tap(b, cfg, nfproto, (enum igd_hook)h, q);
	}
	if (!ret && cfg->mss_chain)
		ret = guard_put_chain(b, cfg, nfproto, IGD_GUARD_MSS_CHAIN, NF_INET_FORWARD,
				      GUARD_MSS_PRIO);
	return ret ?: guard_put_exempt(b, cfg, nfproto, sets, false);
}

int guard_send(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg, int ret,
	       const char *what, char *err, size_t errlen)
{
	if (ret) {
		snprintf(err, errlen, "nft: build %s: %s", what, strerror(-ret));
		igd_nft_batch_free(b);
		return ret;
	}
	ret = cfg->hooks.nl ? igd_nft_batch_send_on(b, cfg->hooks.nl, true, err, errlen) :
			      igd_nft_batch_send(b, true, err, errlen);
	igd_nft_batch_free(b);
	return ret;
}

int igd_guard_install(const struct igd_guard_cfg *cfg, const struct igd_guard_sets *sets,
		      char *err, size_t errlen)
{
	enum igd_hooks_queue q = cfg->hooks.queue;
	struct igd_hooks_cfg hooks;
	struct igd_nft_batch *b;
	unsigned int i;
	int ret;

	if (q == IGD_HOOKS_QUEUE_AUTO) {
		ret = igd_hooks_probe();
		if (ret < 0) {
			snprintf(err, errlen, "nft: probe queue support: %s", strerror(-ret));
			return ret;
		}
		q = ret ? IGD_HOOKS_QUEUE_NATIVE : IGD_HOOKS_QUEUE_XT;
	}
	b = igd_nft_batch_alloc();
	if (!b) {
		snprintf(err, errlen, "nft: out of memory");
		return -ENOMEM;
	}
	hooks = cfg->hooks;
	if (cfg->scope == IGD_SCOPE_PROTECTED && !cfg->pre_nat_tap)
		hooks.skip_hooks = 1u << IGD_HOOK_FORWARD | 1u << IGD_HOOK_OUTPUT;
	igd_hooks_read_flags(&hooks);
	ret = igd_hooks_put_tables(b, &hooks);
	for (i = 0; i < 2 && !ret; i++)
		ret = guard_put_family(b, cfg, guard_families[i], sets, q);
	ret = ret ?: guard_put_backstop(b, cfg, sets);
	ret = guard_send(b, cfg, ret, "guard tables", err, errlen);
	if (ret == -EPERM)
		snprintf(err + strlen(err), errlen - strlen(err), "; table %s belongs to "
			 "another process (another ipsecguardd with --table %s?)",
			 igd_hooks_table(&cfg->hooks), igd_hooks_table(&cfg->hooks));
	return ret;
}

typedef int (*guard_family_fn)(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			       uint32_t nfproto, const struct igd_guard_sets *sets);
typedef int (*guard_backstop_fn)(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				 const struct igd_guard_sets *sets);

/* One transaction: @put for each family of the owned table, then @backstop; @what
 * names it in errors. */
static int guard_update(const struct igd_guard_cfg *cfg, const struct igd_guard_sets *sets,
			guard_family_fn put, guard_backstop_fn backstop, const char *what,
			char *err, size_t errlen)
{
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	unsigned int i;
	int ret = 0;

	if (!b) {
		snprintf(err, errlen, "nft: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < 2 && !ret; i++)
		ret = put(b, cfg, guard_families[i], sets);
	ret = ret ?: backstop(b, cfg, sets);
	return guard_send(b, cfg, ret, what, err, errlen);
}

/* The sets, the rules drawn from them, and the verdict generation they start. */
static int guard_put_sets_family(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				 uint32_t nfproto, const struct igd_guard_sets *sets)
{
	return guard_put_set_content(b, cfg, nfproto, IGD_GUARD_PROTECTED, sets, 1) ?:
	       guard_put_set_content(b, cfg, nfproto, IGD_GUARD_REQUIRED, sets, 1) ?:
	       guard_put_set_content(b, cfg, nfproto, IGD_GUARD_HELD, sets, 1) ?:
	       (cfg->mark_secreq && cfg->scope == IGD_SCOPE_PROTECTED ?
		guard_put_pair_set(b, cfg, nfproto, GUARD_PAIR_DECAP, sets, true) : 0) ?:
	       (cfg->scope == IGD_SCOPE_PROTECTED ?
		guard_put_pair_set(b, cfg, nfproto, GUARD_PAIR_TUNNELLED, sets, true) : 0) ?:
	       (cfg->scope == IGD_SCOPE_PROTECTED ?
		guard_flush(b, cfg, nfproto, IGD_GUARD_COUNT_CHAIN) ?:
		guard_put_count_rules(b, cfg, nfproto, sets) : 0) ?:
	       guard_put_gen(b, cfg, nfproto);
}

static int guard_put_backstop_sets_gen(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				       const struct igd_guard_sets *sets)
{
	return guard_put_backstop_sets(b, cfg, sets) ?: guard_put_backstop_gen(b, cfg, sets);
}

int igd_guard_set_update(const struct igd_guard_cfg *cfg, const struct igd_guard_sets *sets,
			 char *err, size_t errlen)
{
	return guard_update(cfg, sets, guard_put_sets_family, guard_put_backstop_sets_gen,
			    "set update", err, errlen);
}

static int guard_put_gen_family(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				uint32_t nfproto, const struct igd_guard_sets *sets)
{
	(void)sets;
	return guard_put_gen(b, cfg, nfproto);
}

int igd_guard_gen_update(const struct igd_guard_cfg *cfg, char *err, size_t errlen)
{
	return guard_update(cfg, NULL, guard_put_gen_family, guard_put_backstop_gen,
			    "verdict generation", err, errlen);
}

static int guard_put_exempt_family(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				   uint32_t nfproto, const struct igd_guard_sets *sets)
{
	return guard_put_exempt(b, cfg, nfproto, sets, true);
}

int igd_guard_exempt_update(const struct igd_guard_cfg *cfg, const struct igd_guard_sets *sets,
			    char *err, size_t errlen)
{
	return guard_update(cfg, sets, guard_put_exempt_family, guard_put_backstop_exempt,
			    "exemptions", err, errlen);
}
