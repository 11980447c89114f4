/* kmod-free/natfix and nl/ct_nl without a kernel: tags, prefix masks, selector checks,
 * the rule layout (compared with what `nft --debug=netlink` shows for the rules
 * iptables-nft 1.8.9 writes) and reading rules back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>

#include "nl/ct_nl.h"
#include "natfix/natfix.h"
#include "natfix/natfix_legacy_line.h"
#include "nft/nft_expr.h"
#include "tap.h"

static struct igd_sel sel_make(const char *s, unsigned int ps, const char *d,
			       unsigned int pd, uint8_t proto)
{
	struct igd_sel sel;

	memset(&sel, 0, sizeof(sel));
	sel.family = (uint8_t)igd_addr_parse(s, &sel.saddr);
	ok(igd_addr_parse(d, &sel.daddr) == sel.family && sel.family,
	   "selector %s -> %s parses, one family", s, d);
	sel.plen_s = (uint8_t)ps;
	sel.plen_d = (uint8_t)pd;
	sel.proto = proto;
	return sel;
}

/* The rule's expressions as nft --debug=netlink prints them, one "[ ... ]" a line. */
static char *rule_layout(struct nftnl_rule *r)
{
	static char out[4096];
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	size_t off = 0;
	char buf[512];

	out[0] = '\0';
	while (it && (e = nftnl_expr_iter_next(it))) {
		nftnl_expr_snprintf(buf, sizeof(buf), e, NFTNL_OUTPUT_DEFAULT, 0);
		off += (size_t)snprintf(out + off, sizeof(out) - off, "[ %s %s]\n",
					nftnl_expr_get_str(e, NFTNL_EXPR_NAME), buf);
	}
	nftnl_expr_iter_destroy(it);
	return out;
}

static void test_tags(void)
{
	char buf[IGD_NATFIX_COMMENT_MAX];
	uint32_t sp = 0;

	is_str(igd_natfix_tag_format(5, buf, sizeof(buf)), "ipsecguard-fix sp=5", "tag sp=5");
	is_str(igd_natfix_tag_format(4294967295u, buf, sizeof(buf)),
	       "ipsecguard-fix sp=4294967295", "tag of the largest index");
	ok(igd_natfix_tag_parse("ipsecguard-fix sp=5", &sp) == 0 && sp == 5, "parse sp=5");
	ok(igd_natfix_tag_parse("ipsecguard-fix sp=4294967295", &sp) == 0 &&
	   sp == 4294967295u, "parse the largest index");
	is_int(igd_natfix_tag_parse("ipsecguard-fix sp=4294967296", &sp), -EINVAL,
	       "index past 32 bits refused");
	is_int(igd_natfix_tag_parse("ipsecguard-fix sp=", &sp), -EINVAL, "no index refused");
	is_int(igd_natfix_tag_parse("ipsecguard-fix sp=12x", &sp), -EINVAL,
	       "trailing garbage refused");
	is_int(igd_natfix_tag_parse("ipsecguard-fix sp=-1", &sp), -EINVAL, "sign refused");
	is_int(igd_natfix_tag_parse("ipsecguard-fix sp=00000000001", &sp), -EINVAL,
	       "more than 10 digits refused");
	is_int(igd_natfix_tag_parse("my rule", &sp), -EINVAL, "someone else's comment");
	is_int(igd_natfix_tag_parse(NULL, &sp), -EINVAL, "NULL");
}

static void test_masks(void)
{
	uint8_t m[16];
	static const uint8_t m24[4] = { 0xff, 0xff, 0xff, 0 };
	static const uint8_t m20[4] = { 0xff, 0xff, 0xf0, 0 };
	static const uint8_t m0[4] = { 0 };
	static const uint8_t m65[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80 };

	igd_natfix_prefix_mask(24, m, 4);
	ok(!memcmp(m, m24, 4), "/24 mask");
	igd_natfix_prefix_mask(20, m, 4);
	ok(!memcmp(m, m20, 4), "/20 mask");
	igd_natfix_prefix_mask(0, m, 4);
	ok(!memcmp(m, m0, 4), "/0 mask");
	igd_natfix_prefix_mask(65, m, 16);
	ok(!memcmp(m, m65, 16), "/65 mask over 16 bytes");
}

