/* The inbound policy check on a known secpath; see secpath.h. */
#include <string.h>
#include <linux/xfrm.h>
#include "xfrm/secpath.h"

static bool tmpl_met_by(const struct igd_tmpl *t, const struct igd_sa *x)
{
	static const union igd_addr any;

	if (t->proto != x->proto || (t->spi && t->spi != x->spi) ||
	    (t->reqid && t->reqid != x->reqid) || t->mode != x->mode)
		return false;
	/* __xfrm4/6_state_addr_cmp(): only a template source that is set is compared */
	if (x->mode != XFRM_MODE_TRANSPORT && memcmp(&t->saddr, &any, sizeof(any)) &&
	    memcmp(&t->saddr, &x->saddr, sizeof(any)))
		return false;
	return true;
}

/* xfrm_policy_ok(): from secpath index @start, the index after the SA that meets @t, or
 * @start when @t may be absent; -1 when unmet, -2 - i when SA i (tunnel mode) stood in
 * the way. */
static int tmpl_ok(const struct igd_tmpl *t, const struct igd_sa *const *xvec, unsigned int n,
		   int start)
{
	int idx = start;

	if (t->optional) {
		if (t->mode == XFRM_MODE_TRANSPORT)
			return start;
	} else {
		start = -1;
	}
	for (; idx < (int)n; idx++) {
		if (tmpl_met_by(t, xvec[idx]))
			return idx + 1;
		if (xvec[idx]->mode != XFRM_MODE_TRANSPORT) {
			if (start == -1)
				start = -2 - idx;
			break;
		}
	}
	return start;
}

void igd_secpath_check(const struct igd_sp *sp, const struct igd_sa *const *xvec,
		       unsigned int n, const struct igd_flow *flow, bool default_block,
		       struct igd_secpath_check *out)
{
	unsigned int i;
	int k = 0, t;

	out->result = IGD_SECPATH_OK;
	out->tmpl = -1;
	out->sa = -1;
	for (i = n; i-- > 0;) {
		/* xfrm_selector_match() reads the selector in the flow's family, whatever
		 * family the SA's selector was given (AF_UNSPEC states have none) */
		struct igd_sel sel = xvec[i]->sel;

		sel.family = flow->family;
		if (!igd_sel_match(&sel, flow)) {
			out->result = IGD_SECPATH_STATE_MISMATCH;
			out->sa = (int)i;
			return;
		}
	}
	if (!sp) {
		if (default_block) {	/* before the secpath: XfrmInNoPols either way */
			out->result = IGD_SECPATH_DEFAULT_BLOCK;
			return;
		}
		for (i = 0; i < n; i++)
			if (xvec[i]->mode != XFRM_MODE_TRANSPORT) {
				out->result = IGD_SECPATH_NO_POLICY;
				out->sa = (int)i;
				return;
			}
		return;
	}
	if (sp->action != IGD_SP_ALLOW) {
		out->result = IGD_SECPATH_BLOCKED;
		return;
	}
	/* the kernel walks the templates innermost-last: tpp[xfrm_nr - 1] first */
	for (t = (int)sp->ntmpl - 1; t >= 0; t--) {
		k = tmpl_ok(&sp->tmpl[t], xvec, n, k);
		if (k < 0) {
			out->result = IGD_SECPATH_TMPL_MISMATCH;
			out->tmpl = t;
			out->sa = k < -1 ? -(2 + k) : -1;
			return;
		}
	}
	for (i = (unsigned int)k; i < n; i++)	/* secpath_has_nontransport() */
		if (xvec[i]->mode != XFRM_MODE_TRANSPORT) {
			out->result = IGD_SECPATH_TMPL_MISMATCH;
			out->sa = (int)i;
			return;
		}
}

const char *igd_secpath_result_str(enum igd_secpath_result r)
{
	switch (r) {
	case IGD_SECPATH_OK:			return "ok";
	case IGD_SECPATH_STATE_MISMATCH:	return "XfrmInStateMismatch";
	case IGD_SECPATH_NO_POLICY:		return "XfrmInNoPols";
	case IGD_SECPATH_DEFAULT_BLOCK:		return "XfrmInNoPols";
	case IGD_SECPATH_BLOCKED:		return "XfrmInPolBlock";
	case IGD_SECPATH_TMPL_MISMATCH:		return "XfrmInTmplMismatch";
	}
	return "?";
}
