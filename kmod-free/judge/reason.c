#include "judge/reason.h"

static const char *const reason_names[IGD_R_MAX] = {
	[IGD_R_PASS] = "pass",
	[IGD_R_MALFORMED] = "malformed",
	[IGD_R_NAT_BEFORE_IPSEC] = "nat-before-ipsec",
	[IGD_R_NAT_CHANGED_SP] = "nat-changed-sp",
	[IGD_R_SP_MISS_OUT] = "sp-miss-out",
	[IGD_R_SP_MISS_IN] = "sp-miss-in",
	[IGD_R_TMPL_MISMATCH] = "tmpl-mismatch",
	[IGD_R_NO_SA] = "no-sa",
	[IGD_R_MSS_CLAMP] = "mss-clamp",
	[IGD_R_UNJUDGED] = "unjudged",
	[IGD_R_BYPASS] = "bypass",
	[IGD_R_TUNNEL_DOWN] = "tunnel-down",
};

const char *igd_reason_name(enum igd_reason r)
{
	return r < IGD_R_MAX ? reason_names[r] : "?";
}
