/* The tunnel's own packets, seen without queueing them (guard_rules.h):
 *
 *   set outer_ports  the IKE ports (inet_service)
 *   set outer_seen  ct original ip saddr . ct reply ip saddr . ct original proto-dst
 *     . ct reply proto-src . proto-dst of translated flows copied (10 s): one copy
 *     per flow, also of one that gets no reply and stays new
 *   outer_out  a regular chain, jumped to from postrouting (srcnat came before: NAT is
 *   bound) by every packet but a healthy connection's later packets to anywhere but
 *   a tunnel endpoint, which the judged_ok chain let go before it (guard_rules.c):
 *     ct state new  ct status & (snat|dnat) != 0  meta l4proto udp
 *         udp dport @outer_ports  (the entry's key) != @outer_seen
 *         counter limit rate 50/second
 *         add @outer_seen { ... }
 *         log "... outer-nat"
 *     ... udp dport != @outer_ports  ct original proto-dst @outer_ports     log ...
 *     ... udp dport != @outer_ports  ct original proto-dst != @outer_ports
 *         ct original proto-src @outer_ports                                 log ...
 *     ct state new  ct status & snat != 0  meta l4proto esp               log ...
 *   outer_in  hook input priority 101: ct state != new accept (every packet but a
 *     flow's first leaves at once), then the three udp rules again, for flows
 *     translated to this gateway itself (REDIRECT, DNAT to a local address)
 *   set frag_first  ip saddr . ip id (ip6: ip6 saddr . frag id) of first fragments of
 *     ESP and UDP seen (3 s)
 *   fragments  hook prerouting priority -450 (before the kernel reassembles); "first"
 *     is ip frag-off & 0x3fff == 0x2000 (ip6: exthdr frag frag-off & 0xfff9 == 1),
 *     "later" ip frag-off & 0x1fff != 0 (ip6: exthdr frag frag-off & 0xfff8 != 0)
 *     ip frag-off & 0x3fff == 0  accept      (ip6: exthdr frag missing: not fragments)
 *     first  meta l4proto esp|udp       add @frag_first { ip saddr . ip id }
 *     first  meta l4proto esp                    counter limit rate 10/second  log "... outer-frag"
 *     first  meta l4proto udp  udp dport @outer_ports  (the same)
 *     later  meta l4proto esp                                    counter  "frag: later esp"
 *     later  meta l4proto udp                                    counter  "frag: later udp"
 *     later  meta l4proto esp|udp  ip saddr . ip id != @frag_first
 *         counter limit rate 10/second  log "... outer-frag-orphan"
 *   set frag_peers  the tunnel endpoints this gateway sends to
 *   outer_out, after the rules above (the kernel fragments after the postrouting hook,
 *   and the ESP it makes passes it too)
 *     ip daddr @frag_peers                                      jump frag_out
 *   frag_out  its rules set by igd_guard_fragout_update(), per peer and path MTU M:
 *     ip daddr PEER  meta l4proto esp  ip length > M            goto frag_out_copy
 *     ip daddr PEER  udp dport @outer_ports  ip length > M      goto frag_out_copy
 *     ip daddr PEER  udp sport @outer_ports  ip length > M      goto frag_out_copy
 *     (ip6: ip6 daddr PEER ... ip6 length > M - 40: the payload length)
 *   frag_out_copy  (the counters outlive the rewrites of frag_out)
 *     meta l4proto esp  counter limit rate 10/second  log "... outer-frag-out"
 *     meta l4proto udp  (the same)
 * Each translated flow is copied once (its first packet; the three udp rules exclude
 * one another; a flow without reply again after 10 s), at most 50 a second per rule;
 * each fragmented datagram once (its first fragment), a later fragment only when no
 * first fragment of its datagram came before it, a packet leaving too big once:
 * these at most 10 a second per rule (a bulk transfer would copy every packet; the
 * counters count them all).  Both families. */
#include <errno.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "guard/guard_int.h"
#include "nft/nft_batch.h"
#include "nft/nft_expr.h"
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>

