/* SP table: the kernel's lookup rules, edge by edge, then a randomized cross-check of
 * the indexed lookup against a plain scan with the same rules. */
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "xfrm/spd.h"
#include "tap.h"

static uint32_t next_index = 8;
static int addr_bad;	/* mksp()/mkflow() addresses that did not parse (checked in main) */

static struct igd_sp mksp(int dir, const char *src, unsigned int ps, const char *dst,
			  unsigned int pd, uint32_t prio)
{
	struct igd_sp sp = { 0 };

	sp.sel.family = (uint8_t)igd_addr_parse(src, &sp.sel.saddr);
	if (igd_addr_parse(dst, &sp.sel.daddr) != sp.sel.family || !sp.sel.family)
		addr_bad++;
	sp.sel.plen_s = (uint8_t)ps;
	sp.sel.plen_d = (uint8_t)pd;
	sp.dir = (uint8_t)dir;
	sp.priority = prio;
	sp.index = next_index += 8;
	sp.ntmpl = 1;
	sp.tmpl[0].reqid = sp.index;
	sp.tmpl[0].proto = IPPROTO_ESP;
	return sp;
}

static struct igd_flow mkflow(const char *src, const char *dst, uint8_t proto,
			      uint16_t sport, uint16_t dport)
{
	struct igd_flow f = { 0 };

	f.family = (uint8_t)igd_addr_parse(src, &f.saddr);
	if (igd_addr_parse(dst, &f.daddr) != f.family || !f.family)
		addr_bad++;
	f.proto = proto;
	f.sport = sport;
	f.dport = dport;
	return f;
}

/* A table with the tie-break of Linux 6.12 on, unless a test asks for the one before. */
static struct igd_spd *newspd(enum igd_spd_order order)
{
	struct igd_spd *spd;

	is_int(igd_spd_new(&spd), 0, "new SPD");
	igd_spd_set_order(spd, order);
	return spd;
}

static uint32_t look(struct igd_spd *spd, int dir, const struct igd_flow *f)
{
	const struct igd_sp *sp = igd_spd_lookup(spd, dir, f);

	return sp ? sp->index : 0;
}

static void test_selector(void)
{
	struct igd_sel s = { 0 };
	struct igd_flow f = mkflow("10.1.2.3", "192.168.7.9", IPPROTO_TCP, 1234, 443);

	s.family = 4;
	ok(igd_sel_match(&s, &f), "0/0 -> 0/0 matches anything of its family");
	f.family = 6;
	ok(!igd_sel_match(&s, &f), "an IPv4 selector never matches an IPv6 flow");
	f.family = 4;
	is_int(igd_addr_parse("10.1.2.2", &s.saddr), 4, "selector source 10.1.2.2 parses");
	s.plen_s = 31;
	ok(igd_sel_match(&s, &f), "/31 covers .2 and .3");
	s.plen_s = 32;
	ok(!igd_sel_match(&s, &f), "/32 is exact");
	s.plen_s = 0;
	s.dport = 443;
	s.dport_mask = 0xffff;
	ok(igd_sel_match(&s, &f), "dport 443");
	s.dport = 0x01bb | 0x8000;
	s.dport_mask = 0x00ff;
	ok(igd_sel_match(&s, &f), "masked dport compares only the mask bits");
	s.dport_mask = 0xffff;
	ok(!igd_sel_match(&s, &f), "full mask: 0x81bb is not 443");
	s.dport = 0;
	s.dport_mask = 0;
	s.proto = IPPROTO_UDP;
	ok(!igd_sel_match(&s, &f), "proto udp does not match tcp");
	s.proto = 0;
	s.ifindex = 3;
	ok(!igd_sel_match(&s, &f), "a device-bound selector needs that oif");
	f.oif = 3;
	ok(igd_sel_match(&s, &f), "oif 3 matches ifindex 3");
}

