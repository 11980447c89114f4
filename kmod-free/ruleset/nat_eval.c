#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_policy.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter/xt_mark.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include "ruleset/nat_eval.h"
#include "ruleset/nft_sets.h"
#include "natfix/natfix_legacy_line.h"
#include "util/proto.h"

static enum igd_tri tri_min(enum igd_tri a, enum igd_tri b)
{
	return a < b ? a : b;
}

static enum igd_tri tri_not(enum igd_tri t)
{
	return t == IGD_TRI_ALWAYS ? IGD_TRI_NEVER : t == IGD_TRI_NEVER ? IGD_TRI_ALWAYS : t;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;
	uint8_t m = (uint8_t)(0xff << (8 - rest));

	return !memcmp(a, b, full) && (!rest || ((a[full] ^ b[full]) & m) == 0);
}

enum igd_tri igd_tri_prefix(const union igd_addr *rv, unsigned int rlen,
			    const union igd_addr *sv, unsigned int slen)
{
	if (rlen <= slen)	/* the selector inside the rule's prefix, or apart */
		return prefix_eq(rv->b, sv->b, rlen) ? IGD_TRI_ALWAYS : IGD_TRI_NEVER;
	return prefix_eq(rv->b, sv->b, slen) ? IGD_TRI_MAYBE : IGD_TRI_NEVER;
}

/* One value of the selector (protocol, a port) against "== @v": @any when the
 * selector leaves it open. */
static enum igd_tri tri_value(bool any, uint32_t have, uint32_t v)
{
	if (any)
		return IGD_TRI_MAYBE;
	return have == v ? IGD_TRI_ALWAYS : IGD_TRI_NEVER;
}

/* A port range [lo, hi] against the selector's port. */
static enum igd_tri tri_range(uint16_t mask, uint16_t port, uint16_t lo, uint16_t hi)
{
	if (lo == 0 && hi == 0xffff)
		return IGD_TRI_ALWAYS;
	if (mask != 0xffff)
		return IGD_TRI_MAYBE;
	return port >= lo && port <= hi ? IGD_TRI_ALWAYS : IGD_TRI_NEVER;
}

/* ---- nf_tables ---- */

enum load_kind {
	LOAD_NONE, LOAD_ADDR, LOAD_L4PROTO, LOAD_NFPROTO, LOAD_PORT, LOAD_OIFNAME, LOAD_OIF,
	LOAD_IIFNAME, LOAD_RT_XFRM, LOAD_SECPATH, LOAD_CONST, LOAD_MARK, LOAD_OTHER,
};

struct load {
	enum load_kind kind;
	bool src;			/* LOAD_ADDR, LOAD_PORT: source (else destination) */
	unsigned int start, len;	/* LOAD_ADDR: bytes of the address loaded */
	uint8_t mask[16];		/* after a bitwise; all ones without */
	uint8_t value[16];		/* LOAD_CONST: an immediate's data (len bytes) */
	uint32_t mand, mxor;		/* LOAD_MARK: (mark & mand) ^ mxor */
};

#define EVAL_REGS	24

struct nft_eval {
	const struct igd_nat_ctx *c;
	struct load reg[EVAL_REGS];
	struct igd_nat_eval *out;
};

/* NFT_REG_1..4 are 16 bytes wide, NFT_REG32_00.. 4: both into 32-bit slots. */
static int reg_slot(uint32_t reg)
{
	int s = reg <= NFT_REG_4 ? (int)reg * 4 : (int)reg - NFT_REG32_00 + 4;

	return s >= 0 && s < EVAL_REGS ? s : -1;
}

static int sel_family_nfproto(const struct igd_sel *s)
{
	return s->family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

static void eval_note(struct nft_eval *e, enum igd_tri t, const char *what)
{
	if (t != IGD_TRI_ALWAYS && !e->out->why[0])
		snprintf(e->out->why, sizeof(e->out->why), "%s", what);
	e->out->match = tri_min(e->out->match, t);
}

static void eval_payload(struct nft_eval *e, const struct nftnl_expr *x, struct load *l)
{
	uint32_t base = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_LEN);
	bool v6 = e->c->sel->family == 6;
	uint32_t s0 = v6 ? 8 : 12, alen = v6 ? 16 : 4;

	l->kind = LOAD_OTHER;
	if (base == NFT_PAYLOAD_NETWORK_HEADER) {
		if (off >= s0 && off + len <= s0 + 2 * alen &&
		    (off - s0) / alen == (off + len - 1 - s0) / alen) {
			l->kind = LOAD_ADDR;
			l->src = off < s0 + alen;
			l->start = (off - s0) % alen;
			l->len = len;
		} else if (len == 1 && off == (v6 ? 6u : 9u)) {
			l->kind = LOAD_L4PROTO;
		}
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && len == 2 && (off == 0 || off == 2)) {
		l->kind = LOAD_PORT;
		l->src = off == 0;
	}
}

