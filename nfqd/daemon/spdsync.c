#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "daemon.h"
#include "diag.h"
#include "spdsync.h"
#include "judge/outbound.h"
#include "routed.h"

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
	struct igd_xfrm_mirror_cfg cfg = { .cb = igd_diag_on_xfrm, .cb_data = &d->diag };
	int e;

	e = igd_xfrm_mirror_open(&d->mirror, &cfg);
	if (e) {
		snprintf(err, errlen, "xfrm: read the SPD and SAD: %s", strerror(-e));
		return e;
	}
	d->diag.mirror = d->mirror;	/* one-way detection samples its SAs */
	e = igd_loop_add_fd(d->loop, igd_xfrm_mirror_fd(d->mirror), spdsync_on_fd, d);
	if (e)
		snprintf(err, errlen, "event loop: %s", strerror(-e));
	return e;
}

static int spdsync_push(struct igd_prefix_list *l, const struct igd_prefix *p)
{
	struct igd_prefix *n;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		n = realloc(l->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->v = n;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

static int spdsync_push_sel(struct igd_prefix_list *l, const struct igd_sel *s, bool remote_dst)
{
	struct igd_prefix p = {
		.addr = remote_dst ? s->daddr : s->saddr,
		.plen = remote_dst ? s->plen_d : s->plen_s,
		.family = s->family,
	};

	return spdsync_push(l, &p);
}

/* The count chain's SPs: protecting out SPs without a protocol selector, in lookup
 * order (lowest priority value first, then the older, lower index), so a flow counts
 * for the first of them that covers its addresses. */
static void spdsync_count(struct igd_daemon *d, const struct igd_spd *spd)
{
	struct { uint32_t prio; struct igd_guard_count c; } tmp[IGD_GUARD_MAX_SP_CTR];
	const struct igd_sp *sp;
	size_t n = 0, i, j;

	igd_spd_for_each(spd, sp, IGD_DIR_OUT) {
		if (!igd_sp_protecting(sp) || sp->sel.proto || n == IGD_GUARD_MAX_SP_CTR ||
		    igd_sp_route_bound(sp, d->tunnels))
			continue;
		tmp[n].prio = sp->priority;
		tmp[n].c = (struct igd_guard_count){
			.src = sp->sel.saddr, .dst = sp->sel.daddr, .plen_s = sp->sel.plen_s,
			.plen_d = sp->sel.plen_d, .family = sp->sel.family, .index = sp->index,
		};
		n++;
	}
	/* insertion sort by (priority, index): small n, no allocation */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && (tmp[j - 1].prio > tmp[j].prio ||
				      (tmp[j - 1].prio == tmp[j].prio &&
				       tmp[j - 1].c.index > tmp[j].c.index)); j--) {
			__typeof__(tmp[0]) t = tmp[j];

			tmp[j] = tmp[j - 1];
			tmp[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		d->sync.count[i] = tmp[i].c;
	d->sync.ncount = n;
}

/* A network routed into a tunnel interface now is protected: a translated flow towards
 * it that leaves by another interface (the route just withdrawn, the default route
 * taking it) is a suspect from the first moment, not from when the sets learn of the
 * withdrawal, and is judged by the routes as they are when the daemon reads it
 * (each queue thread reads them before its batch, worker.h): gone, tunnel-down; still there (a narrower route elsewhere),
 * healthy.  Not held while live (cleartext the kernel sends elsewhere by a narrower
 * route is no suspect), nor the very wide prefixes of a route-all tunnel (every
 * translated flow, and every new connection arriving in clear, would be queued once)
 * or link-local ones (an xfrm interface's own fe80::/64). */
static bool spdsync_routed_protected(const struct igd_remembered *r)
{
	const struct igd_sel *s = &r->sel;

	if (!r->via[0])
		return false;
	if (s->family == 6)
		return s->plen_d >= 16 &&
		       !(s->daddr.b[0] == 0xfe && (s->daddr.b[1] & 0xc0) == 0x80);
	return s->plen_d >= 8;
}

/* An element of the tunnelled set: the addresses of @sel, an out SP's that requires
 * IPsec of all traffic between them, or a network routed into a tunnel interface. */
static void spdsync_tunnelled(struct igd_daemon *d, const struct igd_sel *sel)
{
	struct igd_decap_elem *e;

	if (d->sync.ntunnelled == IGD_MAX_TUNNELLED) {
		d->sync.tunnelled_all = true;
		return;
	}
	e = &d->sync.tunnelled[d->sync.ntunnelled++];
	memset(e, 0, sizeof(*e));
	e->family = sel->family;
	igd_prefix_range(e->family, &sel->saddr, sel->plen_s, &e->s_lo, &e->s_hi);
	igd_prefix_range(e->family, &sel->daddr, sel->plen_d, &e->d_lo, &e->d_hi);
}

/* More SPs than the tunnelled set is made for: one element of all addresses for each
 * family, every untransformed untranslated flow a suspect (judged once), which
 * over-approximates the SPs and misses none of them. */
static void spdsync_tunnelled_all(struct igd_daemon *d)
{
	static const union igd_addr any;
	struct igd_decap_elem *e;
	unsigned int f;

	for (f = 0; f < 2; f++) {
		e = &d->sync.tunnelled[f];
		memset(e, 0, sizeof(*e));
		e->family = f ? 6 : 4;
		igd_prefix_range(e->family, &any, 0, &e->s_lo, &e->s_hi);
		igd_prefix_range(e->family, &any, 0, &e->d_lo, &e->d_hi);
	}
	d->sync.ntunnelled = 2;
}

/* The sets (guard_rules.h): protected, the remote selectors of protecting SPs (out:
 * destination, in/fwd: source), --protect, remembered destinations whose tunnel is
 * down and the networks routed into tunnel interfaces now; required, the destinations
 * of protecting out SPs with a required template that cover all traffic to them; held,
 * --protect and remembered destinations whose tunnel is down (and required with
 * --drop-uncovered); tunnelled (guard_pair_sets.c), the source . destination of
 * the SPs in required and any source . the networks routed into tunnel interfaces
 * now.  SPs bound to a tunnel interface (an if_id, a VTI's key) take no
 * part: what leaves by such an interface is the kernel's to encrypt or drop
 * (tunnels.h), and the networks routed into it are remembered instead. */
int igd_spdsync_prefixes(struct igd_daemon *d)
{
	const struct igd_remembered *r;
	const struct igd_sp *sp;
	unsigned int i;
	int e = 0;

	d->sync.pfx.n = d->sync.held.n = d->sync.req.n = 0;
	for (i = 0; i < d->opts.nprotect && !e; i++)
		e = spdsync_push(&d->sync.pfx, &d->opts.protect[i]) ?:
		    spdsync_push(&d->sync.held, &d->opts.protect[i]);
	for (r = d->memory.v; r && r < d->memory.v + d->memory.n && !e; r++)
		if (!r->live)
			e = spdsync_push_sel(&d->sync.pfx, &r->sel, true) ?:
			    spdsync_push_sel(&d->sync.held, &r->sel, true);
		else if (spdsync_routed_protected(r))
			e = spdsync_push_sel(&d->sync.pfx, &r->sel, true);
	d->sync.ndecap = d->sync.ntunnelled = 0;
	d->sync.tunnelled_all = false;
	/* what leaves towards a routed network by another interface (the accept rules
	 * of the tunnel interfaces come first) while its route stands: a narrower route
	 * elsewhere, or the route gone a moment ago */
	for (r = d->memory.v; r && r < d->memory.v + d->memory.n; r++)
		if (r->live && spdsync_routed_protected(r))
			spdsync_tunnelled(d, &r->sel);
	if (d->mirror) {
		/* too many pairs: an empty set, every decapsulated packet a suspect */
		e = e ?: igd_decap_ok_elems(igd_xfrm_mirror_spd(d->mirror), d->sync.decap,
					    IGD_MAX_DECAP);
		d->sync.ndecap = e > 0 ? (size_t)e : 0;
		e = e < 0 ? e : 0;
		spdsync_count(d, igd_xfrm_mirror_spd(d->mirror));
		igd_spd_for_each(igd_xfrm_mirror_spd(d->mirror), sp, -1) {
			bool req = sp->dir == IGD_DIR_OUT && igd_sp_requires_ipsec(sp) &&
				   igd_sp_covers_all(sp);

			/* bound to a tunnel interface: it matches nothing else */
			if (e || sp->dir >= IGD_DIR_MAX || !igd_sp_protecting(sp) ||
			    igd_sp_route_bound(sp, d->tunnels))
				continue;
			e = spdsync_push_sel(&d->sync.pfx, &sp->sel, sp->dir == IGD_DIR_OUT);
			if (!e && req)
				e = spdsync_push_sel(&d->sync.req, &sp->sel, true);
			if (!e && req)
				spdsync_tunnelled(d, &sp->sel);
			if (!e && req && d->opts.drop_uncovered)
				e = spdsync_push_sel(&d->sync.held, &sp->sel, true);
		}
		if (d->sync.tunnelled_all)
			spdsync_tunnelled_all(d);
	}
	return e ? e : (int)d->sync.pfx.n;
}

const struct igd_guard_sets *igd_spdsync_sets(struct igd_daemon *d)
{
	d->sync.sets = (struct igd_guard_sets){
		.v = { [IGD_GUARD_PROTECTED] = d->sync.pfx.v, [IGD_GUARD_REQUIRED] = d->sync.req.v,
		       [IGD_GUARD_HELD] = d->sync.held.v },
		.n = { [IGD_GUARD_PROTECTED] = d->sync.pfx.n, [IGD_GUARD_REQUIRED] = d->sync.req.n,
		       [IGD_GUARD_HELD] = d->sync.held.n },
		.decap = d->sync.decap, .ndecap = d->sync.ndecap,
		.tunnelled = d->sync.tunnelled, .ntunnelled = d->sync.ntunnelled,
		.count = d->sync.count, .ncount = d->sync.ncount,
		.exempt = d->exempt,
		.nexempt = d->fixes.worker ? igd_fixes_exemptions(&d->fixes, d->exempt,
								  IGD_MAX_FIXES) : 0,
	};
	return &d->sync.sets;
}

/* The sets and the verdicts follow what changed: the SPD, or the remembered
 * protections (one went, one expired). */
void igd_spdsync_update(struct igd_daemon *d)
{
	char err[256];

	if (igd_spdsync_prefixes(d) < 0) {
		fprintf(stderr, "ipsecguardd: protected prefixes: out of memory\n");
		return;
	}
	igd_spdsync_mss(d);
	igd_spdsync_fragout(d);
	if (!d->hooks_installed || d->guard.scope != IGD_SCOPE_PROTECTED)
		return;
	/* the verdicts of the SPD before go with it, in the same transaction */
	igd_gen_prepare(d);
	if (igd_guard_set_update(&d->guard, igd_spdsync_sets(d), err, sizeof(err))) {
		fprintf(stderr, "ipsecguardd: sets: %s\n", err);
		igd_gen_revert(d);
		return;
	}
	igd_gen_commit(d);
}

void igd_spdsync_refresh(struct igd_daemon *d)
{
	const struct igd_spd *spd;
	uint64_t gen;

	if (!d->mirror)
		return;
	spd = igd_xfrm_mirror_spd(d->mirror);
	gen = igd_spd_generation(spd);
	d->judge.spd = spd;
	d->judge.sad = igd_xfrm_mirror_sad(d->mirror);
	d->judge.out.spd = spd;
	if (spd == d->sync.spd_seen && gen == d->sync.spd_gen &&
	    (!d->tunnels || d->tunnels->generation == d->sync.tunnels_gen))
		return;
	d->sync.spd_seen = spd;
	d->sync.spd_gen = gen;
	d->sync.tunnels_gen = d->tunnels ? d->tunnels->generation : 0;
	igd_memory_sync(&d->memory, spd, d->tunnels, (uint64_t)time(NULL));
	igd_spdsync_update(d);
}

/* Once a second: protections remembered longer than the hold time are forgotten. */
void igd_spdsync_expire(struct igd_daemon *d)
{
	if (d->memory.hold_s && igd_memory_expire(&d->memory, (uint64_t)time(NULL)))
		igd_spdsync_update(d);
}

/* The SYN/ACK clamps follow the SPD, the SAs and the path MTU; the chain is only
 * rewritten when a value changed. */
void igd_spdsync_mss(struct igd_daemon *d)
{
	struct igd_mss_rule cur[IGD_MAX_MSS_RULES];
	char err[256];
	size_t n;

	if (!d->hooks_installed || !d->guard.mss_chain || !d->mirror)
		return;
	n = igd_mss_rules(&d->mss, igd_xfrm_mirror_spd(d->mirror), igd_xfrm_mirror_sad(d->mirror),
			  d->tunnels, cur, IGD_MAX_MSS_RULES);
	if (n == d->sync.n_mss_rules && !memcmp(cur, d->sync.mss_rules, n * sizeof(cur[0])))
		return;
	if (igd_guard_mss_update(&d->guard, cur, n, err, sizeof(err))) {
		fprintf(stderr, "ipsecguardd: mss rules: %s\n", err);
		return;
	}
	memcpy(d->sync.mss_rules, cur, n * sizeof(cur[0]));
	d->sync.n_mss_rules = n;
}

/* The frag_out rules follow the tunnels' endpoints and the path MTUs towards them;
 * the chain is only rewritten when one changed. */
void igd_spdsync_fragout(struct igd_daemon *d)
{
	struct igd_fragout_rule cur[IGD_MAX_FRAGOUT_RULES];
	struct igd_outer *o = &d->outer;
	char err[256];
	size_t n;

	if (!d->hooks_installed || !d->guard.outer || !o->rtnl_ok || !d->mirror)
		return;
	n = igd_outer_fragout_rules(o, igd_xfrm_mirror_spd(d->mirror),
				    igd_xfrm_mirror_sad(d->mirror), &d->local, cur,
				    IGD_MAX_FRAGOUT_RULES);
	if (o->fragout_full && !o->fragout_full_said) {
		fprintf(stderr, "ipsecguardd: frag_out: %d tunnel endpoints or more; packets "
			"leaving too big are watched for %d of them (out SPs' first)\n",
			IGD_MAX_FRAGOUT_RULES, IGD_MAX_FRAGOUT_RULES);
		o->fragout_full_said = true;
	}
	if (n == o->nfragout && !memcmp(cur, o->fragout, n * sizeof(cur[0])))
		return;
	if (igd_guard_fragout_update(&d->guard, cur, n, err, sizeof(err))) {
		fprintf(stderr, "ipsecguardd: frag_out rules: %s\n", err);
		return;
	}
	memcpy(o->fragout, cur, n * sizeof(cur[0]));
	o->nfragout = n;
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
	d->diag.mirror = NULL;
	free(d->sync.pfx.v);
	free(d->sync.req.v);
	free(d->sync.held.v);
	d->sync.pfx = d->sync.held = d->sync.req = (struct igd_prefix_list){ 0 };
}