static void test_norm(void)
{
	struct igd_sel sel = sel_make("10.0.2.33", 24, "192.168.1.10", 16, 0), n;
	char err[128], buf[IGD_NATFIX_SEL_MAX];

	ok(igd_natfix_sel_norm(&sel, &n, err, sizeof(err)) == 0, "v4 selector accepted");
	is_str(igd_natfix_sel_str(&n, buf, sizeof(buf)), "10.0.2.0/24 -> 192.168.0.0/16",
	       "host bits cleared");
	sel = sel_make("fd00:2::33", 64, "fd00:168::10", 28, IPPROTO_TCP);
	sel.dport = 443;
	sel.dport_mask = 0xffff;
	ok(igd_natfix_sel_norm(&sel, &n, err, sizeof(err)) == 0, "v6 selector accepted");
	is_str(igd_natfix_sel_str(&n, buf, sizeof(buf)),
	       "fd00:2::/64 -> fd00:160::/28 proto tcp dport 443", "v6 text");
	sel.dport_mask = 0xff00;
	is_int(igd_natfix_sel_norm(&sel, &n, err, sizeof(err)), -EINVAL, "partial port mask");
	ok(strstr(err, "port masks") != NULL, "error names the port mask");
	sel.proto = IPPROTO_GRE;
	sel.dport_mask = 0xffff;
	is_int(igd_natfix_sel_norm(&sel, &n, err, sizeof(err)), -EOPNOTSUPP,
	       "ports on gre refused");
	sel = sel_make("10.0.2.0", 33, "192.168.0.0", 16, 0);
	is_int(igd_natfix_sel_norm(&sel, &n, err, sizeof(err)), -EINVAL, "/33 refused");
	sel.family = 5;
	is_int(igd_natfix_sel_norm(&sel, &n, err, sizeof(err)), -EINVAL, "family 5 refused");
}

static struct nftnl_rule *build(enum igd_natfix_kind kind, uint32_t family,
				struct igd_sel sel, uint32_t sp)
{
	struct igd_sel n;

	if (igd_natfix_sel_norm(&sel, &n, NULL, 0) < 0)
		return NULL;
	return igd_natfix_rule_build(kind, family, "nat", "POSTROUTING", &n, sp);
}

/* `iptables-nft -t nat -I POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -m comment
 * --comment "ipsecguard-fix sp=5" -j RETURN`, as nft --debug=netlink shows it. */
static void test_layout_ipt_v4(void)
{
	struct igd_sel sel = sel_make("10.0.2.0", 24, "192.168.0.0", 16, 0);
	struct nftnl_rule *r = build(IGD_NATFIX_IPT_NFT, NFPROTO_IPV4, sel, 5);

	ok(r != NULL, "iptables-nft v4 rule built");
	if (!r)
		return;
	is_str(rule_layout(r),
	       "[ payload load 3b @ network header + 12 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x0002000a ]\n"
	       "[ payload load 2b @ network header + 16 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x0000a8c0 ]\n"
	       "[ match name comment rev 0 ]\n"
	       "[ counter pkts 0 bytes 0 ]\n"
	       "[ immediate reg 0 return ]\n", "iptables-nft v4 layout");
	ok(nftnl_rule_is_set(r, NFTNL_RULE_COMPAT_PROTO) &&
	   nftnl_rule_get_u32(r, NFTNL_RULE_COMPAT_PROTO) == 0 &&
	   nftnl_rule_get_u32(r, NFTNL_RULE_COMPAT_FLAGS) == 0, "compat proto 0 sent");
	ok(!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA), "no userdata (iptables-nft has none)");
	nftnl_rule_free(r);
}