static void eval_meta(const struct nftnl_expr *x, struct load *l)
{
	switch (nftnl_expr_get_u32(x, NFTNL_EXPR_META_KEY)) {
	case NFT_META_L4PROTO:	l->kind = LOAD_L4PROTO; break;
	case NFT_META_NFPROTO:	l->kind = LOAD_NFPROTO; break;
	case NFT_META_OIFNAME:	l->kind = LOAD_OIFNAME; break;
	case NFT_META_OIF:	l->kind = LOAD_OIF; break;
	case NFT_META_IIFNAME:	l->kind = LOAD_IIFNAME; break;
	case NFT_META_SECPATH:	l->kind = LOAD_SECPATH; break;
	case NFT_META_MARK:
		l->kind = LOAD_MARK;
		l->mand = ~0u;
		l->mxor = 0;
		break;
	default:		l->kind = LOAD_OTHER;
	}
}

/* addr[start..start+len) & mask == data, for the selector's source or destination */
static enum igd_tri eval_addr(struct nft_eval *e, const struct load *l, const uint8_t *data,
			      uint32_t dlen)
{
	const struct igd_sel *s = e->c->sel;
	union igd_addr rv = { 0 };
	unsigned int i, bits = 0;
	bool ended = false;

	if (l->start != 0 || dlen != l->len || l->len > sizeof(rv.b))
		return IGD_TRI_MAYBE;
	for (i = 0; i < l->len; i++) {	/* the mask must be a prefix */
		uint8_t m = l->mask[i];

		if (ended && m)
			return IGD_TRI_MAYBE;
		if (m != 0xff) {
			if ((uint8_t)(m | (m - 1)) != 0xff && m)
				return IGD_TRI_MAYBE;
			ended = true;
		}
		bits += (unsigned int)__builtin_popcount(m);
		rv.b[i] = data[i] & m;
	}
	return igd_tri_prefix(&rv, bits, l->src ? &s->saddr : &s->daddr,
			      l->src ? s->plen_s : s->plen_d);
}

static enum igd_tri eval_cmp_eq(struct nft_eval *e, const struct load *l, const uint8_t *d,
				uint32_t dlen, const char **what)
{
	const struct igd_sel *s = e->c->sel;
	uint16_t port;

	switch (l->kind) {
	case LOAD_ADDR:
		*what = l->src ? "source address" : "destination address";
		return eval_addr(e, l, d, dlen);
	case LOAD_L4PROTO:
		*what = "protocol";
		return dlen == 1 ? tri_value(!s->proto, s->proto, d[0]) : IGD_TRI_MAYBE;
	case LOAD_NFPROTO:
		*what = "family";
		return dlen == 1 ? tri_value(false, (uint32_t)sel_family_nfproto(s), d[0]) :
				   IGD_TRI_MAYBE;
	case LOAD_PORT:
		*what = l->src ? "source port" : "destination port";
		if (dlen != 2)
			return IGD_TRI_MAYBE;
		port = (uint16_t)(d[0] << 8 | d[1]);
		return l->src ? tri_value(s->sport_mask != 0xffff, s->sport, port) :
				tri_value(s->dport_mask != 0xffff, s->dport, port);
	case LOAD_OIFNAME:
		*what = "output interface";
		if (!e->c->oifname || !e->c->oifname[0])
			return IGD_TRI_MAYBE;
		{
			char name[17] = { 0 };

			strncpy(name, e->c->oifname, 16);
			/* nft compares as many bytes as it was given: "eth*" is a prefix */
			return dlen <= 16 && !memcmp(name, d, dlen) ? IGD_TRI_ALWAYS :
								       IGD_TRI_NEVER;
		}
	case LOAD_IIFNAME:
		*what = "input interface";
		if (!e->c->iifname || !e->c->iifname[0])
			return IGD_TRI_MAYBE;
		{
			char name[17] = { 0 };

			strncpy(name, e->c->iifname, 16);
			return dlen <= 16 && !memcmp(name, d, dlen) ? IGD_TRI_ALWAYS :
								       IGD_TRI_NEVER;
		}
	case LOAD_OIF:
		*what = "output interface";
		if (!e->c->oif || dlen != 4)
			return IGD_TRI_MAYBE;
		{
			uint32_t v;

			memcpy(&v, d, 4);
			return v == e->c->oif ? IGD_TRI_ALWAYS : IGD_TRI_NEVER;
		}
	case LOAD_RT_XFRM:
		*what = "rt ipsec";
		/* before NAT the route of the SP's traffic carries the tunnel */
		return dlen >= 1 ? tri_value(false, e->c->transformed, d[0] != 0) : IGD_TRI_MAYBE;
	case LOAD_SECPATH:
		*what = "meta ipsec";
		return dlen >= 1 ? tri_value(false, 0, d[0] != 0) : IGD_TRI_MAYBE;
	default:
		*what = "a condition not evaluated";
		return IGD_TRI_MAYBE;
	}
}

