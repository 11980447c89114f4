/* Remembered protections and the outbound classification: what outlives an SP, for how
 * long, what the file keeps, and what the SPD, --protect and the remembered selectors
 * decide of a flow in clear. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/xfrm.h>
#include "judge/outbound.h"
#include "judge/remember.h"
#include "tap.h"

static struct igd_spd *spd;
static uint32_t next_index = 1;

static void a(union igd_addr *x, const char *s)
{
	memset(x, 0, sizeof(*x));
	ok(igd_addr_parse(s, x) != 0, "address %s parses", s);
}

/* An out SP over src/sl -> dst/dl: @ntmpl templates (0: a bypass), @prio. */
static uint32_t sp_add(const char *src, int sl, const char *dst, int dl, int ntmpl,
		       uint32_t prio, uint8_t proto, uint16_t dport)
{
	struct igd_sp sp = { .index = next_index++, .dir = IGD_DIR_OUT,
			     .ntmpl = (uint8_t)ntmpl, .priority = prio };

	sp.sel.family = strchr(src, ':') ? 6 : 4;
	a(&sp.sel.saddr, src);
	a(&sp.sel.daddr, dst);
	sp.sel.plen_s = (uint8_t)sl;
	sp.sel.plen_d = (uint8_t)dl;
	sp.sel.proto = proto;
	if (dport) {
		sp.sel.dport = dport;
		sp.sel.dport_mask = 0xffff;
	}
	if (ntmpl)
		sp.tmpl[0] = (struct igd_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_MODE_TUNNEL,
						.reqid = 7, .family = sp.sel.family };
	is_int(igd_spd_add(spd, &sp), 0, "out SP %s/%d -> %s/%d added", src, sl, dst, dl);
	return sp.index;
}

static struct igd_flow flow(const char *s, const char *d, uint8_t proto, uint16_t dport)
{
	struct igd_flow f = { .family = strchr(s, ':') ? 6 : 4, .proto = proto, .sport = 40000,
			      .dport = dport };

	a(&f.saddr, s);
	a(&f.daddr, d);
	return f;
}

static void fresh(void)
{
	if (spd)
		igd_spd_free(spd);
	is_int(igd_spd_new(&spd), 0, "new SPD");
}

static void check_memory(void)
{
	struct igd_memory m;
	struct igd_flow f = flow("10.0.2.33", "192.168.1.10", IPPROTO_UDP, 53);
	uint32_t idx;

	fresh();
	igd_memory_init(&m, 100);
	idx = sp_add("10.0.2.0", 24, "192.168.0.0", 16, 1, 0, 0, 0);
	sp_add("10.0.2.0", 24, "10.9.0.0", 16, 0, 0, 0, 0);	/* a bypass: not remembered */
	ok(!igd_memory_sync(&m, spd, NULL, 1000), "a new SP: nothing went");
	is_int(m.n, 1, "the protecting SP is remembered, the bypass is not");
	ok(m.v[0].live && m.v[0].sp_index == idx && m.v[0].reqid == 7, "live, its SP and reqid");
	ok(igd_memory_match(&m, &f) == NULL, "a live entry matches nothing (the SP decides)");
	ok(m.dirty, "a new entry is to be written");

	is_int(igd_spd_del(spd, idx), 0, "the SP goes");
	ok(igd_memory_sync(&m, spd, NULL, 1010), "the held set changes when it goes");
	ok(!m.v[0].live && m.v[0].last_s == 1000, "not live, last seen at the sync before");
	ok(igd_memory_match(&m, &f) != NULL, "now it covers the flow: its tunnel is down");
	f = flow("10.0.3.33", "192.168.1.10", IPPROTO_UDP, 53);
	ok(igd_memory_match(&m, &f) == NULL, "not another source");
	f = flow("10.0.2.33", "192.168.1.10", IPPROTO_UDP, 53);
	f.if_id = 5;
	ok(igd_memory_match(&m, &f) == NULL, "nor a flow with another if_id");
	f.if_id = 0;
	ok(!igd_memory_expire(&m, 1099), "held until last seen + hold time");
	ok(igd_memory_expire(&m, 1100), "then forgotten");
	is_int(m.n, 0, "nothing left");

	idx = sp_add("10.0.2.0", 24, "192.168.0.0", 16, 1, 0, 0, 0);
	igd_memory_sync(&m, spd, NULL, 2000);
	is_int(igd_spd_del(spd, idx), 0, "the 10.0.2.0/24 SP deleted");
	igd_memory_sync(&m, spd, NULL, 2001);
	idx = sp_add("10.0.2.0", 24, "192.168.0.0", 16, 1, 0, 0, 0);
	ok(igd_memory_sync(&m, spd, NULL, 2002), "the SP back: the held set changes again");
	is_int(m.n, 1, "one entry, not two");
	ok(m.v[0].live && m.v[0].first_s == 2000, "live again, first seen kept");
	is_int(igd_memory_forget(&m, NULL), 1, "forget all");
	igd_memory_sync(&m, spd, NULL, 2003);
	is_int(m.n, 1, "a live one comes back from the SPD");
	{
		struct igd_prefix p = { .family = 4, .plen = 8 };

		a(&p.addr, "192.0.0.0");
		is_int(igd_memory_forget(&m, &p), 1, "forget 192.0.0.0/8 covers 192.168.0.0/16");
		a(&p.addr, "192.168.0.0");
		p.plen = 24;
		igd_memory_sync(&m, spd, NULL, 2004);
		is_int(igd_memory_forget(&m, &p), 0, "192.168.0.0/24 does not cover /16");
	}
	igd_memory_free(&m);

	igd_memory_init(&m, 0);
	ok(!igd_memory_sync(&m, spd, NULL, 3000) && m.n == 0, "hold time 0: nothing remembered");
	igd_memory_free(&m);
}

