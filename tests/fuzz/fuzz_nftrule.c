/* libFuzzer harness for reading NAT exemptions back from nf_tables (natfix_rule.c's
 * igd_natfix_rule_decode): the rule libnftnl hands over after a dump, built here
 * from the input through libnftnl's setters, whatever its expressions hold.  Decoding
 * never crashes, and a rule decoded as ours round-trips: the rule the fixer would
 * build for that selector and SP decodes to the same selector and SP.
 *
 * Input: a header byte (bit 0-1 family ip/ip6/inet, bit 2 iptables-nft layout), then
 * records, each an opcode byte and its operands:
 *   0 meta      key dreg                  4 match    rev infolen info[] (comment)
 *   1 payload   base offset len dreg      5 counter
 *   2 bitwise   sreg dreg len mask[] xor[]   6 immediate dreg verdict(4, host order)
 *   3 cmp       sreg op len data[]        7 userdata len bytes[]   8 compat proto
 * Seeds are the encodings of rules igd_natfix_rule_build writes (IGD_FUZZ_SEEDS). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include "natfix/natfix.h"
#include "fuzz.h"

static const uint32_t families[] = { NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_INET, NFPROTO_IPV4 };

struct rd {
	const uint8_t *p;
	size_t n;
};

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (!r->n)
		return -1;
	*v = *r->p++;
	r->n--;
	return 0;
}

static const uint8_t *rd_bytes(struct rd *r, size_t len)
{
	const uint8_t *p = r->p;

	if (r->n < len)
		return NULL;
	r->p += len;
	r->n -= len;
	return p;
}

/* One record onto @rule; -1 when the input ends inside it. */
static int put_record(struct nftnl_rule *rule, struct rd *r)
{
	uint8_t op, a, b, c, d;
	const uint8_t *x, *y;
	struct nftnl_expr *e = NULL;
	void *info;
	uint32_t v;

	if (rd_u8(r, &op))
		return -1;
	switch (op % 9) {
	case 0:
		if (rd_u8(r, &a) || rd_u8(r, &b) || !(e = nftnl_expr_alloc("meta")))
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, a);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, b);
		break;
	case 1:
		if (rd_u8(r, &a) || rd_u8(r, &b) || rd_u8(r, &c) || rd_u8(r, &d) ||
		    !(e = nftnl_expr_alloc("payload")))
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, a);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, b);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, c);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, d);
		break;
	case 2:
		if (rd_u8(r, &a) || rd_u8(r, &b) || rd_u8(r, &c) || (c %= 17, 0) ||
		    !(x = rd_bytes(r, c)) || !(y = rd_bytes(r, c)) ||
		    !(e = nftnl_expr_alloc("bitwise")))
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, a);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, b);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, c);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, x, c);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, y, c);
		break;
	case 3:
		if (rd_u8(r, &a) || rd_u8(r, &b) || rd_u8(r, &c) || (c %= 17, 0) ||
		    !(x = rd_bytes(r, c)) || !(e = nftnl_expr_alloc("cmp")))
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, a);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, b);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, x, c);
		break;
	case 4:
		if (rd_u8(r, &a) || rd_u8(r, &b) || !(x = rd_bytes(r, b)) ||
		    !(e = nftnl_expr_alloc("match")))
			return -1;
		nftnl_expr_set_str(e, NFTNL_EXPR_MT_NAME, "comment");
		nftnl_expr_set_u32(e, NFTNL_EXPR_MT_REV, a);
		info = malloc(b ? b : 1);	/* libnftnl keeps (and frees) the pointer */
		if (!info) {
			nftnl_expr_free(e);
			return -1;
		}
		memcpy(info, x, b);
		nftnl_expr_set(e, NFTNL_EXPR_MT_INFO, info, b);
		break;
	case 5:
		if (!(e = nftnl_expr_alloc("counter")))
			return -1;
		break;
	case 6:
		if (rd_u8(r, &a) || !(x = rd_bytes(r, 4)) || !(e = nftnl_expr_alloc("immediate")))
			return -1;
		memcpy(&v, x, 4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, a);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, v);
		break;
	case 7:
		if (rd_u8(r, &a) || !(x = rd_bytes(r, a)))
			return -1;
		nftnl_rule_set_data(rule, NFTNL_RULE_USERDATA, x, a);
		return 0;
	case 8:
		if (rd_u8(r, &a))
			return -1;
		nftnl_rule_set_u32(rule, NFTNL_RULE_COMPAT_PROTO, a);
		return 0;
	}
	nftnl_rule_add_expr(rule, e);
	return 0;
}

/* ---- seeds: the records of rules we build ---- */

struct wr {
	uint8_t b[2048];
	size_t n;
};

static void wr_u8(struct wr *w, uint32_t v)
{
	if (w->n < sizeof(w->b))
		w->b[w->n++] = (uint8_t)v;
}

static void wr_bytes(struct wr *w, const void *p, uint32_t len)
{
	if (w->n + len <= sizeof(w->b)) {
		memcpy(w->b + w->n, p, len);
		w->n += len;
	}
}