static void eval_cmp(struct nft_eval *e, const struct nftnl_expr *x)
{
	int slot = reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_CMP_SREG));
	uint32_t op = nftnl_expr_get_u32(x, NFTNL_EXPR_CMP_OP), dlen = 0;
	const uint8_t *d = nftnl_expr_get(x, NFTNL_EXPR_CMP_DATA, &dlen);
	const char *what = "a condition not evaluated";
	enum igd_tri t = IGD_TRI_MAYBE;

	if (slot >= 0 && d && dlen == 4 && e->reg[slot].kind == LOAD_MARK &&
	    (op == NFT_CMP_EQ || op == NFT_CMP_NEQ) && !e->out->mark_cond) {
		uint32_t v;

		/* (mark & A) ^ X == V  <=>  (mark & A) == V ^ X: for the walk to answer */
		memcpy(&v, d, 4);
		e->out->mark_cond = true;
		e->out->mark_neq = op == NFT_CMP_NEQ;
		e->out->mark_mask = e->reg[slot].mand;
		e->out->mark_value = v ^ e->reg[slot].mxor;
		return;
	}
	if (slot >= 0 && d && (op == NFT_CMP_EQ || op == NFT_CMP_NEQ)) {
		t = eval_cmp_eq(e, &e->reg[slot], d, dlen, &what);
		if (op == NFT_CMP_NEQ)
			t = tri_not(t);
	}
	eval_note(e, t, what);
}

static void eval_bitwise(struct nft_eval *e, const struct nftnl_expr *x)
{
	int s = reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_SREG));
	int d = reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_DREG));
	uint32_t mlen = 0, xlen = 0, i;
	const uint8_t *m = nftnl_expr_get(x, NFTNL_EXPR_BITWISE_MASK, &mlen);
	const uint8_t *xr = nftnl_expr_get(x, NFTNL_EXPR_BITWISE_XOR, &xlen);
	struct load l;

	if (s < 0 || d < 0)
		return;
	l = e->reg[s];
	if (l.kind == LOAD_MARK && m && mlen == 4 && (!xr || xlen == 4) &&
	    (!nftnl_expr_is_set(x, NFTNL_EXPR_BITWISE_OP) ||
	     nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_OP) == NFT_BITWISE_BOOL)) {
		uint32_t mv, xv = 0;

		/* ((mark & A) ^ X) & M ^ Y  =  (mark & A & M) ^ ((X & M) ^ Y) */
		memcpy(&mv, m, 4);
		if (xr)
			memcpy(&xv, xr, 4);
		l.mand &= mv;
		l.mxor = (l.mxor & mv) ^ xv;
		e->reg[d] = l;
		return;
	}
	if (!m || mlen > sizeof(l.mask) || (nftnl_expr_is_set(x, NFTNL_EXPR_BITWISE_OP) &&
	    nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL))
		l.kind = LOAD_OTHER;
	for (i = 0; l.kind != LOAD_OTHER && i < mlen; i++) {
		l.mask[i] &= m[i];
		if (xr && i < xlen && xr[i])
			l.kind = LOAD_OTHER;
	}
	e->reg[d] = l;
}

static void eval_match(struct nft_eval *e, const struct nftnl_expr *x)
{
	const char *name = nftnl_expr_get_str(x, NFTNL_EXPR_MT_NAME);
	const struct igd_sel *s = e->c->sel;
	uint32_t len = 0;
	const void *info = nftnl_expr_get(x, NFTNL_EXPR_MT_INFO, &len);

	if (!name || !info) {
		eval_note(e, IGD_TRI_MAYBE, "an unreadable match");
		return;
	}
	if (!strcmp(name, "comment"))
		return;
	if (!strcmp(name, "mark") && len >= sizeof(struct xt_mark_mtinfo1) && !e->out->mark_cond) {
		const struct xt_mark_mtinfo1 *mi = info;

		e->out->mark_cond = true;
		e->out->mark_neq = mi->invert;
		e->out->mark_mask = mi->mask;
		e->out->mark_value = mi->mark;	/* (mark & mask) == mark, as xt_mark */
		return;
	}
	if (!strcmp(name, "policy") && len >= sizeof(struct xt_policy_info)) {
		const struct xt_policy_info *p = info;

		if (!(p->flags & XT_POLICY_MATCH_OUT) || (p->flags & XT_POLICY_MATCH_STRICT))
			eval_note(e, IGD_TRI_MAYBE, "-m policy");
		else
			eval_note(e, ((p->flags & XT_POLICY_MATCH_NONE) != 0) != e->c->transformed ?
				  IGD_TRI_ALWAYS : IGD_TRI_NEVER, "-m policy --dir out");
		return;
	}
	if ((!strcmp(name, "tcp") && len >= sizeof(struct xt_tcp)) ||
	    (!strcmp(name, "udp") && len >= sizeof(struct xt_udp))) {
		const struct xt_udp *u = info;	/* ports first in both */

		if (u->invflags & (XT_UDP_INV_SRCPT | XT_UDP_INV_DSTPT)) {
			eval_note(e, IGD_TRI_MAYBE, "negated ports");
			return;
		}
		eval_note(e, tri_range(s->sport_mask, s->sport, u->spts[0], u->spts[1]),
			  "source port");
		eval_note(e, tri_range(s->dport_mask, s->dport, u->dpts[0], u->dpts[1]),
			  "destination port");
		return;
	}
	eval_note(e, IGD_TRI_MAYBE, "a match not evaluated");
}

