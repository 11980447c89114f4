/* ipsecguard doctor: policies and SAs the kernel will treat in ways that surprise. */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/xfrm.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include "doctor.h"
#include "nl/nl_talk.h"
#include "mtu/esp_mtu.h"
#include "mtu/route_mtu.h"
#include "natfix/natfix.h"

static void check_sa_missing(struct doctor *d)
{
	const struct igd_sp *sp;
	char sb[IGD_NATFIX_SEL_MAX + 64];
	struct doctor_finding *f;
	unsigned int i;

	igd_spd_for_each(d->spd, sp, IGD_DIR_OUT) {
		for (i = 0; i < sp->ntmpl; i++) {
			if (sp->tmpl[i].optional || doctor_sa_of(d->sad, &sp->tmpl[i], NULL))
				continue;
			f = doctor_add(d, DOCTOR_WARNING, "sa-missing", sp);
			if (!f)
				return;
			snprintf(f->evidence, sizeof(f->evidence), "%s: template %u (%s, reqid %u) "
				 "has no SA", doctor_sp_str(sp, sb, sizeof(sb)), i,
				 igd_xfrm_proto_str(sp->tmpl[i].proto), sp->tmpl[i].reqid);
			snprintf(f->effect, sizeof(f->effect),
				 "the SP's traffic is held or dropped until IKE negotiates an SA "
				 "(an ACQUIRE is pending, or the tunnel is down)");
			snprintf(f->fix, sizeof(f->fix),
				 "bring the tunnel up (swanctl --initiate ..., ipsec up ...) and read "
				 "`ipsecguard monitor` for ACQUIREs");
			break;
		}
	}
}

static bool sp_tunnel(const struct igd_sp *sp)
{
	unsigned int i;

	for (i = 0; i < sp->ntmpl; i++)
		if (sp->tmpl[i].mode == XFRM_MODE_TUNNEL)
			return true;
	return false;
}

/* A tunnel-mode in SP whose destination is a network (not one host) needs its fwd
 * twin: decapsulated packets for hosts behind the gateway are checked against fwd. */
static void check_in_fwd(struct doctor *d)
{
	const struct igd_sp *in, *fwd;
	char sb[IGD_NATFIX_SEL_MAX + 64];
	struct doctor_finding *f;
	bool found;

	igd_spd_for_each(d->spd, in, IGD_DIR_IN) {
		if (!sp_tunnel(in) || in->sel.plen_d == (in->sel.family == 6 ? 128 : 32))
			continue;
		found = false;
		igd_spd_for_each(d->spd, fwd, IGD_DIR_FWD)
			found = found || igd_natfix_sel_equal(&in->sel, &fwd->sel);
		if (found || !(f = doctor_add(d, DOCTOR_WARNING, "in-without-fwd", in)))
			continue;
		snprintf(f->evidence, sizeof(f->evidence), "%s: no fwd SP with this selector",
			 doctor_sp_str(in, sb, sizeof(sb)));
		snprintf(f->effect, sizeof(f->effect),
			 "packets decapsulated for hosts behind this gateway fail the forward "
			 "policy check and are dropped (XfrmFwdHdrError, XfrmInNoPols)");
		snprintf(f->fix, sizeof(f->fix),
			 "add the fwd policy of the same selector and template (IKE daemons "
			 "install in and fwd together: check the tunnel's configuration)");
	}
}

static bool sa_wanted(const struct igd_spd *spd, const struct igd_sa *sa)
{
	const struct igd_sp *sp;
	unsigned int i;
	int dir;

	for (dir = IGD_DIR_IN; dir <= IGD_DIR_FWD; dir++)
		igd_spd_for_each(spd, sp, dir)
			for (i = 0; i < sp->ntmpl; i++)
				if (sp->tmpl[i].proto == sa->proto &&
				    (!sp->tmpl[i].reqid || sp->tmpl[i].reqid == sa->reqid))
					return true;
	return false;
}