static int enc_expr(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	struct wr *w = data;
	const void *x;
	uint32_t len, v;

	if (!strcmp(name, "meta")) {
		wr_u8(w, 0);
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY));
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG));
	} else if (!strcmp(name, "payload")) {
		wr_u8(w, 1);
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE));
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET));
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN));
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG));
	} else if (!strcmp(name, "bitwise")) {
		wr_u8(w, 2);
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG));
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG));
		len = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN);
		wr_u8(w, len);
		wr_bytes(w, nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &v), len);
		wr_bytes(w, nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &v), len);
	} else if (!strcmp(name, "cmp")) {
		wr_u8(w, 3);
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG));
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP));
		x = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		wr_u8(w, len);
		wr_bytes(w, x, len);
	} else if (!strcmp(name, "match")) {
		wr_u8(w, 4);
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_MT_REV));
		x = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);
		wr_u8(w, len);
		wr_bytes(w, x, len);
	} else if (!strcmp(name, "counter")) {
		wr_u8(w, 5);
	} else if (!strcmp(name, "immediate")) {
		wr_u8(w, 6);
		wr_u8(w, nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG));
		v = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		wr_bytes(w, &v, 4);
	}
	return 0;
}

static void seed_write(const char *dir, int n, enum igd_natfix_kind kind, int fi,
		       const struct igd_sel *sel)
{
	struct nftnl_rule *r = igd_natfix_rule_build(kind, families[fi], "nat", "POSTROUTING",
						     sel, 7);
	struct wr w = { .n = 0 };
	const void *u;
	uint32_t len;

	if (!r)
		return;
	wr_u8(&w, (uint32_t)fi | (kind == IGD_NATFIX_IPT_NFT ? 4 : 0));
	if (nftnl_rule_is_set(r, NFTNL_RULE_COMPAT_PROTO)) {
		wr_u8(&w, 8);
		wr_u8(&w, nftnl_rule_get_u32(r, NFTNL_RULE_COMPAT_PROTO));
	}
	nftnl_expr_foreach(r, enc_expr, &w);
	if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
		u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
		wr_u8(&w, 7);
		wr_u8(&w, len);
		wr_bytes(&w, u, len);
	}
	nftnl_rule_free(r);
	fuzz_seed_write(dir, n, w.b, w.n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("IGD_FUZZ_SEEDS");
	struct igd_sel s4 = { .family = 4, .plen_s = 24, .plen_d = 16, .proto = 6,
			      .dport = 22, .dport_mask = 0xffff };
	struct igd_sel s6 = { .family = 6, .plen_s = 64, .plen_d = 48 };

	(void)argc;
	(void)argv;
	if (!dir || !*dir)
		return 0;
	inet_pton(AF_INET, "10.0.2.0", &s4.saddr);
	inet_pton(AF_INET, "192.168.0.0", &s4.daddr);
	inet_pton(AF_INET6, "fd00:2::", &s6.saddr);
	inet_pton(AF_INET6, "fd00:99::", &s6.daddr);
	seed_write(dir, 0, IGD_NATFIX_NFT, 0, &s4);
	seed_write(dir, 1, IGD_NATFIX_IPT_NFT, 0, &s4);
	seed_write(dir, 2, IGD_NATFIX_NFT, 2, &s4);
	seed_write(dir, 3, IGD_NATFIX_NFT, 1, &s6);
	seed_write(dir, 4, IGD_NATFIX_IPT_NFT, 1, &s6);
	seed_write(dir, 5, IGD_NATFIX_NFT, 2, &s6);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	struct igd_natfix_rule out, again;
	struct nftnl_rule *rule, *rule2;
	enum igd_natfix_kind kind;
	uint8_t hdr;

	if (rd_u8(&r, &hdr))
		return 0;
	rule = nftnl_rule_alloc();
	if (!rule)
		return 0;
	nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, families[hdr & 3]);
	nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, "nat");
	nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, "POSTROUTING");
	while (r.n && put_record(rule, &r) == 0)
		;
	if (igd_natfix_rule_decode(rule, &out) == 0) {
		kind = out.kind;
		FUZZ_CHECK(kind == IGD_NATFIX_NFT || kind == IGD_NATFIX_IPT_NFT);
		FUZZ_CHECK(out.sel.family == 4 || out.sel.family == 6);
		rule2 = igd_natfix_rule_build(kind, families[hdr & 3], "nat", "POSTROUTING",
					      &out.sel, out.sp_index);
		FUZZ_CHECK(rule2 != NULL);
		FUZZ_CHECK(igd_natfix_rule_decode(rule2, &again) == 0);
		FUZZ_CHECK(igd_natfix_sel_equal(&out.sel, &again.sel));
		FUZZ_CHECK(out.sp_index == again.sp_index && again.kind == kind);
		nftnl_rule_free(rule2);
	}
	nftnl_rule_free(rule);
	return 0;
}