/* A lookup of what register @l holds in @set, for every packet of the selector. */
static enum igd_tri tri_lookup(const struct nft_eval *e, const struct load *l,
			       const struct igd_nft_set *set, const struct igd_nft_set_elem **elem)
{
	const struct igd_sel *s = e->c->sel;
	const char *ifn = l->kind == LOAD_IIFNAME ? e->c->iifname : e->c->oifname;
	uint8_t lo[IGD_NFT_SET_KEY_MAX] = { 0 }, hi[IGD_NFT_SET_KEY_MAX] = { 0 };
	unsigned int alen = s->family == 6 ? 16 : 4, len, i, plen;
	const union igd_addr *a;

	switch (l->kind) {
	case LOAD_ADDR:
		for (i = 0; i < l->len; i++)
			if (l->mask[i] != 0xff)
				return IGD_TRI_MAYBE;
		if (l->start || l->len != alen)
			return IGD_TRI_MAYBE;
		a = l->src ? &s->saddr : &s->daddr;
		plen = l->src ? s->plen_s : s->plen_d;
		for (i = 0; i < alen; i++) {	/* the prefix's first and last address */
			unsigned int bits = plen > 8 * i ? plen - 8 * i : 0;
			uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

			lo[i] = a->b[i] & m;
			hi[i] = (uint8_t)(a->b[i] | (uint8_t)~m);
		}
		len = alen;
		break;
	case LOAD_PORT:
		if ((l->src ? s->sport_mask : s->dport_mask) != 0xffff)
			return IGD_TRI_MAYBE;
		lo[0] = hi[0] = (uint8_t)((l->src ? s->sport : s->dport) >> 8);
		lo[1] = hi[1] = (uint8_t)(l->src ? s->sport : s->dport);
		len = 2;
		break;
	case LOAD_L4PROTO:
		if (!s->proto)
			return IGD_TRI_MAYBE;
		lo[0] = hi[0] = s->proto;
		len = 1;
		break;
	case LOAD_OIFNAME:
	case LOAD_IIFNAME:
		if (!ifn || !ifn[0])
			return IGD_TRI_MAYBE;
		memcpy(lo, ifn, strnlen(ifn, sizeof(lo)));	/* zero-padded, as nft keys it */
		memcpy(hi, lo, sizeof(hi));
		len = 16;
		break;
	default:
		return IGD_TRI_MAYBE;
	}
	return (enum igd_tri)igd_nft_set_covers(set, lo, hi, len, elem);
}

/* The verdict of element @v as the rule's action. */
static void eval_verdict(struct nft_eval *e, int32_t v, const char *chain)
{
	e->out->act = v == NF_ACCEPT ? IGD_NAT_ACT_EXEMPT : v == NFT_RETURN ? IGD_NAT_ACT_RETURN :
		      v == NF_DROP ? IGD_NAT_ACT_DROP :
		      v == NFT_CONTINUE ? IGD_NAT_ACT_NONE : IGD_NAT_ACT_OTHER;
	e->out->go = v == NFT_GOTO;
	if ((v == NFT_JUMP || v == NFT_GOTO) && chain)
		snprintf(e->out->jump, sizeof(e->out->jump), "%s", chain);
}

/* A verdict map (`vmap`): when one element holds the key for every packet of the flow,
 * its verdict is the rule's; when none can, the catch-all element's ("*"), or the
 * rule does nothing; otherwise the verdict is left open. */
static void eval_vmap(struct nft_eval *e, const struct load *l, const struct igd_nft_set *set)
{
	const struct igd_nft_set_elem *el = NULL;
	enum igd_tri t = l && set ? tri_lookup(e, l, set, &el) : IGD_TRI_MAYBE;

	if (t == IGD_TRI_NEVER && set && set->has_catchall && set->catchall.verdict) {
		eval_verdict(e, set->catchall.code, set->catchall.chain);	/* "*" */
		return;
	}
	if (t == IGD_TRI_NEVER) {
		eval_note(e, IGD_TRI_NEVER, "a verdict map");
		return;
	}
	if (t == IGD_TRI_ALWAYS && el && el->verdict) {
		eval_verdict(e, el->code, el->chain);
		return;
	}
	eval_note(e, IGD_TRI_MAYBE, "a verdict map");
	e->out->act = IGD_NAT_ACT_OTHER;
}

static void eval_lookup(struct nft_eval *e, const struct nftnl_expr *x)
{
	int slot = reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_LOOKUP_SREG));
	const char *name = nftnl_expr_get_str(x, NFTNL_EXPR_LOOKUP_SET);
	const struct igd_nft_set *set = name ? igd_nft_sets_find(e->c->sets, name) : NULL;
	enum igd_tri t = IGD_TRI_MAYBE;

	if (nftnl_expr_is_set(x, NFTNL_EXPR_LOOKUP_DREG) &&
	    nftnl_expr_get_u32(x, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT) {
		eval_vmap(e, slot >= 0 ? &e->reg[slot] : NULL, set);
		return;
	}
	if (nftnl_expr_is_set(x, NFTNL_EXPR_LOOKUP_DREG)) {	/* a map: a value, no test */
		int d = reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_LOOKUP_DREG));

		if (d >= 0)
			e->reg[d].kind = LOAD_OTHER;
	} else if (slot >= 0 && set) {
		t = tri_lookup(e, &e->reg[slot], set, NULL);
	}
	if (nftnl_expr_is_set(x, NFTNL_EXPR_LOOKUP_FLAGS) &&
	    (nftnl_expr_get_u32(x, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV))
		t = tri_not(t);
	eval_note(e, t, "a set lookup");
}

