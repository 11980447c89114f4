/* Judgement at prerouting, before the kernel's in/fwd policy check
 * (__xfrm_policy_check) drops what it will drop:
 *   tmpl-mismatch  cleartext matching an in/fwd SP with a required template
 *                  (the kernel counts XfrmInTmplMismatch)
 *   sp-miss-in     a decapsulated packet (our rule marked it: meta secpath exists)
 *                  that no in/fwd SP accepts (XfrmInNoPols)
 * The SA that decrypted a packet is not visible to a queue reader; see DESIGN. */
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "judge_int.h"
#include "tap_role.h"

/* A cleartext packet passes the templates only when every one is optional. */
static bool judge_requires_ipsec(const struct igd_sp *sp)
{
	unsigned int i;

	for (i = 0; i < sp->ntmpl; i++)
		if (!sp->tmpl[i].optional)
			return true;
	return false;
}

static int judge_in_dir(const struct igd_judge *j, const struct igd_pkt *p)
{
	if (j->local && igd_localaddr_is_local(j->local, p->family, &p->dst))
		return IGD_DIR_IN;
	return IGD_DIR_FWD;
}

void igd_judge_inbound(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		       struct igd_judgement *jd)
{
	bool decap = igd_natguard_is_secpath(&j->guard, qp->mark) || jd->tap == IGD_TAP_IN_IPSEC;
	const struct igd_sp *sp;

	if (qp->mark & j->guard.mask) {
		/* our marker must not reach the policy check: SP marks match on it */
		jd->set_mark = true;
		jd->mark = igd_natguard_clear(&j->guard, qp->mark);
		jd->flow.mark = jd->mark;
	}
	if (!j->spd)
		return;
	sp = igd_spd_lookup(j->spd, judge_in_dir(j, p), &jd->flow);
	jd->sp = sp;
	if (decap) {
		if (!sp || sp->action != IGD_SP_ALLOW)
			igd_judge_flag(j, qp, jd, IGD_R_SP_MISS_IN);
		return;
	}
	if (sp && sp->action == IGD_SP_ALLOW && judge_requires_ipsec(sp))
		igd_judge_flag(j, qp, jd, IGD_R_TMPL_MISMATCH);
}