/* -s 10.0.0.0/20 -d 1.2.3.4/32 -p tcp --sport 22 --dport 80 */
static void test_layout_ipt_v4_ports(void)
{
	struct igd_sel sel = sel_make("10.0.0.0", 20, "1.2.3.4", 32, IPPROTO_TCP);
	struct nftnl_rule *r;

	sel.sport = 22;
	sel.sport_mask = 0xffff;
	sel.dport = 80;
	sel.dport_mask = 0xffff;
	r = build(IGD_NATFIX_IPT_NFT, NFPROTO_IPV4, sel, 6);
	ok(r != NULL, "iptables-nft v4 rule with ports built");
	if (!r)
		return;
	is_str(rule_layout(r),
	       "[ meta load l4proto => reg 1 ]\n"
	       "[ cmp eq reg 1 0x00000006 ]\n"
	       "[ payload load 4b @ network header + 12 => reg 1 ]\n"
	       "[ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]\n"
	       "[ cmp eq reg 1 0x0000000a ]\n"
	       "[ payload load 4b @ network header + 16 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x04030201 ]\n"
	       "[ payload load 4b @ transport header + 0 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x50001600 ]\n"
	       "[ match name comment rev 0 ]\n"
	       "[ counter pkts 0 bytes 0 ]\n"
	       "[ immediate reg 0 return ]\n", "iptables-nft layout: proto, /20 bitwise, ports");
	is_int(nftnl_rule_get_u32(r, NFTNL_RULE_COMPAT_PROTO), IPPROTO_TCP, "compat proto tcp");
	nftnl_rule_free(r);
}

/* ip6tables-nft -s fd00:2::1/128 -d fd00:168::/64 -p udp */
static void test_layout_ipt_v6(void)
{
	struct igd_sel sel = sel_make("fd00:2::1", 128, "fd00:168::", 64, IPPROTO_UDP);
	struct nftnl_rule *r = build(IGD_NATFIX_IPT_NFT, NFPROTO_IPV6, sel, 7);

	ok(r != NULL, "iptables-nft v6 rule built");
	if (!r)
		return;
	is_str(rule_layout(r),
	       "[ meta load l4proto => reg 1 ]\n"
	       "[ cmp eq reg 1 0x00000011 ]\n"
	       "[ payload load 16b @ network header + 8 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x020000fd 0x00000000 0x00000000 0x01000000 ]\n"
	       "[ payload load 8b @ network header + 24 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x680100fd 0x00000000 ]\n"
	       "[ match name comment rev 0 ]\n"
	       "[ counter pkts 0 bytes 0 ]\n"
	       "[ immediate reg 0 return ]\n", "ip6tables-nft v6 layout");
	nftnl_rule_free(r);
}

static void test_layout_inet(void)
{
	struct igd_sel sel = sel_make("fd00:2::", 64, "fd00:168::", 64, 0);
	struct nftnl_rule *r = build(IGD_NATFIX_NFT, NFPROTO_INET, sel, 8);
	const char *comment = NULL;
	const void *ud;
	uint32_t len = 0;

	ok(r != NULL, "native inet v6 rule built");
	if (!r)
		return;
	is_str(rule_layout(r),
	       "[ meta load nfproto => reg 1 ]\n"
	       "[ cmp eq reg 1 0x0000000a ]\n"
	       "[ payload load 8b @ network header + 8 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x020000fd 0x00000000 ]\n"
	       "[ payload load 8b @ network header + 24 => reg 1 ]\n"
	       "[ cmp eq reg 1 0x680100fd 0x00000000 ]\n"
	       "[ counter pkts 0 bytes 0 ]\n"
	       "[ immediate reg 0 return ]\n", "native inet layout: nfproto ipv6 first");
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	/* TLV: type NFTNL_UDATA_RULE_COMMENT, length, NUL-terminated text */
	if (ud && len > 2 && ((const uint8_t *)ud)[0] == NFTNL_UDATA_RULE_COMMENT)
		comment = (const char *)ud + 2;
	is_str(comment, "ipsecguard-fix sp=8", "native rule tagged in userdata");
	ok(!nftnl_rule_is_set(r, NFTNL_RULE_COMPAT_PROTO), "no compat attribute on native");
	ok(igd_natfix_rule_build(IGD_NATFIX_IPT_NFT, NFPROTO_INET, "t", "c", &sel, 1) == NULL,
	   "iptables-nft layout refused in an inet table");
	nftnl_rule_free(r);
}

