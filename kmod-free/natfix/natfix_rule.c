/* NAT exemption rules: selector checks, tags, and the rule layout written and read
 * back (no I/O here).  See natfix.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_comment.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>

#include "natfix/natfix.h"
#include "nft/nft_expr.h"
#include "util/proto.h"

#define NATFIX_TAG_PREFIX	IGD_NATFIX_TAG " sp="
/* nft_compat wants the match info padded as x_tables lays it out. */
#define NATFIX_MT_INFO_LEN	XT_ALIGN(sizeof(struct xt_comment_info))
/* offsetof(struct iphdr, saddr/daddr), offsetof(struct ipv6hdr, saddr/daddr) */
#define NATFIX_IP4_SADDR	12
#define NATFIX_IP4_DADDR	16
#define NATFIX_IP6_SADDR	8
#define NATFIX_IP6_DADDR	24

const char *igd_natfix_tag_format(uint32_t sp_index, char *buf, size_t len)
{
	snprintf(buf, len, NATFIX_TAG_PREFIX "%" PRIu32, sp_index);
	return buf;
}

int igd_natfix_tag_parse(const char *s, uint32_t *sp_index)
{
	size_t plen = strlen(NATFIX_TAG_PREFIX), i;
	uint64_t v = 0;

	if (!s || strncmp(s, NATFIX_TAG_PREFIX, plen))
		return -EINVAL;
	s += plen;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v > UINT32_MAX)
		return -EINVAL;
	*sp_index = (uint32_t)v;
	return 0;
}

static unsigned int natfix_alen(int family)
{
	return family == 6 ? 16 : 4;
}

void igd_natfix_prefix_mask(unsigned int plen, uint8_t *mask, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (plen >= 8 * (i + 1))
			mask[i] = 0xff;
		else if (plen > 8 * i)
			mask[i] = (uint8_t)(0xff << (8 - (plen - 8 * i)));
		else
			mask[i] = 0;
	}
}

static void natfix_addr_mask(int family, union igd_addr *a, unsigned int plen)
{
	uint8_t mask[16];
	unsigned int i, len = natfix_alen(family);

	igd_natfix_prefix_mask(plen, mask, len);
	for (i = 0; i < len; i++)
		a->b[i] &= mask[i];
	for (; i < 16; i++)
		a->b[i] = 0;
}

static bool natfix_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static int natfix_err(char *err, size_t errlen, int ret, const char *fmt, const char *arg)
{
	if (errlen)
		snprintf(err, errlen, fmt, arg);
	return ret;
}

static int natfix_ports_check(const struct igd_sel *sel, char *err, size_t errlen)
{
	if (!sel->sport_mask && !sel->dport_mask)
		return 0;
	if ((sel->sport_mask && sel->sport_mask != 0xffff) ||
	    (sel->dport_mask && sel->dport_mask != 0xffff))
		return natfix_err(err, errlen, -EINVAL,
				  "natfix: selector: port masks other than 0 and 0xffff %s",
				  "cannot be written as one rule");
	if (!natfix_has_ports(sel->proto))
		return natfix_err(err, errlen, -EOPNOTSUPP,
				  "natfix: selector: %s",
				  "ports are supported for tcp and udp only");
	return 0;
}

int igd_natfix_sel_norm(const struct igd_sel *sel, struct igd_sel *out,
			char *err, size_t errlen)
{
	unsigned int max;
	int ret;

	if (sel->family != 4 && sel->family != 6)
		return natfix_err(err, errlen, -EINVAL, "natfix: selector: %s",
				  "family must be 4 or 6");
	max = 8 * natfix_alen(sel->family);
	if (sel->plen_s > max || sel->plen_d > max)
		return natfix_err(err, errlen, -EINVAL, "natfix: selector: %s",
				  "prefix length out of range");
	ret = natfix_ports_check(sel, err, errlen);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->family = sel->family;
	out->plen_s = sel->plen_s;
	out->plen_d = sel->plen_d;
	out->saddr = sel->saddr;
	out->daddr = sel->daddr;
	natfix_addr_mask(sel->family, &out->saddr, sel->plen_s);
	natfix_addr_mask(sel->family, &out->daddr, sel->plen_d);
	out->proto = sel->proto;
	if (sel->sport_mask) {
		out->sport = sel->sport;
		out->sport_mask = 0xffff;
	}
	if (sel->dport_mask) {
		out->dport = sel->dport;
		out->dport_mask = 0xffff;
	}
	return 0;
}

