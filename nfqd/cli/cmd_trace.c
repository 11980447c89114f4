/* ipsecguard trace: one flow through the gateway, phase by phase, as the kernel would
 * take it: for a packet arriving on an interface the input route (local or forwarded,
 * rp_filter, forwarding) and the in/fwd policy check against the SA it came through;
 * then route, out SP on the original tuple, the nat rule and the translated tuple, the
 * SP lookup redone on it (nf_xfrm_me_harder), the SA, the MTU, and a verdict. */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include "judge/sp_json.h"
#include "doctor.h"
#include "ruleset/nat_predict.h"
#include "judge/nat.h"
#include "judge/reason.h"
#include "judge/outbound.h"
#include "mtu/esp_mtu.h"
#include "mtu/route_mtu.h"
#include "natfix/natfix.h"
#include "route/tunnels_nl.h"
#include "util/num.h"
#include "util/paths.h"
#include "util/proto.h"
#include "xfrm/secpath.h"
#include "xfrm/xfrm_default.h"

#define TRACE_NAT_MAX 8

/* The arriving packet (--iif): where the input route sends it and what the in or fwd
 * policy check says of the SA it came through (--via-spi) or of cleartext. */
struct trace_in {
	char ifname[IF_NAMESIZE];
	uint32_t ifindex;
	bool have_spi;
	uint32_t spi;
	int route_err;			/* -errno of the input route lookup, 0 */
	const char *rp_filter;		/* "strict"/"loose" when it explains route_err */
	bool local;			/* delivered to this gateway, not forwarded */
	int dir;			/* IGD_DIR_IN or IGD_DIR_FWD */
	const struct igd_sa *sa;	/* the SA of --via-spi; NULL: none found */
	const struct igd_sp *sp;	/* the in/fwd SP the lookup finds */
	bool nopolicy;			/* disable_policy on the interface: not checked */
	struct igd_secpath_check check;
};

struct trace {
	struct igd_flow pre, post;
	bool have_src, have_dst, inbound;
	bool have_mark;			/* --mark: the packet's mark is known */
	struct trace_in in;
	struct igd_xfrm_default dflt;	/* the kernel's default policies */
	char oifname[IF_NAMESIZE];
	struct igd_route_mtu route;
	bool routed;
	const struct igd_sp *sp, *post_sp;
	enum igd_nat_outcome nat_o;	/* what the translation does (judge/nat.h) */
	bool src_unknown;		/* translated to a source not known here */
	int reason;			/* the daemon's word for it (judge/reason.h), -1 */
	struct igd_nat_finding nat;	/* outcome NEVER: not translated */
	const struct igd_sa *sa;
	unsigned int inner_mtu, mss;
	const char *verdict;
	char why[384];
	const struct igd_spd *spd;
	char state[1200];		/* the daemon's remembered protections' file */
	struct igd_memory memory;
	const struct igd_remembered *held;
	struct igd_tunnels tunnels;	/* route-based tunnels: interfaces, routes */
	bool have_tunnels;
	const struct igd_tunnel_if *tun;	/* the route goes into this one */
};

/* A flow routed into a tunnel interface is looked up by the interface's transmit:
 * with its if_id (xfrm), or its output key as the mark (VTI). */
static void trace_tunnel_bind(const struct trace *t, struct igd_flow *f)
{
	if (!t->tun)
		return;
	if (t->tun->kind == IGD_TUNNEL_XFRM)
		f->if_id = t->tun->if_id;
	else if (t->tun->has_okey)
		f->mark = t->tun->okey;
}

void cmd_trace_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard trace - one flow through the gateway, phase by phase\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard trace [--iif IF [--via-spi SPI]] --src IP --dst IP [--proto P]\n"
		"                     [--sport N] [--dport N] [--json]\n"
		"\n"
		"DESCRIPTION\n"
		"    Walks a packet of the flow the way the kernel would send it on from this\n"
		"    gateway, without sending it:\n"
		"      input    with --iif, a packet arriving on IF: the kernel's input route\n"
		"               (delivered here or forwarded; rp_filter and forwarding decide\n"
		"               too), then the in or fwd policy check on the inner flow\n"
		"               against the SA it came through (--via-spi) or, without it, as\n"
		"               cleartext: required templates, reqids, the SA's selector\n"
		"      route    the kernel's route to the destination (rtnetlink)\n"
		"      policy   the out SP of the original tuple (the kernel's lookup)\n"
		"      nat      the nat postrouting rule that translates it, and the new\n"
		"               source (masquerade: the route's source address; snat: the\n"
		"               rule's first address); see `ipsecguard doctor` for how rules\n"
		"               are read\n"
		"      policy after nat\n"
		"               the out SP of the translated tuple, as the kernel redoes the\n"
		"               lookup after source NAT\n"
		"      sa       the SA that carries it (SPI, reqid, algorithms, mode, NAT-T)\n"
		"      mtu      the inner MTU and TCP MSS the tunnel allows\n"
		"    and ends with a verdict:\n"
		"      tunnel        leaves through the SA named\n"
		"      leak          an SP protects it, NAT translates it out of the SP: it\n"
		"                    leaves in clear\n"
		"      may-leak      the same, if the nat rule named matches (a condition\n"
		"                    doctor could not decide)\n"
		"      wrong-tunnel  NAT translates it into another protecting SP\n"
		"      dropped       a block policy, a required template without SA (the\n"
		"                    packet waits for IKE), or no SP where the default out\n"
		"                    policy is block (also after source NAT, when the kernel\n"
		"                    looks again); arriving: refused by the in/fwd policy\n"
		"                    check (the xfrm_stat counter it raises is named), by\n"
		"                    rp_filter, or not routed (forwarding off, no route)\n"
		"      may-drop      the same after NAT, if the nat rule named matches\n"
		"      local         arriving, delivered to this gateway after the in policy\n"
		"                    check\n"
		"      bypass        a bypass SP (allow, no template) lets it out in clear\n"
		"      tunnel-down   no SP covers it, a protection ipsecguardd remembers did:\n"
		"                    its tunnel is down and it leaves in clear\n"
		"      clear         no SP protects it (or an optional template without SA);\n"
		"                    where an SP protects its destination for other sources,\n"
		"                    ipsecguardd reports it (sp-miss-out)\n"
		"\n"
		"OPTIONS\n"
		"    --src IP, --dst IP   the flow's addresses, same family (required)\n"
		"    --iif IF             the packet arrives on interface IF (default: sent on\n"
		"                         from this gateway, no input phase)\n"
		"    --via-spi SPI        with --iif: it was decapsulated from the SA of SPI\n"
		"                         (hex 0x... or decimal); without it, it arrives in clear\n"
		"    --proto P            tcp, udp, icmp, ... or 0-255 (default: any, 0)\n"
		"    --sport N, --dport N ports 0-65535\n"
		"    --mark N             the packet's mark (hex 0x... or decimal): rules that\n"
		"                         test it are decided, and the SP lookup uses it\n"
		"                         (default: rules that test it are undecided)\n"
		"    --remembered FILE    the protections ipsecguardd remembers (default\n"
		"                         " IGD_STATE_DIR_DEFAULT "/ipsecguard.remembered)\n"
		"    --json               one JSON object\n"
		"    -h, --help           this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 tunnel, bypass, clear or local; 3 dropped, may-drop or may-leak; 4 leak,\n"
		"    wrong-tunnel or tunnel-down; 1 system error; 2 bad usage.\n");
}

