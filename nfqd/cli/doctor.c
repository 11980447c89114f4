/* ipsecguard doctor: what the checks share. */
#include <net/if.h>
#include <string.h>
#include <linux/xfrm.h>
#include "doctor.h"
#include "mtu/route_mtu.h"
#include "natfix/natfix.h"

struct doctor_finding *doctor_add(struct doctor *d, enum doctor_sev sev, const char *id,
				  const struct igd_sp *sp)
{
	struct doctor_finding *f;

	if (d->n == DOCTOR_MAX) {
		d->dropped++;
		return NULL;
	}
	f = &d->f[d->n++];
	memset(f, 0, sizeof(*f));
	f->sev = sev;
	f->id = id;
	f->sp = sp;
	return f;
}

const char *doctor_sp_str(const struct igd_sp *sp, char *buf, size_t len)
{
	char sel[IGD_NATFIX_SEL_MAX];

	snprintf(buf, len, "%s SP %u %s reqid %u", igd_dir_str(sp->dir), sp->index,
		 igd_natfix_sel_str(&sp->sel, sel, sizeof(sel)),
		 sp->ntmpl ? sp->tmpl[0].reqid : 0);
	return buf;
}

const struct igd_sa *doctor_sa_of(const struct igd_sad *sad, const struct igd_tmpl *t,
				  const union igd_addr *dst)
{
	const struct igd_sa *sa;

	for (sa = igd_sad_next(sad, NULL); sa; sa = igd_sad_next(sad, sa)) {
		if (sa->proto != t->proto || (t->reqid && sa->reqid != t->reqid) ||
		    (t->spi && sa->spi != t->spi))
			continue;
		if (t->mode == XFRM_MODE_TUNNEL && t->family &&
		    memcmp(&sa->daddr, &t->daddr, sizeof(sa->daddr)))
			continue;
		if (t->mode != XFRM_MODE_TUNNEL && dst &&
		    memcmp(&sa->daddr, dst, sizeof(sa->daddr)))
			continue;
		return sa;
	}
	return NULL;
}

bool doctor_sp_transformed(const struct igd_sp *sp, const struct igd_sad *sad)
{
	unsigned int i;

	for (i = 0; i < sp->ntmpl; i++)
		if (!sp->tmpl[i].optional || doctor_sa_of(sad, &sp->tmpl[i], NULL))
			return true;
	return false;
}

uint32_t doctor_route_dev(struct igd_rtnl *rt, int family, const union igd_addr *a, char *name)
{
	static uint8_t buf[IGD_RTNL_BUF_SIZE];
	struct igd_route_query q = { .family = (uint8_t)family, .dst = *a };
	struct igd_route_mtu r;

	name[0] = '\0';
	if (igd_route_mtu_get(rt, &q, &r, buf, sizeof(buf)) || !r.oif ||
	    !if_indextoname(r.oif, name)) {
		name[0] = '\0';
		return 0;
	}
	return r.oif;
}
