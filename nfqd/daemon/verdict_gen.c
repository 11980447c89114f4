/* Verdict generations.  See verdict_gen.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "daemon.h"
#include "xfrm/xfrm_mirror.h"
#include "verdict_gen.h"
#include "nl/ct_nl.h"
#include "util/clock.h"

#define GEN_RETRY_MS	5000

static uint64_t gen_hash(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;	/* FNV-1a */
	return h;
}

/* What a verdict depends on: every out SP as the lookup sees it (selector, priority,
 * marks, if_id, type, action, templates, age order) and what the daemon protects
 * besides (--protect, the remembered SPs whose tunnel is down, --drop-uncovered).
 * In/fwd SPs and SAs do not change an outbound verdict. */
static uint64_t gen_digest(const struct igd_daemon *d)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const struct igd_sp *sp;
	unsigned int i;

	if (d->mirror)
		igd_spd_for_each(igd_xfrm_mirror_spd(d->mirror), sp, IGD_DIR_OUT) {
			h = gen_hash(h, &sp->sel, sizeof(sp->sel));
			h = gen_hash(h, &sp->priority, sizeof(sp->priority));
			h = gen_hash(h, &sp->mark_v, sizeof(sp->mark_v));
			h = gen_hash(h, &sp->mark_m, sizeof(sp->mark_m));
			h = gen_hash(h, &sp->if_id, sizeof(sp->if_id));
			h = gen_hash(h, &sp->type, 1);
			h = gen_hash(h, &sp->action, 1);
			h = gen_hash(h, &sp->ntmpl, 1);
			for (i = 0; i < sp->ntmpl; i++)
				h = gen_hash(h, &sp->tmpl[i], sizeof(sp->tmpl[i]));
		}
	for (i = 0; i < d->opts.nprotect; i++)
		h = gen_hash(h, &d->opts.protect[i], sizeof(d->opts.protect[i]));
	for (i = 0; i < d->memory.n; i++)
		if (!d->memory.v[i].live)
			h = gen_hash(h, &d->memory.v[i].sel, sizeof(d->memory.v[i].sel));
	return gen_hash(h, &d->opts.drop_uncovered, sizeof(d->opts.drop_uncovered));
}

#define GEN_SETTLE_MS	1000	/* a generation out of force is cleared after this */

/* Whether some remembered protection is held now (a tunnel down): which half of the
 * generations the digest chooses from. */
static bool gen_held(const struct igd_daemon *d)
{
	size_t i;

	for (i = 0; i < d->memory.n; i++)
		if (!d->memory.v[i].live)
			return true;
	return false;
}

/* The generation for @digest: its own in its half, or the next clean one of that
 * half (but the one in force); IGD_NATGUARD_GENS when none is clean.  @any: the
 * digest's own whatever its state (at start). */
static unsigned int gen_pick(const struct igd_daemon *d, uint64_t digest, bool any)
{
	const struct igd_gen *g = &d->gen;
	unsigned int n = igd_natguard_gens(&d->judge.guard), half = n / 2;
	unsigned int base = gen_held(d) ? half : 0, first = (unsigned int)(digest % half);
	unsigned int i, k;

	if (any)
		return base + first;
	for (i = 0; i < half; i++) {
		k = base + (first + i) % half;
		if (g->clean[k] && k != d->judge.guard.gen)
			return k;
	}
	return IGD_NATGUARD_GENS;
}

/* Clears both values of generation @g from the conntrack table. */
static int gen_clear(const struct igd_natguard *ng, unsigned int g, unsigned int *n,
		     char *msg, size_t len)
{
	unsigned int a = 0, b = 0;
	int e;

	e = igd_ct_mark_clear(igd_natguard_ok_gen(ng, g), ng->mask, &a, msg, len) ?:
	    igd_ct_mark_clear(igd_natguard_flag_gen(ng, g), ng->mask, &b, msg, len);
	*n = a + b;
	return e;
}