static int trace_opt(struct trace *t, int opt, const char *arg)
{
	uint32_t v;
	int fam;

	switch (opt) {
	case 's':
	case 'd':
		fam = igd_addr_parse(arg, opt == 's' ? &t->pre.saddr : &t->pre.daddr);
		if (!fam || (t->pre.family && t->pre.family != fam))
			return cli_usage_error(opt == 's' ? "--src" : "--dst",
					       "'%s' is not an address of the flow's family", arg);
		t->pre.family = (uint8_t)fam;
		*(opt == 's' ? &t->have_src : &t->have_dst) = true;
		return 0;
	case 'p':
		return cli_parse_proto("--proto", arg, &t->pre.proto) ? CLI_EXIT_USAGE : 0;
	case 'i':
		if (!arg[0] || strlen(arg) >= IF_NAMESIZE || !(t->in.ifindex = if_nametoindex(arg)))
			return cli_usage_error("--iif", "no interface '%s'", arg);
		snprintf(t->in.ifname, sizeof(t->in.ifname), "%s", arg);
		t->inbound = true;
		return 0;
	case 'v':
		if (igd_num_u32(arg, 1, UINT32_MAX, &v))
			return cli_usage_error("--via-spi", "'%s' is not an SPI (1-0xffffffff)", arg);
		t->in.spi = v;
		t->in.have_spi = true;
		return 0;
	case 'S':
	case 'D':
		if (cli_parse_u32(opt == 'S' ? "--sport" : "--dport", arg, 65535, &v))
			return CLI_EXIT_USAGE;
		*(opt == 'S' ? &t->pre.sport : &t->pre.dport) = (uint16_t)v;
		return 0;
	case 'm':
		if (igd_num_u32(arg, 0, UINT32_MAX, &v))
			return cli_usage_error("--mark", "'%s' is not a mark (0-0xffffffff)", arg);
		t->pre.mark = v;
		t->have_mark = true;
		return 0;
	case 'r':
		if (!arg[0] || strlen(arg) >= sizeof(t->state))
			return cli_usage_error("--remembered", "expected a file name");
		snprintf(t->state, sizeof(t->state), "%s", arg);
		return 0;
	}
	return CLI_EXIT_USAGE;
}

/* The flow as an SP selector of one host each way, for the nat rules. */
static void flow_sel(const struct igd_flow *f, struct igd_sel *s)
{
	memset(s, 0, sizeof(*s));
	s->family = f->family;
	s->saddr = f->saddr;
	s->daddr = f->daddr;
	s->plen_s = s->plen_d = f->family == 6 ? 128 : 32;
	s->proto = f->proto;
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP || f->proto == IPPROTO_SCTP ||
	    f->proto == IPPROTO_UDPLITE) {
		s->sport = f->sport;
		s->dport = f->dport;
		s->sport_mask = s->dport_mask = 0xffff;
	}
}

/* The source MASQUERADE gives: an address of the output interface, the one on the
 * gateway's subnet when there is a gateway (inet_select_addr's choice), else the
 * first.  False when the interface has none of the family. */
static bool masq_source(const struct trace *t, union igd_addr *out)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa))
		return false;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr *a = i->ifa_addr, *m = i->ifa_netmask;
		union igd_addr v = { 0 }, mk = { 0 };
		unsigned int k, len = t->pre.family == 6 ? 16 : 4;
		bool same = true;

		if (!a || !m || strcmp(i->ifa_name, t->oifname) ||
		    a->sa_family != (t->pre.family == 6 ? AF_INET6 : AF_INET))
			continue;
		memcpy(v.b, t->pre.family == 6 ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr :
		       (const void *)&((const struct sockaddr_in *)a)->sin_addr, len);
		memcpy(mk.b, t->pre.family == 6 ? (const void *)&((const struct sockaddr_in6 *)m)->sin6_addr :
		       (const void *)&((const struct sockaddr_in *)m)->sin_addr, len);
		for (k = 0; t->route.has_gateway && k < len; k++)
			same = same && !((v.b[k] ^ t->route.gateway.b[k]) & mk.b[k]);
		if (!found || same) {
			*out = v;
			found = true;
			if (same && t->route.has_gateway)
				break;
		}
	}
	freeifaddrs(ifa);
	return found;
}

/* The SA of --via-spi: ESP or AH of that SPI towards an address of this gateway (the
 * input route calls it local), else any of that SPI. */
static const struct igd_sa *in_sa_find(struct igd_rtnl *rt, const struct igd_sad *sad,
				       uint32_t spi, void *buf, size_t len)
{
	const struct igd_sa *sa = NULL, *any = NULL;

	while ((sa = igd_sad_next(sad, sa))) {
		struct igd_route_query q = { .family = sa->family, .dst = sa->daddr };
		struct igd_route_mtu r;

		if (sa->spi != spi)
			continue;
		if (!igd_route_mtu_get(rt, &q, &r, buf, len) && r.type == RTN_LOCAL)
			return sa;
		if (!any)
			any = sa;
	}
	return any;
}