static void test_decode_roundtrip(void)
{
	struct igd_sel sel = sel_make("10.0.0.0", 20, "192.168.1.10", 32, IPPROTO_UDP), n;
	static const uint32_t fams[] = { NFPROTO_IPV4, NFPROTO_INET };
	struct igd_natfix_rule out;
	struct nftnl_rule *r;
	unsigned int i;

	sel.dport = 4500;
	sel.dport_mask = 0xffff;
	is_int(igd_natfix_sel_norm(&sel, &n, NULL, 0), 0, "v4 udp selector normalised");
	for (i = 0; i < 2; i++) {
		r = build(IGD_NATFIX_NFT, fams[i], sel, 42);
		ok(r && igd_natfix_rule_decode(r, &out) == 0, "native rule %u reads back", i);
		ok(out.kind == IGD_NATFIX_NFT && out.sp_index == 42 &&
		   igd_natfix_sel_equal(&out.sel, &n), "same kind, index, selector (%u)", i);
		is_str(out.sel_str, "10.0.0.0/20 -> 192.168.1.10/32 proto udp dport 4500",
		       "selector text (%u)", i);
		nftnl_rule_free(r);
	}
	sel = sel_make("fd00:2::", 64, "fd00:168::", 64, IPPROTO_TCP);
	sel.sport = 22;
	sel.sport_mask = 0xffff;
	is_int(igd_natfix_sel_norm(&sel, &n, NULL, 0), 0, "v6 tcp selector normalised");
	r = build(IGD_NATFIX_IPT_NFT, NFPROTO_IPV6, sel, 3);
	ok(r && igd_natfix_rule_decode(r, &out) == 0, "iptables-nft v6 rule reads back");
	ok(out.kind == IGD_NATFIX_IPT_NFT && out.sp_index == 3 && out.sel.family == 6 &&
	   igd_natfix_sel_equal(&out.sel, &n), "kind iptables-nft, sp 3, same selector");
	is_str(out.table, "nat", "table");
	is_str(out.chain, "POSTROUTING", "chain");
	nftnl_rule_free(r);
}

static void test_decode_foreign(void)
{
	struct igd_sel sel = sel_make("10.0.2.0", 24, "192.168.0.0", 16, 0), n;
	struct igd_natfix_rule out;
	struct nftnl_rule *r;

	is_int(igd_natfix_sel_norm(&sel, &n, NULL, 0), 0, "foreign: selector normalised");
	/* the user's own rule with the same match but no tag */
	r = igd_nft_rule_new(NFPROTO_IPV4, "nat", "post");
	is_int(igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 3, NFT_REG_1), 0,
	       "untagged rule: payload saddr");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, n.saddr.b, 3), 0, "untagged rule: cmp");
	is_int(igd_nft_expr_verdict(r, NFT_RETURN), 0, "untagged rule: return");
	is_int(igd_natfix_rule_decode(r, &out), -ENOENT, "untagged return rule is not ours");
	nftnl_rule_free(r);
	/* our tag on a rule that does more than return */
	r = build(IGD_NATFIX_NFT, NFPROTO_IPV4, sel, 1);
	is_int(igd_nft_expr_counter(r), 0, "tagged rule: counter after the verdict");
	is_int(igd_natfix_rule_decode(r, &out), -ENOENT, "expression after the verdict");
	nftnl_rule_free(r);
	/* an inet rule without the family match */
	r = igd_nft_rule_new(NFPROTO_INET, "t", "c");
	is_int(igd_nft_expr_counter(r), 0, "inet rule: counter");
	is_int(igd_nft_expr_verdict(r, NFT_RETURN), 0, "inet rule: return");
	is_int(igd_natfix_rule_decode(r, &out), -ENOENT, "inet rule without nfproto");
	nftnl_rule_free(r);
	/* an address compare with host bits set is not one we wrote */
	r = igd_nft_rule_new(NFPROTO_IPV4, "nat", "POSTROUTING");
	is_int(igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 3, NFT_REG_1), 0,
	       "cmp neq rule: payload saddr");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_NEQ, n.saddr.b, 3), 0, "cmp neq rule: cmp");
	is_int(igd_nft_expr_verdict(r, NFT_RETURN), 0, "cmp neq rule: return");
	is_int(igd_natfix_rule_decode(r, &out), -ENOENT, "cmp neq is not ours");
	nftnl_rule_free(r);
}