bool igd_natfix_sel_equal(const struct igd_sel *a, const struct igd_sel *b)
{
	return a->family == b->family && a->plen_s == b->plen_s &&
	       a->plen_d == b->plen_d && a->proto == b->proto &&
	       !memcmp(&a->saddr, &b->saddr, sizeof(a->saddr)) &&
	       !memcmp(&a->daddr, &b->daddr, sizeof(a->daddr)) &&
	       a->sport_mask == b->sport_mask && a->dport_mask == b->dport_mask &&
	       (!a->sport_mask || a->sport == b->sport) &&
	       (!a->dport_mask || a->dport == b->dport);
}

const char *igd_natfix_sel_str(const struct igd_sel *sel, char *buf, size_t len)
{
	char s[IGD_ADDRSTRLEN], d[IGD_ADDRSTRLEN], p[32] = "", sp[16] = "", dp[16] = "";
	char pn[8];

	igd_addr_str(sel->family, &sel->saddr, s, sizeof(s));
	igd_addr_str(sel->family, &sel->daddr, d, sizeof(d));
	if (sel->proto)
		snprintf(p, sizeof(p), " proto %s", igd_proto_name(sel->proto, pn, sizeof(pn)));
	if (sel->sport_mask)
		snprintf(sp, sizeof(sp), " sport %u", sel->sport);
	if (sel->dport_mask)
		snprintf(dp, sizeof(dp), " dport %u", sel->dport);
	snprintf(buf, len, "%s/%u -> %s/%u%s%s%s", s, sel->plen_s, d, sel->plen_d,
		 p, sp, dp);
	return buf;
}

/* ---- building ---- */

/* payload load + [bitwise] + cmp eq for a prefix, the way iptables-nft's add_addr()
 * lays it out: a byte-aligned prefix loads only its bytes, any other prefix loads the
 * whole address and masks it. */
static int natfix_put_prefix(struct nftnl_rule *r, uint32_t offset,
			     const union igd_addr *a, unsigned int plen, unsigned int alen)
{
	static const uint8_t zero[16];
	uint8_t mask[16];
	unsigned int len = alen;
	int ret;

	if (plen == 0)
		return 0;
	igd_natfix_prefix_mask(plen, mask, alen);
	if (plen % 8 == 0)
		len = plen / 8;
	ret = igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, len, NFT_REG_1);
	if (!ret && plen % 8)
		ret = igd_nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, mask, zero, alen);
	if (!ret)
		ret = igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, a->b, len);
	return ret;
}

static int natfix_put_meta_u8(struct nftnl_rule *r, uint32_t key, uint8_t v)
{
	int ret = igd_nft_expr_meta(r, key, NFT_REG_1);

	return ret ? ret : igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &v, 1);
}

/* tcp/udp ports: "--sport S --dport D" is one 4-byte compare, either alone 2 bytes. */
static int natfix_put_ports(struct nftnl_rule *r, const struct igd_sel *sel)
{
	uint16_t p[2] = { htons(sel->sport), htons(sel->dport) };
	int ret;

	if (sel->sport_mask && sel->dport_mask) {
		ret = igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4, NFT_REG_1);
		return ret ? ret : igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, p, 4);
	}
	if (sel->sport_mask) {
		ret = igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1);
		return ret ? ret : igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &p[0], 2);
	}
	if (sel->dport_mask) {
		ret = igd_nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
		return ret ? ret : igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &p[1], 2);
	}
	return 0;
}