/* A sysctl of net/ipvF/conf/IF, -1 when unreadable. */
static int conf_int(int family, const char *ifname, const char *key)
{
	char path[96];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv%c/conf/%s/%s", family == 6 ? '6' : '4',
		 ifname, key);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Whether IPv4's reverse path filter refuses the source: the effective mode is the
 * larger of conf/all and conf/IF (fib_validate_source); strict (1) wants the route back
 * to the source to leave by the arriving interface, loose (2) any route back. */
static const char *rp_filter_refuses(struct trace *t, struct igd_rtnl *rt)
{
	uint8_t buf[IGD_RTNL_BUF_SIZE];
	struct igd_route_query q = { .family = 4, .dst = t->pre.saddr };
	struct igd_route_mtu back;
	int all = conf_int(4, "all", "rp_filter"), mode = conf_int(4, t->in.ifname, "rp_filter");
	bool routed;

	if (t->pre.family != 4)
		return NULL;
	mode = all > mode ? all : mode;
	routed = !igd_route_mtu_get(rt, &q, &back, buf, sizeof(buf));
	if (mode == 1 && (!routed || back.oif != t->in.ifindex))
		return "strict";
	if (mode == 2 && !routed)
		return "loose";
	return NULL;
}

/* The input phase: the kernel's input route for a packet from src arriving on the
 * interface, then the in (delivered here) or fwd policy check on the inner flow
 * (__xfrm_policy_check, with the output device as the flow's oif). */
static void trace_input(struct trace *t, struct igd_rtnl *rt, const struct igd_spd *spd,
			const struct igd_sad *sad, void *buf, size_t len)
{
	struct igd_route_query q = { .family = t->pre.family, .dst = t->pre.daddr,
				     .src = t->pre.saddr, .has_src = true,
				     .iif = t->in.ifindex };
	const struct igd_sa *xv[1];

	/* the SA decapsulates before the inner packet is routed */
	if (t->in.have_spi && !(t->in.sa = in_sa_find(rt, sad, t->in.spi, buf, len)))
		return;
	t->in.route_err = igd_route_mtu_get(rt, &q, &t->route, buf, len);
	if (t->in.route_err == -EINVAL || t->in.route_err == -EXDEV)
		t->in.rp_filter = rp_filter_refuses(t, rt);
	if (t->in.route_err && t->in.rp_filter && t->in.sa) {
		/* the kernel does not filter packets that came through an SA
		 * (fib_validate_source: no rp_filter with a secpath); the lookup
		 * here has none: ask for the route as an output lookup, which says
		 * the same of local or forwarded */
		q.has_src = false;
		q.iif = 0;
		t->in.route_err = igd_route_mtu_get(rt, &q, &t->route, buf, len);
		t->in.rp_filter = NULL;
	}
	if (t->in.route_err)
		return;
	t->routed = true;
	t->in.local = t->route.type == RTN_LOCAL;
	t->in.dir = t->in.local ? IGD_DIR_IN : IGD_DIR_FWD;
	if (t->route.oif && !if_indextoname(t->route.oif, t->oifname))
		t->oifname[0] = 0;
	t->pre.oif = (int32_t)t->route.oif;
	xv[0] = t->in.sa;
	t->in.sp = igd_spd_lookup(spd, t->in.dir, &t->pre);
	/* an interface with disable_policy: its packets skip __xfrm_policy_check */
	t->in.nopolicy = conf_int(t->pre.family, t->in.ifname, "disable_policy") > 0 ||
			 conf_int(t->pre.family, "all", "disable_policy") > 0;
	if (t->in.nopolicy)
		memset(&t->in.check, 0, sizeof(t->in.check));
	else
		igd_secpath_check(t->in.sp, xv, t->in.sa ? 1 : 0, &t->pre,
				  t->dflt.block[t->in.dir], &t->in.check);
}

static bool trace_in_passes(const struct trace *t)
{
	return !t->in.route_err && (!t->in.have_spi || t->in.sa) &&
	       t->in.check.result == IGD_SECPATH_OK;
}

