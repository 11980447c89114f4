/* The tunnel's own packets, seen without queueing them (guard_rules.h):
 *
 *   set outer_ports  the IKE ports (inet_service)
 *   postrouting, first  (the flow's first packet, NAT bound: srcnat came before us)
 *     ct state new  ct status & (snat|dnat) != 0  meta l4proto udp
 *         udp dport @outer_ports                               log "ipsecguard outer-nat"
 *     ... udp dport != @outer_ports  ct original proto-dst @outer_ports     log ...
 *     ... udp dport != @outer_ports  ct original proto-dst != @outer_ports
 *         ct original proto-src @outer_ports                                 log ...
 *     ct state new  ct status & snat != 0  meta l4proto esp               log ...
 *   outer_in  hook input priority 101: the three udp rules again, for flows
 *     translated to this gateway itself (REDIRECT, DNAT to a local address)
 *   fragments  hook prerouting priority -450 (before the kernel reassembles, IPv4)
 *     ip frag-off & 0x3fff == 0x2000  ip protocol esp            counter log "... outer-frag"
 *     ip frag-off & 0x3fff == 0x2000  ip protocol udp  udp dport @outer_ports
 *                                                                counter log "... outer-frag"
 *     ip frag-off & 0x1fff != 0  ip protocol esp                 counter  "frag: later esp"
 *     ip frag-off & 0x1fff != 0  ip protocol udp                 counter  "frag: later udp"
 * Each translated flow is copied once (its first packet; the three udp rules exclude
 * one another); each fragmented datagram once (its first fragment). */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "nft/guard_int.h"
#include "nft/nft_batch.h"
#include "nft/nft_expr.h"
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>

#define OUTER_SET	"outer_ports"
#define OUTER_SET_ID	0x6790
#define OUTER_FRAG_PRIO	(-450)	/* before NF_IP_PRI_CONNTRACK_DEFRAG (-400) */
#define OUTER_IN_PRIO	101	/* after the input hook's srcnat (100) */

static int outer_put_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			 uint32_t nfproto)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e;
	unsigned int i;
	int ret;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, nfproto);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, igd_hooks_table(&cfg->hooks));
	nftnl_set_set_str(s, NFTNL_SET_NAME, OUTER_SET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, OUTER_SET_ID + nfproto);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 13);	/* nft's inet_service */
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 2);
	ret = igd_nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE, s);
	for (i = 0; !ret && i < cfg->outer_ports.n; i++) {
		uint16_t port = htons(cfg->outer_ports.v[i]);

		e = nftnl_set_elem_alloc();
		if (!e) {
			ret = -ENOMEM;
			break;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &port, sizeof(port));
		nftnl_set_elem_add(s, e);
	}
	if (!ret && cfg->outer_ports.n)
		ret = igd_nft_batch_setelems(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s);
	nftnl_set_free(s);
	return ret;
}

static int outer_lookup(struct nftnl_rule *r, uint32_t nfproto, uint32_t reg, bool inv)
{
	return igd_nft_expr_lookup(r, reg, OUTER_SET, OUTER_SET_ID + nfproto,
				   inv ? NFT_LOOKUP_F_INV : 0);
}

/* ct state new  ct status & @status != 0  meta l4proto @proto */
static int outer_new_nat(struct nftnl_rule *r, uint32_t status, uint8_t proto)
{
	uint32_t mask = status, zero = 0;	/* host order, as nft_ct loads it */

	return igd_nft_expr_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW)) ?:
	       igd_nft_expr_ct(r, NFT_CT_STATUS, -1, NFT_REG32_00) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &mask, &zero, 4) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_NEQ, &zero, 4) ?:
	       igd_nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG32_00) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &proto, 1);
}

/* udp dport (+ ct original ports) as the i-th of the three exclusive rules */
static int outer_udp_ports(struct nftnl_rule *r, uint32_t nfproto, unsigned int i)
{
	int ret = igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_00) ?:
		  outer_lookup(r, nfproto, NFT_REG32_00, i > 0);

	if (!ret && i > 0)
		ret = igd_nft_expr_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL, NFT_REG32_00) ?:
		      outer_lookup(r, nfproto, NFT_REG32_00, i > 1);
	if (!ret && i > 1)
		ret = igd_nft_expr_ct(r, NFT_CT_PROTO_SRC, IP_CT_DIR_ORIGINAL, NFT_REG32_00) ?:
		      outer_lookup(r, nfproto, NFT_REG32_00, false);
	return ret;
}

