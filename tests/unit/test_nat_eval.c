/* kmod-free/ruleset/nat_eval without a kernel: nat rules (iptables-legacy lines and
 * nf_tables rules built as iptables-nft and nft lay them out) against an out SP's
 * selector: always, never, or undecided, and what the rule does. */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include "ruleset/nat_eval.h"
#include "ruleset/nft_sets.h"
#include "natfix/natfix_legacy_line.h"
#include "nft/nft_expr.h"
#include "tap.h"

static struct igd_sel sel;
static struct igd_nat_ctx ctx = { .sel = &sel, .oifname = "wan0", .oif = 3,
				  .transformed = true };

static void setup(void)
{
	memset(&sel, 0, sizeof(sel));
	sel.family = 4;
	inet_pton(AF_INET, "10.0.2.0", &sel.saddr);
	inet_pton(AF_INET, "192.168.0.0", &sel.daddr);
	sel.plen_s = 24;
	sel.plen_d = 16;
}

static struct igd_nat_eval legacy(const char *line)
{
	static struct natfix_legacy_line l;
	struct igd_nat_eval e;

	is_int(natfix_legacy_split(line, &l), 0, "split: %s", line);
	igd_nat_eval_legacy(&l, &ctx, &e);
	return e;
}

static void check_legacy(void)
{
	struct igd_nat_eval e;

	e = legacy("-A POSTROUTING -o wan0 -j MASQUERADE");
	ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_TRANSLATE, "legacy: -o wan0 MASQUERADE");
	e = legacy("-A POSTROUTING -o lan0 -j MASQUERADE");
	is_int(e.match, IGD_TRI_NEVER, "legacy: another interface");
	e = legacy("-A POSTROUTING -o wa+ -j MASQUERADE");
	is_int(e.match, IGD_TRI_ALWAYS, "legacy: wildcard interface");
	e = legacy("-A POSTROUTING -s 10.0.0.0/8 -d 192.168.0.0/16 -j RETURN");
	ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_RETURN, "legacy: a wider exemption");
	e = legacy("-A POSTROUTING -s 10.0.2.128/25 -j MASQUERADE");
	is_int(e.match, IGD_TRI_MAYBE, "legacy: half the source prefix");
	is_str(e.why, "source address", "legacy: names the open condition");
	e = legacy("-A POSTROUTING ! -d 192.168.0.0/16 -j MASQUERADE");
	is_int(e.match, IGD_TRI_NEVER, "legacy: ! -d the protected network");
	e = legacy("-A POSTROUTING -m policy --dir out --pol none -j MASQUERADE");
	is_int(e.match, IGD_TRI_NEVER, "legacy: --pol none, tunnel up");
	ctx.transformed = false;
	e = legacy("-A POSTROUTING -m policy --dir out --pol none -j MASQUERADE");
	is_int(e.match, IGD_TRI_ALWAYS, "legacy: --pol none, untransformed");
	ctx.transformed = true;
	e = legacy("-A POSTROUTING -p tcp -m tcp --dport 80 -j MASQUERADE");
	is_int(e.match, IGD_TRI_MAYBE, "legacy: a port of an any-protocol selector");
	e = legacy("-A POSTROUTING -m mark --mark 0x1 -j MASQUERADE");
	ok(e.match == IGD_TRI_ALWAYS && e.mark_cond && !e.mark_neq && e.mark_value == 1 &&
	   e.mark_mask == 0xffffffff, "legacy: --mark 0x1, a condition left for the walk");
	e = legacy("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN");
	ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_RETURN && e.mark_cond && e.mark_neq &&
	   e.mark_value == 0x4000 && e.mark_mask == 0x4000, "legacy: ! --mark 0x4000/0x4000");
	e = legacy("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0");
	ok(e.act == IGD_NAT_ACT_NONE && e.mark_set && e.mark_set_known &&
	   e.mark_and == 0xffffffff && e.mark_xor == 0x4000, "legacy: MARK --set-xmark 0x4000/0x0");
	e = legacy("-A POSTROUTING -m recent --name x -j MASQUERADE");
	is_int(e.match, IGD_TRI_MAYBE, "legacy: an option not evaluated");
	e = legacy("-A POSTROUTING -o wan0 -j SNAT --to-source 172.16.0.1");
	ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_TRANSLATE, "legacy: SNAT");
	e = legacy("-A POSTROUTING -o wan0 -j custom");
	is_int(e.act, IGD_NAT_ACT_OTHER, "legacy: a jump is something else");
	is_str(e.jump, "custom", "legacy: naming the chain it jumps to");
	e = legacy("-A POSTROUTING -o wan0 -g custom");
	ok(e.act == IGD_NAT_ACT_OTHER && e.go && !strcmp(e.jump, "custom"),
	   "legacy: a goto, followed without coming back");
	e = legacy("-A POSTROUTING -j LOG --log-prefix \"nat: \"");
	is_int(e.act, IGD_NAT_ACT_NONE, "legacy: LOG lets the packet go on");

	/* the tunnel's own packets at input: one host each way, udp 500 */
	sel.plen_s = sel.plen_d = 32;
	sel.proto = IPPROTO_UDP;
	sel.sport = sel.dport = 500;
	sel.sport_mask = sel.dport_mask = 0xffff;
	ctx.iifname = "wan0";
	e = legacy("-A INPUT -i wan0 -p udp -m multiport --dports 500,4500 -j ACCEPT");
	ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_EXEMPT,
	   "legacy: -i and multiport --dports cover IKE");
	e = legacy("-A INPUT -p udp -m multiport --dports 1000:2000,4500 -j DROP");
	is_int(e.match, IGD_TRI_NEVER, "legacy: multiport without 500");
	e = legacy("-A INPUT -i lo -j ACCEPT");
	is_int(e.match, IGD_TRI_NEVER, "legacy: another input interface");
	ctx.iifname = NULL;
	e = legacy("-A INPUT -i wan0 -j DROP");
	is_int(e.match, IGD_TRI_MAYBE, "legacy: input interface unknown");
	ctx.iifname = "";
	setup();
}