static int trace_run(struct trace *t, const struct igd_spd *spd, const struct igd_sad *sad)
{
	t->spd = spd;
	static uint8_t buf[IGD_RTNL_BUF_SIZE];
	struct igd_nat_finding nf[TRACE_NAT_MAX];
	struct igd_route_query q = { .family = t->pre.family, .dst = t->pre.daddr };
	struct igd_nat_ctx c = { .oifname = t->oifname, .mark_known = t->have_mark,
				 .mark = t->pre.mark };
	struct igd_esp_params p;
	struct igd_route_mtu sr;
	struct igd_rtnl rt;
	const struct igd_sp *use;
	struct igd_sel sel;
	char err[256];
	int n, i;

	n = igd_rtnl_open(&rt);
	if (n) {
		fprintf(stderr, "ipsecguard trace: rtnetlink: %s\n", strerror(-n));
		return CLI_EXIT_FAIL;
	}
	if (t->inbound) {
		trace_input(t, &rt, spd, sad, buf, sizeof(buf));
		if (!trace_in_passes(t) || t->in.local) {
			igd_rtnl_close(&rt);
			return 0;
		}
	} else {
		t->routed = !igd_route_mtu_get(&rt, &q, &t->route, buf, sizeof(buf));
	}
	if (t->routed && t->route.oif && if_indextoname(t->route.oif, t->oifname))
		c.oif = t->route.oif;
	t->pre.oif = (int32_t)c.oif;
	t->tun = t->routed && t->have_tunnels ? igd_tunnels_if(&t->tunnels, t->route.oif) : NULL;
	trace_tunnel_bind(t, &t->pre);
	t->sp = igd_spd_lookup(spd, IGD_DIR_OUT, &t->pre);
	flow_sel(&t->pre, &sel);
	c.sel = &sel;
	c.transformed = t->sp && igd_sp_protecting(t->sp) && doctor_sp_transformed(t->sp, sad);
	t->nat.outcome = IGD_TRI_NEVER;
	n = igd_nat_predict(&c, nf, TRACE_NAT_MAX, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "ipsecguard trace: %s\n", err);
		igd_rtnl_close(&rt);
		return CLI_EXIT_FAIL;
	}
	for (i = 0; i < n; i++)	/* the first chain that translates binds the flow */
		if (nf[i].outcome != IGD_TRI_NEVER) {
			t->nat = nf[i];
			break;
		}
	t->post = t->pre;
	t->post_sp = t->sp;
	if (t->nat.outcome != IGD_TRI_NEVER) {
		bool known = true;

		if (t->nat.has_to)
			t->post.saddr = t->nat.to;
		else if (t->nat.masquerade && t->routed && t->route.has_prefsrc)
			t->post.saddr = t->route.prefsrc;
		else if (t->nat.masquerade && t->oifname[0])
			known = masq_source(t, &t->post.saddr);
		else
			known = false;
		/* the daemon's judgement of the translated flow; a source not known here
		 * is judged in trace_verdict */
		t->src_unknown = !known;
		if (known)
			t->nat_o = igd_nat_judge(&t->pre, t->sp, &t->post, spd, &t->post_sp);
	}
	use = t->nat.outcome == IGD_TRI_ALWAYS ? t->post_sp : t->sp;
	t->sa = use && igd_sp_protecting(use) && use->ntmpl ?
		doctor_sa_of(sad, &use->tmpl[0], &t->post.daddr) : NULL;
	if (t->sa && t->sa->proto == IPPROTO_ESP && !igd_esp_params_from_sa(t->sa, &p)) {
		struct igd_route_query sq = { .family = t->sa->family, .dst = t->sa->daddr };

		if (!igd_route_mtu_get(&rt, &sq, &sr, buf, sizeof(buf)) && sr.mtu) {
			t->inner_mtu = igd_esp_inner_mtu(&p, sr.mtu);
			t->mss = igd_esp_mss(&p, sr.mtu, t->pre.family);
		}
	}
	igd_rtnl_close(&rt);
	return 0;
}

/* Why the input route refused the packet: ip_route_input's errors. */
static void input_route_why(struct trace *t)
{
	const char *rp = t->in.rp_filter;
	int fwd = conf_int(t->pre.family, t->in.ifname, "forwarding");
	char a[IGD_ADDRSTRLEN];

	igd_addr_str(t->pre.family, &t->pre.saddr, a, sizeof(a));
	if ((t->in.route_err == -EXDEV || t->in.route_err == -EINVAL) && rp)
		snprintf(t->why, sizeof(t->why), "reverse path filter (%s) on %s drops it: the "
			 "route back to %s %s", rp, t->in.ifname, a, rp[0] == 's' ?
			 "does not leave by it" : "does not exist");
	else if (t->in.route_err == -EHOSTUNREACH && fwd == 0)
		snprintf(t->why, sizeof(t->why), "forwarding is off on %s (net.ipv%c.conf.%s."
			 "forwarding is 0)", t->in.ifname, t->pre.family == 6 ? '6' : '4',
			 t->in.ifname);
	else if (t->in.route_err == -EINVAL)
		snprintf(t->why, sizeof(t->why), "martian: the kernel refuses source %s or "
			 "its destination on %s", a, t->in.ifname);
	else
		snprintf(t->why, sizeof(t->why), "no route for it from %s: %s", t->in.ifname,
			 strerror(-t->in.route_err));
}

/* The input phase's verdict when it ends the walk: 3 refused, 0 delivered here, -1 when
 * the packet goes on to the output phases. */
static int trace_in_verdict(struct trace *t)
{
	const struct igd_secpath_check *c = &t->in.check;
	const char *dir = igd_dir_str(t->in.dir);
	char sb[IGD_NATFIX_SEL_MAX + 64];

	if (t->in.have_spi && !t->in.sa) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "no SA of SPI 0x%08x: an ESP packet for it is "
			 "dropped (XfrmInNoStates)", t->in.spi);
		return 3;
	}
	if (t->in.route_err) {
		t->verdict = "dropped";
		input_route_why(t);
		return 3;
	}
	t->verdict = "dropped";
	switch (c->result) {
	case IGD_SECPATH_OK:
		break;
	case IGD_SECPATH_STATE_MISMATCH:
		snprintf(t->why, sizeof(t->why), "SA spi 0x%08x's selector does not cover the "
			 "flow (%s)", t->in.sa->spi, igd_secpath_result_str(c->result));
		return 3;
	case IGD_SECPATH_NO_POLICY:
		snprintf(t->why, sizeof(t->why), "decapsulated from a tunnel but no %s SP covers "
			 "it (%s)", dir, igd_secpath_result_str(c->result));
		return 3;
	case IGD_SECPATH_BLOCKED:
		snprintf(t->why, sizeof(t->why), "%s SP %u blocks it (%s)", dir, t->in.sp->index,
			 igd_secpath_result_str(c->result));
		return 3;
	case IGD_SECPATH_DEFAULT_BLOCK:
		snprintf(t->why, sizeof(t->why), "no %s SP covers it and the default %s policy "
			 "is block (ip xfrm policy setdefault): dropped (%s)", dir, dir,
			 igd_secpath_result_str(c->result));
		return 3;
	case IGD_SECPATH_TMPL_MISMATCH:
		if (!t->in.sa)
			snprintf(t->why, sizeof(t->why), "%s requires IPsec: a cleartext packet of "
				 "this flow is dropped (%s)", doctor_sp_str(t->in.sp, sb, sizeof(sb)),
				 igd_secpath_result_str(c->result));
		else if (c->tmpl >= 0)
			snprintf(t->why, sizeof(t->why), "%s: its template %d (reqid %u) does not "
				 "accept SA spi 0x%08x reqid %u (%s)",
				 doctor_sp_str(t->in.sp, sb, sizeof(sb)), c->tmpl,
				 t->in.sp->tmpl[c->tmpl].reqid, t->in.sa->spi, t->in.sa->reqid,
				 igd_secpath_result_str(c->result));
		else
			snprintf(t->why, sizeof(t->why), "%s: no template accounts for tunnel SA "
				 "spi 0x%08x reqid %u (%s)", doctor_sp_str(t->in.sp, sb, sizeof(sb)),
				 t->in.sa->spi, t->in.sa->reqid, igd_secpath_result_str(c->result));
		return 3;
	}
	if (!t->in.local)
		return -1;
	t->verdict = "local";
	if (t->in.sp)
		snprintf(t->why, sizeof(t->why), "delivered to this gateway; in SP %u accepts it",
			 t->in.sp->index);
	else
		snprintf(t->why, sizeof(t->why), "delivered to this gateway; no in SP covers it");
	return 0;
}