/* Targets that write, count or log and let the packet go on to the next rule. */
static bool legacy_target_continues(const char *t)
{
	static const char *const names[] = { "LOG", "NFLOG", "ULOG", "MARK", "CONNMARK",
		"TCPMSS", "CT", "TRACE", "AUDIT", "CLASSIFY", "DSCP", "TOS", "TTL", "HL",
		"SECMARK", "CONNSECMARK", "NOTRACK", "IDLETIMER", "LED", NULL };
	unsigned int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(t, names[i]))
			return true;
	return false;
}

static enum igd_nat_act act_of_target(const char *name)
{
	if (!name)
		return IGD_NAT_ACT_OTHER;
	if (!strcmp(name, "MASQUERADE") || !strcmp(name, "SNAT"))
		return IGD_NAT_ACT_TRANSLATE;
	if (!strcmp(name, "ACCEPT"))
		return IGD_NAT_ACT_EXEMPT;
	if (!strcmp(name, "RETURN"))
		return IGD_NAT_ACT_RETURN;
	if (!strcmp(name, "DROP") || !strcmp(name, "REJECT"))
		return IGD_NAT_ACT_DROP;
	return IGD_NAT_ACT_OTHER;
}

/* iptables-nft's SNAT target (nft_compat): the first address of its range, from the
 * target's data as xt_nat.c reads it — revision 0 an IPv4 multi-range (its first
 * range), 1 struct nf_nat_range, 2 struct nf_nat_range2 — when the range maps
 * addresses (NF_NAT_RANGE_MAP_IPS).  Lengths are checked, never assumed. */
static void eval_xt_snat(struct nft_eval *e, const struct nftnl_expr *x)
{
	uint32_t len = 0, rev = nftnl_expr_get_u32(x, NFTNL_EXPR_TG_REV);
	const void *info = nftnl_expr_get(x, NFTNL_EXPR_TG_INFO, &len);
	union igd_addr to = { 0 };

	if (!info)
		return;
	if (rev == 0 && e->c->sel->family == 4) {
		struct nf_nat_ipv4_multi_range_compat mr;

		if (len < sizeof(mr))
			return;
		memcpy(&mr, info, sizeof(mr));
		if (mr.rangesize < 1 || !(mr.range[0].flags & NF_NAT_RANGE_MAP_IPS))
			return;
		to.a4 = mr.range[0].min_ip;
	} else if (rev == 1 || rev == 2) {
		struct nf_nat_range r;	/* nf_nat_range2 begins with the same fields */

		if (len < sizeof(r))
			return;
		memcpy(&r, info, sizeof(r));
		if (!(r.flags & NF_NAT_RANGE_MAP_IPS))
			return;
		memcpy(to.b, &r.min_addr, e->c->sel->family == 6 ? 16 : 4);
	} else {
		return;
	}
	e->out->to = to;
	e->out->has_to = true;
}

/* iptables-nft's MARK target (revision 2, struct xt_mark_tginfo2): the mark becomes
 * (mark & ~mask) ^ mark-value; it lets the packet go on. */
static void eval_xt_mark(struct nft_eval *e, const struct nftnl_expr *x)
{
	uint32_t len = 0;
	const void *info = nftnl_expr_get(x, NFTNL_EXPR_TG_INFO, &len);
	struct xt_mark_tginfo2 mi;

	e->out->act = IGD_NAT_ACT_NONE;
	e->out->mark_set = true;
	if (!info || len < sizeof(mi) || nftnl_expr_get_u32(x, NFTNL_EXPR_TG_REV) != 2)
		return;
	memcpy(&mi, info, sizeof(mi));
	e->out->mark_set_known = true;
	e->out->mark_and = ~mi.mask;
	e->out->mark_xor = mi.mark;
}

static void eval_immediate(struct nft_eval *e, const struct nftnl_expr *x)
{
	int32_t v;

	if (nftnl_expr_get_u32(x, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT) {
		int d = reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_IMM_DREG));
		uint32_t len = 0;
		const void *data = nftnl_expr_get(x, NFTNL_EXPR_IMM_DATA, &len);

		if (d < 0)
			return;
		e->reg[d].kind = LOAD_OTHER;
		if (data && len <= sizeof(e->reg[d].value)) {	/* snat's address */
			e->reg[d].kind = LOAD_CONST;
			e->reg[d].len = len;
			memcpy(e->reg[d].value, data, len);
		}
		return;
	}
	v = (int32_t)nftnl_expr_get_u32(x, NFTNL_EXPR_IMM_VERDICT);
	eval_verdict(e, v, nftnl_expr_is_set(x, NFTNL_EXPR_IMM_CHAIN) ?
		     nftnl_expr_get_str(x, NFTNL_EXPR_IMM_CHAIN) : NULL);
}