static struct nftnl_rule *rule(void)
{
	return igd_nft_rule_new(NFPROTO_IPV4, "nat", "POSTROUTING");
}

static void masq(struct nftnl_rule *r)
{
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
}

static void check_nft(void)
{
	uint8_t net[3] = { 10, 0, 2 }, half[4] = { 10, 0, 2, 128 }, mask[4] = { 255, 255, 255, 128 };
	uint8_t zero[4] = { 0 }, one = 1;
	char wan[16] = "wan0", lan[16] = "lan0";
	struct igd_nat_eval e;
	struct nftnl_rule *r;

	r = rule();	/* -s 10.0.2.0/24 as iptables-nft lays it out: 3 bytes */
	is_int(igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 3, NFT_REG_1), 0,
	       "rule 10.0.2.0/24: payload saddr 3 bytes");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, net, 3), 0, "rule 10.0.2.0/24: cmp");
	masq(r);
	igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
	ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_TRANSLATE, "nft: ip saddr 10.0.2.0/24 masquerade");
	nftnl_rule_free(r);

	r = rule();	/* ip saddr 10.0.2.128/25: the whole address, masked */
	is_int(igd_nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1), 0,
	       "rule 10.0.2.128/25: payload saddr");
	is_int(igd_nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, mask, zero, 4), 0,
	       "rule 10.0.2.128/25: bitwise mask");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, half, 4), 0, "rule 10.0.2.128/25: cmp");
	masq(r);
	igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
	is_int(e.match, IGD_TRI_MAYBE, "nft: half the selector");
	nftnl_rule_free(r);

	r = rule();
	is_int(igd_nft_expr_meta(r, NFT_META_OIFNAME, NFT_REG_1), 0, "rule oifname wan0: meta");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, wan, 16), 0, "rule oifname wan0: cmp");
	masq(r);
	igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
	is_int(e.match, IGD_TRI_ALWAYS, "nft: oifname wan0");
	nftnl_rule_free(r);

	r = rule();
	is_int(igd_nft_expr_meta(r, NFT_META_OIFNAME, NFT_REG_1), 0, "rule oifname lan0: meta");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, lan, 16), 0, "rule oifname lan0: cmp");
	masq(r);
	igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
	is_int(e.match, IGD_TRI_NEVER, "nft: oifname lan0");
	nftnl_rule_free(r);

	r = rule();	/* rt ipsec exists accept */
	is_int(igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG_1), 0, "rule rt ipsec exists: rt");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &one, 1), 0, "rule rt ipsec exists: cmp");
	is_int(igd_nft_expr_verdict(r, NF_ACCEPT), 0, "rule rt ipsec exists: accept");
	igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
	ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_EXEMPT, "nft: rt ipsec exists accept");
	nftnl_rule_free(r);

	r = rule();	/* meta mark 0x1 masquerade */
	is_int(igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG_1), 0, "rule meta mark 0x1: meta");
	is_int(igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &one, 1), 0, "rule meta mark 0x1: cmp");
	masq(r);
	igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
	is_int(e.match, IGD_TRI_MAYBE, "nft: a mark is undecided");
	nftnl_rule_free(r);

	r = rule();
	masq(r);
	igd_nat_eval_nft(r, NFPROTO_IPV6, &ctx, &e);
	is_int(e.match, IGD_TRI_NEVER, "nft: an ip6 table for an IPv4 SP");
	nftnl_rule_free(r);

	/* kube-proxy's nft shape: meta mark & 0x4000 != 0x4000 return, left for the walk */
	{
		uint32_t m = 0x4000, zero = 0, v;

		r = rule();
		ok(!igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG_1) &&
		   !igd_nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, &m, &zero, 4) &&
		   !igd_nft_expr_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &m, 4) &&
		   !igd_nft_expr_verdict(r, NFT_RETURN), "nft: mark rule built");
		igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
		ok(e.match == IGD_TRI_ALWAYS && e.act == IGD_NAT_ACT_RETURN && e.mark_cond &&
		   e.mark_neq && e.mark_mask == 0x4000 && e.mark_value == 0x4000,
		   "nft: mark & 0x4000 != 0x4000 return: a condition on the mark for the walk");
		nftnl_rule_free(r);

		/* meta mark set meta mark ^ 0x4000: (mark & ~0) ^ 0x4000 */
		r = rule();
		v = 0xffffffff;
		ok(!igd_nft_expr_meta(r, NFT_META_MARK, NFT_REG_1) &&
		   !igd_nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, &v, &m, 4) &&
		   !igd_nft_expr_meta_set(r, NFT_META_MARK, NFT_REG_1), "nft: mark set built");
		igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
		ok(e.mark_set && e.mark_set_known && e.mark_and == 0xffffffff && e.mark_xor == 0x4000 &&
		   e.act == IGD_NAT_ACT_NONE && !e.mark_cond,
		   "nft: meta mark set mark xor 0x4000: the walk can follow it");
		nftnl_rule_free(r);

		/* meta mark set 0x10 */
		r = rule();
		v = 0x10;
		ok(!igd_nft_expr_immediate(r, NFT_REG_1, &v, 4) &&
		   !igd_nft_expr_meta_set(r, NFT_META_MARK, NFT_REG_1), "nft: mark set 0x10 built");
		igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
		ok(e.mark_set && e.mark_set_known && e.mark_and == 0 && e.mark_xor == 0x10,
		   "nft: meta mark set 0x10");
		nftnl_rule_free(r);

		/* a goto keeps its chain and says it does not come back */
		r = rule();
		ok(!igd_nft_expr_goto(r, "zone_public"), "nft: goto built");
		igd_nat_eval_nft(r, NFPROTO_IPV4, &ctx, &e);
		ok(e.act == IGD_NAT_ACT_OTHER && e.go && !strcmp(e.jump, "zone_public"),
		   "nft: goto zone_public");
		nftnl_rule_free(r);
	}
}

