#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "spdsync.h"

static int spdsync_on_fd(int fd, void *arg)
{
	struct igd_daemon *d = arg;
	int err = igd_xfrm_mirror_process(d->mirror);

	igd_spdsync_refresh(d);
	if (err)
		fprintf(stderr, "ipsecguardd: xfrm mirror: %s\n", strerror(-err));
	return 0;
}

int igd_spdsync_open(struct igd_daemon *d, char *err, size_t errlen)
{
	struct igd_xfrm_mirror_cfg cfg = { .rcvbuf = 0 };
	int e;

	e = igd_xfrm_mirror_open(&d->mirror, &cfg);
	if (e) {
		snprintf(err, errlen, "xfrm: read the SPD and SAD: %s", strerror(-e));
		return e;
	}
	e = igd_loop_add_fd(d->loop, igd_xfrm_mirror_fd(d->mirror), spdsync_on_fd, d);
	if (e)
		snprintf(err, errlen, "event loop: %s", strerror(-e));
	return e;
}

static int spdsync_push(struct igd_daemon *d, const struct igd_sp *sp)
{
	struct igd_prefix *p;

	if (d->npfx == d->pfx_cap) {
		size_t cap = d->pfx_cap ? d->pfx_cap * 2 : 64;

		p = realloc(d->pfx, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->pfx = p;
		d->pfx_cap = cap;
	}
	p = &d->pfx[d->npfx++];
	memset(p, 0, sizeof(*p));
	p->addr = sp->sel.daddr;
	p->plen = sp->sel.plen_d;
	p->family = sp->sel.family;
	return 0;
}

int igd_spdsync_prefixes(struct igd_daemon *d)
{
	const struct igd_spd *spd;
	const struct igd_sp *sp;

	d->npfx = 0;
	if (!d->mirror)
		return 0;
	spd = igd_xfrm_mirror_spd(d->mirror);
	igd_spd_for_each(spd, sp, IGD_DIR_OUT) {
		if (igd_sp_protecting(sp) && spdsync_push(d, sp))
			return -ENOMEM;
	}
	return (int)d->npfx;
}

void igd_spdsync_refresh(struct igd_daemon *d)
{
	const struct igd_spd *spd;
	char err[256];
	uint64_t gen;

	if (!d->mirror)
		return;
	spd = igd_xfrm_mirror_spd(d->mirror);
	gen = igd_spd_generation(spd);
	d->judge.spd = spd;
	d->judge.sad = igd_xfrm_mirror_sad(d->mirror);
	if (spd == d->spd_seen && gen == d->spd_gen)
		return;
	d->spd_seen = spd;
	d->spd_gen = gen;
	if (!d->hooks_installed || d->guard.scope != IGD_SCOPE_PROTECTED)
		return;
	if (igd_spdsync_prefixes(d) < 0 ||
	    igd_guard_set_update(&d->guard, d->pfx, d->npfx, err, sizeof(err)))
		fprintf(stderr, "ipsecguardd: protected set: %s\n", err);
}

void igd_spdsync_tick(struct igd_daemon *d)
{
	if (d->mirror && igd_xfrm_mirror_timeout_ms(d->mirror) >= 0) {
		igd_xfrm_mirror_process(d->mirror);
		igd_spdsync_refresh(d);
	}
}

void igd_spdsync_close(struct igd_daemon *d)
{
	igd_xfrm_mirror_close(d->mirror);
	d->mirror = NULL;
	free(d->pfx);
	d->pfx = NULL;
}