static void eval_nat(struct nft_eval *e, const struct nftnl_expr *x, const char *name)
{
	int s;

	if (!strcmp(name, "masq")) {
		e->out->act = IGD_NAT_ACT_TRANSLATE;
		e->out->masquerade = true;
		return;
	}
	if (nftnl_expr_is_set(x, NFTNL_EXPR_NAT_TYPE) &&
	    nftnl_expr_get_u32(x, NFTNL_EXPR_NAT_TYPE) != NFT_NAT_SNAT) {
		e->out->act = IGD_NAT_ACT_OTHER;
		return;
	}
	e->out->act = IGD_NAT_ACT_TRANSLATE;
	if (!nftnl_expr_is_set(x, NFTNL_EXPR_NAT_REG_ADDR_MIN))
		return;
	s = reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_NAT_REG_ADDR_MIN));
	/* snat to the packet's own whole source address (ipsecguardd's exempt chain):
	 * the flow is bound untranslated, and no later nat chain is consulted */
	if (s >= 0 && e->reg[s].kind == LOAD_ADDR && e->reg[s].src && e->reg[s].start == 0 &&
	    e->reg[s].len == (e->c->sel->family == 6 ? 16u : 4u)) {
		e->out->act = IGD_NAT_ACT_EXEMPT;
		return;
	}
	if (s >= 0 && e->reg[s].kind == LOAD_CONST &&
	    e->reg[s].len == (e->c->sel->family == 6 ? 16u : 4u)) {
		memcpy(e->out->to.b, e->reg[s].value, e->reg[s].len);
		e->out->has_to = true;
	}
}

/* `meta mark set` from register slot @s: a value, the mark transformed, or unknown. */
static void eval_mark_set(struct nft_eval *e, int s)
{
	const struct load *l = s >= 0 ? &e->reg[s] : NULL;

	e->out->mark_set = true;
	if (l && l->kind == LOAD_MARK) {
		e->out->mark_set_known = true;
		e->out->mark_and = l->mand;
		e->out->mark_xor = l->mxor;
	} else if (l && l->kind == LOAD_CONST && l->len == 4) {
		e->out->mark_set_known = true;
		e->out->mark_and = 0;
		memcpy(&e->out->mark_xor, l->value, 4);
	}
}

static void eval_load(struct nft_eval *e, const struct nftnl_expr *x, const char *name)
{
	uint32_t dattr = !strcmp(name, "payload") ? NFTNL_EXPR_PAYLOAD_DREG :
			 !strcmp(name, "meta") ? NFTNL_EXPR_META_DREG :
			 !strcmp(name, "rt") ? NFTNL_EXPR_RT_DREG : NFTNL_EXPR_CT_DREG;
	struct load l = { .kind = LOAD_OTHER };
	int d;

	if (!nftnl_expr_is_set(x, dattr)) {	/* a set statement: no condition */
		if (!strcmp(name, "meta") && nftnl_expr_get_u32(x, NFTNL_EXPR_META_KEY) ==
		    NFT_META_MARK && nftnl_expr_is_set(x, NFTNL_EXPR_META_SREG))
			eval_mark_set(e, reg_slot(nftnl_expr_get_u32(x, NFTNL_EXPR_META_SREG)));
		return;
	}
	d = reg_slot(nftnl_expr_get_u32(x, dattr));
	if (d < 0)
		return;
	memset(l.mask, 0xff, sizeof(l.mask));
	if (!strcmp(name, "payload"))
		eval_payload(e, x, &l);
	else if (!strcmp(name, "meta"))
		eval_meta(x, &l);
	else if (!strcmp(name, "rt") && nftnl_expr_get_u32(x, NFTNL_EXPR_RT_KEY) == NFT_RT_XFRM)
		l.kind = LOAD_RT_XFRM;
	e->reg[d] = l;
}

static int eval_expr(struct nftnl_expr *x, void *data)
{
	struct nft_eval *e = data;
	const char *name = nftnl_expr_get_str(x, NFTNL_EXPR_NAME);

	if (!name || e->out->match == IGD_TRI_NEVER)
		return 0;
	if (!strcmp(name, "payload") || !strcmp(name, "meta") || !strcmp(name, "rt") ||
	    !strcmp(name, "ct"))
		eval_load(e, x, name);
	else if (!strcmp(name, "cmp"))
		eval_cmp(e, x);
	else if (!strcmp(name, "bitwise"))
		eval_bitwise(e, x);
	else if (!strcmp(name, "match"))
		eval_match(e, x);
	else if (!strcmp(name, "immediate"))
		eval_immediate(e, x);
	else if (!strcmp(name, "masq") || !strcmp(name, "nat"))
		eval_nat(e, x, name);
	else if (!strcmp(name, "lookup"))
		eval_lookup(e, x);
	else if (!strcmp(name, "reject"))
		e->out->act = IGD_NAT_ACT_DROP;
	else if (!strcmp(name, "target")) {
		const char *tg = nftnl_expr_get_str(x, NFTNL_EXPR_TG_NAME);

		e->out->act = tg && legacy_target_continues(tg) ? IGD_NAT_ACT_NONE :
			      act_of_target(tg);
		e->out->masquerade = tg && !strcmp(tg, "MASQUERADE");
		e->out->mark_set = tg && !strcmp(tg, "CONNMARK");	/* --restore-mark */
		if (tg && !strcmp(tg, "MARK"))
			eval_xt_mark(e, x);
		if (tg && !strcmp(tg, "SNAT"))
			eval_xt_snat(e, x);
	}
	else if (strcmp(name, "counter") && strcmp(name, "log"))
		eval_note(e, IGD_TRI_MAYBE, name);	/* lookup, limit, quota...: may stop */
	return 0;
}