/* igd_nft_set_covers on intervals as the kernel dumps them: a start element, then the
 * element after the range flagged as its end. */
static void check_set_covers(void)
{
	static struct igd_nft_set_elem e[4];
	struct igd_nft_set s = { .flags = NFT_SET_INTERVAL, .key_len = 4, .e = e, .n = 4 };
	uint8_t lo[4], hi[4];

	memcpy(e[0].key, "\x0a\x00\x00\x00", 4);		/* 10.0.0.0/8 */
	memcpy(e[1].key, "\x0b\x00\x00\x00", 4);
	e[1].end = true;
	memcpy(e[2].key, "\xc0\xa8\x00\x00", 4);		/* 192.168.0.0/24 */
	memcpy(e[3].key, "\xc0\xa8\x01\x00", 4);
	e[3].end = true;
	memcpy(lo, "\x0a\x00\x02\x00", 4);
	memcpy(hi, "\x0a\x00\x02\xff", 4);
	is_int(igd_nft_set_covers(&s, lo, hi, 4, NULL), 2, "set: 10.0.2.0/24 inside 10.0.0.0/8");
	memcpy(lo, "\xc0\xa8\x00\x00", 4);
	memcpy(hi, "\xc0\xa8\xff\xff", 4);
	is_int(igd_nft_set_covers(&s, lo, hi, 4, NULL), 1, "set: 192.168.0.0/16 only partly");
	memcpy(lo, "\xac\x10\x00\x00", 4);
	memcpy(hi, "\xac\x10\xff\xff", 4);
	is_int(igd_nft_set_covers(&s, lo, hi, 4, NULL), 0, "set: 172.16.0.0/16 apart");
	s.flags = 0;
	s.key_len = 2;
	s.n = 2;
	memcpy(e[0].key, "\x01\xf4", 2);	/* 500 */
	memcpy(e[1].key, "\x11\x94", 2);	/* 4500 */
	e[1].end = false;
	is_int(igd_nft_set_covers(&s, (const uint8_t *)"\x11\x94", (const uint8_t *)"\x11\x94", 2, NULL), 2,
	       "set: port 4500 in { 500, 4500 }");
	is_int(igd_nft_set_covers(&s, (const uint8_t *)"\x00\x16", (const uint8_t *)"\x00\x16", 2, NULL), 0,
	       "set: port 22 not");
}

int main(void)
{
	check_set_covers();
	setup();
	check_legacy();
	check_nft();
	return tap_done();
}