static int natfix_put_match(struct nftnl_rule *r, const struct igd_sel *sel,
			    uint32_t family)
{
	unsigned int alen = natfix_alen(sel->family);
	uint32_t so = sel->family == 6 ? NATFIX_IP6_SADDR : NATFIX_IP4_SADDR;
	uint32_t doff = sel->family == 6 ? NATFIX_IP6_DADDR : NATFIX_IP4_DADDR;
	int ret = 0;

	if (family == NFPROTO_INET)
		ret = natfix_put_meta_u8(r, NFT_META_NFPROTO,
					 sel->family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (!ret && sel->proto)
		ret = natfix_put_meta_u8(r, NFT_META_L4PROTO, sel->proto);
	if (!ret)
		ret = natfix_put_prefix(r, so, &sel->saddr, sel->plen_s, alen);
	if (!ret)
		ret = natfix_put_prefix(r, doff, &sel->daddr, sel->plen_d, alen);
	if (!ret)
		ret = natfix_put_ports(r, sel);
	return ret;
}

/* [ match name comment rev 0 ] : xt_comment through nft_compat, as iptables-nft. */
static int natfix_put_xt_comment(struct nftnl_rule *r, const char *tag)
{
	struct nftnl_expr *e = nftnl_expr_alloc("match");
	struct xt_comment_info *info;

	if (!e)
		return -ENOMEM;
	/* libnftnl keeps this pointer and frees it with the expression */
	info = calloc(1, NATFIX_MT_INFO_LEN);
	if (!info) {
		nftnl_expr_free(e);
		return -ENOMEM;
	}
	snprintf(info->comment, sizeof(info->comment), "%s", tag);
	nftnl_expr_set(e, NFTNL_EXPR_MT_INFO, info, NATFIX_MT_INFO_LEN);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_MT_NAME, "comment") < 0) {
		nftnl_expr_free(e);
		return -ENOMEM;
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_MT_REV, 0);
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int natfix_put_udata(struct nftnl_rule *r, const char *tag)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	int ret = 0;

	if (!u)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, tag) ||
	    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
				nftnl_udata_buf_len(u)) < 0)
		ret = -ENOMEM;
	nftnl_udata_buf_free(u);
	return ret;
}

/* The daemon's own exemption: the flow is bound to its own source, so the nat chains
 * after this one are not consulted (the kernel binds a connection's source once),
 * and the tuple stays as the SP lookup saw it: no second lookup, no leak. */
static int natfix_put_identity(struct nftnl_rule *r, const struct igd_sel *sel)
{
	uint32_t fam = sel->family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	return igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER,
				    sel->family == 6 ? NATFIX_IP6_SADDR : NATFIX_IP4_SADDR,
				    natfix_alen(sel->family), NFT_REG_1) ?:
	       igd_nft_expr_snat_reg(r, fam, NFT_REG_1);
}

static int natfix_rule_fill(struct nftnl_rule *r, enum igd_natfix_kind kind,
			    uint32_t family, const struct igd_sel *sel, const char *tag)
{
	int ret = natfix_put_match(r, sel, family);

	if (!ret && kind == IGD_NATFIX_IPT_NFT)
		ret = natfix_put_xt_comment(r, tag);
	if (!ret)
		ret = igd_nft_expr_counter(r);
	if (!ret)
		ret = kind == IGD_NATFIX_OWN ? natfix_put_identity(r, sel) :
		      igd_nft_expr_verdict(r, NFT_RETURN);
	if (!ret && kind == IGD_NATFIX_IPT_NFT) {
		/* iptables-nft always sends the protocol for nft_compat's checks */
		nftnl_rule_set_u32(r, NFTNL_RULE_COMPAT_PROTO, sel->proto);
		nftnl_rule_set_u32(r, NFTNL_RULE_COMPAT_FLAGS, 0);
	}
	if (!ret && kind != IGD_NATFIX_IPT_NFT)
		ret = natfix_put_udata(r, tag);
	return ret;
}

