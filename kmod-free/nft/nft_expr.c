/* Expression helpers for libnftnl rules.  See nft_expr.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <libnftnl/expr.h>

#include "nft/nft_expr.h"

struct nftnl_rule *igd_nft_rule_new(uint32_t family, const char *table,
				    const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

static struct nftnl_expr *nft_expr_new(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		errno = ENOMEM;
	return e;
}

/* Hands @e to @r; from here on the rule frees it. */
static int nft_expr_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e);
	return 0;
}

/* Frees @e after a failed setter. */
static int nft_expr_fail(struct nftnl_expr *e)
{
	nftnl_expr_free(e);
	return -ENOMEM;
}

int igd_nft_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset,
			 uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr_new("payload");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	return nft_expr_add(r, e);
}

int igd_nft_expr_snat_reg(struct nftnl_rule *r, uint32_t nfproto, uint32_t reg)
{
	struct nftnl_expr *e = nft_expr_new("nat");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, nfproto);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, reg);
	return nft_expr_add(r, e);
}

int igd_nft_expr_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op,
		     const void *data, uint32_t len)
{
	struct nftnl_expr *e = nft_expr_new("cmp");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
		return nft_expr_fail(e);
	return nft_expr_add(r, e);
}

int igd_nft_expr_bitwise(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg,
			 const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = nft_expr_new("bitwise");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len) < 0)
		return nft_expr_fail(e);
	return nft_expr_add(r, e);
}

int igd_nft_expr_ct(struct nftnl_rule *r, uint32_t key, int dir, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr_new("ct");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	if (dir >= 0)
		nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, (uint8_t)dir);
	return nft_expr_add(r, e);
}

int igd_nft_expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr_new("meta");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return nft_expr_add(r, e);
}

int igd_nft_expr_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nft_expr_new("ct");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
	return nft_expr_add(r, e);
}

int igd_nft_expr_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nft_expr_new("meta");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	return nft_expr_add(r, e);
}

int igd_nft_expr_xfrm(struct nftnl_rule *r, uint32_t key, uint8_t dir, uint32_t spnum,
		      uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr_new("xfrm");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_XFRM_KEY, key);
	nftnl_expr_set_u8(e, NFTNL_EXPR_XFRM_DIR, dir);
	nftnl_expr_set_u32(e, NFTNL_EXPR_XFRM_SPNUM, spnum);
	nftnl_expr_set_u32(e, NFTNL_EXPR_XFRM_DREG, dreg);
	return nft_expr_add(r, e);
}

int igd_nft_rule_comment(struct nftnl_rule *r, const char *comment)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	int ret = 0;

	if (!u)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, comment) ||
	    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
				nftnl_udata_buf_len(u)) < 0)
		ret = -ENOMEM;
	nftnl_udata_buf_free(u);
	return ret;
}

/* The comment TLV of a rule's user data (a type byte, a length byte, the value: the
 * layout nft writes), walked with every length checked: the user data is whatever the
 * rule's author stored, and libnftnl's own walk trusts the lengths.  NULL when there
 * is no comment, it is not NUL-terminated, or the TLVs do not fit. */
static const char *nft_udata_comment(const uint8_t *p, uint32_t len)
{
	const char *comment = NULL;
	uint32_t off = 0;
	uint8_t l;

	while (off < len) {
		if (len - off < 2 || len - off - 2 < p[off + 1])
			return NULL;
		l = p[off + 1];
		if (p[off] == NFTNL_UDATA_RULE_COMMENT)
			comment = l && !p[off + 2 + l - 1] ? (const char *)p + off + 2 : NULL;
		off += 2u + l;
	}
	return comment;
}

const char *igd_nft_rule_get_comment(const struct nftnl_rule *r)
{
	const void *ud;
	uint32_t len = 0;

	if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA))
		return NULL;
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	return ud ? nft_udata_comment(ud, len) : NULL;
}

int igd_nft_expr_log(struct nftnl_rule *r, uint16_t group, uint32_t snaplen,
		     const char *prefix)
{
	struct nftnl_expr *e = nft_expr_new("log");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, snaplen);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix) < 0)
		return nft_expr_fail(e);
	return nft_expr_add(r, e);
}

int igd_nft_expr_rt(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr_new("rt");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_DREG, dreg);
	return nft_expr_add(r, e);
}

#define NFT_TCPOPT_MAXSEG	2

static int nft_expr_tcp_mss(struct nftnl_rule *r, uint32_t reg, bool set)
{
	struct nftnl_expr *e = nft_expr_new("exthdr");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, NFT_TCPOPT_MAXSEG);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 2);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_EXTHDR_SREG : NFTNL_EXPR_EXTHDR_DREG, reg);
	return nft_expr_add(r, e);
}

int igd_nft_expr_exthdr6(struct nftnl_rule *r, uint8_t type, uint32_t offset, uint32_t len,
			 uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr_new("exthdr");

	if (!e)
		return -ENOMEM;
	if (!len) {	/* whether the header is there: one byte, 1 or 0 */
		nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_FLAGS, NFT_EXTHDR_F_PRESENT);
		len = 1;
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_IPV6);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, type);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_DREG, dreg);
	return nft_expr_add(r, e);
}