static void check_file(void)
{
	struct igd_remembered r, q;
	struct igd_memory m, m2;
	char line[600], path[] = "/tmp/igd-remember-XXXXXX";
	unsigned int bad = 99;
	FILE *f;
	int fd;

	memset(&r, 0, sizeof(r));
	r.sel.family = 6;
	a(&r.sel.saddr, "fd00:2::");
	a(&r.sel.daddr, "fd00:168::");
	r.sel.plen_s = 64;
	r.sel.plen_d = 48;
	r.sel.proto = IPPROTO_UDP;
	r.sel.dport = 1701;
	r.sel.dport_mask = 0xffff;
	r.mark_v = 0x10;
	r.mark_m = 0xff;
	r.if_id = 42;
	r.sp_index = 9;
	r.reqid = 3;
	r.first_s = 1700000000;
	r.last_s = 1700000100;
	igd_memory_line(&r, line, sizeof(line));
	is_str(line, "6 fd00:2::/64 fd00:168::/48 17 0/0 1701/65535 16/255 42 9 3 1700000000 "
	       "1700000100", "the line of an entry");
	is_int(igd_memory_parse_line(line, &q), 0, "parses back");
	ok(!memcmp(&q.sel.daddr, &r.sel.daddr, 16) && q.sel.plen_d == 48 && q.sel.dport == 1701 &&
	   q.mark_m == 0xff && q.if_id == 42 && q.last_s == r.last_s, "to the same entry");
	is_int(igd_memory_parse_line("4 10.0.0.0/8 192.168.0.0/16 0 0/0 0/0 0/0 0 1 1 5 6 ipsec0 x",
				     &q), -EINVAL, "a field too many");
	is_int(igd_memory_parse_line("4 0.0.0.0/0 192.168.0.0/16 0 0/0 0/0 0/0 0 0 0 5 6 ipsec0",
				     &q), 0, "a route's entry names its interface");
	is_str(q.via, "ipsec0", "... ipsec0");
	is_str(igd_memory_line(&q, line, sizeof(line)),
	       "4 0.0.0.0/0 192.168.0.0/16 0 0/0 0/0 0/0 0 0 0 5 6 ipsec0", "and is written so");
	is_int(igd_memory_parse_line("4 0.0.0.0/0 192.168.0.0/16 0 0/0 0/0 0/0 0 0 0 5 6 a/b", &q),
	       -EINVAL, "no interface has a / in its name");
	is_int(igd_memory_parse_line("4 0.0.0.0/0 192.168.0.0/16 0 0/0 0/0 0/0 0 0 0 5 6 "
				     "sixteen-chars-xx", &q), -EINVAL, "nor 16 characters");
	is_int(igd_memory_parse_line("4 10.0.0.0/8 192.168.0.0/16 0 0/0 0/0 0/0 0 1 1 5", &q),
	       -EINVAL, "a field too few");
	is_int(igd_memory_parse_line("4 10.0.0.0/8 fd00::/16 0 0/0 0/0 0/0 0 1 1 5 6", &q),
	       -EINVAL, "a destination of the other family");
	is_int(igd_memory_parse_line("4 10.0.0.0/33 192.168.0.0/16 0 0/0 0/0 0/0 0 1 1 5 6", &q),
	       -EINVAL, "a prefix too long");
	is_int(igd_memory_parse_line("4 10.0.0.0/8 192.168.0.0/16 0 0/0 0/0 0/0 0 1 1 -5 6", &q),
	       -EINVAL, "a negative time");

	fd = mkstemp(path);
	ok(fd >= 0, "a file");
	close(fd);
	igd_memory_init(&m, 1000);
	m.v = calloc(2, sizeof(*m.v));
	m.cap = 2;
	m.v[0] = r;
	m.v[1] = r;
	m.v[1].sel.family = 4;
	a(&m.v[1].sel.saddr, "10.0.2.0");
	a(&m.v[1].sel.daddr, "192.168.0.0");
	m.v[1].sel.plen_s = 24;
	m.v[1].sel.plen_d = 16;
	m.v[1].live = true;
	m.n = 2;
	is_int(igd_memory_save(&m, path, 1700000500), 0, "saved");
	ok(m.v[1].last_s == 1700000500, "a live entry is written as seen now");
	f = fopen(path, "a");
	fputs("garbage line\n4 1.2.3.4/32 5.6.7.8/32 0 0/0 0/0 0/0 0 1 1 1 1699000000\n", f);
	fclose(f);
	igd_memory_init(&m2, 1000);
	is_int(igd_memory_load(&m2, path, 1700000600, &bad), 0, "loaded");
	is_int(bad, 1, "the garbage line is counted");
	is_int(m2.n, 2, "the expired entry is left out, the two others read");
	ok(m2.n == 2 && !m2.v[0].live && !m2.v[1].live, "nothing read is live until the SPD says so");
	igd_memory_free(&m2);
	igd_memory_init(&m2, 1000);
	is_int(igd_memory_load(&m2, "/nonexistent/remembered", 1, NULL), 0,
	       "a missing file is an empty table");
	igd_memory_free(&m2);
	igd_memory_free(&m);
	unlink(path);
}

