/* doctor: what commonly breaks a route-based tunnel (xfrm interfaces, VTIs):
 *   tunnel-if-no-sp    no out SP with the interface's if_id (or the VTI's key as
 *                      mark): everything routed into it is dropped
 *   tunnel-if-no-sa    an SP, but no SA for its template: dropped until IKE makes one
 *   tunnel-if-down     the interface is down (its IPv4 routes went with it)
 *   tunnel-if-mtu      its MTU is above what its SA carries over the path
 *   vti-policy         a VTI without disable_policy: its decapsulated packets meet
 *                      the policy check again without their mark */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "doctor.h"
#include "mtu/esp_mtu.h"
#include "natfix/natfix.h"
#include "mtu/route_mtu.h"
#include "route/tunnels_nl.h"

/* "ipsec0 (xfrm if_id 42)" */
static const char *tif_str(const struct igd_tunnel_if *f, char *buf, size_t len)
{
	if (f->kind == IGD_TUNNEL_XFRM)
		snprintf(buf, len, "%s (xfrm if_id %u)", f->name, f->if_id);
	else
		snprintf(buf, len, "%s (vti key %u)", f->name, f->okey);
	return buf;
}

/* The first protecting out SP the interface's transmit can find. */
static const struct igd_sp *tif_sp(const struct doctor *d, const struct igd_tunnel_if *f)
{
	const struct igd_sp *sp;

	igd_spd_for_each(d->spd, sp, IGD_DIR_OUT) {
		if (!igd_sp_protecting(sp))
			continue;
		if (f->kind == IGD_TUNNEL_XFRM ? f->if_id && sp->if_id == f->if_id :
		    !sp->if_id && f->has_okey && sp->mark_m &&
		    (f->okey & sp->mark_m) == sp->mark_v)
			return sp;
	}
	return NULL;
}

static size_t tif_routes(const struct igd_tunnels *t, const struct igd_tunnel_if *f)
{
	size_t i, n = 0;

	for (i = 0; i < t->nroutes; i++)
		n += t->routes[i].oif == f->ifindex;
	return n;
}

static int tif_conf(const struct igd_tunnel_if *f, int family, const char *key)
{
	char path[96];
	FILE *in;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv%c/conf/%s/%s", family == 6 ? '6' : '4',
		 f->name, key);
	if ((in = fopen(path, "r"))) {
		if (fscanf(in, "%d", &v) != 1)
			v = -1;
		fclose(in);
	}
	return v;
}

/* The inner MTU @sa carries over the path to its peer; 0 when unknown. */
static unsigned int tif_inner_mtu(const struct igd_sa *sa)
{
	static uint8_t buf[IGD_RTNL_BUF_SIZE];
	struct igd_route_query q = { .family = sa->family, .dst = sa->daddr };
	struct igd_esp_params p;
	struct igd_route_mtu r;
	struct igd_rtnl rt;
	unsigned int inner = 0;

	if (sa->proto != IPPROTO_ESP || igd_esp_params_from_sa(sa, &p) || igd_rtnl_open(&rt))
		return 0;
	if (!igd_route_mtu_get(&rt, &q, &r, buf, sizeof(buf)) && r.mtu)
		inner = igd_esp_inner_mtu(&p, r.mtu);
	igd_rtnl_close(&rt);
	return inner;
}