#define OUTER_SET	"outer_ports"
#define OUTER_SET_ID	0x6790
#define OUTER_FRAG_PRIO	(-450)	/* before NF_IP_PRI_CONNTRACK_DEFRAG (-400) */
#define OUTER_IN_PRIO	101	/* after the input hook's srcnat (100) */
#define FRAG_FIRST_ID	0x67a0
#define DYN_SET_SIZE	65536
#define OUTER_SEEN_ID	0x67b0
#define OUTER_SEEN_MS	10000
#define COPY_RATE	10	/* copies a second per rule, where packets can be many */
/* Copies of translated flows a second per rule: a flood of new flows to IKE ports */
#define NAT_COPY_RATE	50
#define FRAG_OUT_COPY	"frag_out_copy"
#define FRAG_PEERS	"frag_peers"
#define FRAG_PEERS_ID	0x67e0	/* + nfproto: apart from every other set id */

/* A set the rules fill themselves (dynamic, elements time out after @ms). */
/* A set of our table: its family, name, id (NFTNL_SET_ID, for rules of the same batch)
 * and key; NULL on ENOMEM. */
static struct nftnl_set *outer_set_new(const struct igd_guard_cfg *cfg, uint32_t nfproto,
				       const char *name, uint32_t id, uint32_t key_type,
				       uint32_t key_len)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, nfproto);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, igd_hooks_table(&cfg->hooks));
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	return s;
}

/* A set the rules fill themselves (dynamic, elements time out after @ms). */
static int outer_put_dyn_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			     uint32_t nfproto, const char *name, uint32_t id, uint32_t key_type,
			     uint32_t key_len, uint64_t ms)
{
	struct nftnl_set *s = outer_set_new(cfg, nfproto, name, id, key_type, key_len);
	int ret;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, ms);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, DYN_SET_SIZE);
	ret = igd_nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE, s);
	nftnl_set_free(s);
	return ret;
}

static int outer_put_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			 uint32_t nfproto)
{
	/* nft's inet_service */
	struct nftnl_set *s = outer_set_new(cfg, nfproto, OUTER_SET, OUTER_SET_ID + nfproto, 13, 2);
	struct nftnl_set_elem *e;
	unsigned int i;
	int ret;

	if (!s)
		return -ENOMEM;
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

/* The flow's conntrack entry, ct original ip saddr . ct reply ip saddr . ct original
 * proto-dst . ct reply proto-src . proto-dst: the original tuple and what NAT made of
 * it (the reply's source is the original destination after DNAT, its destination
 * port the original source port after SNAT), into registers 1 on (ESP: no ports,
 * zeros), then: not in outer_seen (the rule adds it once it copies).  A flow that
 * gets no reply stays "new", and its every packet would be copied; entries of one
 * original tuple mapped anew (4500 to another host's 4009, then to this gateway's
 * 4009, then to 4500; port 500 kept, then randomised) and different outside ports
 * mapped to one inside port stay apart.  The registers must hold the key until the
 * add. */
static int outer_seen_lookup(struct nftnl_rule *r, uint32_t nfproto)
{
	bool v6 = nfproto == NFPROTO_IPV6;
	uint32_t w = v6 ? 4 : 1, key = v6 ? NFT_CT_SRC_IP6 : NFT_CT_SRC_IP;

	/* ct ... ip saddr (4.17): nft lists a concatenation of these, not of the
	 * family-less ct ... saddr */
	return igd_nft_expr_ct(r, key, IP_CT_DIR_ORIGINAL, NFT_REG32_00) ?:
	       igd_nft_expr_ct(r, key, IP_CT_DIR_REPLY, NFT_REG32_00 + w) ?:
	       igd_nft_expr_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL, NFT_REG32_00 + 2 * w) ?:
	       igd_nft_expr_ct(r, NFT_CT_PROTO_SRC, IP_CT_DIR_REPLY, NFT_REG32_00 + 2 * w + 1) ?:
	       igd_nft_expr_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_REPLY, NFT_REG32_00 + 2 * w + 2) ?:
	       igd_nft_expr_lookup(r, NFT_REG32_00, IGD_GUARD_OUTER_SEEN_SET,
				   OUTER_SEEN_ID + nfproto, NFT_LOOKUP_F_INV);
}

/* The rules above into outer_out (forwarded and locally sent flows: NAT is bound at
 * postrouting), and the UDP ones into the input chain (flows translated to this gateway
 * itself, e.g. a REDIRECT of an outside port to its IKE daemon). */