static void check_classify(void)
{
	struct igd_memory m;
	struct igd_prefix prot = { .family = 4, .plen = 24 };
	struct igd_out_ctx c = { .memory = &m };
	struct igd_out_decision o;
	struct igd_flow f;
	uint32_t tun, byp, l2tp, gone;

	fresh();
	igd_memory_init(&m, 100);
	c.spd = spd;
	tun = sp_add("10.0.2.0", 24, "0.0.0.0", 0, 1, 200, 0, 0);
	byp = sp_add("10.0.2.0", 24, "10.0.0.0", 8, 0, 100, 0, 0);
	l2tp = sp_add("172.16.0.1", 32, "172.16.0.2", 32, 1, 0, IPPROTO_UDP, 1701);
	gone = sp_add("10.0.4.0", 24, "192.0.2.0", 24, 1, 0, 0, 0);
	igd_memory_sync(&m, spd, NULL, 10);
	is_int(igd_spd_del(spd, gone), 0, "the SP to 192.0.2.0/24 deleted");
	igd_memory_sync(&m, spd, NULL, 11);

	f = flow("10.0.2.33", "198.51.100.7", IPPROTO_TCP, 443);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_PROTECTED && o.sp && o.sp->index == tun, "0/0 tunnel: protected");
	f = flow("10.0.2.33", "10.1.2.3", IPPROTO_TCP, 443);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_BYPASS && o.sp->index == byp && !o.drop,
	   "the LAN beside it: bypass, never dropped");
	is_str(igd_out_class_name(o.cls), "bypass", "named bypass");
	f = flow("172.16.0.1", "172.16.0.2", IPPROTO_UDP, 1701);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_PROTECTED && o.sp->index == l2tp, "udp 1701 to the L2TP peer: protected");
	f = flow("172.16.0.1", "172.16.0.2", IPPROTO_ICMP, 0);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_UNCOVERED && o.sp->index == tun,
	   "a ping to it: the 0/0 tunnel covers its destination, not its source");
	f = flow("10.0.3.5", "198.51.100.7", IPPROTO_TCP, 443);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_UNCOVERED && o.sp && o.sp->index == tun && !o.drop,
	   "another source towards what 0/0 protects: uncovered, reported only");
	c.drop_uncovered = true;
	igd_out_classify(&c, &f, &o);
	ok(o.drop, "... dropped with --drop-uncovered");
	c.drop_uncovered = false;
	f = flow("10.0.4.9", "192.0.2.1", IPPROTO_UDP, 53);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_HELD && o.held && o.held->sp_index == gone && o.drop,
	   "the SP that went: held, dropped");
	a(&prot.addr, "203.0.113.0");
	c.protect = &prot;
	c.nprotect = 1;
	f = flow("10.0.9.9", "203.0.113.5", IPPROTO_UDP, 53);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_PROTECT && o.drop, "--protect: protect, dropped");
	f = flow("10.0.9.9", "203.0.114.5", IPPROTO_UDP, 53);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_UNCOVERED, "outside --protect: the 0/0 tunnel's destination still");
	igd_memory_free(&m);

	fresh();
	c = (struct igd_out_ctx){ .spd = spd };
	sp_add("172.16.0.1", 32, "172.16.0.2", 32, 1, 0, IPPROTO_UDP, 1701);
	f = flow("172.16.0.1", "172.16.0.2", IPPROTO_ICMP, 0);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_CLEAR && !o.drop,
	   "an L2TP host alone: its ping to the peer is clear by design");
	ok(!igd_sp_covers_all(igd_spd_first(spd, IGD_DIR_OUT)), "a port narrows the SP");
}