static void test_ct_match(void)
{
	struct igd_sel sel = sel_make("10.0.2.0", 24, "192.168.0.0", 16, 0);
	struct igd_ct_tuple t;

	memset(&t, 0, sizeof(t));
	is_int(igd_addr_parse("10.0.2.33", &t.src), 4, "tuple source 10.0.2.33");
	is_int(igd_addr_parse("192.168.1.10", &t.dst), 4, "tuple destination 192.168.1.10");
	t.proto = IPPROTO_ICMP;
	t.has_ports = true;
	t.sport = 77;
	t.dport = 8 << 8;
	ok(igd_ct_sel_match(&sel, 4, &t), "ping 10.0.2.33 -> 192.168.1.10 matches");
	is_int(igd_addr_parse("203.0.113.5", &t.dst), 4, "tuple destination 203.0.113.5");
	ok(!igd_ct_sel_match(&sel, 4, &t), "unprotected destination does not");
	is_int(igd_addr_parse("192.168.1.10", &t.dst), 4, "tuple destination back to 192.168.1.10");
	ok(!igd_ct_sel_match(&sel, 6, &t), "other family does not");
	sel.proto = IPPROTO_TCP;
	ok(!igd_ct_sel_match(&sel, 4, &t), "other protocol does not");
	t.proto = IPPROTO_TCP;
	t.sport = 40000;
	t.dport = 80;
	sel.dport = 80;
	sel.dport_mask = 0xffff;
	ok(igd_ct_sel_match(&sel, 4, &t), "tcp to port 80 matches");
	sel.dport = 443;
	ok(!igd_ct_sel_match(&sel, 4, &t), "tcp to another port does not");
	sel = sel_make("10.0.2.0", 24, "192.168.0.0", 16, IPPROTO_ICMP);
	sel.sport = 8;
	sel.sport_mask = 0xffff;
	t.proto = IPPROTO_ICMP;
	t.dport = 8 << 8;
	ok(igd_ct_sel_match(&sel, 4, &t), "icmp type 8 selector matches echo");
}

/* iptables -S lines: ours are recognised with their selector and SP, others are not;
 * the words the fixer inserts are the words -S prints back. */