static void test_icmp_and_portless(void)
{
	struct igd_sel s = { 0 };
	struct igd_flow f = mkflow("10.0.0.1", "10.0.0.2", IPPROTO_ICMP, 0, 0);

	s.family = 4;
	s.proto = IPPROTO_ICMP;
	s.sport = 8;		/* type */
	s.sport_mask = 0xffff;
	s.dport = 0;		/* code */
	s.dport_mask = 0xffff;
	igd_flow_set_icmp(&f, 8, 0);
	ok(igd_sel_match(&s, &f), "icmp echo request: type in sport, code in dport");
	igd_flow_set_icmp(&f, 0, 0);
	ok(!igd_sel_match(&s, &f), "echo reply is another type");
	igd_flow_set_icmp(&f, 8, 1);
	ok(!igd_sel_match(&s, &f), "code 1 is not code 0");

	s.proto = 0;
	s.sport = 0;
	s.dport = 0;
	f = mkflow("10.0.0.1", "10.0.0.2", IPPROTO_ESP, 500, 500);
	ok(igd_sel_match(&s, &f), "ports of a portless protocol count as 0");
	s.dport = 500;
	ok(!igd_sel_match(&s, &f), "so a port selector never matches ESP");
	f.proto = IPPROTO_MH;
	s.sport = 500;
	s.dport = 0;
	ok(igd_sel_match(&s, &f), "mobility header: type in sport, dport 0");
}

static void test_priority_age(void)
{
	struct igd_spd *spd = newspd(IGD_SPD_ORDER_INSERT);
	struct igd_sp a = mksp(IGD_DIR_OUT, "10.0.0.0", 8, "0.0.0.0", 0, 100);
	struct igd_sp b = mksp(IGD_DIR_OUT, "10.1.2.0", 24, "192.168.0.0", 16, 100);
	struct igd_sp c = mksp(IGD_DIR_OUT, "10.1.2.3", 32, "192.168.1.1", 32, 100);
	struct igd_sp d = mksp(IGD_DIR_OUT, "0.0.0.0", 0, "0.0.0.0", 0, 50);
	struct igd_flow f = mkflow("10.1.2.3", "192.168.1.1", IPPROTO_UDP, 1, 2);

	is_int(igd_spd_add(spd, &a), 0, "priority/age: a added");
	is_int(igd_spd_add(spd, &b), 0, "priority/age: b added");
	is_int(igd_spd_add(spd, &c), 0, "priority/age: c added");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index,
	       "equal priorities: the oldest wins, not the longest prefix");
	is_int(look(spd, IGD_DIR_IN, &f), 0, "no in policy: none");
	is_int(igd_spd_add(spd, &d), 0, "priority/age: d added");
	is_int(look(spd, IGD_DIR_OUT, &f), d.index, "lower priority value wins over age");
	is_int(igd_spd_del(spd, d.index), 0, "priority/age: d deleted");
	is_int(igd_spd_del(spd, a.index), 0, "priority/age: a deleted");
	is_int(look(spd, IGD_DIR_OUT, &f), b.index, "after deletes the next oldest");
	c.priority = 99;
	is_int(igd_spd_add(spd, &c), 0, "priority/age: c updated to priority 99");
	is_int(look(spd, IGD_DIR_OUT, &f), c.index, "update to a lower priority wins");
	c.priority = 100;
	is_int(igd_spd_add(spd, &c), 0, "priority/age: c updated back to 100");
	is_int(look(spd, IGD_DIR_OUT, &f), b.index,
	       "updated back: it is newer than b now (exact vs inexact lists)");
	is_int(igd_spd_count(spd), 2, "count");
	igd_spd_free(spd);
}

/* An update that keeps the priority keeps its place in its own kernel list, but
 * against another list it compares by its new position. */