/* A route-based gateway: SPs bound to an xfrm interface or a VTI's key are not
 * remembered; the networks routed into tunnel interfaces that are up are, and when the
 * route goes (or the interface), a flow towards them in clear is held. */
static void check_routes(void)
{
	static struct igd_tunnels t;
	struct igd_out_ctx c = { 0 };
	struct igd_out_decision o;
	struct igd_memory m;
	struct igd_sp sp = { 0 };
	struct igd_flow f;
	uint32_t i;

	fresh();
	igd_tunnels_init(&t);
	t.ifs[0] = (struct igd_tunnel_if){ .ifindex = 7, .name = "ipsec0",
					   .kind = IGD_TUNNEL_XFRM, .if_id = 42, .up = true };
	t.ifs[1] = (struct igd_tunnel_if){ .ifindex = 8, .name = "vti0", .kind = IGD_TUNNEL_VTI,
					   .okey = 9, .has_okey = true, .up = true };
	t.nifs = 2;
	t.routes[0] = (struct igd_tunnel_route){ .dst = { .family = 4, .plen = 16 }, .oif = 7 };
	a(&t.routes[0].dst.addr, "192.168.0.0");
	t.routes[1] = (struct igd_tunnel_route){ .dst = { .family = 4, .plen = 24 }, .oif = 8 };
	a(&t.routes[1].dst.addr, "172.30.1.0");
	t.nroutes = 2;
	i = sp_add("0.0.0.0", 0, "0.0.0.0", 0, 1, 0, 0, 0);
	sp = *igd_spd_get(spd, i);
	sp.if_id = 42;
	is_int(igd_spd_add(spd, &sp), 0, "the 0/0 SP updated with if_id 42");
	ok(igd_sp_route_bound(&sp, &t), "an SP with an if_id is the interface's");
	sp.if_id = 0;
	sp.mark_v = 9;
	sp.mark_m = 0xffffffff;
	sp.index = next_index++;
	ok(igd_sp_route_bound(&sp, &t), "an SP with a VTI's key as mark is the VTI's");
	is_int(igd_spd_add(spd, &sp), 0, "an SP with mark 9 added");
	sp.mark_v = 10;
	ok(!igd_sp_route_bound(&sp, &t), "another mark is a firewall's: policy-based");

	igd_memory_init(&m, 100);
	igd_memory_sync(&m, spd, &t, 10);
	is_int(m.n, 2, "the bound SPs are not remembered, the two routes are");
	ok(m.n == 2 && !strcmp(m.v[0].via, "ipsec0") && m.v[0].live && m.v[1].live,
	   "live, with their interfaces");
	c.spd = spd;
	c.memory = &m;
	f = flow("10.0.2.33", "192.168.1.10", IPPROTO_ICMP, 0);
	igd_out_classify(&c, &f, &o);
	is_int(o.cls, IGD_OUT_CLEAR, "while the route is there, a flow that leaves elsewhere "
	       "is the routes' choice: clear");
	t.routes[0] = t.routes[1];
	t.nroutes = 1;
	ok(igd_memory_sync(&m, spd, &t, 20), "the route into ipsec0 went: the held set changes");
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_HELD && o.drop && o.held && !strcmp(o.held->via, "ipsec0"),
	   "now it leaves in clear: held, naming ipsec0");
	t.ifs[1].up = false;
	igd_memory_sync(&m, spd, &t, 21);
	f = flow("10.0.2.33", "172.30.1.5", IPPROTO_TCP, 22);
	igd_out_classify(&c, &f, &o);
	ok(o.cls == IGD_OUT_HELD && !strcmp(o.held->via, "vti0"),
	   "vti0 down: its network is held too");
	ok(!igd_memory_sync(&m, spd, &t, 50), "nothing else changes within the hold time");
	ok(igd_memory_sync(&m, spd, &t, 121) && m.n == 0, "after it, both are forgotten");

	free(m.v);
	m.v = calloc(1, sizeof(*m.v));
	m.cap = 1;
	m.v[0].sel.family = 4;
	m.v[0].if_id = 42;
	m.n = 1;
	ok(igd_memory_sync(&m, spd, &t, 130) && m.n == 0,
	   "an if_id-bound entry from an older file is dropped (the held set changes)");
	igd_memory_free(&m);
}