static void check_one(struct doctor *d, const struct igd_tunnels *t,
		      const struct igd_tunnel_if *f)
{
	char tb[64], sb[IGD_NATFIX_SEL_MAX + 64];
	const struct igd_sp *sp = tif_sp(d, f);
	const struct igd_sa *sa = sp && sp->ntmpl ? doctor_sa_of(d->sad, &sp->tmpl[0], NULL) : NULL;
	size_t nr = tif_routes(t, f);
	struct doctor_finding *x;
	unsigned int inner;

	tif_str(f, tb, sizeof(tb));
	if (!f->up && (x = doctor_add(d, nr ? DOCTOR_WARNING : DOCTOR_INFO, "tunnel-if-down",
				      NULL))) {
		snprintf(x->evidence, sizeof(x->evidence), "%s is down; routes into it: %zu", tb,
			 nr);
		snprintf(x->effect, sizeof(x->effect), "nothing goes through it; its IPv4 routes "
			 "went with it, so traffic for its networks takes another route (in clear "
			 "where that leaves the gateway; ipsecguardd drops it as tunnel-down)");
		snprintf(x->fix, sizeof(x->fix), "ip link set %s up, and put its routes back",
			 f->name);
	}
	if (!sp && (x = doctor_add(d, nr ? DOCTOR_CRITICAL : DOCTOR_WARNING, "tunnel-if-no-sp",
				   NULL))) {
		snprintf(x->evidence, sizeof(x->evidence), "%s: no protecting out SP with %s; "
			 "routes into it: %zu", tb, f->kind == IGD_TUNNEL_XFRM ?
			 "that if_id" : "that key as mark", nr);
		snprintf(x->effect, sizeof(x->effect), "everything routed into it is dropped (the "
			 "interface finds no policy; never sent in clear)");
		snprintf(x->fix, sizeof(x->fix), "the IKE daemon's CHILD_SA for it needs %s "
			 "(strongSwan: %s), or ip xfrm policy add ... %s", f->kind == IGD_TUNNEL_XFRM ?
			 "if_id_out" : "the VTI's key as mark", f->kind == IGD_TUNNEL_XFRM ?
			 "if_id_in/if_id_out" : "mark_in/mark_out", f->kind == IGD_TUNNEL_XFRM ?
			 "if_id N" : "mark N");
	}
	if (sp && !sa && (x = doctor_add(d, DOCTOR_WARNING, "tunnel-if-no-sa", sp))) {
		snprintf(x->evidence, sizeof(x->evidence), "%s: %s has no SA", tb,
			 doctor_sp_str(sp, sb, sizeof(sb)));
		snprintf(x->effect, sizeof(x->effect), "what is routed into it is dropped until "
			 "IKE negotiates the SA (ACQUIRE)");
		snprintf(x->fix, sizeof(x->fix), "check the IKE daemon's log for this tunnel");
	}
	inner = sa ? tif_inner_mtu(sa) : 0;
	if (inner && f->mtu > inner &&
	    (x = doctor_add(d, DOCTOR_WARNING, "tunnel-if-mtu", sp))) {
		snprintf(x->evidence, sizeof(x->evidence), "%s has MTU %u; its SA spi 0x%08x "
			 "carries %u bytes over the path", tb, f->mtu, sa->spi, inner);
		snprintf(x->effect, sizeof(x->effect), "packets between %u and %u bytes are "
			 "refused with ICMP (DF set) or leave in ESP fragments", inner + 1, f->mtu);
		snprintf(x->fix, sizeof(x->fix), "ip link set %s mtu %u, and ipsecguardd --mss "
			 "auto for TCP", f->name, inner);
	}
	if (f->kind == IGD_TUNNEL_VTI &&
	    tif_conf(f, 4, "disable_policy") != 1 && tif_conf(f, 6, "disable_policy") != 1 &&
	    (x = doctor_add(d, DOCTOR_WARNING, "vti-policy", NULL))) {
		snprintf(x->evidence, sizeof(x->evidence), "%s: disable_policy is not set", tb);
		snprintf(x->effect, sizeof(x->effect), "its decapsulated packets meet the in/fwd "
			 "policy check again without the key: dropped where an SP without that "
			 "mark covers them (XfrmInTmplMismatch) or the default in policy is block");
		snprintf(x->fix, sizeof(x->fix), "sysctl -w net.ipv4.conf.%s.disable_policy=1",
			 f->name);
	}
}

int doctor_check_routed(struct doctor *d)
{
	static struct igd_tunnels t;
	size_t i;

	if (igd_tunnels_read(&t))
		return 0;	/* no rtnetlink: nothing to say of interfaces */
	for (i = 0; i < t.nifs; i++) {
		const struct igd_tunnel_if *f = &t.ifs[i];

		/* a VTI without keys looks up as plain routing does (the module's own
		 * ip_vti0 and ip6_vti0 in every namespace are such) */
		if (f->kind == IGD_TUNNEL_VTI && !f->has_ikey && !f->has_okey)
			continue;
		check_one(d, &t, f);
	}
	return 0;
}
