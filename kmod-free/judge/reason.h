/* Why a flow was judged as it was: the words of the daemon's verdict lines, which
 * `ipsecguard trace` uses too for the verdicts it predicts. */
#ifndef IGD_JUDGE_REASON_H
#define IGD_JUDGE_REASON_H

enum igd_reason {
	IGD_R_PASS,		/* nothing wrong */
	IGD_R_MALFORMED,	/* did not parse: accepted, counted */
	IGD_R_NAT_BEFORE_IPSEC,
	IGD_R_NAT_CHANGED_SP,
	IGD_R_SP_MISS_OUT,
	IGD_R_SP_MISS_IN,
	IGD_R_TMPL_MISMATCH,
	IGD_R_NO_SA,
	IGD_R_MSS_CLAMP,
	IGD_R_UNJUDGED,		/* a suspect without its pre-NAT tuple: dropped when
				 * enforcing, flagged in audit */
	IGD_R_BYPASS,		/* a bypass SP lets it out in clear: accepted */
	IGD_R_TUNNEL_DOWN,	/* no SP covers it now, a remembered one did */
	IGD_R_MAX
};

/* "pass", "nat-before-ipsec", ...; "?" out of range. */
const char *igd_reason_name(enum igd_reason r);
#endif