static int outer_put_nat(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			 uint32_t nfproto)
{
	const char *table = igd_hooks_table(&cfg->hooks);
	unsigned int i;
	int ret;

	bool v6 = nfproto == NFPROTO_IPV6;
	uint32_t a = v6 ? 8 : 7;	/* ipv6_addr, ipv4_addr . ... . inet_service x 3 */

	ret = outer_put_dyn_set(b, cfg, nfproto, IGD_GUARD_OUTER_SEEN_SET, OUTER_SEEN_ID + nfproto,
				(((a << 6 | a) << 6 | 13) << 6 | 13) << 6 | 13, v6 ? 44 : 20,
				OUTER_SEEN_MS) ?:
	      guard_put_chain(b, cfg, nfproto, IGD_GUARD_OUTER_IN_CHAIN, NF_INET_LOCAL_IN,
			      OUTER_IN_PRIO) ?:
	      guard_put_not_new_accept(b, cfg, nfproto, IGD_GUARD_OUTER_IN_CHAIN, false);
	for (i = 0; i < 7 && !ret; i++) {
		struct nftnl_rule *r = igd_nft_rule_new(nfproto, table, i < 4 ?
							IGD_GUARD_OUTER_OUT_CHAIN :
							IGD_GUARD_OUTER_IN_CHAIN);

		ret = !r ? -ENOMEM : i != 3 ?
		      outer_new_nat(r, IPS_SRC_NAT | IPS_DST_NAT, IPPROTO_UDP) ?:
		      outer_udp_ports(r, nfproto, i % 4) :
		      outer_new_nat(r, IPS_SRC_NAT, IPPROTO_ESP);
		/* seen only once copied: past the limit a flow is copied later */
		ret = ret ?: outer_seen_lookup(r, nfproto) ?: igd_nft_expr_counter(r) ?:
		      igd_nft_expr_limit(r, NAT_COPY_RATE, NAT_COPY_RATE) ?:
		      igd_nft_expr_dynset_add(r, IGD_GUARD_OUTER_SEEN_SET, OUTER_SEEN_ID + nfproto,
					      NFT_REG32_00, 0) ?:
		      igd_nft_expr_log(r, cfg->log_group, IGD_GUARD_LOG_SNAPLEN,
				       IGD_GUARD_OUTER_NAT_PREFIX) ?:
		      igd_nft_rule_comment(r, IGD_GUARD_CTR_OUTER_NAT);
		ret = guard_put_rule(b, r, ret);
	}
	return ret;
}

/* meta l4proto @proto (IPv4's protocol field, IPv6's upper layer after the extension
 * headers; a later fragment's too) */
static int outer_proto(struct nftnl_rule *r, uint8_t proto)
{
	return igd_nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG32_00) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &proto, 1);
}

/* The fragment field of @nfproto's packets into register 1: IPv4's flags and offset
 * (ip frag-off), IPv6's fragment header offset and M flag (exthdr frag frag-off; the
 * rule ends for a packet without one). */
static int outer_frag_field(struct nftnl_rule *r, uint32_t nfproto)
{
	return nfproto == NFPROTO_IPV6 ?
	       igd_nft_expr_exthdr6(r, IPPROTO_FRAGMENT, 2, 2, NFT_REG32_00) :
	       igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 6, 2, NFT_REG32_00);
}

/* A first fragment (offset 0, more fragments) or a later one (offset not 0), then
 * the upper-layer @proto unless 0. */
static int outer_frag_match(struct nftnl_rule *r, uint32_t nfproto, bool first, uint8_t proto)
{
	bool v6 = nfproto == NFPROTO_IPV6;
	uint16_t m, v, zero = 0;

	if (first) {
		m = htons(v6 ? 0xfff9 : 0x3fff);
		v = htons(v6 ? 0x0001 : 0x2000);
	} else {
		m = htons(v6 ? 0xfff8 : 0x1fff);
		v = 0;
	}
	return outer_frag_field(r, nfproto) ?:
	       igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &m, &zero, 2) ?:
	       igd_nft_expr_cmp(r, NFT_REG32_00, first ? NFT_CMP_EQ : NFT_CMP_NEQ, &v, 2) ?:
	       (proto ? outer_proto(r, proto) : 0);
}

/* The frag_first key into registers 1 on: ip saddr . ip id (4 + 4: the id
 * zero-padded as nf_tables pads a concatenation's parts), or ip6 saddr . the
 * fragment header's id (16 + 4). */
static int outer_frag_key(struct nftnl_rule *r, uint32_t nfproto)
{
	if (nfproto == NFPROTO_IPV6)
		return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, NFT_REG32_00) ?:
		       igd_nft_expr_exthdr6(r, IPPROTO_FRAGMENT, 4, 4, NFT_REG32_00 + 4);
	return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG32_00) ?:
	       igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 4, 2, NFT_REG32_01);
}