void igd_nat_eval_nft(const struct nftnl_rule *r, uint32_t nfproto, const struct igd_nat_ctx *c,
		      struct igd_nat_eval *out)
{
	struct nft_eval e = { .c = c, .out = out };

	memset(out, 0, sizeof(*out));
	out->match = IGD_TRI_ALWAYS;
	if (nfproto != NFPROTO_INET && (int)nfproto != sel_family_nfproto(c->sel)) {
		out->match = IGD_TRI_NEVER;
		snprintf(out->why, sizeof(out->why), "family");
		return;
	}
	nftnl_expr_foreach((struct nftnl_rule *)r, eval_expr, &e);
}

/* ---- iptables-legacy ---- */

static enum igd_tri legacy_prefix(const struct igd_nat_ctx *c, const char *v, bool src)
{
	const struct igd_sel *s = c->sel;
	union igd_addr a;
	uint8_t plen;

	if (natfix_legacy_prefix(s->family, v, &a, &plen))
		return IGD_TRI_MAYBE;
	return igd_tri_prefix(&a, plen, src ? &s->saddr : &s->daddr, src ? s->plen_s : s->plen_d);
}

static enum igd_tri legacy_iface(const char *ifname, const char *v)
{
	size_t n = strlen(v);

	if (!ifname || !ifname[0])
		return IGD_TRI_MAYBE;
	if (n && v[n - 1] == '+')	/* iptables' wildcard */
		return !strncmp(ifname, v, n - 1) ? IGD_TRI_ALWAYS : IGD_TRI_NEVER;
	return !strcmp(ifname, v) ? IGD_TRI_ALWAYS : IGD_TRI_NEVER;
}

/* "V" or "V/M" as iptables -S prints a mark (hex or decimal).  0 or -1. */
static int legacy_mark(const char *v, uint32_t *value, uint32_t *mask)
{
	unsigned long a, b = 0xffffffffUL;
	char *end;

	a = strtoul(v, &end, 0);
	if (*end == '/')
		b = strtoul(end + 1, &end, 0);
	if (*end || end == v || a > 0xffffffffUL || b > 0xffffffffUL)
		return -1;
	*value = (uint32_t)a;
	*mask = (uint32_t)b;
	return 0;
}

static enum igd_tri legacy_port(uint16_t mask, uint16_t port, const char *v)
{
	unsigned long lo, hi;
	char *end;

	lo = strtoul(v, &end, 10);
	hi = lo;
	if (*end == ':')
		hi = strtoul(end + 1, &end, 10);
	if (*end || lo > 65535 || hi > 65535 || lo > hi)
		return IGD_TRI_MAYBE;
	return tri_range(mask, port, (uint16_t)lo, (uint16_t)hi);
}

/* multiport's "P1,P2:P3,...": always when one item covers the selector's port, never
 * when none meets it, else maybe. */
static enum igd_tri legacy_ports(uint16_t mask, uint16_t port, const char *v)
{
	enum igd_tri best = IGD_TRI_NEVER;
	char item[16];

	while (*v) {
		size_t n = strcspn(v, ",");
		enum igd_tri t;

		if (n >= sizeof(item))
			return IGD_TRI_MAYBE;
		memcpy(item, v, n);
		item[n] = '\0';
		t = legacy_port(mask, port, item);
		if (t > best)
			best = t;
		v += n + (v[n] == ',');
	}
	return best;
}

void igd_nat_eval_legacy(const struct natfix_legacy_line *l, const struct igd_nat_ctx *c,
			 struct igd_nat_eval *out)
{
	const struct igd_sel *s = c->sel;
	bool neg = false, policy_out = false, in_target = false;
	const char *module = "";	/* the last -m */
	unsigned int i;
	uint8_t proto;