static void check_sa_unused(struct doctor *d)
{
	char a[IGD_ADDRSTRLEN], b[IGD_ADDRSTRLEN];
	struct doctor_finding *f;
	const struct igd_sa *sa;

	for (sa = igd_sad_next(d->sad, NULL); sa; sa = igd_sad_next(d->sad, sa)) {
		if (sa_wanted(d->spd, sa) || !(f = doctor_add(d, DOCTOR_INFO, "sa-unused", NULL)))
			continue;
		snprintf(f->evidence, sizeof(f->evidence), "SA %s spi 0x%08x %s -> %s reqid %u",
			 igd_xfrm_proto_str(sa->proto), sa->spi,
			 igd_addr_str(sa->family, &sa->saddr, a, sizeof(a)),
			 igd_addr_str(sa->family, &sa->daddr, b, sizeof(b)), sa->reqid);
		snprintf(f->effect, sizeof(f->effect),
			 "no policy template asks for its reqid: no traffic uses it (a leftover, "
			 "or the policies name another reqid than the SAs)");
		snprintf(f->fix, sizeof(f->fix),
			 "compare `ipsecguard spd` with the IKE daemon's view (swanctl --list-sas)");
	}
}

/* Whether any rule of the ruleset rewrites the TCP MSS option: nft's
 * `tcp option maxseg size set`, or the TCPMSS target of iptables-nft. */
static int mss_expr_cb(struct nftnl_expr *x, void *data)
{
	const char *name = nftnl_expr_get_str(x, NFTNL_EXPR_NAME);
	bool *found = data;

	if (name && !strcmp(name, "exthdr") && nftnl_expr_is_set(x, NFTNL_EXPR_EXTHDR_SREG) &&
	    nftnl_expr_get_u8(x, NFTNL_EXPR_EXTHDR_TYPE) == 2 /* maxseg */)
		*found = true;
	if (name && !strcmp(name, "target") &&
	    !strcmp(nftnl_expr_get_str(x, NFTNL_EXPR_TG_NAME) ?: "", "TCPMSS"))
		*found = true;
	return 0;
}

static int mss_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0)
		nftnl_expr_foreach(r, mss_expr_cb, data);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static void mss_reset(void *data)
{
	*(bool *)data = false;
}

static bool mss_rule_present(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	bool found = false;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_UNSPEC, NLM_F_DUMP, 0);
	return igd_nl_dump(nlh, mss_rule_cb, &found, mss_reset) == 0 && found;
}

/* The inner MTU and MSS each out SA of an ESP template carries, against the MTU of
 * the network behind it: larger than the tunnel carries and no rule clamping the
 * MSS, TCP relies on PMTU discovery through the tunnel. */