struct nftnl_rule *igd_natfix_rule_build(enum igd_natfix_kind kind, uint32_t family,
					 const char *table, const char *chain,
					 const struct igd_sel *sel, uint32_t sp_index)
{
	char tag[IGD_NATFIX_COMMENT_MAX];
	struct nftnl_rule *r;
	int ret;

	if ((kind != IGD_NATFIX_NFT && kind != IGD_NATFIX_IPT_NFT && kind != IGD_NATFIX_OWN) ||
	    (kind != IGD_NATFIX_NFT && family == NFPROTO_INET)) {
		errno = EINVAL;
		return NULL;
	}
	r = igd_nft_rule_new(family, table, chain);
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	igd_natfix_tag_format(sp_index, tag, sizeof(tag));
	ret = natfix_rule_fill(r, kind, family, sel, tag);
	if (ret < 0) {
		nftnl_rule_free(r);
		errno = -ret;
		return NULL;
	}
	return r;
}

/* ---- reading back ---- */

struct natfix_dec {
	struct igd_natfix_rule *out;
	int nfproto;			/* from the rule family or meta nfproto; 0 unknown */
	uint32_t meta_key;		/* pending meta load, 0 none */
	int payload_base;		/* pending payload load, -1 none */
	uint32_t payload_off, payload_len;
	uint8_t mask[16];
	bool have_mask;
	bool tagged, ret_seen;
};

static int natfix_plen_of(const uint8_t *mask, unsigned int len, unsigned int *plen)
{
	unsigned int i, n = 0;
	uint8_t b;

	for (i = 0; i < len && mask[i] == 0xff; i++)
		n += 8;
	if (i < len) {
		b = mask[i];
		while (b & 0x80) {
			n++;
			b <<= 1;
		}
		if (b)
			return -ENOENT;
		for (i++; i < len; i++)
			if (mask[i])
				return -ENOENT;
	}
	*plen = n;
	return 0;
}

static int natfix_dec_meta(struct natfix_dec *d, const struct nftnl_expr *e)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG) ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG) != NFT_REG_1 ||
	    (key != NFT_META_NFPROTO && key != NFT_META_L4PROTO))
		return -ENOENT;
	d->meta_key = key;
	return 0;
}

static int natfix_dec_payload(struct natfix_dec *d, const struct nftnl_expr *e)
{
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG) ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG) != NFT_REG_1 ||
	    (base != NFT_PAYLOAD_NETWORK_HEADER && base != NFT_PAYLOAD_TRANSPORT_HEADER))
		return -ENOENT;
	d->payload_base = (int)base;
	d->payload_off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	d->payload_len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	d->have_mask = false;
	return 0;
}

static int natfix_dec_bitwise(struct natfix_dec *d, const struct nftnl_expr *e)
{
	const void *mask;
	uint32_t len = 0;

	if (d->payload_base != NFT_PAYLOAD_NETWORK_HEADER || d->have_mask ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG) != NFT_REG_1 ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG) != NFT_REG_1)
		return -ENOENT;
	mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);
	if (!mask || len != d->payload_len || len > sizeof(d->mask))
		return -ENOENT;
	memcpy(d->mask, mask, len);
	d->have_mask = true;
	return 0;
}

static int natfix_dec_family(struct natfix_dec *d)
{
	int fam = d->nfproto == NFPROTO_IPV6 ? 6 : d->nfproto == NFPROTO_IPV4 ? 4 : 0;

	if (!fam || (d->out->sel.family && d->out->sel.family != fam))
		return -ENOENT;
	d->out->sel.family = (uint8_t)fam;
	return fam;
}