	memset(out, 0, sizeof(*out));
	out->match = IGD_TRI_ALWAYS;
	for (i = 2; i < l->n; i++) {
		const char *o = l->tok[i], *v = i + 1 < l->n ? l->tok[i + 1] : "";
		enum igd_tri t = IGD_TRI_ALWAYS;
		const char *what = o;
		bool valued = true;	/* the option's value follows it */

		if (!strcmp(o, "!")) {
			neg = true;
			continue;
		}
		if (!strcmp(o, "-j") || !strcmp(o, "-g")) {
			out->act = legacy_target_continues(v) ? IGD_NAT_ACT_NONE :
				   act_of_target(v);
			out->masquerade = !strcmp(v, "MASQUERADE");
			/* any other target is a user chain's name to follow, or a target
			 * we do not know (the walk finds no such chain); -g does not
			 * come back */
			if (out->act == IGD_NAT_ACT_OTHER) {
				snprintf(out->jump, sizeof(out->jump), "%s", v);
				out->go = o[1] == 'g';
			}
			out->mark_set = !strcmp(v, "MARK") || !strcmp(v, "CONNMARK");
			in_target = true;	/* what follows is the target's */
			i++;
			continue;
		}
		if (!strcmp(o, "--mark") && !strcmp(module, "mark") && !out->mark_cond) {
			/* -m mark [!] --mark V[/M] ((mark & M) == V), for the walk to answer;
			 * connmark's --mark is the conntrack entry's: not decided */
			out->mark_cond = !legacy_mark(v, &out->mark_value, &out->mark_mask);
			if (out->mark_cond) {
				out->mark_neq = neg;
				neg = false;
				i++;
				continue;
			}
		}
		if (!strcmp(o, "--set-xmark") && out->mark_set) {
			uint32_t v32, m32;

			/* MARK: the mark becomes (mark & ~M) ^ V (CONNMARK's is unknown) */
			out->mark_set_known = !strcmp(l->tok[i - 1], "MARK") && !legacy_mark(v, &v32, &m32);
			out->mark_and = ~m32;
			out->mark_xor = v32;
			i++;
			continue;
		}
		if (!strcmp(o, "-s") || !strcmp(o, "-d")) {
			t = legacy_prefix(c, v, o[1] == 's');
			what = o[1] == 's' ? "source address" : "destination address";
		} else if (!strcmp(o, "-o") || !strcmp(o, "-i")) {
			t = legacy_iface(o[1] == 'o' ? c->oifname : c->iifname, v);
			what = o[1] == 'o' ? "output interface" : "input interface";
		} else if (!strcmp(o, "-p")) {
			t = igd_proto_parse(v, &proto) ? IGD_TRI_MAYBE :
			    !proto ? IGD_TRI_ALWAYS : tri_value(!s->proto, s->proto, proto);
			what = "protocol";
		} else if (!strcmp(o, "--sport") || !strcmp(o, "--dport")) {
			t = o[2] == 's' ? legacy_port(s->sport_mask, s->sport, v) :
					  legacy_port(s->dport_mask, s->dport, v);
			what = o[2] == 's' ? "source port" : "destination port";
		} else if (!strcmp(o, "--sports") || !strcmp(o, "--dports")) {
			t = o[2] == 's' ? legacy_ports(s->sport_mask, s->sport, v) :
					  legacy_ports(s->dport_mask, s->dport, v);
			what = o[2] == 's' ? "source ports" : "destination ports";
		} else if (!strcmp(o, "-m")) {
			module = v;	/* the module's own options follow */
			i++;
			continue;
		} else if (!strcmp(o, "--to-source")) {
			char a[INET6_ADDRSTRLEN + 16];

			/* "A", "A-B", "A:port": the first address of the range */
			snprintf(a, sizeof(a), "%s", v);
			a[strcspn(a, s->family == 6 ? "-]" : "-:")] = '\0';
			out->has_to = inet_pton(s->family == 6 ? AF_INET6 : AF_INET,
						a[0] == '[' ? a + 1 : a, &out->to) == 1;
			i++;
			continue;
		} else if (!strcmp(o, "--comment") ||
			   !strcmp(o, "--to-ports") || !strcmp(o, "--random") ||
			   !strcmp(o, "--random-fully")) {
			if (strncmp(o, "--random", 8))
				i++;
			continue;
		} else if (!strcmp(o, "--dir")) {
			policy_out = !strcmp(v, "out");
			i++;
			continue;
		} else if (!strcmp(o, "--pol")) {
			t = !policy_out ? IGD_TRI_MAYBE :
			    !strcmp(v, "ipsec") ? (c->transformed ? IGD_TRI_ALWAYS : IGD_TRI_NEVER) :
			    !strcmp(v, "none") ? (c->transformed ? IGD_TRI_NEVER : IGD_TRI_ALWAYS) :
			    IGD_TRI_MAYBE;
			what = "-m policy --dir out";
		} else {
			valued = i + 1 < l->n && l->tok[i + 1][0] != '-' && l->tok[i + 1][0] != '!';
			if (in_target) {	/* the target's own (--reject-with...): no condition */
				i += valued;
				continue;
			}
			t = IGD_TRI_MAYBE;	/* an option we do not evaluate */
		}
		if (valued)
			i++;
		if (neg)
			t = tri_not(t);
		neg = false;
		if (t != IGD_TRI_ALWAYS && !out->why[0])
			snprintf(out->why, sizeof(out->why), "%s", what);
		out->match = tri_min(out->match, t);
	}
}
