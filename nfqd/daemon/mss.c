#include <errno.h>
#include <string.h>
#include <time.h>
#include <linux/xfrm.h>
#include "mtu/esp_mtu.h"
#include "mss.h"
#include "route/tunnels.h"
#include "util/clock.h"

int igd_mss_init(struct igd_mss *m, enum igd_mss_mode mode, uint32_t fixed)
{
	memset(m, 0, sizeof(*m));
	m->mode = mode;
	m->fixed = (uint16_t)fixed;
	if (mode != IGD_MSS_AUTO)
		return 0;
	return igd_rtnl_open(&m->rtnl);
}

void igd_mss_close(struct igd_mss *m)
{
	if (m->mode == IGD_MSS_AUTO)
		igd_rtnl_close(&m->rtnl);
}

unsigned int igd_mss_path_mtu(struct igd_mss *m, const struct igd_sp *sp,
			      const struct igd_flow *f)
{
	struct igd_route_query q = { .family = f->family, .dst = f->daddr };
	struct igd_route_mtu r;

	if (sp->ntmpl && sp->tmpl[0].mode == XFRM_MODE_TUNNEL) {
		q.family = sp->tmpl[0].family;
		q.dst = sp->tmpl[0].daddr;
	}
	if (igd_route_mtu_get(&m->rtnl, &q, &r, m->buf, sizeof(m->buf)) || !r.mtu) {
		m->route_errors++;
		return q.family == 6 ? 1280 : 576;	/* the smallest legal path */
	}
	return r.mtu;
}

/* The ESP parameters of the SP's outbound SA, or the worst case. */
static void mss_params(const struct igd_sp *sp, const struct igd_sad *sad,
		       struct igd_esp_params *p)
{
	const struct igd_sa *sa = NULL;
	int outer = sp->ntmpl && sp->tmpl[0].mode == XFRM_MODE_TUNNEL ? sp->tmpl[0].family :
		    sp->sel.family;

	if (sad && sp->ntmpl)
		while ((sa = igd_sad_next_by_reqid(sad, sp->tmpl[0].reqid, sa)))
			if (igd_esp_params_from_sa(sa, p) == 0)
				return;
	igd_esp_worst_case(p, outer);
	p->tunnel = sp->ntmpl && sp->tmpl[0].mode == XFRM_MODE_TUNNEL;
}

static struct igd_mss_entry *mss_cached(struct igd_mss *m, uint32_t index, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < IGD_MSS_CACHE; i++)
		if (m->cache[i].expires_ms > now && m->cache[i].sp_index == index)
			return &m->cache[i];
	return NULL;
}

uint16_t igd_mss_limit(struct igd_mss *m, const struct igd_sp *sp, const struct igd_sad *sad,
		       const struct igd_flow *f)
{
	struct igd_esp_params p;
	struct igd_mss_entry *e;
	uint64_t now;
	unsigned int mss;

	if (m->mode == IGD_MSS_FIXED)
		return m->fixed;
	if (m->mode != IGD_MSS_AUTO)
		return 0;
	now = igd_now_ms();
	e = mss_cached(m, sp->index, now);
	if (e)
		return e->mss;
	mss_params(sp, sad, &p);
	mss = igd_esp_mss(&p, igd_mss_path_mtu(m, sp, f), f->family);
	e = &m->cache[m->next++ % IGD_MSS_CACHE];
	*e = (struct igd_mss_entry){ .sp_index = sp->index, .mss = (uint16_t)mss,
				     .expires_ms = now + IGD_MSS_CACHE_MS };
	return e->mss;
}

/* Whether @sp is what tunnel interface @f's transmit looks up: its if_id, or (VTI)
 * its output key as mark. */
static bool mss_sp_of(const struct igd_sp *sp, const struct igd_tunnel_if *f)
{
	if (f->kind == IGD_TUNNEL_XFRM)
		return f->if_id && sp->if_id == f->if_id;
	return !sp->if_id && f->has_okey && sp->mark_m && (f->okey & sp->mark_m) == sp->mark_v;
}

/* One rule per family for each tunnel interface that is up: the first protecting out
 * SP of its lookup with a limit decides it. */
static size_t mss_tunnel_rules(struct igd_mss *m, const struct igd_spd *spd,
			       const struct igd_sad *sad, const struct igd_tunnels *t,
			       struct igd_mss_rule *out, size_t max)
{
	const struct igd_sp *sp;
	struct igd_flow fl;
	size_t n = 0, i;
	int fam;

	for (i = 0; t && i < t->nifs; i++) {
		const struct igd_tunnel_if *f = &t->ifs[i];

		for (fam = 4; fam <= 6 && f->up; fam += 2)
			igd_spd_for_each(spd, sp, IGD_DIR_OUT) {
				if (n >= max || sp->sel.family != fam || !igd_sp_protecting(sp) ||
				    !mss_sp_of(sp, f))
					continue;
				memset(&fl, 0, sizeof(fl));
				fl.family = sp->sel.family;
				fl.saddr = sp->sel.saddr;
				fl.daddr = sp->sel.daddr;
				fl.if_id = sp->if_id;
				fl.mark = sp->mark_v;
				memset(&out[n], 0, sizeof(out[n]));
				out[n].family = sp->sel.family;
				out[n].ifindex = f->ifindex;
				out[n].mss = igd_mss_limit(m, sp, sad, &fl);
				if (out[n].mss) {
					n++;
					break;
				}
			}
	}
	return n;
}

size_t igd_mss_rules(struct igd_mss *m, const struct igd_spd *spd, const struct igd_sad *sad,
		     const struct igd_tunnels *t, struct igd_mss_rule *out, size_t max)
{
	const struct igd_sp *sp;
	struct igd_flow f;
	size_t n = 0;

	igd_spd_for_each(spd, sp, IGD_DIR_OUT) {
		/* one bound to a tunnel interface clamps by the interface (below) */
		if (n >= max || !igd_sp_protecting(sp) || igd_sp_route_bound(sp, t))
			continue;
		memset(&f, 0, sizeof(f));
		f.family = sp->sel.family;
		f.saddr = sp->sel.saddr;
		f.daddr = sp->sel.daddr;
		memset(&out[n], 0, sizeof(out[n]));	/* compared with memcmp */
		out[n].src = sp->sel.saddr;
		out[n].dst = sp->sel.daddr;
		out[n].plen_s = sp->sel.plen_s;
		out[n].plen_d = sp->sel.plen_d;
		out[n].family = sp->sel.family;
		out[n].mss = igd_mss_limit(m, sp, sad, &f);
		if (out[n].mss)
			n++;
	}
	return n + mss_tunnel_rules(m, spd, sad, t, out + n, max - n);
}