/* frag_first: its key is shown as ipv4_addr . inet_service or ipv6_addr . mark (nft's
 * types 7, 8, 13 and 19, 6 bits apart), types nft can print of the id's size. */
static int outer_put_frag_first(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				uint32_t nfproto)
{
	bool v6 = nfproto == NFPROTO_IPV6;

	return outer_put_dyn_set(b, cfg, nfproto, IGD_GUARD_FRAG_FIRST_SET,
				 FRAG_FIRST_ID + nfproto, v6 ? 8 << 6 | 19 : 7 << 6 | 13,
				 v6 ? 20 : 8, IGD_GUARD_FRAG_FIRST_MS);
}

/* counter  limit rate COPY_RATE/second  log @prefix  comment @comment */
static int outer_copy_some(struct nftnl_rule *r, const struct igd_guard_cfg *cfg,
			   const char *prefix, const char *comment)
{
	return igd_nft_expr_counter(r) ?: igd_nft_expr_limit(r, COPY_RATE, COPY_RATE) ?:
	       igd_nft_expr_log(r, cfg->log_group, IGD_GUARD_LOG_SNAPLEN, prefix) ?:
	       igd_nft_rule_comment(r, comment);
}

static int outer_put_frag(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			  uint32_t nfproto)
{
	static const struct {
		bool first;
		uint8_t proto;
		bool ports, copy;
		const char *comment;
	} rules[] = {
		{ true, IPPROTO_ESP, false, true, IGD_GUARD_CTR_FRAG_ESP },
		{ true, IPPROTO_UDP, true, true, IGD_GUARD_CTR_FRAG_UDP },
		{ false, IPPROTO_ESP, false, false, IGD_GUARD_CTR_FRAG_LATER_ESP },
		{ false, IPPROTO_UDP, false, false, IGD_GUARD_CTR_FRAG_LATER_UDP },
	};
	const char *table = igd_hooks_table(&cfg->hooks);
	struct nftnl_rule *r;
	unsigned int i;
	int ret;

	ret = outer_put_frag_first(b, cfg, nfproto) ?:
	      guard_put_chain(b, cfg, nfproto, IGD_GUARD_FRAG_CHAIN, NF_INET_PRE_ROUTING,
			      OUTER_FRAG_PRIO);
	/* not a fragment (nearly every packet): one rule, and on */
	if (!ret) {
		uint16_t m = htons(0x3fff), zero = 0;
		uint8_t no = 0;

		r = igd_nft_rule_new(nfproto, table, IGD_GUARD_FRAG_CHAIN);
		ret = !r ? -ENOMEM : nfproto == NFPROTO_IPV6 ?
		      igd_nft_expr_exthdr6(r, IPPROTO_FRAGMENT, 0, 0, NFT_REG32_00) ?:
		      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &no, 1) :
		      igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 6, 2, NFT_REG32_00) ?:
		      igd_nft_expr_bitwise(r, NFT_REG32_00, NFT_REG32_00, &m, &zero, 2) ?:
		      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &zero, 2);
		ret = ret ?: igd_nft_expr_verdict(r, NF_ACCEPT);
		ret = guard_put_rule(b, r, ret);
	}
	for (i = 0; i < 2 && !ret; i++) {
		r = igd_nft_rule_new(nfproto, table, IGD_GUARD_FRAG_CHAIN);
		ret = !r ? -ENOMEM : outer_frag_match(r, nfproto, true,
						      i ? IPPROTO_UDP : IPPROTO_ESP) ?:
		      outer_frag_key(r, nfproto) ?:
		      igd_nft_expr_dynset_add(r, IGD_GUARD_FRAG_FIRST_SET, FRAG_FIRST_ID + nfproto,
					      NFT_REG32_00, 0);
		ret = guard_put_rule(b, r, ret);
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]) && !ret; i++) {
		r = igd_nft_rule_new(nfproto, table, IGD_GUARD_FRAG_CHAIN);
		ret = !r ? -ENOMEM : outer_frag_match(r, nfproto, rules[i].first, rules[i].proto);
		if (!ret && rules[i].ports)
			ret = igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2,
						   NFT_REG32_00) ?:
			      outer_lookup(r, nfproto, NFT_REG32_00, false);
		if (!ret && rules[i].copy)
			ret = outer_copy_some(r, cfg, IGD_GUARD_OUTER_FRAG_PREFIX, rules[i].comment);
		else if (!ret)
			ret = igd_nft_expr_counter(r) ?: igd_nft_rule_comment(r, rules[i].comment);
		ret = guard_put_rule(b, r, ret);
	}
	for (i = 0; i < 2 && !ret; i++) {
		r = igd_nft_rule_new(nfproto, table, IGD_GUARD_FRAG_CHAIN);
		ret = !r ? -ENOMEM : outer_frag_match(r, nfproto, false,
						      i ? IPPROTO_UDP : IPPROTO_ESP) ?:
		      outer_frag_key(r, nfproto) ?:
		      igd_nft_expr_lookup(r, NFT_REG32_00, IGD_GUARD_FRAG_FIRST_SET,
					  FRAG_FIRST_ID + nfproto, NFT_LOOKUP_F_INV) ?:
		      outer_copy_some(r, cfg, IGD_GUARD_OUTER_ORPHAN_PREFIX,
				      i ? IGD_GUARD_CTR_FRAG_ORPHAN_UDP :
					  IGD_GUARD_CTR_FRAG_ORPHAN_ESP);
		ret = guard_put_rule(b, r, ret);
	}
	return ret;
}