/* Whether @a is an address of this machine. */
static bool addr_is_local(int family, const union igd_addr *a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || sa->sa_family != (family == 6 ? AF_INET6 : AF_INET))
			continue;
		found = family == 6 ?
			!memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, a->b, 16) :
			!memcmp(&((const struct sockaddr_in *)sa)->sin_addr, a->b, 4);
	}
	freeifaddrs(ifa);
	return found;
}

/* The default out policy blocks a packet no SP covers (xfrm_lookup's nopol path): not
 * one a local route delivers here, nor without a route (that fails first).  At
 * routing a forwarded IPv4 packet leaving by an interface with disable_xfrm skips the
 * lookup (xfrm_route_forward); the lookup NAT redoes (@after_nat) does not. */
static bool out_default_blocks(const struct trace *t, bool after_nat)
{
	bool forwarded = t->inbound ? !t->in.local : !addr_is_local(t->pre.family,
								     &t->pre.saddr);

	if (!t->dflt.block[IGD_DIR_OUT] || !t->routed || t->route.type == RTN_LOCAL)
		return false;
	return after_nat || t->pre.family != 4 || !forwarded ||
	       (conf_int(4, "all", "disable_xfrm") <= 0 &&
		conf_int(4, t->oifname, "disable_xfrm") <= 0);
}

/* No protecting SP covers the flow: what the SPD and the daemon's own protections say
 * of it (judge/outbound.h), as ipsecguardd judges it. */
static int trace_clear(struct trace *t, bool translated)
{
	struct igd_out_ctx c = { .spd = t->spd, .memory = &t->memory };
	struct igd_out_decision o;
	char s[IGD_ADDRSTRLEN + 4], d[IGD_ADDRSTRLEN + 4];

	igd_out_classify(&c, &t->pre, &o);
	if (o.cls == IGD_OUT_BYPASS) {
		t->verdict = "bypass";
		t->reason = IGD_R_BYPASS;
		snprintf(t->why, sizeof(t->why), "out SP %u (allow, no template) lets it out in "
			 "clear: the SPD decides so", o.sp->index);
		return 0;
	}
	if (o.cls == IGD_OUT_HELD && o.held->via[0]) {
		t->held = o.held;
		t->verdict = "tunnel-down";
		t->reason = IGD_R_TUNNEL_DOWN;
		snprintf(t->why, sizeof(t->why), "%s was routed into %s, and is not now: its "
			 "tunnel is down and it leaves in clear%s (ipsecguardd drops it in "
			 "enforce mode)", igd_prefix_str(o.held->sel.family, &o.held->sel.daddr,
							  o.held->sel.plen_d, d, sizeof(d)),
			 o.held->via, translated ? ", translated" : "");
		return 4;
	}
	if (o.cls == IGD_OUT_HELD) {
		t->held = o.held;
		t->verdict = "tunnel-down";
		t->reason = IGD_R_TUNNEL_DOWN;
		snprintf(t->why, sizeof(t->why), "no SP covers it now; SP %u (reqid %u, %s -> %s) "
			 "did: its tunnel is down and it leaves in clear%s (ipsecguardd drops it "
			 "in enforce mode)", o.held->sp_index, o.held->reqid,
			 igd_prefix_str(o.held->sel.family, &o.held->sel.saddr, o.held->sel.plen_s,
					s, sizeof(s)),
			 igd_prefix_str(o.held->sel.family, &o.held->sel.daddr, o.held->sel.plen_d,
					d, sizeof(d)),
			 translated ? ", translated" : "");
		return 4;
	}
	t->verdict = "clear";
	if (o.cls == IGD_OUT_UNCOVERED)
		t->reason = IGD_R_SP_MISS_OUT;
	if (o.cls == IGD_OUT_UNCOVERED)
		snprintf(t->why, sizeof(t->why), "no SP protects it from this source; SP %u "
			 "protects all traffic to its destination (ipsecguardd reports it: "
			 "sp-miss-out)%s", o.sp->index, translated ? " (translated on its way)" : "");
	else
		snprintf(t->why, sizeof(t->why), "no SP protects it%s",
			 translated ? " (translated on its way)" : "");
	return 0;
}

/* "xfrm if_id 42" or "vti key 42" */
static const char *trace_tunnel_str(const struct igd_tunnel_if *f, char *buf, size_t len)
{
	if (f->kind == IGD_TUNNEL_XFRM)
		snprintf(buf, len, "xfrm if_id %u", f->if_id);
	else
		snprintf(buf, len, "vti key %u", f->okey);
	return buf;
}

/* Routed into a tunnel interface: its transmit looks up (after any NAT on the way,
 * which cannot push the flow out of an SP that only the interface's lookup matches)
 * and sends the packet encrypted, or drops it: it never leaves in clear. */
static int trace_tunnel_verdict(struct trace *t)
{
	const struct igd_sp *sp = t->nat.outcome == IGD_TRI_ALWAYS ? t->post_sp : t->sp;
	char bind[48];

	trace_tunnel_str(t->tun, bind, sizeof(bind));
	if (!t->tun->up) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "routed into %s (%s), which is down",
			 t->tun->name, bind);
		return 3;
	}
	if (!sp || !igd_sp_protecting(sp) || sp->action != IGD_SP_ALLOW) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "routed into %s (%s) and no out SP %s protects "
			 "it: the interface drops it, never in clear", t->tun->name, bind,
			 t->tun->kind == IGD_TUNNEL_XFRM ? "with that if_id" : "with that mark");
		return 3;
	}
	if (!t->sa) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "routed into %s (%s); out SP %u has no SA: the "
			 "interface drops it (ACQUIRE)", t->tun->name, bind, sp->index);
		return 3;
	}
	t->verdict = "tunnel";
	snprintf(t->why, sizeof(t->why), "routed into %s (%s): out SP %u, SA spi 0x%08x reqid "
		 "%u%s", t->tun->name, bind, sp->index, t->sa->spi, t->sa->reqid,
		 t->nat.outcome != IGD_TRI_NEVER ? " (NAT on the way changes nothing: the "
		 "interface's lookup sees the translated flow)" : "");
	return 0;
}

