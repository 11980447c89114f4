/* NAT before IPsec: what source or destination NAT did to a flow an SP covered, judged
 * as the kernel then treats it.  The kernel looks the out policy up again after NAT
 * (nf_xfrm_me_harder) on the translated tuple; the one decision the daemon (from the
 * packet and its pre-NAT tuple) and `ipsecguard trace` (from the rules) make. */
#ifndef IGD_JUDGE_NAT_H
#define IGD_JUDGE_NAT_H
#include <stdbool.h>
#include "xfrm/spd.h"

enum igd_nat_outcome {
	IGD_NAT_NONE,		/* no translation, or it kept the same SP */
	IGD_NAT_LEAK,		/* the translated tuple matches no protecting SP */
	IGD_NAT_OTHER_SP,	/* it matches another protecting SP */
	IGD_NAT_INTO,		/* no protecting SP before, a protecting one after:
				 * NAT put it into a tunnel (not a fault) */
	IGD_NAT_BLOCKED,	/* the translated tuple meets a block SP: the kernel's
				 * lookup after NAT drops it */
};

/* Judges the translated @post against the original @pre and the SP @pre_sp the
 * kernel picked for it (NULL: none); *@post_sp gets the SP the kernel picks for @post
 * (NULL when none; @pre_sp when nothing was translated: no second lookup). */
enum igd_nat_outcome igd_nat_judge(const struct igd_flow *pre, const struct igd_sp *pre_sp,
				   const struct igd_flow *post, const struct igd_spd *spd,
				   const struct igd_sp **post_sp);
/* Whether translation changed the tuple at all (ports only where the protocol has
 * them). */
bool igd_flow_translated(const struct igd_flow *pre, const struct igd_flow *post);
#endif
