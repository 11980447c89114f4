/* ipsecguard doctor: the tunnel's own packets — IKE (udp 500), NAT-T (udp 4500) and
 * ESP between this gateway's tunnel endpoints and its peers — against the filter
 * rules of the input and output hooks (kmod-free/ruleset/filter_predict.h). */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/xfrm.h>
#include "doctor.h"
#include "ruleset/filter_predict.h"
#include "mtu/route_mtu.h"

#define TUNNEL_PAIRS	64
#define TUNNEL_CHAINS	8

struct pair {
	uint8_t family;
	union igd_addr local, peer;
	const struct igd_sp *sp;
};

static const struct {
	const char *name;
	uint8_t proto;
	uint16_t port;
} tunnel_flows[] = {
	{ "IKE (udp 500)", IPPROTO_UDP, 500 },
	{ "NAT-T (udp 4500)", IPPROTO_UDP, 4500 },
	{ "ESP", IPPROTO_ESP, 0 },
};

#define NFLOWS (sizeof(tunnel_flows) / sizeof(tunnel_flows[0]))

static unsigned int pairs_of(const struct igd_spd *spd, struct pair *p, unsigned int max)
{
	const struct igd_sp *sp;
	unsigned int n = 0, i;

	igd_spd_for_each(spd, sp, IGD_DIR_OUT) {
		const struct igd_tmpl *t = sp->ntmpl ? &sp->tmpl[0] : NULL;
		bool seen = false;

		if (!t || t->mode != XFRM_MODE_TUNNEL || !t->family)
			continue;
		for (i = 0; i < n; i++)
			seen = seen || (p[i].family == t->family &&
					!memcmp(&p[i].local, &t->saddr, sizeof(t->saddr)) &&
					!memcmp(&p[i].peer, &t->daddr, sizeof(t->daddr)));
		if (seen || n == max)
			continue;
		p[n].family = t->family;
		p[n].local = t->saddr;
		p[n].peer = t->daddr;
		p[n].sp = sp;
		n++;
	}
	return n;
}

static void flow_sel(struct igd_sel *s, const struct pair *p, bool in, unsigned int k)
{
	memset(s, 0, sizeof(*s));
	s->family = p->family;
	s->saddr = in ? p->peer : p->local;
	s->daddr = in ? p->local : p->peer;
	s->plen_s = s->plen_d = p->family == 6 ? 128 : 32;
	s->proto = tunnel_flows[k].proto;
	if (tunnel_flows[k].port) {
		s->sport = s->dport = tunnel_flows[k].port;
		s->sport_mask = s->dport_mask = 0xffff;
	}
}

/* One finding per pair, hook and chain, naming the flows it drops. */
struct verdicts {
	struct igd_filter_finding f[TUNNEL_CHAINS];
	unsigned int n;
	char flows[TUNNEL_CHAINS][96];
};

static void merge(struct verdicts *v, const struct igd_filter_finding *f, const char *flow)
{
	unsigned int i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->f[i].table, f->table) && !strcmp(v->f[i].chain, f->chain) &&
		    !strcmp(v->f[i].family, f->family) && v->f[i].backend == f->backend)
			break;
	if (i == v->n) {
		if (v->n == TUNNEL_CHAINS)
			return;
		v->f[v->n] = *f;
		v->flows[v->n++][0] = '\0';
	} else if (f->blocked > v->f[i].blocked) {
		v->f[i].blocked = f->blocked;
		v->f[i].handle = f->handle;
		memcpy(v->f[i].rule, f->rule, sizeof(f->rule));
	}
	snprintf(v->flows[i] + strlen(v->flows[i]), sizeof(v->flows[i]) - strlen(v->flows[i]),
		 "%s%s", v->flows[i][0] ? ", " : "", flow);
}