/* The verdict, and the exit status it gives. */
/* Source NAT puts a flow that no SP protects into the selector of one that does (the
 * usual answer to overlapping subnets): the kernel looks the policy up again after
 * NAT (nf_xfrm_me_harder) and the flow goes the way of that SP. */
static int trace_nat_into(struct trace *t)
{
	const struct igd_sp *p = t->post_sp;
	char rule[280];

	snprintf(rule, sizeof(rule), "%s rule %llu in %s %.48s %.120s translates it into out SP %u",
		 t->nat.backend, (unsigned long long)t->nat.handle, t->nat.family, t->nat.table,
		 igd_nat_where(&t->nat), p->index);
	if (t->sa) {
		t->verdict = "tunnel";
		snprintf(t->why, sizeof(t->why), "%s: SA spi 0x%08x reqid %u", rule, t->sa->spi,
			 t->sa->reqid);
		return 0;
	}
	if (igd_sp_requires_ipsec(p)) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "%s, which requires an SA that does not exist: "
			 "the packet waits for IKE (ACQUIRE)", rule);
		return 3;
	}
	t->verdict = "clear";
	snprintf(t->why, sizeof(t->why), "%s, whose templates are optional and have no SA", rule);
	return 0;
}

static int trace_verdict(struct trace *t)
{
	bool protecting = t->sp && igd_sp_protecting(t->sp);
	bool translated = t->nat.outcome != IGD_TRI_NEVER;
	int rc;

	if (t->inbound && (rc = trace_in_verdict(t)) >= 0)
		return rc;
	if (t->tun)
		return trace_tunnel_verdict(t);
	if (t->sp && t->sp->action != IGD_SP_ALLOW) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "out SP %u blocks it", t->sp->index);
		return 3;
	}
	if (!t->sp && out_default_blocks(t, false)) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "no out SP covers it and the default out policy "
			 "is block (ip xfrm policy setdefault): the kernel refuses its route");
		return 3;
	}
	if (translated && t->nat_o == IGD_NAT_BLOCKED) {
		bool sure = t->nat.outcome == IGD_TRI_ALWAYS;

		t->verdict = sure ? "dropped" : "may-drop";
		snprintf(t->why, sizeof(t->why), "%s rule %llu in %s %.48s %.120s %s it into out "
			 "SP %u, which blocks it: the kernel's lookup after NAT drops it",
			 t->nat.backend, (unsigned long long)t->nat.handle, t->nat.family,
			 t->nat.table, igd_nat_where(&t->nat),
			 sure ? "translates" : "may translate", t->post_sp->index);
		return 3;
	}
	if (protecting && translated && t->src_unknown) {
		t->verdict = "may-leak";
		t->reason = IGD_R_NAT_BEFORE_IPSEC;
		snprintf(t->why, sizeof(t->why), "%s rule %llu in %s %.48s %.120s %s it out of SP "
			 "%u to a source not known here (it depends on the packet): the kernel "
			 "looks the policy up again on it", t->nat.backend,
			 (unsigned long long)t->nat.handle, t->nat.family, t->nat.table,
			 igd_nat_where(&t->nat), t->nat.outcome == IGD_TRI_ALWAYS ? "translates" :
			 "may translate", t->sp->index);
		return 3;
	}
	/* source NAT makes the kernel look again (nf_xfrm_me_harder): no SP, the default;
	 * an SP that lets the flow pass in clear (no templates) too */
	if (t->sp && translated && !t->src_unknown && !t->post_sp && out_default_blocks(t, true)) {
		bool sure = t->nat.outcome == IGD_TRI_ALWAYS;

		t->verdict = sure ? "dropped" : "may-drop";
		snprintf(t->why, sizeof(t->why), "%s rule %llu in %s %.64s %.160s %s it out of SP "
			 "%u; no out SP covers the translated flow and the default out policy is "
			 "block: the kernel drops it", t->nat.backend,
			 (unsigned long long)t->nat.handle, t->nat.family, t->nat.table,
			 igd_nat_where(&t->nat), sure ? "translates" : "may translate", t->sp->index);
		return 3;
	}
	if (protecting && translated &&
	    (t->nat_o == IGD_NAT_LEAK || t->nat_o == IGD_NAT_OTHER_SP)) {
		bool other = t->nat_o == IGD_NAT_OTHER_SP;
		bool sure = t->nat.outcome == IGD_TRI_ALWAYS;

		t->verdict = !sure ? "may-leak" : other ? "wrong-tunnel" : "leak";
		t->reason = other ? IGD_R_NAT_CHANGED_SP : IGD_R_NAT_BEFORE_IPSEC;
		snprintf(t->why, sizeof(t->why), "%s rule %llu in %s %.64s %.160s %s it out of SP "
			 "%u%s", t->nat.backend, (unsigned long long)t->nat.handle, t->nat.family,
			 t->nat.table, igd_nat_where(&t->nat), sure ? "translates" : "may translate",
			 t->sp->index, other ? " into another tunnel" : ": it leaves in clear");
		return sure ? 4 : 3;
	}
	if (!protecting && t->nat.outcome == IGD_TRI_ALWAYS && t->nat_o == IGD_NAT_INTO)
		return trace_nat_into(t);
	if (!protecting)
		return trace_clear(t, translated);
	if (t->sa) {
		t->verdict = "tunnel";
		t->reason = IGD_R_PASS;
		snprintf(t->why, sizeof(t->why), "SA spi 0x%08x reqid %u", t->sa->spi,
			 t->sa->reqid);
		return 0;
	}
	if (igd_sp_requires_ipsec(t->sp)) {
		t->verdict = "dropped";
		snprintf(t->why, sizeof(t->why), "out SP %u requires an SA that does not exist: "
			 "the packet waits for IKE (ACQUIRE)", t->sp->index);
		return 3;
	}
	t->verdict = "clear";
	snprintf(t->why, sizeof(t->why), "out SP %u's templates are optional and have no SA",
		 t->sp->index);
	return 0;
}