/* A network header compare: which address, and its prefix. */
static int natfix_dec_addr(struct natfix_dec *d, const uint8_t *data, uint32_t len)
{
	int fam = natfix_dec_family(d);
	unsigned int alen, plen;
	struct igd_sel *sel = &d->out->sel;
	union igd_addr *a;
	uint8_t *pl;

	if (fam < 0)
		return fam;
	alen = natfix_alen(fam);
	if (d->payload_off == (fam == 6 ? NATFIX_IP6_SADDR : NATFIX_IP4_SADDR)) {
		a = &sel->saddr;
		pl = &sel->plen_s;
	} else if (d->payload_off == (fam == 6 ? NATFIX_IP6_DADDR : NATFIX_IP4_DADDR)) {
		a = &sel->daddr;
		pl = &sel->plen_d;
	} else {
		return -ENOENT;
	}
	if (len != d->payload_len || len == 0 || len > alen || *pl)
		return -ENOENT;
	if (d->have_mask) {
		if (len != alen || natfix_plen_of(d->mask, alen, &plen) < 0 || plen % 8 == 0)
			return -ENOENT;
	} else {
		plen = 8 * len;
	}
	memcpy(a->b, data, len);
	natfix_addr_mask(fam, a, plen);
	if (memcmp(a->b, data, len))
		return -ENOENT;		/* host bits set: not written by us */
	*pl = (uint8_t)plen;
	return 0;
}

static int natfix_dec_ports(struct natfix_dec *d, const uint8_t *data, uint32_t len)
{
	struct igd_sel *sel = &d->out->sel;
	uint16_t p[2];

	if (len != d->payload_len || !natfix_has_ports(sel->proto) ||
	    sel->sport_mask || sel->dport_mask)
		return -ENOENT;
	if (d->payload_off == 0 && len == 4) {
		memcpy(p, data, 4);
		sel->sport = ntohs(p[0]);
		sel->dport = ntohs(p[1]);
		sel->sport_mask = sel->dport_mask = 0xffff;
	} else if (d->payload_off == 0 && len == 2) {
		memcpy(p, data, 2);
		sel->sport = ntohs(p[0]);
		sel->sport_mask = 0xffff;
	} else if (d->payload_off == 2 && len == 2) {
		memcpy(p, data, 2);
		sel->dport = ntohs(p[0]);
		sel->dport_mask = 0xffff;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int natfix_dec_cmp_meta(struct natfix_dec *d, const uint8_t *data, uint32_t len)
{
	uint32_t key = d->meta_key;

	d->meta_key = 0;
	if (len != 1)
		return -ENOENT;
	if (key == NFT_META_NFPROTO) {
		if (d->nfproto != NFPROTO_INET ||
		    (data[0] != NFPROTO_IPV4 && data[0] != NFPROTO_IPV6))
			return -ENOENT;
		d->nfproto = data[0];
		return 0;
	}
	if (d->out->sel.proto || data[0] == 0)
		return -ENOENT;
	d->out->sel.proto = data[0];
	return 0;
}

static int natfix_dec_cmp(struct natfix_dec *d, const struct nftnl_expr *e)
{
	const uint8_t *data;
	uint32_t len = 0;
	int base = d->payload_base, ret;

	if (nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG) != NFT_REG_1 ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) != NFT_CMP_EQ)
		return -ENOENT;
	data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	if (!data)
		return -ENOENT;
	if (d->meta_key)
		return natfix_dec_cmp_meta(d, data, len);
	d->payload_base = -1;
	if (base == NFT_PAYLOAD_NETWORK_HEADER)
		ret = natfix_dec_addr(d, data, len);
	else if (base == NFT_PAYLOAD_TRANSPORT_HEADER)
		ret = natfix_dec_ports(d, data, len);
	else
		ret = -ENOENT;
	d->have_mask = false;
	return ret;
}

static int natfix_dec_tag(struct natfix_dec *d, const char *comment)
{
	if (d->tagged || igd_natfix_tag_parse(comment, &d->out->sp_index) < 0)
		return -ENOENT;
	d->tagged = true;
	return 0;
}