int igd_nft_expr_tcp_mss_load(struct nftnl_rule *r, uint32_t dreg)
{
	return nft_expr_tcp_mss(r, dreg, false);
}

int igd_nft_expr_tcp_mss_set(struct nftnl_rule *r, uint32_t sreg)
{
	return nft_expr_tcp_mss(r, sreg, true);
}

int igd_nft_expr_immediate(struct nftnl_rule *r, uint32_t dreg, const void *data,
			   uint32_t len)
{
	struct nftnl_expr *e = nft_expr_new("immediate");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	if (nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len) < 0)
		return nft_expr_fail(e);
	return nft_expr_add(r, e);
}

int igd_nft_expr_prefix(struct nftnl_rule *r, uint32_t offset, uint32_t len,
			const void *addr, unsigned int plen)
{
	uint8_t mask[16] = { 0 }, xor[16] = { 0 }, net[16];
	unsigned int i;

	if (len > 16 || plen > len * 8)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int bits = plen > i * 8 ? plen - i * 8 : 0;

		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		net[i] = ((const uint8_t *)addr)[i] & mask[i];
	}
	return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, len, NFT_REG_1) ?:
	       igd_nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, mask, xor, len) ?:
	       igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, net, len);
}

int igd_nft_expr_counter(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nft_expr_new("counter");

	if (!e)
		return -ENOMEM;
	return nft_expr_add(r, e);
}

int igd_nft_expr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set,
			uint32_t set_id, int invert)
{
	struct nftnl_expr *e = nft_expr_new("lookup");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
		return nft_expr_fail(e);
	if (set_id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	if (invert)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	return nft_expr_add(r, e);
}

/* [ immediate reg 0 VERDICT [-> CHAIN] ] */
static int nft_expr_imm_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nft_expr_new("immediate");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		return nft_expr_fail(e);
	return nft_expr_add(r, e);
}

int igd_nft_expr_dynset_add(struct nftnl_rule *r, const char *set, uint32_t set_id,
			    uint32_t sreg_key, uint32_t sreg_data)
{
	struct nftnl_expr *e = nft_expr_new("dynset");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, sreg_key);
	if (sreg_data)	/* a plain set: the kernel refuses a data register */
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, sreg_data);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set) < 0)
		return nft_expr_fail(e);
	if (set_id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, set_id);
	return nft_expr_add(r, e);
}

int igd_nft_expr_limit(struct nftnl_rule *r, uint64_t per_second, uint32_t burst)
{
	struct nftnl_expr *e = nft_expr_new("limit");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, per_second);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	return nft_expr_add(r, e);
}

int igd_nft_expr_verdict(struct nftnl_rule *r, int verdict)
{
	return nft_expr_imm_verdict(r, verdict, NULL);
}

int igd_nft_expr_jump(struct nftnl_rule *r, const char *chain)
{
	return nft_expr_imm_verdict(r, NFT_JUMP, chain);
}

int igd_nft_expr_goto(struct nftnl_rule *r, const char *chain)
{
	return nft_expr_imm_verdict(r, NFT_GOTO, chain);
}


int igd_nft_expr_queue(struct nftnl_rule *r, uint16_t num, uint16_t total,
		       uint16_t flags)
{
	struct nftnl_expr *e = nft_expr_new("queue");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, num);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, total ? total : 1);
	if (flags)
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, flags);
	return nft_expr_add(r, e);
}

/* nft_compat wants the target's info padded as x_tables lays it out. */
#define NFT_NFQ_INFO_LEN	XT_ALIGN(sizeof(struct xt_NFQ_info_v3))

int igd_nft_expr_nfqueue_xt(struct nftnl_rule *r, uint16_t num, uint16_t total,
			    uint16_t flags)
{
	struct nftnl_expr *e = nft_expr_new("target");
	struct xt_NFQ_info_v3 *info;

	if (!e)
		return -ENOMEM;
	/* libnftnl keeps this pointer (no copy) and frees it with the expression */
	info = calloc(1, NFT_NFQ_INFO_LEN);
	if (!info)
		return nft_expr_fail(e);
	info->queuenum = num;
	info->queues_total = total ? total : 1;
	info->flags = flags;
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, NFT_NFQ_INFO_LEN);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE") < 0)
		return nft_expr_fail(e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	return nft_expr_add(r, e);
}

int igd_nft_expr_ct_state(struct nftnl_rule *r, uint32_t mask)
{
	uint32_t zero = 0;
	int ret;

	ret = igd_nft_expr_ct(r, NFT_CT_STATE, -1, NFT_REG_1);
	if (!ret)
		ret = igd_nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, &mask, &zero,
					   sizeof(mask));
	if (!ret)
		ret = igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, sizeof(zero));
	return ret;
}