static const char *flow_str(const struct igd_flow *f, char *buf, size_t len)
{
	char a[IGD_ADDRSTRLEN], b[IGD_ADDRSTRLEN], pn[8];

	snprintf(buf, len, "%s %s:%u -> %s:%u",
		 f->proto ? igd_proto_name(f->proto, pn, sizeof(pn)) : "any",
		 igd_addr_str(f->family, &f->saddr, a, sizeof(a)), f->sport,
		 igd_addr_str(f->family, &f->daddr, b, sizeof(b)), f->dport);
	return buf;
}

/* The input phase's lines; false when the walk ends there. */
static bool print_input(const struct trace *t)
{
	char sb[IGD_NATFIX_SEL_MAX + 64];

	if (t->in.sa)
		printf("input     on %s, decapsulated from %s spi 0x%08x reqid %u mode %s\n",
		       t->in.ifname, igd_xfrm_proto_str(t->in.sa->proto), t->in.sa->spi,
		       t->in.sa->reqid, igd_xfrm_mode_str(t->in.sa->mode));
	else if (t->in.have_spi)
		printf("input     on %s, ESP of SPI 0x%08x: no such SA\n", t->in.ifname,
		       t->in.spi);
	else
		printf("input     on %s, in clear\n", t->in.ifname);
	if (t->in.have_spi && !t->in.sa)
		return false;
	if (t->in.route_err) {
		printf("route     refused: %s\n", strerror(-t->in.route_err));
		return false;
	}
	if (t->in.local)
		printf("route     local: delivered to this gateway\n");
	if (t->in.sp)
		doctor_sp_str(t->in.sp, sb, sizeof(sb));
	else
		snprintf(sb, sizeof(sb), "no %s SP", igd_dir_str(t->in.dir));
	if (t->in.nopolicy)
		printf("in check  none: disable_policy is set on %s\n", t->in.ifname);
	else
		printf("in check  %s: %s\n", sb,
		       t->in.check.result == IGD_SECPATH_OK ? "accepted" :
		       t->in.check.result == IGD_SECPATH_DEFAULT_BLOCK ? "default policy block" :
		       igd_secpath_result_str(t->in.check.result));
	return trace_in_passes(t) && !t->in.local;
}

static void print_text(const struct trace *t)
{
	char fb[128], sb[IGD_NATFIX_SEL_MAX + 64], a[IGD_ADDRSTRLEN];

	printf("flow      %s\n", flow_str(&t->pre, fb, sizeof(fb)));
	if (t->inbound && !print_input(t)) {
		printf("verdict   %s: %s\n", t->verdict, t->why);
		return;
	}
	if (t->routed)
		printf("route     via %s%s%s, mtu %u%s%s%s\n", t->oifname[0] ? t->oifname : "?",
		       t->route.has_gateway ? " gateway " : "",
		       t->route.has_gateway ? igd_addr_str(t->pre.family, &t->route.gateway, a,
							   sizeof(a)) : "", t->route.mtu,
		       t->tun ? " (tunnel interface, " : "",
		       t->tun ? trace_tunnel_str(t->tun, fb, sizeof(fb)) : "", t->tun ? ")" : "");
	else
		printf("route     none\n");
	printf("policy    %s%s\n", t->sp ? doctor_sp_str(t->sp, sb, sizeof(sb)) : "none",
	       !t->sp && t->dflt.block[IGD_DIR_OUT] ? " (default out policy: block)" : "");
	if (t->nat.outcome == IGD_TRI_NEVER)
		printf("nat       none\n");
	else
		printf("nat       %s%s rule %llu in %s %s %s%s%s -> %s\n",
		       t->nat.outcome == IGD_TRI_ALWAYS ? "" : "maybe: ", t->nat.backend,
		       (unsigned long long)t->nat.handle, t->nat.family, t->nat.table,
		       igd_nat_where(&t->nat), t->nat.rule[0] ? ": " : "", t->nat.rule,
		       flow_str(&t->post, fb, sizeof(fb)));
	if (t->nat.outcome != IGD_TRI_NEVER)
		printf("policy after nat  %s\n",
		       t->post_sp ? doctor_sp_str(t->post_sp, sb, sizeof(sb)) : "none");
	if (t->sa)
		printf("sa        %s spi 0x%08x reqid %u mode %s to %s%s, %s%s%s\n",
		       igd_xfrm_proto_str(t->sa->proto), t->sa->spi, t->sa->reqid,
		       igd_xfrm_mode_str(t->sa->mode),
		       igd_addr_str(t->sa->family, &t->sa->daddr, a, sizeof(a)),
		       t->sa->encap_type ? ", NAT-T" : "",
		       t->sa->aead.name[0] ? t->sa->aead.name : t->sa->crypt.name,
		       t->sa->aead.name[0] || !t->sa->auth.name[0] ? "" : " + ",
		       t->sa->aead.name[0] ? "" : t->sa->auth.name);
	if (t->inner_mtu)
		printf("mtu       inner %u, TCP MSS %u\n", t->inner_mtu, t->mss);
	printf("verdict   %s: %s\n", t->verdict, t->why);
}

