/* ipsecguard doctor: what the checks share. */
#include <string.h>
#include <linux/xfrm.h>
#include "doctor.h"
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

bool doctor_sa_for_tmpl(const struct igd_sad *sad, const struct igd_tmpl *t)
{
	const struct igd_sa *sa;

	for (sa = igd_sad_next(sad, NULL); sa; sa = igd_sad_next(sad, sa)) {
		if (sa->proto != t->proto || (t->reqid && sa->reqid != t->reqid) ||
		    (t->spi && sa->spi != t->spi))
			continue;
		if (t->mode == XFRM_MODE_TUNNEL && t->family &&
		    memcmp(&sa->daddr, &t->daddr, sizeof(sa->daddr)))
			continue;
		return true;
	}
	return false;
}
