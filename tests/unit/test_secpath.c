/* The inbound policy check on a known secpath: cleartext against required and optional
 * templates, the SA's reqid, mode and selector, extra tunnel SAs, no SP, block. */
#include <arpa/inet.h>
#include <linux/xfrm.h>
#include "xfrm/secpath.h"
#include "tap.h"

static void a(union igd_addr *x, const char *s)
{
	memset(x, 0, sizeof(*x));
	ok(igd_addr_parse(s, x) != 0, "address %s parses", s);
}

static struct igd_sp fwd_sp(uint32_t reqid, uint8_t optional)
{
	struct igd_sp sp = { .index = 2, .dir = IGD_DIR_FWD, .ntmpl = 1 };

	sp.sel.family = 4;
	a(&sp.sel.saddr, "192.168.0.0");
	a(&sp.sel.daddr, "10.0.2.0");
	sp.sel.plen_s = 16;
	sp.sel.plen_d = 24;
	sp.tmpl[0] = (struct igd_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_MODE_TUNNEL,
					.reqid = reqid, .family = 4, .optional = optional };
	a(&sp.tmpl[0].saddr, "203.0.113.2");
	a(&sp.tmpl[0].daddr, "203.0.113.1");
	return sp;
}

static struct igd_sa sa_make(uint32_t reqid, uint8_t mode, const char *src)
{
	struct igd_sa sa = { .spi = 0x2001, .reqid = reqid, .proto = IPPROTO_ESP,
			     .mode = mode, .family = 4 };

	a(&sa.saddr, src);
	a(&sa.daddr, "203.0.113.1");
	sa.sel.family = 4;	/* a zero selector of the family matches every flow */
	return sa;
}

static struct igd_secpath_check run_dflt(const struct igd_sp *sp, const struct igd_sa *x,
					 const struct igd_flow *f, bool default_block)
{
	const struct igd_sa *xv[1] = { x };
	struct igd_secpath_check c;

	igd_secpath_check(sp, xv, x ? 1 : 0, f, default_block, &c);
	return c;
}

static struct igd_secpath_check run(const struct igd_sp *sp, const struct igd_sa *x,
				    const struct igd_flow *f)
{
	return run_dflt(sp, x, f, false);
}

int main(void)
{
	struct igd_flow f = { .family = 4, .proto = IPPROTO_ICMP };
	struct igd_sp req = fwd_sp(1, 0), use = fwd_sp(1, 1), any = fwd_sp(0, 0);
	struct igd_sa sa1 = sa_make(1, XFRM_MODE_TUNNEL, "203.0.113.2");
	struct igd_sa sa2 = sa_make(2, XFRM_MODE_TUNNEL, "203.0.113.2");
	struct igd_sa other_peer = sa_make(1, XFRM_MODE_TUNNEL, "203.0.113.9");
	struct igd_sa transport = sa_make(7, XFRM_MODE_TRANSPORT, "203.0.113.2");
	struct igd_secpath_check c;

	a(&f.saddr, "192.168.1.5");
	a(&f.daddr, "10.0.2.7");

	is_int(run(&req, NULL, &f).result, IGD_SECPATH_TMPL_MISMATCH,
	       "cleartext against a required template is refused");
	is_int(run(&use, NULL, &f).result, IGD_SECPATH_OK,
	       "cleartext against an optional (level use) template passes");
	is_int(run(&req, &sa1, &f).result, IGD_SECPATH_OK, "the template's own SA passes");
	c = run(&req, &sa2, &f);
	ok(c.result == IGD_SECPATH_TMPL_MISMATCH && c.tmpl == 0 && c.sa == 0,
	   "an SA of another reqid is refused, naming template 0 and SA 0");
	is_int(run(&any, &sa2, &f).result, IGD_SECPATH_OK, "template reqid 0 takes any reqid");
	is_int(run(&req, &other_peer, &f).result, IGD_SECPATH_TMPL_MISMATCH,
	       "a tunnel SA from another source than the template's is refused");
	c = run(&use, &sa2, &f);
	ok(c.result == IGD_SECPATH_TMPL_MISMATCH && c.tmpl == -1 && c.sa == 0,
	   "an optional template unmet leaves a tunnel SA unaccounted for: refused");
	is_int(run(&req, &transport, &f).result, IGD_SECPATH_TMPL_MISMATCH,
	       "a transport SA does not meet a tunnel template");
	is_int(run(&use, &transport, &f).result, IGD_SECPATH_OK,
	       "a transport SA beside an optional template passes");
	is_int(run(NULL, NULL, &f).result, IGD_SECPATH_OK, "no SP, cleartext: passes");
	is_int(run(NULL, &sa1, &f).result, IGD_SECPATH_NO_POLICY,
	       "no SP, decapsulated from a tunnel: XfrmInNoPols");
	is_int(run(NULL, &transport, &f).result, IGD_SECPATH_OK,
	       "no SP, transport SA: passes");
	req.action = IGD_SP_BLOCK;
	is_int(run(&req, &sa1, &f).result, IGD_SECPATH_BLOCKED, "a block SP refuses");
	req.action = IGD_SP_ALLOW;
	sa1.sel.plen_s = 24;
	a(&sa1.sel.saddr, "192.168.9.0");
	sa1.sel.plen_d = 0;
	is_int(run(&req, &sa1, &f).result, IGD_SECPATH_STATE_MISMATCH,
	       "an SA whose selector does not cover the inner flow: XfrmInStateMismatch");
	sa1.sel = (struct igd_sel){ 0 };
	is_int(run(&req, &sa1, &f).result, IGD_SECPATH_OK,
	       "an SA selector without family (AF_UNSPEC state) covers every flow");
	is_str(igd_secpath_result_str(IGD_SECPATH_TMPL_MISMATCH), "XfrmInTmplMismatch",
	       "the counter's name");
	/* the default policy (ip xfrm policy setdefault): only where no SP matched */
	is_int(run_dflt(NULL, NULL, &f, true).result, IGD_SECPATH_DEFAULT_BLOCK,
	       "no SP, default block: cleartext dropped");
	is_int(run_dflt(NULL, &transport, &f, true).result, IGD_SECPATH_DEFAULT_BLOCK,
	       "no SP, default block: a transport secpath too");
	is_int(run_dflt(&req, &sa1, &f, true).result, IGD_SECPATH_OK,
	       "an SP that matched: the default does not apply");
	is_str(igd_secpath_result_str(IGD_SECPATH_DEFAULT_BLOCK), "XfrmInNoPols",
	       "the default's counter");
	return tap_done();
}