static void print_json(const struct trace *t)
{
	static char buf[16384];
	char a[IGD_ADDRSTRLEN], b[IGD_ADDRSTRLEN];
	struct igd_json j;

	igd_json_init(&j, buf, sizeof(buf));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "src", igd_addr_str(t->pre.family, &t->pre.saddr, a, sizeof(a)));
	igd_json_str(&j, "dst", igd_addr_str(t->pre.family, &t->pre.daddr, b, sizeof(b)));
	igd_json_uint(&j, "proto", t->pre.proto);
	igd_json_str(&j, "oif", t->oifname);
	if (t->tun) {
		igd_json_obj_open(&j, "tunnel_if");
		igd_json_str(&j, "name", t->tun->name);
		igd_json_str(&j, "kind", igd_tunnel_kind_name(t->tun->kind));
		if (t->tun->kind == IGD_TUNNEL_XFRM)
			igd_json_uint(&j, "if_id", t->tun->if_id);
		else
			igd_json_uint(&j, "key", t->tun->okey);
		igd_json_bool(&j, "up", t->tun->up);
		igd_json_obj_close(&j);
	}
	if (t->inbound) {
		igd_json_obj_open(&j, "input");
		igd_json_str(&j, "iif", t->in.ifname);
		if (t->in.have_spi)
			igd_json_uint(&j, "spi", t->in.spi);
		if (t->in.sa)
			igd_json_sa(&j, "sa", t->in.sa, NULL, NULL, IGD_JSON_FULL);
		if (t->in.route_err)
			igd_json_str(&j, "route_error", strerror(-t->in.route_err));
		else if (!t->in.have_spi || t->in.sa)
			igd_json_bool(&j, "local", t->in.local);
		if (t->in.sp)
			igd_json_sp(&j, "sp", t->in.sp, IGD_JSON_FULL);
		if (t->in.nopolicy)
			igd_json_bool(&j, "disable_policy", true);
		if (!t->in.route_err && (!t->in.have_spi || t->in.sa))
			igd_json_str(&j, "check", igd_secpath_result_str(t->in.check.result));
		igd_json_obj_close(&j);
	}
	if (t->sp)
		igd_json_sp(&j, "sp", t->sp, IGD_JSON_FULL);
	if (t->dflt.known) {
		char db[32];

		igd_json_str(&j, "default_block", igd_xfrm_default_str(&t->dflt, db, sizeof(db)));
	}
	if (t->nat.outcome != IGD_TRI_NEVER) {
		igd_json_obj_open(&j, "nat");
		igd_json_str(&j, "backend", t->nat.backend);
		igd_json_str(&j, "table", t->nat.table);
		igd_json_str(&j, "chain", t->nat.chain);
		if (t->nat.path[0])
			igd_json_str(&j, "path", t->nat.path);
		if (t->nat.outcome != IGD_TRI_ALWAYS && t->nat.why[0])
			igd_json_str(&j, "undecided", t->nat.why);
		igd_json_uint(&j, "handle", t->nat.handle);
		igd_json_bool(&j, "sure", t->nat.outcome == IGD_TRI_ALWAYS);
		igd_json_str(&j, "src", igd_addr_str(t->post.family, &t->post.saddr, a, sizeof(a)));
		igd_json_obj_close(&j);
		if (t->post_sp)
			igd_json_sp(&j, "sp_after_nat", t->post_sp, IGD_JSON_FULL);
	}
	if (t->sa)
		igd_json_sa(&j, "sa", t->sa, NULL, NULL, IGD_JSON_FULL);
	if (t->inner_mtu) {
		igd_json_uint(&j, "inner_mtu", t->inner_mtu);
		igd_json_uint(&j, "mss", t->mss);
	}
	if (t->held)
		igd_memory_json(&j, "remembered", t->held, 0);
	igd_json_str(&j, "verdict", t->verdict);
	if (t->reason >= 0)
		igd_json_str(&j, "reason", igd_reason_name((enum igd_reason)t->reason));
	igd_json_str(&j, "why", t->why);
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		printf("%.*s\n", (int)igd_json_len(&j), buf);
}

static const struct option trace_opts[] = {
	{ "iif", required_argument, NULL, 'i' },
	{ "via-spi", required_argument, NULL, 'v' },
	{ "src", required_argument, NULL, 's' },
	{ "dst", required_argument, NULL, 'd' },
	{ "proto", required_argument, NULL, 'p' },
	{ "sport", required_argument, NULL, 'S' },
	{ "dport", required_argument, NULL, 'D' },
	{ "remembered", required_argument, NULL, 'r' },
	{ "mark", required_argument, NULL, 'm' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What ipsecguardd remembers, as its file has it (everything in it: the daemon writes
 * only what it still holds), live ones marked by the SPD. */
static void trace_memory(struct trace *t, const struct igd_spd *spd)
{
	uint64_t now = (uint64_t)time(NULL);

	igd_memory_init(&t->memory, UINT32_MAX);
	if (!t->state[0])
		snprintf(t->state, sizeof(t->state), "%s/ipsecguard%s", IGD_STATE_DIR_DEFAULT,
			 IGD_MEMORY_SUFFIX);
	if (igd_memory_load(&t->memory, t->state, now, NULL) == 0)
		igd_memory_sync(&t->memory, spd, t->have_tunnels ? &t->tunnels : NULL, now);
}

int cmd_trace(int argc, char **argv)
{
	struct igd_xfrm_mirror_cfg cfg = { .no_events = true };
	struct igd_xfrm_mirror *m;
	static struct trace t;
	bool json = false;
	int opt, rc;

	t.reason = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", trace_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			cmd_trace_help(stdout);
			return 0;
		case ':':
		case '?':
			return cli_getopt_error(opt, argv);
		default:
			if (trace_opt(&t, opt, optarg))
				return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_argument(argv[optind]);
	if (!t.have_src || !t.have_dst)
		return cli_usage_error("trace", "--src and --dst are required");
	if (t.in.have_spi && !t.inbound)
		return cli_usage_error("--via-spi", "needs --iif (the interface it arrives on)");
	rc = cli_mirror_open(&m, &cfg);
	if (rc)
		return rc;
	igd_xfrm_default_get(&t.dflt);	/* a kernel without: accept, as it does */
	t.have_tunnels = igd_tunnels_read(&t.tunnels) == 0;
	trace_memory(&t, igd_xfrm_mirror_spd(m));
	rc = trace_run(&t, igd_xfrm_mirror_spd(m), igd_xfrm_mirror_sad(m));
	if (!rc) {
		rc = trace_verdict(&t);
		if (json)
			print_json(&t);
		else
			print_text(&t);
	}
	igd_xfrm_mirror_close(m);
	return rc;
}