static void check_mtu(struct doctor *d)
{
	static uint8_t buf[IGD_RTNL_BUF_SIZE];
	char a[IGD_ADDRSTRLEN], sb[IGD_NATFIX_SEL_MAX + 64];
	struct igd_esp_params p;
	struct doctor_finding *f;
	const struct igd_sp *sp;
	const struct igd_sa *sa;
	struct igd_route_mtu r, r2;
	struct igd_rtnl rt;
	unsigned int inner, lan;
	bool clamped = mss_rule_present();

	if (igd_rtnl_open(&rt))
		return;
	igd_spd_for_each(d->spd, sp, IGD_DIR_OUT) {
		struct igd_route_query q = { 0 };

		if (!sp->ntmpl || sp->tmpl[0].proto != IPPROTO_ESP)
			continue;
		sa = doctor_sa_of(d->sad, &sp->tmpl[0], NULL);
		if (!sa || igd_esp_params_from_sa(sa, &p))
			continue;
		q.family = sa->family;
		q.dst = sa->daddr;
		if (igd_route_mtu_get(&rt, &q, &r, buf, sizeof(buf)) || !r.mtu)
			continue;
		inner = igd_esp_inner_mtu(&p, r.mtu);
		q.family = sp->sel.family;
		q.dst = sp->sel.saddr;
		lan = !igd_route_mtu_get(&rt, &q, &r2, buf, sizeof(buf)) ? r2.mtu : 0;
		f = doctor_add(d, lan > inner && !clamped ? DOCTOR_WARNING : DOCTOR_INFO,
			       "tunnel-mtu", sp);
		if (!f)
			break;
		snprintf(f->evidence, sizeof(f->evidence),
			 "%s: SA spi 0x%08x to %s, path MTU %u (%s): inner MTU %u, TCP MSS %u; "
			 "the network behind it has MTU %u; %s", doctor_sp_str(sp, sb, sizeof(sb)),
			 sa->spi, igd_addr_str(sa->family, &sa->daddr, a, sizeof(a)), r.mtu,
			 igd_mtu_source_str(r.source), inner, igd_esp_mss(&p, r.mtu, sp->sel.family),
			 lan, clamped ? "a rule clamps the TCP MSS" : "no rule clamps the TCP MSS");
		snprintf(f->effect, sizeof(f->effect),
			 "inner packets larger than %u bytes are fragmented or, with DF set, "
			 "need PMTU discovery that firewalls often break", inner);
		snprintf(f->fix, sizeof(f->fix),
			 "clamp TCP MSS to what the tunnel carries: ipsecguardd --mss auto");
	}
	igd_rtnl_close(&rt);
}

/* The replies of an out SP's traffic, checked against the in/fwd SP the kernel picks
 * for them: a template asking for another reqid than the out SP's means the replies
 * must come through another tunnel than the one the requests leave by. */
static void check_reply_reqid(struct doctor *d)
{
	char sb[IGD_NATFIX_SEL_MAX + 64], rb[IGD_NATFIX_SEL_MAX + 64];
	static const int dirs[] = { IGD_DIR_FWD, IGD_DIR_IN };	/* one finding each */
	const struct igd_sp *out, *back;
	struct doctor_finding *f;
	unsigned int i;

	igd_spd_for_each(d->spd, out, IGD_DIR_OUT) {
		struct igd_flow r = { .family = out->sel.family, .proto = out->sel.proto,
				      .saddr = out->sel.daddr, .daddr = out->sel.saddr,
				      .sport = out->sel.dport, .dport = out->sel.sport };

		if (!out->ntmpl || !out->tmpl[0].reqid)
			continue;
		for (i = 0; i < 2; i++) {
			back = igd_spd_lookup(d->spd, dirs[i], &r);
			if (!back || !back->ntmpl || !back->tmpl[0].reqid ||
			    back->tmpl[0].reqid == out->tmpl[0].reqid ||
			    !(f = doctor_add(d, DOCTOR_CRITICAL, "reply-reqid-mismatch", out)))
				continue;
			snprintf(f->evidence, sizeof(f->evidence), "%s; its replies meet %s",
				 doctor_sp_str(out, sb, sizeof(sb)),
				 doctor_sp_str(back, rb, sizeof(rb)));
			snprintf(f->effect, sizeof(f->effect),
				 "requests leave through the SA of reqid %u, but replies are only "
				 "accepted from an SA of reqid %u: replies through the same tunnel "
				 "are dropped (XfrmInTmplMismatch)", out->tmpl[0].reqid,
				 back->tmpl[0].reqid);
			snprintf(f->fix, sizeof(f->fix),
				 "make the tunnels' selectors disjoint, or give the overlapping "
				 "policies priorities so both directions pick the same tunnel");
			break;
		}
	}
}

int doctor_check_policy(struct doctor *d)
{
	check_reply_reqid(d);
	check_sa_missing(d);
	check_in_fwd(d);
	check_sa_unused(d);
	check_mtu(d);
	return 0;
}