/* The rules above into postrouting (forwarded and locally sent flows: NAT is bound
 * there), and the UDP ones into the input chain (flows translated to this gateway
 * itself, e.g. a REDIRECT of an outside port to its IKE daemon). */
static int outer_put_nat(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			 uint32_t nfproto)
{
	const char *table = igd_hooks_table(&cfg->hooks);
	unsigned int i;
	int ret;

	ret = guard_put_chain(b, cfg, nfproto, IGD_GUARD_OUTER_IN_CHAIN, NF_INET_LOCAL_IN,
			      OUTER_IN_PRIO);
	for (i = 0; i < 7 && !ret; i++) {
		struct nftnl_rule *r = i < 4 ? guard_post_rule(cfg, nfproto) :
				       igd_nft_rule_new(nfproto, table, IGD_GUARD_OUTER_IN_CHAIN);

		ret = !r ? -ENOMEM : i != 3 ?
		      outer_new_nat(r, IPS_SRC_NAT | IPS_DST_NAT, IPPROTO_UDP) ?:
		      outer_udp_ports(r, nfproto, i % 4) :
		      outer_new_nat(r, IPS_SRC_NAT, IPPROTO_ESP);
		ret = ret ?: igd_nft_expr_counter(r) ?:
		      igd_nft_expr_log(r, cfg->log_group, IGD_GUARD_LOG_SNAPLEN,
				       IGD_GUARD_OUTER_NAT_PREFIX) ?:
		      igd_nft_rule_comment(r, IGD_GUARD_CTR_OUTER_NAT);
		ret = guard_put_rule(b, r, ret);
	}
	return ret;
}

/* ip frag-off & @mask (op) @value  ip protocol @proto */
static int outer_frag_match(struct nftnl_rule *r, uint16_t mask, uint32_t op, uint16_t value,
			    uint8_t proto)
{
	uint16_t m = htons(mask), v = htons(value), zero = 0;

	return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 6, 2, NFT_REG32_00) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &m, &zero, 2) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, op, &v, 2) ?:
	       igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 9, 1, NFT_REG32_00) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &proto, 1);
}

static int outer_put_frag(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg)
{
	static const struct {
		uint16_t mask, value;
		uint32_t op;
		uint8_t proto;
		bool ports, copy;
		const char *comment;
	} rules[] = {
		{ 0x3fff, 0x2000, NFT_CMP_EQ, IPPROTO_ESP, false, true, IGD_GUARD_CTR_FRAG_ESP },
		{ 0x3fff, 0x2000, NFT_CMP_EQ, IPPROTO_UDP, true, true, IGD_GUARD_CTR_FRAG_UDP },
		{ 0x1fff, 0, NFT_CMP_NEQ, IPPROTO_ESP, false, false, IGD_GUARD_CTR_FRAG_LATER_ESP },
		{ 0x1fff, 0, NFT_CMP_NEQ, IPPROTO_UDP, false, false, IGD_GUARD_CTR_FRAG_LATER_UDP },
	};
	const char *table = igd_hooks_table(&cfg->hooks);
	unsigned int i;
	int ret;

	ret = guard_put_chain(b, cfg, NFPROTO_IPV4, IGD_GUARD_FRAG_CHAIN, NF_INET_PRE_ROUTING,
			      OUTER_FRAG_PRIO);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]) && !ret; i++) {
		struct nftnl_rule *r = igd_nft_rule_new(NFPROTO_IPV4, table,
							IGD_GUARD_FRAG_CHAIN);

		ret = !r ? -ENOMEM : outer_frag_match(r, rules[i].mask, rules[i].op,
						      rules[i].value, rules[i].proto);
		if (!ret && rules[i].ports)
			ret = igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2,
						   NFT_REG32_00) ?:
			      outer_lookup(r, NFPROTO_IPV4, NFT_REG32_00, false);
		ret = ret ?: igd_nft_expr_counter(r);
		if (!ret && rules[i].copy)
			ret = igd_nft_expr_log(r, cfg->log_group, IGD_GUARD_LOG_SNAPLEN,
					       IGD_GUARD_OUTER_FRAG_PREFIX);
		ret = ret ?: igd_nft_rule_comment(r, rules[i].comment);
		ret = guard_put_rule(b, r, ret);
	}
	return ret;
}

int guard_put_outer(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		    uint32_t nfproto)
{
	if (!cfg->outer || !cfg->log_group)
		return 0;
	return outer_put_set(b, cfg, nfproto) ?: outer_put_nat(b, cfg, nfproto) ?:
	       (nfproto == NFPROTO_IPV4 ? outer_put_frag(b, cfg) : 0);
}