static void *gen_thread(void *arg)
{
	struct igd_daemon *d = arg;
	struct igd_gen *g = &d->gen;
	char one = 1;

	g->sweep_err = gen_clear(&d->judge.guard, g->target, &g->swept, g->msg,
				 sizeof(g->msg));
	while (write(g->pipe[1], &one, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The generation to clear next: the one a due change wants first, then any that is not
 * clean and has been out of force long enough, and that no queue thread still marks
 * with (it takes the generation in force at its next batch); IGD_NATGUARD_GENS: none. */
static unsigned int gen_sweep_choice(const struct igd_daemon *d, uint64_t now)
{
	const struct igd_gen *g = &d->gen;
	unsigned int n = igd_natguard_gens(&d->judge.guard), k;

	if (g->due) {
		k = gen_pick(d, gen_digest(d), true);
		if (!g->clean[k] && k != d->judge.guard.gen && now >= g->left_ms[k] + GEN_SETTLE_MS &&
		    !igd_workers_gen_in_use(d, k))
			return k;
	}
	for (k = 0; k < n; k++)
		if (!g->clean[k] && k != d->judge.guard.gen &&
		    now >= g->left_ms[k] + GEN_SETTLE_MS && !igd_workers_gen_in_use(d, k))
			return k;
	return IGD_NATGUARD_GENS;
}

static void gen_sweep_next(struct igd_daemon *d)
{
	struct igd_gen *g = &d->gen;
	uint64_t now = igd_now_ms();
	unsigned int k;
	int e;

	if (g->sweeping || (g->retry_ms && now < g->retry_ms))
		return;
	k = gen_sweep_choice(d, now);
	if (k >= IGD_NATGUARD_GENS)
		return;
	g->retry_ms = 0;
	g->target = k;
	g->sweep_err = 0;
	g->swept = 0;
	e = pthread_create(&g->thread, NULL, gen_thread, d);
	if (e) {
		fprintf(stderr, "ipsecguardd: verdict generation: sweep thread: %s\n", strerror(e));
		g->sweep_failures++;
		g->retry_ms = now + GEN_RETRY_MS;
		return;
	}
	g->sweeping = true;
}

/* The thread is done: its result taken, the next change may come. */
static int gen_on_pipe(int fd, void *arg)
{
	struct igd_daemon *d = arg;
	struct igd_gen *g = &d->gen;
	char c;

	while (read(fd, &c, 1) > 0)
		;
	if (!g->sweeping)
		return 0;
	pthread_join(g->thread, NULL);
	g->sweeping = false;
	g->sweeps++;
	g->entries_cleared += g->swept;
	if (g->sweep_err) {
		fprintf(stderr, "ipsecguardd: verdict generation %u: %s; tried again in %d s\n",
			g->target, g->msg, GEN_RETRY_MS / 1000);
		g->sweep_failures++;
		g->retry_ms = igd_now_ms() + GEN_RETRY_MS;
		return 0;
	}
	g->clean[g->target] = true;
	igd_gen_tick(d);
	return 0;
}

int igd_gen_init(struct igd_daemon *d, char *err, size_t errlen)
{
	struct igd_gen *g = &d->gen;
	unsigned int n = 0, k;
	char msg[192];
	int e;

	if (d->opts.no_hooks || d->opts.scope != IGD_SCOPE_PROTECTED)
		return 0;
	if (pipe2(g->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "verdict generations: pipe: %s", strerror(errno));
		return -errno;
	}
	g->active = true;
	e = igd_loop_add_fd(d->loop, g->pipe[0], gen_on_pipe, d);
	if (e) {
		snprintf(err, errlen, "event loop: %s", strerror(-e));
		return e;
	}
	/* the remembered protections as the SPD leaves them (what the first sync would
	 * make of those read from the file), so that the digest is the one in force */
	if (d->mirror)
		igd_memory_sync(&d->memory, igd_xfrm_mirror_spd(d->mirror), d->tunnels,
				(uint64_t)time(NULL));
	g->digest = gen_digest(d);
	k = gen_pick(d, g->digest, true);
	igd_natguard_set_gen(&d->judge.guard, k);
	if (gen_clear(&d->judge.guard, k, &n, msg, sizeof(msg)))
		fprintf(stderr, "ipsecguardd: verdict generation %u: %s\n", k, msg);
	g->entries_cleared += n;
	gen_sweep_next(d);
	return 0;
}

/* The guard's configuration with the values of the generation in force. */
static void gen_apply(struct igd_daemon *d)
{
	d->guard.mark_ok = igd_natguard_ok(&d->judge.guard);
	d->guard.mark_flag = igd_natguard_flag(&d->judge.guard);
}

bool igd_gen_prepare(struct igd_daemon *d)
{
	struct igd_gen *g = &d->gen;
	uint64_t digest = gen_digest(d);
	unsigned int k;

	if (!g->active)
		return false;
	if (digest == g->digest) {
		g->due = false;		/* nothing a verdict depends on changed */
		return false;
	}
	k = gen_pick(d, digest, false);
	if (k >= IGD_NATGUARD_GENS) {
		g->due = true;
		gen_sweep_next(d);
		return false;
	}
	g->before = d->judge.guard.gen;
	igd_natguard_set_gen(&d->judge.guard, k);
	gen_apply(d);
	g->pending = digest;
	g->prepared = true;
	g->due = false;
	return true;
}

void igd_gen_commit(struct igd_daemon *d)
{
	struct igd_gen *g = &d->gen;

	if (!g->prepared)
		return;
	g->prepared = false;
	g->digest = g->pending;
	g->switches++;
	/* the one in force will hold values; the one before is cleared once settled */
	g->clean[d->judge.guard.gen] = false;
	g->clean[g->before] = false;
	g->left_ms[g->before] = igd_now_ms();
}

void igd_gen_revert(struct igd_daemon *d)
{
	struct igd_gen *g = &d->gen;

	if (!g->prepared)
		return;
	g->prepared = false;
	g->due = true;
	igd_natguard_set_gen(&d->judge.guard, g->before);
	gen_apply(d);
}

void igd_gen_tick(struct igd_daemon *d)
{
	struct igd_gen *g = &d->gen;
	char err[256];

	if (!g->active)
		return;
	if (g->due && d->hooks_installed && igd_gen_prepare(d)) {
		if (igd_guard_gen_update(&d->guard, err, sizeof(err))) {
			fprintf(stderr, "ipsecguardd: verdict generation: %s\n", err);
			igd_gen_revert(d);
		} else {
			igd_gen_commit(d);
		}
	}
	gen_sweep_next(d);
}

void igd_gen_free(struct igd_daemon *d)
{
	struct igd_gen *g = &d->gen;

	if (!g->active)
		return;
	if (g->sweeping) {
		pthread_join(g->thread, NULL);
		g->sweeping = false;
	}
	close(g->pipe[0]);
	close(g->pipe[1]);
	g->active = false;
}