static void test_update_place(void)
{
	struct igd_spd *spd = newspd(IGD_SPD_ORDER_INSERT);
	struct igd_sp a = mksp(IGD_DIR_OUT, "10.1.0.0", 16, "0.0.0.0", 0, 7);
	struct igd_sp b = mksp(IGD_DIR_OUT, "10.1.2.0", 24, "0.0.0.0", 0, 7);
	struct igd_sp c = mksp(IGD_DIR_OUT, "0.0.0.0", 0, "0.0.0.0", 0, 7);
	struct igd_flow f = mkflow("10.1.2.3", "1.2.3.4", IPPROTO_UDP, 1, 2);

	is_int(igd_spd_add(spd, &a), 0, "update place: a added");	/* saddr list */
	is_int(igd_spd_add(spd, &b), 0, "update place: b added");	/* saddr list, same node */
	is_int(igd_spd_add(spd, &c), 0, "update place: c added");	/* any list */
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "oldest of three");
	a.tmpl[0].reqid = 77;
	is_int(igd_spd_add(spd, &a), 0, "update place: a updated");	/* same priority */
	is_int(look(spd, IGD_DIR_OUT, &f), c.index,
	       "updated a heads its list, but c (any:any list) is now older than it");
	is_int(igd_spd_del(spd, c.index), 0, "update place: c deleted");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "without c, a's list place wins over b");
	is_int(igd_spd_get(spd, a.index)->tmpl[0].reqid, 77, "the update's content is kept");
	igd_spd_free(spd);
}

static void test_sub_mark_ifid(void)
{
	struct igd_spd *spd = newspd(IGD_SPD_ORDER_INSERT);
	struct igd_sp m = mksp(IGD_DIR_OUT, "0.0.0.0", 0, "0.0.0.0", 0, 0);
	struct igd_sp s = mksp(IGD_DIR_OUT, "10.0.0.0", 8, "0.0.0.0", 0, 1000);
	struct igd_sp k = mksp(IGD_DIR_FWD, "0.0.0.0", 0, "0.0.0.0", 0, 0);
	struct igd_sp i = mksp(IGD_DIR_FWD, "0.0.0.0", 0, "0.0.0.0", 0, 0);
	struct igd_flow f = mkflow("10.1.2.3", "1.2.3.4", IPPROTO_TCP, 1, 2);

	s.type = IGD_PTYPE_SUB;
	is_int(igd_spd_add(spd, &m), 0, "sub/mark/if_id: main m added");
	is_int(igd_spd_add(spd, &s), 0, "sub/mark/if_id: sub s added");
	is_int(look(spd, IGD_DIR_OUT, &f), s.index, "sub before main, whatever the priority");
	f = mkflow("11.1.2.3", "1.2.3.4", IPPROTO_TCP, 1, 2);
	is_int(look(spd, IGD_DIR_OUT, &f), m.index, "main when no sub matches");

	k.mark_v = 0x10;
	k.mark_m = 0xf0;
	is_int(igd_spd_add(spd, &k), 0, "sub/mark/if_id: k with mark 0x10/0xf0 added");
	f.mark = 0x1f;
	is_int(look(spd, IGD_DIR_FWD, &f), k.index, "(0x1f & 0xf0) == 0x10");
	f.mark = 0x20;
	is_int(look(spd, IGD_DIR_FWD, &f), 0, "(0x20 & 0xf0) != 0x10");
	i.if_id = 5;
	is_int(igd_spd_add(spd, &i), 0, "sub/mark/if_id: i with if_id 5 added");
	f.if_id = 5;
	f.mark = 0x10;
	is_int(look(spd, IGD_DIR_FWD, &f), i.index, "if_id 5 policy for if_id 5 flow");
	f.if_id = 0;
	is_int(look(spd, IGD_DIR_FWD, &f), k.index, "if_id 0 flow skips it");
	k.mark_v = 0x1;
	k.mark_m = 0x0;
	is_int(igd_spd_add(spd, &k), 0, "sub/mark/if_id: k updated to mark 0x1/0x0");
	is_int(look(spd, IGD_DIR_FWD, &f), 0, "mark value outside its mask never matches");
	igd_spd_free(spd);
}