/* What another daemon remembers, taken in (--remember-from): new selectors held here,
 * shared ones with the earlier first and the later last sighting. */
static void check_merge(void)
{
	struct igd_memory own, other;
	struct igd_flow f = flow("10.0.2.33", "192.168.1.10", IPPROTO_UDP, 53);
	unsigned int aged = 99;
	uint32_t idx;

	fresh();
	igd_memory_init(&own, 100);
	igd_memory_init(&other, 100);
	idx = sp_add("10.0.2.0", 24, "192.168.0.0", 16, 1, 0, 0, 0);
	sp_add("10.0.2.0", 24, "172.20.0.0", 16, 1, 0, 0, 0);
	igd_memory_sync(&other, spd, NULL, 1000);		/* the active saw both */
	is_int(other.n, 2, "the other daemon remembers two selectors");
	fresh();						/* this one has no SP */
	igd_memory_sync(&own, spd, NULL, 1000);
	is_int(igd_memory_merge(&own, &other, &aged), 2, "both taken in");
	is_int(aged, 0, "none of its own aged");
	ok(own.n == 2 && !own.v[0].live && !own.v[1].live, "held here: no SP covers them");
	ok(own.dirty, "and written to this daemon's own file");
	ok(igd_memory_match(&own, &f) != NULL, "a flow of the other's tunnel is tunnel-down here");
	ok(!igd_memory_sync(&own, spd, NULL, 1001) && own.n == 2,
	   "the next sync keeps them (their hold time runs from the other's sighting)");

	other.v[0].last_s = 1050;
	other.v[0].first_s = 900;
	is_int(igd_memory_merge(&own, &other, &aged), 0, "nothing new the second time");
	is_int(aged, 1, "the shared selector's sightings moved");
	ok(own.v[0].last_s == 1050 && own.v[0].first_s == 900, "later last, earlier first");
	other.v[0].last_s = 10;
	igd_memory_merge(&own, &other, &aged);
	ok(aged == 0 && own.v[0].last_s == 1050, "an older sighting changes nothing");
	ok(!igd_memory_expire(&own, 1099) && own.n == 2, "both held until their hold time");
	ok(igd_memory_expire(&own, 1100) && own.n == 1, "the one last seen at 1000 goes at 1100");
	ok(!igd_memory_expire(&own, 1149), "the other held until its later sighting + hold time");
	memcpy(&other.v[1], &other.v[0], sizeof(other.v[0]));
	other.v[1].sel.plen_d = 12;				/* another selector */
	other.n = 2;
	is_int(igd_memory_merge(&own, &other, &aged), 1, "a new selector of the other's file");
	idx = sp_add("10.0.2.0", 24, "172.20.0.0", 16, 1, 0, 0, 0);
	ok(igd_memory_sync(&own, spd, NULL, 1120) && own.v[0].live && own.v[0].sp_index == idx &&
	   !own.v[1].live, "its SP here too: live (no longer held), the other selector still held");
	igd_memory_free(&own);
	igd_memory_init(&own, 0);
	is_int(igd_memory_merge(&own, &other, NULL), 0, "hold time 0: nothing taken in");
	igd_memory_free(&own);
	igd_memory_free(&other);
}

int main(void)
{
	check_memory();
	check_file();
	check_classify();
	check_routes();
	check_merge();
	igd_spd_free(spd);
	return tap_done();
}
