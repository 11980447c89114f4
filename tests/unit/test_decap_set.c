/* The decap_ok set's elements: only SP pairs whose answer no priority or direction
 * can change become elements; everything else stays a suspect. */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/xfrm.h>
#include "nft/decap_set.h"
#include "tap.h"

static struct igd_spd *spd;
static uint32_t next_index = 1;

static void a(union igd_addr *x, const char *s)
{
	memset(x, 0, sizeof(*x));
	ok(igd_addr_parse(s, x) != 0, "address %s parses", s);
}

/* An allow SP of @dir over src/sl -> dst/dl, one tunnel template of @reqid. */
static struct igd_sp sp_make(int dir, const char *src, int sl, const char *dst, int dl,
			     uint32_t reqid)
{
	struct igd_sp sp = { .index = next_index++, .dir = (uint8_t)dir, .ntmpl = 1 };

	sp.sel.family = strchr(src, ':') ? 6 : 4;
	a(&sp.sel.saddr, src);
	a(&sp.sel.daddr, dst);
	sp.sel.plen_s = (uint8_t)sl;
	sp.sel.plen_d = (uint8_t)dl;
	sp.tmpl[0] = (struct igd_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_MODE_TUNNEL,
					.reqid = reqid, .family = sp.sel.family };
	return sp;
}

static void pair(const char *src, int sl, const char *dst, int dl, uint32_t reqid)
{
	struct igd_sp in = sp_make(IGD_DIR_IN, src, sl, dst, dl, reqid);
	struct igd_sp fwd = sp_make(IGD_DIR_FWD, src, sl, dst, dl, reqid);

	is_int(igd_spd_add(spd, &in), 0, "in SP %s/%d -> %s/%d added", src, sl, dst, dl);
	is_int(igd_spd_add(spd, &fwd), 0, "fwd SP %s/%d -> %s/%d added", src, sl, dst, dl);
}

static int elems(struct igd_decap_elem *e, size_t max)
{
	return igd_decap_ok_elems(spd, e, max);
}

static void fresh(void)
{
	if (spd)
		igd_spd_free(spd);
	is_int(igd_spd_new(&spd), 0, "new SPD");
}

static void check_pairs(void)
{
	struct igd_decap_elem e[8];
	struct igd_sp sp;
	union igd_addr x;

	fresh();
	pair("192.168.0.0", 16, "10.0.2.0", 24, 7);
	is_int(elems(e, 8), 1, "an in/fwd pair of one reqid: one element");
	a(&x, "192.168.0.0");
	ok(!memcmp(e[0].s_lo.b, x.b, 4), "source from 192.168.0.0");
	a(&x, "192.168.255.255");
	ok(!memcmp(e[0].s_hi.b, x.b, 4), "to 192.168.255.255");
	a(&x, "10.0.2.255");
	ok(!memcmp(e[0].d_hi.b, x.b, 4), "destination to 10.0.2.255");
	ok(e[0].reqid_lo == 7 && e[0].reqid_hi == 7, "reqid exactly 7");

	fresh();
	sp = sp_make(IGD_DIR_FWD, "192.168.0.0", 16, "10.0.2.0", 24, 7);
	is_int(igd_spd_add(spd, &sp), 0, "lone fwd SP added");
	is_int(elems(e, 8), 0, "a fwd SP without its in twin: none (local vs forwarded)");

	fresh();
	pair("192.168.0.0", 16, "10.0.2.0", 24, 7);
	sp = sp_make(IGD_DIR_FWD, "192.168.1.0", 24, "10.0.2.0", 24, 9);
	sp.priority = 1;
	is_int(igd_spd_add(spd, &sp), 0, "overlapping fwd SP of reqid 9 added");
	is_int(elems(e, 8), 0, "an overlapping SP of another reqid: the overlap stays suspect");

	fresh();
	pair("192.168.0.0", 16, "10.0.2.0", 24, 7);
	sp = sp_make(IGD_DIR_IN, "192.168.1.0", 24, "10.0.2.0", 24, 7);
	sp.action = IGD_SP_BLOCK;
	is_int(igd_spd_add(spd, &sp), 0, "overlapping block SP added");
	is_int(elems(e, 8), 0, "an overlapping block SP: none");

	fresh();
	pair("192.168.0.0", 16, "10.0.2.0", 24, 7);
	pair("172.20.0.0", 16, "10.0.3.0", 24, 8);
	is_int(elems(e, 8), 2, "two disjoint pairs: two elements");
	is_int(elems(e, 1), -ENOSPC, "more than room: -ENOSPC (the caller leaves the set empty)");
}

static void check_refusals(void)
{
	struct igd_decap_elem e[4];
	struct igd_sp in, fwd;

	fresh();
	in = sp_make(IGD_DIR_IN, "192.168.0.0", 16, "10.0.2.0", 24, 7);
	fwd = in;
	fwd.dir = IGD_DIR_FWD;
	in.sel.proto = fwd.sel.proto = IPPROTO_TCP;
	is_int(igd_spd_add(spd, &in), 0, "in SP with a protocol selector added");
	is_int(igd_spd_add(spd, &fwd), 0, "fwd SP with a protocol selector added");
	is_int(elems(e, 4), 0, "a protocol selector: none (the set keys on addresses only)");

	fresh();
	in = sp_make(IGD_DIR_IN, "192.168.0.0", 16, "10.0.2.0", 24, 7);
	fwd = in;
	fwd.dir = IGD_DIR_FWD;
	in.tmpl[0].optional = fwd.tmpl[0].optional = 1;
	is_int(igd_spd_add(spd, &in), 0, "in SP with an optional template added");
	is_int(igd_spd_add(spd, &fwd), 0, "fwd SP with an optional template added");
	is_int(elems(e, 4), 0, "an optional template: none (cleartext passes it too)");

	fresh();
	pair("192.168.0.0", 16, "10.0.2.0", 24, 0);
	is_int(elems(e, 4), 1, "reqid 0 in the template: one element");
	ok(e[0].reqid_lo == 0 && e[0].reqid_hi == UINT32_MAX, "covering every reqid");

	fresh();
	pair("fd00:168::", 64, "fd00:2::", 64, 6);
	is_int(elems(e, 4), 1, "IPv6 pair: one element");
	ok(e[0].family == 6 && e[0].s_hi.b[8] == 0xff && e[0].s_hi.b[7] == 0,
	   "an IPv6 /64 ends at ...:ffff:ffff:ffff:ffff");
}

int main(void)
{
	check_pairs();
	check_refusals();
	igd_spd_free(spd);
	return tap_done();
}