static void test_v6_and_iter(void)
{
	struct igd_spd *spd = newspd(IGD_SPD_ORDER_INSERT);
	struct igd_sp a = mksp(IGD_DIR_OUT, "2001:db8::", 32, "2001:db8:1::", 48, 5);
	struct igd_sp b = mksp(IGD_DIR_OUT, "2001:db8::1", 128, "2001:db8:1::1", 128, 5);
	struct igd_sp c = mksp(IGD_DIR_IN, "::", 0, "::", 0, 1);
	struct igd_flow f = mkflow("2001:db8::1", "2001:db8:1::1", IPPROTO_UDP, 1, 2);
	const struct igd_sp *sp;
	int n = 0;

	c.action = IGD_SP_BLOCK;
	is_int(igd_spd_add(spd, &a), 0, "v6: a added");
	is_int(igd_spd_add(spd, &b), 0, "v6: b added");
	is_int(igd_spd_add(spd, &c), 0, "v6: block c added");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "v6: inexact older beats exact /128");
	f = mkflow("2001:db8::1", "2001:db8:2::1", IPPROTO_UDP, 1, 2);
	is_int(look(spd, IGD_DIR_OUT, &f), 0, "v6: outside /48");
	igd_spd_for_each(spd, sp, IGD_DIR_OUT)
		n++;
	is_int(n, 2, "iteration by direction");
	ok(igd_spd_first(spd, -1)->index == c.index, "iteration starts at the newest");
	ok(igd_sp_protecting(&a), "allow + template is protecting");
	ok(!igd_sp_protecting(&c), "block is not");
	igd_spd_flush(spd, IGD_PTYPE_MAIN);
	is_int(igd_spd_count(spd), 0, "flush");
	igd_spd_free(spd);
}

/* Ties before Linux 6.12: exact policies have pos 0; an inexact one has its place in
 * the direction's inexact list as of the last inexact insert. */
static void test_list_order(void)
{
	struct igd_spd *spd;
	struct igd_sp a = mksp(IGD_DIR_OUT, "10.0.2.0", 24, "192.168.0.0", 16, 400);
	struct igd_sp b = mksp(IGD_DIR_OUT, "10.0.2.33", 32, "192.168.1.10", 32, 400);
	struct igd_sp x = mksp(IGD_DIR_OUT, "172.16.0.0", 16, "0.0.0.0", 0, 100);
	struct igd_sp y = mksp(IGD_DIR_OUT, "172.17.0.0", 16, "0.0.0.0", 0, 900);
	struct igd_sp v6 = mksp(IGD_DIR_OUT, "2001:db8::", 32, "::", 0, 1);
	struct igd_flow f = mkflow("10.0.2.33", "192.168.1.10", IPPROTO_ICMP, 8, 0);

	spd = newspd(IGD_SPD_ORDER_LIST);
	is_int(igd_spd_add(spd, &a), 0, "list: a added");
	is_int(igd_spd_add(spd, &b), 0, "list: b added");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "list: inexact a alone in its list (pos 0) beats exact b");
	igd_spd_free(spd);
	spd = newspd(IGD_SPD_ORDER_INSERT);
	is_int(igd_spd_add(spd, &b), 0, "insert: b added");
	is_int(igd_spd_add(spd, &a), 0, "insert: a added");
	is_int(look(spd, IGD_DIR_OUT, &f), b.index, "insert: exact b linked first wins");
	igd_spd_free(spd);
	spd = newspd(IGD_SPD_ORDER_LIST);
	is_int(igd_spd_add(spd, &b), 0, "list: b added first");
	is_int(igd_spd_add(spd, &a), 0, "list: a added second");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "list: a newer inexact at pos 0 still beats exact b");
	igd_spd_free(spd);

	spd = newspd(IGD_SPD_ORDER_LIST);
	/* heads the list: a gets pos 1 */
	is_int(igd_spd_add(spd, &x), 0, "list: x added");
	is_int(igd_spd_add(spd, &a), 0, "list: a added after x");
	is_int(igd_spd_add(spd, &b), 0, "list: b added after x");
	is_int(look(spd, IGD_DIR_OUT, &f), b.index,
	       "list: an unrelated inexact policy ahead of a gives a pos 1, exact b wins");
	is_int(igd_spd_del(spd, x.index), 0, "list: x deleted");
	is_int(look(spd, IGD_DIR_OUT, &f), b.index, "list: a delete renumbers nothing");
	/* any insert renumbers: a is 0 */
	is_int(igd_spd_add(spd, &y), 0, "list: y added");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "list: the next inexact insert makes a pos 0");
	/* another family, same direction: heads the list */
	is_int(igd_spd_add(spd, &v6), 0, "list: v6 added");
	is_int(look(spd, IGD_DIR_OUT, &f), b.index, "list: one list for all families");
	is_int(igd_spd_del(spd, v6.index), 0, "list: v6 deleted");
	a.tmpl[0].reqid = 5;
	/* an update at its own place, ahead of the old one */
	is_int(igd_spd_add(spd, &a), 0, "list: a updated");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "list: an update of the head keeps pos 0");
	a.priority = 401;
	/* the old one held pos 0 and is gone */
	is_int(igd_spd_add(spd, &a), 0, "list: a updated to priority 401");
	b.priority = 401;
	is_int(igd_spd_add(spd, &b), 0, "list: b updated to priority 401");
	is_int(look(spd, IGD_DIR_OUT, &f), b.index,
	       "list: after an update away from the head no policy has pos 0");
	igd_spd_free(spd);

	spd = newspd(IGD_SPD_ORDER_INSERT);
	a.priority = b.priority = 400;
	is_int(igd_spd_add(spd, &x), 0, "insert: x added");
	is_int(igd_spd_add(spd, &a), 0, "insert: a added after x");
	is_int(igd_spd_add(spd, &b), 0, "insert: b added after x");
	is_int(look(spd, IGD_DIR_OUT, &f), a.index, "insert: a linked before b wins whatever x");
	igd_spd_free(spd);

	is_int(igd_spd_order_of_release("6.1.0-57-cloud-amd64"), IGD_SPD_ORDER_LIST, "6.1 numbers lists");
	is_int(igd_spd_order_of_release("5.14.0-427.el9.x86_64"), IGD_SPD_ORDER_LIST, "5.14 too");
	is_int(igd_spd_order_of_release("6.11.11"), IGD_SPD_ORDER_LIST, "6.11 too");
	is_int(igd_spd_order_of_release("6.12.0"), IGD_SPD_ORDER_INSERT, "6.12 counts links");
	is_int(igd_spd_order_of_release("7.0"), IGD_SPD_ORDER_INSERT, "7.0 too");
	is_int(igd_spd_order_of_release("weird"), IGD_SPD_ORDER_INSERT, "unreadable: the newer");
}

