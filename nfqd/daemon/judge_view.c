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

/* The published copy is written while readers may copy it: both sides go by whole
 * 64-bit words (relaxed atomics), so a race is a torn copy the sequence count rejects,
 * never an undefined one. */
typedef uint64_t view_word;
_Static_assert(offsetof(struct igd_judge_view, mem) % sizeof(view_word) == 0 &&
	       sizeof(struct igd_remembered) % sizeof(view_word) == 0 &&
	       _Alignof(struct igd_judge_view) >= _Alignof(view_word),
	       "the view is copied by whole words");

static void words_store(void *dst, const void *src, size_t len)
{
	view_word *d = dst;
	const view_word *s = src;
	size_t i;

	for (i = 0; i < len / sizeof(view_word); i++)
		__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
}

static void words_load(void *dst, const void *src, size_t len)
{
	view_word *d = dst;
	const view_word *s = src;
	size_t i;

	for (i = 0; i < len / sizeof(view_word); i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void igd_view_publish(struct igd_view_pub *p, const struct igd_judge_view *v)
{
	uint64_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);
	size_t len = view_len(v);

	if (s && len == view_len(&p->v) && !memcmp(&p->v, v, len))
		return;
	atomic_store_explicit(&p->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	words_store(&p->v, v, len);
	atomic_store_explicit(&p->seq, s + 2, memory_order_release);
}

bool igd_view_read(struct igd_view_pub *p, uint64_t *seen, struct igd_judge_view *into)
{
	uint64_t s = atomic_load_explicit(&p->seq, memory_order_acquire);
	size_t n;

	if (s == *seen || (s & 1))
		return false;
	words_load(into, &p->v, offsetof(struct igd_judge_view, mem));
	n = into->nmem < IGD_MEMORY_MAX ? into->nmem : IGD_MEMORY_MAX;
	words_load(into->mem, p->v.mem, n * sizeof(into->mem[0]));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&p->seq, memory_order_relaxed) != s)
		return false;
	*seen = s;
	return true;
}
