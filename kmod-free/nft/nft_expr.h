/* Expression helpers: each appends one nf_tables expression (or a short idiom of a
 * few) to a libnftnl rule, the way `nft --debug=netlink` prints them.  The rule takes
 * ownership of the expressions; data is copied.  All return 0 or -errno (-ENOMEM).
 *
 * Registers are the 32-bit ones (NFT_REG32_00 ...) or NFT_REG_1..4 (16 bytes each);
 * data is in network order where the kernel compares bytes. */
#ifndef IGD_NFT_EXPR_H
#define IGD_NFT_EXPR_H
#include <stddef.h>
#include <stdint.h>

struct nftnl_rule;

/* Rule header: a new rule for @family/@table/@chain (strings copied); NULL on ENOMEM. */
struct nftnl_rule *igd_nft_rule_new(uint32_t family, const char *table,
				    const char *chain);

/* [ payload load @len b @ @base header + @offset => reg @dreg ] */
int igd_nft_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset,
			 uint32_t len, uint32_t dreg);
/* [ cmp @op reg @sreg @data ] ; @op is NFT_CMP_EQ, NFT_CMP_NEQ, ... */
int igd_nft_expr_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op,
		     const void *data, uint32_t len);
/* [ bitwise reg @dreg = ( reg @sreg & @mask ) ^ @xor ] over @len bytes */
int igd_nft_expr_bitwise(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg,
			 const void *mask, const void *xor, uint32_t len);
/* [ ct load @key => reg @dreg (, dir @dir) ] ; @dir < 0: no direction */
int igd_nft_expr_ct(struct nftnl_rule *r, uint32_t key, int dir, uint32_t dreg);
/* [ meta load @key => reg @dreg ] */
int igd_nft_expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
/* [ ct set @key with reg @sreg ] */
int igd_nft_expr_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
/* [ meta set @key with reg @sreg ] */
int igd_nft_expr_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
/* [ xfrm load @dir @spnum @key => reg @dreg ] ; @key NFT_XFRM_KEY_*, @dir
 * XFRM_POLICY_IN (secpath) or _OUT (route) */
int igd_nft_expr_xfrm(struct nftnl_rule *r, uint32_t key, uint8_t dir, uint32_t spnum,
		      uint32_t dreg);
/* A comment on @r, as `nft list` shows it (rule userdata); the counters of the
 * daemon's rules are found by it. */
int igd_nft_rule_comment(struct nftnl_rule *r, const char *comment);
/* The comment of @r, or NULL (valid while @r lives). */
const char *igd_nft_rule_get_comment(const struct nftnl_rule *r);
/* log group @group snaplen @snaplen queue-threshold 1 prefix @prefix: a copy of the
 * packet as it is now to nfnetlink_log */
int igd_nft_expr_log(struct nftnl_rule *r, uint16_t group, uint32_t snaplen,
		     const char *prefix);
/* rt KEY (NFT_RT_*) into @dreg, e.g. NFT_RT_XFRM: 1 when the route transforms. */
int igd_nft_expr_rt(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
/* [ exthdr load tcpopt 2b @ 2 + 2 => reg @dreg ] : the TCP MSS option's value */
int igd_nft_expr_tcp_mss_load(struct nftnl_rule *r, uint32_t dreg);
/* [ exthdr write tcpopt reg @sreg => 2b @ 2 + 2 ] : the kernel fixes the checksum */
int igd_nft_expr_tcp_mss_set(struct nftnl_rule *r, uint32_t sreg);
/* [ immediate reg @dreg @data ] */
int igd_nft_expr_immediate(struct nftnl_rule *r, uint32_t dreg, const void *data,
			   uint32_t len);
/* Idiom: the network-header address at @offset (@len bytes) & the prefix mask of
 * @plen bits == @addr.  Uses reg 1. */
int igd_nft_expr_prefix(struct nftnl_rule *r, uint32_t offset, uint32_t len,
			const void *addr, unsigned int plen);
/* [ counter pkts 0 bytes 0 ] */
int igd_nft_expr_counter(struct nftnl_rule *r);
/* [ lookup reg @sreg set @set ] ; @set_id non-zero names a set added in the same
 * batch (NFTNL_SET_ID); @invert: "!= @set" */
int igd_nft_expr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set,
			uint32_t set_id, int invert);
/* add @set { key from @sreg_key : data from @sreg_data } (dynset): the element is
 * created with the set's timeout, kept as it is when it exists; a full set leaves
 * the rule (NFT_BREAK).  @sreg_data 0: a set, not a map. */
int igd_nft_expr_dynset_add(struct nftnl_rule *r, const char *set, uint32_t set_id,
			    uint32_t sreg_key, uint32_t sreg_data);
/* [ exthdr load ipv6 @len b @ @type + @offset => reg @dreg ] : a field of an IPv6
 * extension header (44: the fragment header); the rule ends when there is none.
 * @len 0: one byte, 1 when the header is there, 0 when not (exthdr ... exists). */
int igd_nft_expr_exthdr6(struct nftnl_rule *r, uint8_t type, uint32_t offset, uint32_t len,
			 uint32_t dreg);
/* limit rate @per_second/second burst @burst packets: the rule goes on for the
 * packets within the rate, the others leave it (NFT_BREAK). */
/* [ nat snat ip|ip6 addr_min reg R addr_max reg R ]: source NAT to the address in
 * register @reg (@nfproto NFPROTO_IPV4 or _IPV6). */
int igd_nft_expr_snat_reg(struct nftnl_rule *r, uint32_t nfproto, uint32_t reg);
int igd_nft_expr_limit(struct nftnl_rule *r, uint64_t per_second, uint32_t burst);
/* [ immediate reg 0 @verdict ] ; NF_ACCEPT, NF_DROP, NFT_RETURN, ... */
int igd_nft_expr_verdict(struct nftnl_rule *r, int verdict);
/* [ immediate reg 0 jump -> @chain ] */
int igd_nft_expr_jump(struct nftnl_rule *r, const char *chain);
/* [ immediate reg 0 goto -> @chain ] : no return to the rest of this chain */
int igd_nft_expr_goto(struct nftnl_rule *r, const char *chain);

/* Queue flags, identical for the native expression and xt NFQUEUE v3. */
#define IGD_NFT_QUEUE_BYPASS	0x01
#define IGD_NFT_QUEUE_FANOUT	0x02

/* [ queue num @num-(@num+@total-1) @flags ] : native nft_queue */
int igd_nft_expr_queue(struct nftnl_rule *r, uint16_t num, uint16_t total,
		       uint16_t flags);
/* [ target name NFQUEUE rev 3 ] : the xt target through nft_compat */
int igd_nft_expr_nfqueue_xt(struct nftnl_rule *r, uint16_t num, uint16_t total,
			    uint16_t flags);

/* Idiom "ct state @mask" : ct load state, bitwise & @mask, cmp != 0.  @mask is of
 * NF_CT_STATE_BIT(IP_CT_NEW) etc.  Uses reg 1. */
int igd_nft_expr_ct_state(struct nftnl_rule *r, uint32_t mask);
#endif