/* --- randomized cross-check ------------------------------------------------------ */

#define NPOL 400

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void rnd_addr(int fam, union igd_addr *a, const union igd_addr *hot, unsigned int keep)
{
	unsigned int i, bits = fam == 6 ? 128 : 32;

	*a = hot[rnd() % 4];
	for (i = keep; i < bits; i++)
		if (rnd() & 1)
			a->b[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
}

static bool ref_match(const struct igd_sp *sp, const struct igd_flow *f, int type)
{
	return sp->type == type && sp->if_id == f->if_id &&
	       (f->mark & sp->mark_m) == sp->mark_v && igd_sel_match(&sp->sel, f);
}

static void test_random(void)
{
	static struct igd_sp pol[NPOL];
	union igd_addr hot[2][4];
	struct igd_spd *spd = newspd(IGD_SPD_ORDER_INSERT);
	int i, t, bad = 0, add_err = 0;

	for (i = 0; i < 4; i++) {
		hot[0][i].a4 = htonl(0x0a000000 | (rnd() & 0xffff));
		hot[1][i].a6[0] = htonl(0x20010db8);
		hot[1][i].a6[1] = rnd();
	}
	for (i = 0; i < NPOL; i++) {
		struct igd_sp *p = &pol[i];
		int fam = rnd() % 3 ? 4 : 6;
		unsigned int bits = fam == 6 ? 128 : 32;

		memset(p, 0, sizeof(*p));
		p->sel.family = (uint8_t)fam;
		p->sel.plen_s = (uint8_t)(rnd() % (bits + 1));
		p->sel.plen_d = (uint8_t)(rnd() % 3 ? rnd() % (bits + 1) : bits);
		rnd_addr(fam, &p->sel.saddr, hot[fam == 6], 0);
		rnd_addr(fam, &p->sel.daddr, hot[fam == 6], 0);
		p->sel.saddr = hot[fam == 6][rnd() % 4];
		p->sel.daddr = hot[fam == 6][rnd() % 4];
		if (rnd() % 2) {
			p->sel.proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
			p->sel.dport_mask = rnd() % 2 ? 0xffff : 0xff00;
			p->sel.dport = (uint16_t)(rnd() % 4 * 256 + 80);
		}
		if (rnd() % 5 == 0) {
			p->mark_m = 0xff;
			p->mark_v = rnd() % 3;
		}
		p->type = rnd() % 8 == 0;
		p->dir = IGD_DIR_OUT;
		p->priority = rnd() % 2 ? rnd() % 3 : rnd() % 100;
		p->index = (uint32_t)(i + 1) * 8 + 1;
		add_err += igd_spd_add(spd, p) != 0;
	}
	is_int(add_err, 0, "%d random policies added", NPOL);
	for (t = 0; t < 20000; t++) {
		int fam = rnd() % 3 ? 4 : 6, type;
		struct igd_flow f = { 0 };
		const struct igd_sp *want = NULL;

		f.family = (uint8_t)fam;
		rnd_addr(fam, &f.saddr, hot[fam == 6], rnd() % (fam == 6 ? 129 : 33));
		rnd_addr(fam, &f.daddr, hot[fam == 6], rnd() % (fam == 6 ? 129 : 33));
		f.proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		f.dport = (uint16_t)(rnd() % 4 * 256 + 80 + rnd() % 2);
		f.mark = rnd() % 4;
		/* no updates: lowest (priority, age) over sub, else main */
		for (type = IGD_PTYPE_SUB; type >= 0 && !want; type--)
			for (i = 0; i < NPOL; i++)
				if (ref_match(&pol[i], &f, type) &&
				    (!want || pol[i].priority < want->priority))
					want = &pol[i];
		if (look(spd, IGD_DIR_OUT, &f) != (want ? want->index : 0))
			bad++;
	}
	is_int(bad, 0, "20000 random flows over %d policies: index agrees with a scan", NPOL);
	igd_spd_free(spd);
}

/* The kernel before 6.12, simulated plainly: one inexact list for the direction,
 * renumbered at each inexact insert with the replaced policy still in it; exact
 * policies pos 0; the lookup folds exact, then the inexact categories by pos. */
#define LPOL 48

struct kpol {
	struct igd_sp sp;
	uint64_t slot, pos;
	int cat;			/* 0 exact, 1 both, 2 saddr, 3 daddr, 4 any */
	bool live;
};

static int kcat(const struct igd_sp *sp)
{
	bool s_any = !sp->sel.saddr.a4 || sp->sel.plen_s < 16;
	bool d_any = !sp->sel.daddr.a4 || sp->sel.plen_d < 16;

	if (sp->sel.plen_s == 32 && sp->sel.plen_d == 32)
		return 0;
	return s_any && d_any ? 4 : d_any ? 2 : s_any ? 3 : 1;
}

static bool kbefore(const struct kpol *a, const struct kpol *b)
{
	return a->sp.priority < b->sp.priority ||
	       (a->sp.priority == b->sp.priority && a->slot < b->slot);
}

/* every live inexact policy and @n (before @old at a shared place) get their index */
static void krenumber(struct kpol *k, int nk, const struct kpol *n)
{
	int i, j;

	for (i = 0; i < nk; i++) {
		if (!k[i].live || !k[i].cat)
			continue;
		k[i].pos = 0;
		for (j = 0; j < nk; j++)
			if (j != i && k[j].live && k[j].cat &&
			    (kbefore(&k[j], &k[i]) ||
			     (!kbefore(&k[i], &k[j]) && &k[j] == n)))
				k[i].pos++;
	}
}

static uint32_t klookup(const struct kpol *k, int nk, const struct igd_flow *f)
{
	const struct kpol *prefer = NULL;
	int cat, i;

	for (cat = 0; cat < 5; cat++) {
		const struct kpol *c = NULL;

		for (i = 0; i < nk; i++)
			if (k[i].live && k[i].cat == cat && igd_sel_match(&k[i].sp.sel, f) &&
			    (!c || kbefore(&k[i], c)))
				c = &k[i];
		if (!c || (prefer && c->sp.priority > prefer->sp.priority))
			continue;
		if (prefer && c->sp.priority == prefer->sp.priority && prefer->pos < c->pos)
			continue;
		prefer = c;
	}
	return prefer ? prefer->sp.index : 0;
}

static void test_random_list(void)
{
	static const char *const addrs[] = { "10.0.2.0", "10.0.2.33", "192.168.1.10",
					     "192.168.0.0", "0.0.0.0" };
	static const unsigned int plens[] = { 0, 8, 16, 24, 32, 32 };
	static struct kpol k[4 * LPOL];
	struct igd_spd *spd = newspd(IGD_SPD_ORDER_LIST);
	int nk = 0, step, t, bad = 0, op_err = 0, i;
	uint64_t slot = 0;

	for (step = 0; step < 3000; step++) {
		int op = rnd() % 8, live = 0;

		for (i = 0; i < nk; i++)
			live += k[i].live;
		if (op < 4 && live < LPOL && nk < 4 * LPOL) {	/* add */
			struct kpol *n = &k[nk++];

			n->sp = mksp(IGD_DIR_OUT, addrs[rnd() % 5], plens[rnd() % 6],
				     addrs[rnd() % 5], plens[rnd() % 6], rnd() % 4);
			if (rnd() % 4 == 0) {	/* exact, for the flows below */
				n->sp.sel.plen_s = n->sp.sel.plen_d = 32;
				op_err += igd_addr_parse("10.0.2.33", &n->sp.sel.saddr) != 4;
				op_err += igd_addr_parse("192.168.1.10", &n->sp.sel.daddr) != 4;
			}
			if (rnd() % 3 == 0)
				n->sp.sel.proto = IPPROTO_ICMP;
			n->slot = ++slot;
			n->cat = kcat(&n->sp);
			n->live = true;
			n->pos = 0;
			if (n->cat)
				krenumber(k, nk, n);
			op_err += igd_spd_add(spd, &n->sp) != 0;
		} else if (op < 6 && live) {			/* update one */
			struct kpol *o = NULL, *n;

			while (!o || !o->live)
				o = &k[rnd() % nk];
			if (nk == 4 * LPOL)
				continue;
			n = &k[nk++];
			*n = *o;
			n->sp.tmpl[0].reqid++;
			if (rnd() % 2)
				n->sp.priority = rnd() % 4;
			n->slot = n->sp.priority == o->sp.priority ? o->slot : ++slot;
			n->pos = 0;
			if (n->cat)
				krenumber(k, nk, n);
			o->live = false;
			op_err += igd_spd_add(spd, &n->sp) != 0;
		} else if (live) {				/* delete one */
			struct kpol *o = NULL;

			while (!o || !o->live)
				o = &k[rnd() % nk];
			o->live = false;
			op_err += igd_spd_del(spd, o->sp.index) != 0;
		}
		for (t = 0; t < 20; t++) {
			struct igd_flow f = mkflow(rnd() % 2 ? "10.0.2.33" : "10.0.2.7",
						   rnd() % 2 ? "192.168.1.10" : "192.168.9.9",
						   rnd() % 2 ? IPPROTO_ICMP : IPPROTO_UDP, 8, 0);

			if (look(spd, IGD_DIR_OUT, &f) != klookup(k, nk, &f))
				bad++;
		}
	}
	is_int(op_err, 0, "list order: every add, update and delete succeeds");
	is_int(bad, 0, "list order: 3000 random adds, updates and deletes agree with the kernel's "
	       "renumbered list");
	igd_spd_free(spd);
}

int main(void)
{
	test_selector();
	test_icmp_and_portless();
	test_priority_age();
	test_update_place();
	test_sub_mark_ifid();
	test_v6_and_iter();
	test_random();
	test_list_order();
	test_random_list();
	is_int(addr_bad, 0, "every address given to mksp() and mkflow() parses, both of one family");
	return tap_done();
}
