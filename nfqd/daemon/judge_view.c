/* See judge_view.h. */
#include <string.h>
#include "daemon.h"
#include "judge_view.h"

void igd_view_build(const struct igd_daemon *d, struct igd_judge_view *v)
{
	size_t n = d->memory.n < IGD_MEMORY_MAX ? d->memory.n : IGD_MEMORY_MAX;

	/* headers zeroed whole so that padding compares equal */
	memset(v, 0, offsetof(struct igd_judge_view, mem));
	v->mode = (int)d->judge.cfg.mode;
	v->gen = d->judge.guard.gen;
	v->drop_uncovered = d->judge.out.drop_uncovered;
	v->log_pass = d->opts.log_pass;
	v->mss_mode = (int)d->mss.mode;
	v->mss = d->mss.fixed;
	v->nprotect = (unsigned int)d->judge.out.nprotect;
	if (v->nprotect > IGD_MAX_PROTECT)
		v->nprotect = IGD_MAX_PROTECT;
	memcpy(v->protect, d->judge.out.protect, v->nprotect * sizeof(v->protect[0]));
	v->ike_ports = d->opts.ike_ports;
	v->local = d->local;
	v->noxfrm = d->noxfrm;
	v->fixes_reverted = d->fixes.reverted;
	v->hold_s = d->memory.hold_s;
	v->nmem = n;
	if (n)		/* the table is not allocated until something is remembered */
		memcpy(v->mem, d->memory.v, n * sizeof(v->mem[0]));
}

static size_t view_len(const struct igd_judge_view *v)
{
	return offsetof(struct igd_judge_view, mem) + v->nmem * sizeof(v->mem[0]);
}

bool igd_view_publish(struct igd_view_pub *p, const struct igd_judge_view *v)
{
	uint64_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);
	size_t len = view_len(v);

	if (s && len == view_len(&p->v) && !memcmp(&p->v, v, len))
		return false;
	atomic_store_explicit(&p->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&p->v, v, len);
	atomic_store_explicit(&p->seq, s + 2, memory_order_release);
	return true;
}

bool igd_view_read(struct igd_view_pub *p, uint64_t *seen, struct igd_judge_view *into)
{
	uint64_t s = atomic_load_explicit(&p->seq, memory_order_acquire);
	size_t n;

	if (s == *seen || (s & 1))
		return false;
	memcpy(into, &p->v, offsetof(struct igd_judge_view, mem));
	n = into->nmem < IGD_MEMORY_MAX ? into->nmem : IGD_MEMORY_MAX;
	memcpy(into->mem, p->v.mem, n * sizeof(into->mem[0]));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&p->seq, memory_order_relaxed) != s)
		return false;
	*seen = s;
	return true;
}