/* frag_peers: the tunnel endpoints of the frag_out rules (ipv4_addr or
 * ipv6_addr, nft's 7 and 8) */
static struct nftnl_set *outer_peers_set(const struct igd_guard_cfg *cfg, uint32_t nfproto)
{
	bool v6 = nfproto == NFPROTO_IPV6;

	return outer_set_new(cfg, nfproto, FRAG_PEERS, FRAG_PEERS_ID + nfproto, v6 ? 8 : 7,
			     v6 ? 16 : 4);
}

/* ip daddr (ip6 daddr) into register 1 */
static int outer_daddr(struct nftnl_rule *r, uint32_t nfproto)
{
	bool v6 = nfproto == NFPROTO_IPV6;

	return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, v6 ? 16 : 4,
				    NFT_REG32_00);
}

int guard_match_no_peer(struct nftnl_rule *r, const struct igd_guard_cfg *cfg,
			uint32_t nfproto)
{
	if (!cfg->outer || !cfg->log_group)
		return 0;
	return outer_daddr(r, nfproto) ?:
	       igd_nft_expr_lookup(r, NFT_REG32_00, FRAG_PEERS, FRAG_PEERS_ID + nfproto,
				   NFT_LOOKUP_F_INV);
}

/* frag_peers, frag_out (empty until igd_guard_fragout_update), frag_out_copy, and in
 * outer_out  ip daddr @frag_peers jump frag_out  (every other packet goes on after one
 * lookup, without a hook of its own) */
static int outer_put_frag_out(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      uint32_t nfproto)
{
	const char *table = igd_hooks_table(&cfg->hooks);
	struct nftnl_set *s = outer_peers_set(cfg, nfproto);
	struct nftnl_rule *r;
	unsigned int i;
	int ret;

	if (!s)
		return -ENOMEM;
	ret = igd_nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE, s);
	nftnl_set_free(s);
	ret = ret ?: guard_put_chain(b, cfg, nfproto, IGD_GUARD_FRAG_OUT_CHAIN, GUARD_NO_HOOK,
				     0) ?:
	      guard_put_chain(b, cfg, nfproto, FRAG_OUT_COPY, GUARD_NO_HOOK, 0);
	if (!ret) {
		r = igd_nft_rule_new(nfproto, table, IGD_GUARD_OUTER_OUT_CHAIN);
		ret = !r ? -ENOMEM : outer_daddr(r, nfproto) ?:
		      igd_nft_expr_lookup(r, NFT_REG32_00, FRAG_PEERS, FRAG_PEERS_ID + nfproto, 0) ?:
		      igd_nft_expr_jump(r, IGD_GUARD_FRAG_OUT_CHAIN);
		ret = guard_put_rule(b, r, ret);
	}
	for (i = 0; i < 2 && !ret; i++) {
		r = igd_nft_rule_new(nfproto, table, FRAG_OUT_COPY);
		ret = !r ? -ENOMEM : outer_proto(r, i ? IPPROTO_UDP : IPPROTO_ESP) ?:
		      outer_copy_some(r, cfg, IGD_GUARD_OUTER_FRAG_OUT_PREFIX,
				      i ? IGD_GUARD_CTR_FRAG_OUT_UDP : IGD_GUARD_CTR_FRAG_OUT_ESP);
		ret = guard_put_rule(b, r, ret);
	}
	return ret;
}