static void test_legacy_lines(void)
{
	static struct natfix_legacy_line l;
	struct natfix_legacy_args a;
	struct igd_natfix_rule r;
	char back[512] = "-A POSTROUTING";
	unsigned int i;

	is_int(natfix_legacy_split("-A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -p tcp "
				   "-m tcp --dport 22 -m comment --comment \"ipsecguard-fix sp=3\" "
				   "-j RETURN", &l), 0, "legacy: split ours");
	is_int(l.n, 18, "legacy: 18 words");
	is_str(l.tok[15], "ipsecguard-fix sp=3", "legacy: quoted comment is one word");
	is_int(natfix_legacy_decode(&l, 4, &r), 0, "legacy: ours decodes");
	is_int(r.sp_index, 3, "legacy: sp 3");
	is_str(r.sel_str, "10.0.2.0/24 -> 192.168.0.0/16 proto tcp dport 22", "legacy: selector");
	is_int(natfix_legacy_decode(&l, 6, &r), -ENOENT, "legacy: not ours in the other family");
	is_int(natfix_legacy_split("-A POSTROUTING -s 10.0.2.0/24 -m comment --comment "
				   "\"ipsecguard-fix sp=3\" -j MASQUERADE", &l), 0,
	       "legacy: split tagged MASQUERADE");
	is_int(natfix_legacy_decode(&l, 4, &r), -ENOENT, "legacy: tagged MASQUERADE is not ours");
	is_int(natfix_legacy_split("-A POSTROUTING -s 10.0.2.0/24 -i eth0 -m comment --comment "
				   "\"ipsecguard-fix sp=3\" -j RETURN", &l), 0,
	       "legacy: split tagged RETURN with -i");
	is_int(natfix_legacy_decode(&l, 4, &r), -ENOENT, "legacy: an option we never write");
	is_int(natfix_legacy_split("-A POSTROUTING -m comment --comment \"open", &l), -EINVAL,
	       "legacy: unterminated quote");
	is_int(natfix_legacy_split("-A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -p tcp -m tcp "
				   "--dport 22 -m comment --comment \"ipsecguard-fix sp=3\" -j RETURN",
				   &l), 0, "legacy: split ours again");
	is_int(natfix_legacy_decode(&l, 4, &r), 0, "legacy: ours decodes again");
	natfix_legacy_args(&a, &r.sel, r.sp_index);
	is_str(a.argv[0], "-I", "legacy args: insert");
	is_str(a.argv[2], "1", "legacy args: at the top");
	for (i = 3; i < a.argc; i++) {
		bool q = strchr(a.argv[i], ' ') != NULL;

		snprintf(back + strlen(back), sizeof(back) - strlen(back), q ? " \"%s\"" : " %s",
			 a.argv[i]);
	}
	is_str(back, "-A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -p tcp -m tcp --dport 22 "
	       "-m comment --comment \"ipsecguard-fix sp=3\" -j RETURN",
	       "legacy args: what -S prints back");
}

/* Rule user data is what the rule's author stored: lengths that overrun it are not
 * followed (the walk checks every TLV; under SANITIZE=1 an over-read would abort). */
static void test_udata_hostile(void)
{
	static const uint8_t over[] = { NFTNL_UDATA_RULE_COMMENT, 200, 'a', 'b', 0 };
	static const uint8_t unterminated[] = { NFTNL_UDATA_RULE_COMMENT, 3, 'a', 'b', 'c' };
	static const uint8_t good[] = { 7, 1, 9, NFTNL_UDATA_RULE_COMMENT, 3, 'o', 'k', 0 };
	static const uint8_t torn[] = { NFTNL_UDATA_RULE_COMMENT, 3, 'o', 'k', 0, 5 };
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, over, sizeof(over));
	ok(igd_nft_rule_get_comment(r) == NULL, "udata: a length past the end is refused");
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, unterminated, sizeof(unterminated));
	ok(igd_nft_rule_get_comment(r) == NULL, "udata: a comment without NUL is refused");
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, torn, sizeof(torn));
	ok(igd_nft_rule_get_comment(r) == NULL, "udata: a torn TLV after the comment is refused");
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, good, sizeof(good));
	is_str(igd_nft_rule_get_comment(r), "ok", "udata: the comment after another TLV");
	nftnl_rule_free(r);
}

int main(void)
{
	test_legacy_lines();
	test_udata_hostile();
	test_tags();
	test_masks();
	test_norm();
	test_layout_ipt_v4();
	test_layout_ipt_v4_ports();
	test_layout_ipt_v6();
	test_layout_inet();
	test_decode_roundtrip();
	test_decode_foreign();
	test_ct_match();
	return tap_done();
}
