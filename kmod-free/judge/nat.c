#include <string.h>
#include <netinet/in.h>
#include "judge/nat.h"

static bool flow_has_ports(const struct igd_flow *f)
{
	return f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP ||
	       f->proto == IPPROTO_SCTP || f->proto == IPPROTO_UDPLITE ||
	       f->proto == IPPROTO_DCCP;
}

bool igd_flow_translated(const struct igd_flow *pre, const struct igd_flow *post)
{
	if (memcmp(&pre->saddr, &post->saddr, sizeof(pre->saddr)) ||
	    memcmp(&pre->daddr, &post->daddr, sizeof(pre->daddr)))
		return true;
	return flow_has_ports(pre) && (pre->sport != post->sport || pre->dport != post->dport);
}

enum igd_nat_outcome igd_nat_judge(const struct igd_flow *pre, const struct igd_sp *pre_sp,
				   const struct igd_flow *post, const struct igd_spd *spd,
				   const struct igd_sp **post_sp)
{
	bool before = pre_sp && igd_sp_protecting(pre_sp), after;
	const struct igd_sp *sp;

	*post_sp = pre_sp;
	if (!igd_flow_translated(pre, post))
		return IGD_NAT_NONE;
	sp = igd_spd_lookup(spd, IGD_DIR_OUT, post);
	*post_sp = sp;
	if (sp && sp->action != IGD_SP_ALLOW)
		return IGD_NAT_BLOCKED;
	after = sp && igd_sp_protecting(sp);
	if (!before)
		return after ? IGD_NAT_INTO : IGD_NAT_NONE;
	if (!after)
		return IGD_NAT_LEAK;
	if (sp->index != pre_sp->index || sp->dir != pre_sp->dir)
		return IGD_NAT_OTHER_SP;
	return IGD_NAT_NONE;
}