static int natfix_dec_match(struct natfix_dec *d, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME);
	const struct xt_comment_info *info;
	uint32_t len = 0;

	if (!name || strcmp(name, "comment") ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_MT_REV) != 0)
		return -ENOENT;
	info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);
	if (!info || len < sizeof(*info) ||
	    !memchr(info->comment, '\0', sizeof(info->comment)))
		return -ENOENT;
	d->out->kind = IGD_NATFIX_IPT_NFT;
	return natfix_dec_tag(d, info->comment);
}

static int natfix_dec_imm(struct natfix_dec *d, const struct nftnl_expr *e)
{
	if (d->ret_seen || !nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT) ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT ||
	    (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) != NFT_RETURN)
		return -ENOENT;
	d->ret_seen = true;
	return 0;
}

static int natfix_dec_expr(struct natfix_dec *d, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!name || d->ret_seen)
		return -ENOENT;		/* nothing may follow the verdict */
	if (d->meta_key && strcmp(name, "cmp"))
		return -ENOENT;
	if (!strcmp(name, "meta"))
		return natfix_dec_meta(d, e);
	if (!strcmp(name, "payload"))
		return natfix_dec_payload(d, e);
	if (!strcmp(name, "bitwise"))
		return natfix_dec_bitwise(d, e);
	if (!strcmp(name, "cmp"))
		return natfix_dec_cmp(d, e);
	if (!strcmp(name, "match"))
		return natfix_dec_match(d, e);
	if (!strcmp(name, "counter"))
		return 0;
	if (!strcmp(name, "immediate"))
		return natfix_dec_imm(d, e);
	return -ENOENT;
}

static int natfix_dec_udata(struct natfix_dec *d, const struct nftnl_rule *r)
{
	const char *comment = igd_nft_rule_get_comment(r);

	if (!comment || igd_natfix_tag_parse(comment, &d->out->sp_index) < 0)
		return 0;		/* none, or someone else's: the match may tag it */
	d->tagged = true;
	d->out->kind = IGD_NATFIX_NFT;
	return 0;
}

static int natfix_dec_walk(struct natfix_dec *d, const struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	int ret = 0;

	if (!it)
		return -ENOMEM;
	while (!ret && (e = nftnl_expr_iter_next(it)))
		ret = natfix_dec_expr(d, e);
	nftnl_expr_iter_destroy(it);
	return ret;
}

static void natfix_dec_names(struct igd_natfix_rule *out, const struct nftnl_rule *r)
{
	const char *t = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	const char *c = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);

	snprintf(out->table, sizeof(out->table), "%s", t ? t : "");
	snprintf(out->chain, sizeof(out->chain), "%s", c ? c : "");
	out->handle = nftnl_rule_is_set(r, NFTNL_RULE_HANDLE) ?
		      nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE) : 0;
}

int igd_natfix_rule_decode(const struct nftnl_rule *r, struct igd_natfix_rule *out)
{
	struct natfix_dec d = { .out = out, .payload_base = -1 };
	uint32_t family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	int ret;

	memset(out, 0, sizeof(*out));
	if (family != NFPROTO_IPV4 && family != NFPROTO_IPV6 && family != NFPROTO_INET)
		return -ENOENT;
	d.nfproto = (int)family;
	out->family = (uint8_t)family;
	ret = natfix_dec_udata(&d, r);
	if (!ret)
		ret = natfix_dec_walk(&d, r);
	if (ret < 0)
		return ret == -ENOMEM ? ret : -ENOENT;
	if (!d.tagged || !d.ret_seen || d.meta_key || d.payload_base >= 0 ||
	    natfix_dec_family(&d) < 0)
		return -ENOENT;
	if (out->kind == IGD_NATFIX_IPT_NFT && family == NFPROTO_INET)
		return -ENOENT;
	natfix_dec_names(out, r);
	igd_natfix_sel_str(&out->sel, out->sel_str, sizeof(out->sel_str));
	return 0;
}
