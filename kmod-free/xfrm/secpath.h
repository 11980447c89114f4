/* The inbound policy check: whether a packet that arrived through the SAs of its secpath
 * (none for cleartext) passes the in or fwd SP the kernel found for it.
 *
 * This is __xfrm_policy_check() (net/xfrm/xfrm_policy.c) after the lookup: each SA of
 * the secpath must have a selector that matches the inner flow (else
 * XfrmInStateMismatch); with no SP, a secpath holding a tunnel-mode SA is refused
 * (XfrmInNoPols) and anything else passes; a block SP refuses (XfrmInPolBlock); an allow
 * SP's templates are matched against the secpath from the outermost, the way
 * xfrm_policy_ok() does: a required template must be met by the next SAs in order
 * (transport-mode SAs may be skipped), an optional one ("level use") may be absent; and
 * a tunnel-mode SA that no template accounted for is refused (XfrmInTmplMismatch).
 * An SA meets a template when protocol, SPI (template 0: any), reqid (template 0: any)
 * and mode agree and, in tunnel mode, the template's source (when set) is the SA's. */
#ifndef IGD_SECPATH_H
#define IGD_SECPATH_H
#include "xfrm/sad.h"
#include "xfrm/spd.h"

enum igd_secpath_result {
	IGD_SECPATH_OK = 0,
	IGD_SECPATH_STATE_MISMATCH,	/* an SA's selector does not cover the flow */
	IGD_SECPATH_NO_POLICY,		/* tunnel-mode SA and no SP */
	IGD_SECPATH_BLOCKED,		/* the SP's action is block */
	IGD_SECPATH_TMPL_MISMATCH,	/* a required template unmet, or an extra tunnel SA */
	IGD_SECPATH_DEFAULT_BLOCK,	/* no SP, and the direction's default policy is
					 * block (xfrm_default.h) */
};

struct igd_secpath_check {
	enum igd_secpath_result result;
	int tmpl;		/* TMPL_MISMATCH: the template unmet, -1: an SA no template
				 * accounts for */
	int sa;			/* STATE_MISMATCH, or an extra SA: its index in the secpath;
				 * -1 otherwise */
};

/* @sp: the SP the lookup found (NULL: none); @xvec/@n: the secpath, outermost first
 * (the order the kernel decapsulated them in); @flow: the inner packet's flow;
 * @default_block: the direction's default policy is block. */
void igd_secpath_check(const struct igd_sp *sp, const struct igd_sa *const *xvec,
		       unsigned int n, const struct igd_flow *flow, bool default_block,
		       struct igd_secpath_check *out);
/* "ok", "XfrmInStateMismatch", "XfrmInNoPols", "XfrmInPolBlock", "XfrmInTmplMismatch":
 * the /proc/net/xfrm_stat counter the kernel raises. */
const char *igd_secpath_result_str(enum igd_secpath_result r);
#endif