/* ip daddr @f->peer, then (@what) meta l4proto esp | udp dport @outer_ports |
 * udp sport @outer_ports (this gateway answering a peer behind NAT), then
 * ip length > MTU, or for IPv6 ip6 length (the payload's) > MTU - 40 */
static int outer_put_fragout_rule(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
				  const struct igd_fragout_rule *f, unsigned int what)
{
	bool v6 = f->family == 6;
	uint32_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	struct nftnl_rule *r = igd_nft_rule_new(nfproto, igd_hooks_table(&cfg->hooks),
						IGD_GUARD_FRAG_OUT_CHAIN);
	uint16_t len = htons((uint16_t)(v6 ? f->mtu - 40 : f->mtu));
	int ret;

	if (v6 && f->mtu <= 40) {	/* no IPv6 path is that small: no rule */
		nftnl_rule_free(r);
		return 0;
	}
	ret = !r ? -ENOMEM : outer_daddr(r, nfproto) ?:
	      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_EQ, f->peer.b, v6 ? 16 : 4) ?:
	      outer_proto(r, what ? IPPROTO_UDP : IPPROTO_ESP);
	if (!ret && what)
		ret = igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, what == 1 ? 2 : 0, 2,
					   NFT_REG32_00) ?:
		      igd_nft_expr_lookup(r, NFT_REG32_00, OUTER_SET, 0, 0);
	/* the length field, big-endian: cmp's byte order compares it as a number */
	ret = ret ?: igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 4 : 2, 2,
					  NFT_REG32_00) ?:
	      igd_nft_expr_cmp(r, NFT_REG32_00, NFT_CMP_GT, &len, 2) ?:
	      igd_nft_expr_goto(r, FRAG_OUT_COPY);	/* once, even for udp 4500 -> 4500 */
	return guard_put_rule(b, r, ret);
}

/* frag_peers of one family: flushed, then its endpoints among @f */
static int outer_put_peers(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			   uint32_t nfproto, const struct igd_fragout_rule *f, size_t n)
{
	struct nftnl_set *s = outer_peers_set(cfg, nfproto);
	struct nftnl_set_elem *e;
	int fam = nfproto == NFPROTO_IPV6 ? 6 : 4;
	size_t i, k = 0;
	int ret;

	if (!s)
		return -ENOMEM;
	ret = igd_nft_batch_setelems(b, NFT_MSG_DELSETELEM, 0, s);
	for (i = 0; i < n && !ret; i++) {
		if (f[i].family != fam)
			continue;
		e = nftnl_set_elem_alloc();
		if (!e) {
			ret = -ENOMEM;
			break;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, f[i].peer.b, fam == 6 ? 16 : 4);
		nftnl_set_elem_add(s, e);
		k++;
	}
	if (!ret && k)
		ret = igd_nft_batch_setelems(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s);
	nftnl_set_free(s);
	return ret;
}

int igd_guard_fragout_update(const struct igd_guard_cfg *cfg, const struct igd_fragout_rule *f,
			     size_t n, char *err, size_t errlen)
{
	static const uint32_t fams[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	struct igd_nft_batch *b;
	unsigned int k, what;
	size_t i;
	int ret = 0;

	if (!cfg->outer || !cfg->log_group)
		return 0;
	b = igd_nft_batch_alloc();
	if (!b) {
		snprintf(err, errlen, "nft: out of memory");
		return -ENOMEM;
	}
	for (k = 0; k < 2 && !ret; k++)
		ret = outer_put_peers(b, cfg, fams[k], f, n) ?:
		      guard_flush(b, cfg, fams[k], IGD_GUARD_FRAG_OUT_CHAIN);
	for (i = 0; i < n && !ret; i++)
		for (what = 0; what < 3 && !ret; what++)
			ret = outer_put_fragout_rule(b, cfg, &f[i], what);
	return guard_send(b, cfg, ret, "frag_out rules", err, errlen);
}

int guard_put_outer(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		    uint32_t nfproto)
{
	if (!cfg->outer || !cfg->log_group)
		return 0;
	return outer_put_set(b, cfg, nfproto) ?:
	       guard_put_chain(b, cfg, nfproto, IGD_GUARD_OUTER_OUT_CHAIN, GUARD_NO_HOOK, 0) ?:
	       outer_put_nat(b, cfg, nfproto) ?:
	       outer_put_frag(b, cfg, nfproto) ?: outer_put_frag_out(b, cfg, nfproto);
}
