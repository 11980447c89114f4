#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "judge.h"

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
};

static const char *const hook_names[] = {
	[NF_INET_PRE_ROUTING] = "prerouting",
	[NF_INET_LOCAL_IN] = "input",
	[NF_INET_FORWARD] = "forward",
	[NF_INET_LOCAL_OUT] = "output",
	[NF_INET_POST_ROUTING] = "postrouting",
};

const char *igd_reason_name(enum igd_reason r)
{
	return r < IGD_R_MAX ? reason_names[r] : "?";
}

const char *igd_hook_name(unsigned int hook)
{
	return hook < sizeof(hook_names) / sizeof(hook_names[0]) ? hook_names[hook] : "?";
}

void igd_judge_init(struct igd_judge *j, const struct igd_opts *o)
{
	memset(j, 0, sizeof(*j));
	j->opts = o;
}

static void judge_count(struct igd_judge *j, const struct igd_judgement *jd)
{
	j->count[jd->reason][jd->verdict == NF_DROP]++;
}

void igd_judge_packet(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		      struct igd_judgement *jd)
{
	*jd = (struct igd_judgement){ .reason = IGD_R_PASS, .verdict = NF_ACCEPT };
	if (qp->hook < 5)
		j->hooks[qp->hook]++;
	jd->parse_err = igd_pkt_parse_cap(p, qp->data, qp->len, qp->orig_len);
	if (jd->parse_err != IGD_PKT_OK) {
		jd->reason = IGD_R_MALFORMED;
		if (jd->parse_err > 0 && jd->parse_err < IGD_PKT_ERR_MAX)
			j->malformed[jd->parse_err]++;
	}
	judge_count(j, jd);
}
