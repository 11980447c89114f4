/* Judgement at prerouting, before the kernel's in/fwd policy check
 * (__xfrm_policy_check) drops what it will drop:
 *   tmpl-mismatch  cleartext matching an in/fwd SP with a required template
 *                  (the kernel counts XfrmInTmplMismatch)
 *   sp-miss-in     a decapsulated packet (our rule marked it: meta secpath exists)
 *                  that no in/fwd SP accepts (XfrmInNoPols)
 * and, when our rule could carry it (the packet had no mark), the reqid of the SA
 * that decrypted the packet: a decapsulated packet whose SA the SP's templates do
 * not accept is tmpl-mismatch too (asymmetric tunnels: the reply took the other one). */
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "judge_int.h"
#include "packet/tap_role.h"

static int judge_in_dir(const struct igd_judge *j, const struct igd_pkt *p)
{
	if (j->local && igd_localaddr_is_local(j->local, p->family, &p->dst))
		return IGD_DIR_IN;
	return IGD_DIR_FWD;
}

/* Whether a required template of @sp accepts an SA of @reqid (template reqid 0: any). */
static bool judge_tmpl_accepts(const struct igd_sp *sp, uint32_t reqid)
{
	bool required = false;
	unsigned int i;

	for (i = 0; i < sp->ntmpl; i++) {
		if (sp->tmpl[i].optional)
			continue;
		required = true;
		if (!sp->tmpl[i].reqid || sp->tmpl[i].reqid == reqid)
			return true;
	}
	return !required;
}

/* The arriving SA of @reqid, and what the reverse direction uses: the diagnosis of
 * asymmetric tunnels names both. */
static void judge_decap_mismatch(struct igd_judge *j, const struct igd_qpkt *qp,
				 struct igd_judgement *jd, uint32_t reqid)
{
	const struct igd_sa *sa = NULL;
	struct igd_flow rev;

	jd->in_reqid = reqid;
	while (j->sad && (sa = igd_sad_next_by_reqid(j->sad, reqid, sa)))
		if (j->local && igd_localaddr_is_local(j->local, sa->family, &sa->daddr))
			break;
	jd->sa = sa;
	igd_flow_reverse(&jd->flow, &rev);
	jd->rev_sp = igd_spd_lookup(j->spd, IGD_DIR_OUT, &rev);
	igd_judge_flag(j, qp, jd, IGD_R_TMPL_MISMATCH);
}

static void judge_decap_ok(struct igd_judge *j, const struct igd_qpkt *qp,
			   struct igd_judgement *jd, bool secreq)
{
	uint32_t own = secreq ? 0 : igd_natguard_clear(&j->guard, qp->mark);

	jd->set_mark = true;
	jd->mark = own | igd_natguard_decap_ok(&j->guard);
	jd->verdict = NF_REPEAT;	/* prerouting's first rule takes it into the ct mark */
}

void igd_judge_inbound(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		       struct igd_judgement *jd)
{
	bool secreq = igd_natguard_is_secreq(&j->guard, qp->mark);
	bool decap = secreq || igd_natguard_is_secpath(&j->guard, qp->mark) ||
		     jd->tap == IGD_TAP_IN_IPSEC;
	uint32_t reqid = secreq ? igd_natguard_clear(&j->guard, qp->mark) : 0;
	const struct igd_sp *sp;

	if (qp->mark & j->guard.mask) {
		/* our marker must not reach the policy check: SP marks match on it */
		jd->set_mark = true;
		jd->mark = secreq ? 0 : igd_natguard_clear(&j->guard, qp->mark);
		jd->flow.mark = jd->mark;
	}
	if (!j->spd)
		return;
	sp = igd_spd_lookup(j->spd, judge_in_dir(j, p), &jd->flow);
	jd->sp = sp;
	if (decap) {
		if (!sp || sp->action != IGD_SP_ALLOW)
			igd_judge_flag(j, qp, jd, IGD_R_SP_MISS_IN);
		else if (secreq && !judge_tmpl_accepts(sp, reqid))
			judge_decap_mismatch(j, qp, jd, reqid);
		else	/* passed: the tagin chain spares the rest of the connection */
			judge_decap_ok(j, qp, jd, secreq);
		return;
	}
	if (sp && sp->action == IGD_SP_ALLOW && igd_sp_requires_ipsec(sp))
		igd_judge_flag(j, qp, jd, IGD_R_TMPL_MISMATCH);
}