static int check_pair(struct doctor *d, const struct pair *p, bool in, const char *ifname)
{
	struct igd_filter_finding ff[TUNNEL_CHAINS];
	char a[IGD_ADDRSTRLEN], b[IGD_ADDRSTRLEN], err[256];
	struct verdicts v = { .n = 0 };
	struct doctor_finding *f;
	struct igd_sel sel;
	unsigned int k, i;
	int n;

	for (k = 0; k < NFLOWS; k++) {
		struct igd_nat_ctx c = { .sel = &sel, .oifname = in ? "" : ifname,
					 .iifname = in ? ifname : "" };

		flow_sel(&sel, p, in, k);
		n = igd_filter_predict(&c, in ? NF_INET_LOCAL_IN : NF_INET_LOCAL_OUT, ff,
				       TUNNEL_CHAINS, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "ipsecguard doctor: %s\n", err);
			return CLI_EXIT_FAIL;
		}
		for (i = 0; i < (unsigned int)n; i++)
			merge(&v, &ff[i], tunnel_flows[k].name);
	}
	igd_addr_str(p->family, &p->local, a, sizeof(a));
	igd_addr_str(p->family, &p->peer, b, sizeof(b));
	for (i = 0; i < v.n; i++) {
		bool sure = v.f[i].blocked == IGD_TRI_ALWAYS;
		bool legacy = !strcmp(v.f[i].backend, "iptables-legacy");
		char by[160];

		f = doctor_add(d, sure ? DOCTOR_CRITICAL : DOCTOR_WARNING, sure ?
			       "tunnel-blocked" : "tunnel-may-be-blocked", p->sp);
		if (!f)
			break;
		if (v.f[i].handle && legacy)
			snprintf(by, sizeof(by), "rule %llu \"%.128s\"",
				 (unsigned long long)v.f[i].handle, v.f[i].rule);
		else if (v.f[i].handle)
			snprintf(by, sizeof(by), "rule handle %llu",
				 (unsigned long long)v.f[i].handle);
		else
			snprintf(by, sizeof(by), "the chain's drop policy");
		snprintf(f->evidence, sizeof(f->evidence),
			 "%s %s %s -> %s: %s in %s%s %.64s %.96s%s%s", v.flows[i], in ? "from" : "to",
			 in ? b : a, in ? a : b, by, legacy ? "iptables-legacy " : "",
			 v.f[i].family, v.f[i].table, igd_filter_where(&v.f[i]),
			 sure ? "" : "; undecided: ", sure ? "" : v.f[i].why);
		snprintf(f->effect, sizeof(f->effect),
			 "the tunnel's own packets %s: IKE cannot negotiate or rekey, or ESP "
			 "carries nothing %s", sure ? "are dropped" : "may be dropped",
			 in ? "inbound (the tunnel looks up, no data arrives)" : "outbound");
		if (legacy) {
			const char *bin = p->family == 6 ? "ip6tables-legacy" : "iptables-legacy";

			snprintf(f->fix, sizeof(f->fix),
				 "%s -I %s 1 %s %s -p udp -m multiport --dports 500,4500 -j ACCEPT; "
				 "%s -I %s 1 %s %s -p esp -j ACCEPT", bin, v.f[i].chain,
				 in ? "-s" : "-d", b, bin, v.f[i].chain, in ? "-s" : "-d", b);
			continue;
		}
		snprintf(f->fix, sizeof(f->fix),
			 "nft insert rule %s %.64s %.64s %s %s %s udp dport { 500, 4500 } accept; "
			 "and: ... %s %s %s meta l4proto esp accept", v.f[i].family, v.f[i].table,
			 v.f[i].chain, p->family == 6 ? "ip6" : "ip", in ? "saddr" : "daddr",
			 b, p->family == 6 ? "ip6" : "ip", in ? "saddr" : "daddr", b);
	}
	return 0;
}

int doctor_check_tunnel(struct doctor *d)
{
	struct pair p[TUNNEL_PAIRS];
	char ifname[IF_NAMESIZE];
	struct igd_rtnl rt;
	unsigned int n, i;
	int rc = 0;

	n = pairs_of(d->spd, p, TUNNEL_PAIRS);
	if (!n || igd_rtnl_open(&rt))
		return 0;
	for (i = 0; i < n && !rc; i++) {
		doctor_route_dev(&rt, p[i].family, &p[i].peer, ifname);
		rc = check_pair(d, &p[i], true, ifname) ?: check_pair(d, &p[i], false, ifname);
	}
	igd_rtnl_close(&rt);
	return rc;
}
