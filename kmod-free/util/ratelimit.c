/* Per-key log rate limiting: a fixed set-associative table of GCRA buckets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/counter.h"
#include "util/ratelimit.h"

struct rl_entry {
	uint64_t key;
	uint64_t tat;		/* theoretical arrival time of the next conforming line */
	uint64_t last_ms;	/* last check: the eviction order */
	uint64_t suppressed;	/* since the last logged line */
	bool used;
};

struct igd_rl {
	struct rl_entry *e;
	unsigned int nsets;	/* power of two */
	uint64_t interval, tau;	/* tau: how far ahead of now the bucket may run */
	struct igd_rl_stats st;
};

static uint64_t rl_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t igd_rl_hash(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return rl_mix(h);
}

static unsigned int rl_pow2(unsigned int n)
{
	unsigned int p = 1;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

int igd_rl_new(struct igd_rl **rlp, const struct igd_rl_cfg *cfg)
{
	unsigned int keys = cfg && cfg->keys ? cfg->keys : IGD_RL_DEFAULT_KEYS;
	uint32_t interval = cfg && cfg->interval_ms ? cfg->interval_ms : IGD_RL_DEFAULT_INTERVAL;
	uint32_t burst = cfg && cfg->burst ? cfg->burst : IGD_RL_DEFAULT_BURST;
	struct igd_rl *rl;

	if (keys > (1u << 24))
		return -EINVAL;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	rl->nsets = rl_pow2((keys + IGD_RL_WAYS - 1) / IGD_RL_WAYS);
	rl->e = calloc((size_t)rl->nsets * IGD_RL_WAYS, sizeof(*rl->e));
	if (!rl->e) {
		free(rl);
		return -ENOMEM;
	}
	rl->interval = interval;
	rl->tau = (uint64_t)(burst - 1) * interval;
	*rlp = rl;
	return 0;
}

void igd_rl_free(struct igd_rl *rl)
{
	if (!rl)
		return;
	free(rl->e);
	free(rl);
}

void igd_rl_reset(struct igd_rl *rl)
{
	memset(rl->e, 0, (size_t)rl->nsets * IGD_RL_WAYS * sizeof(*rl->e));
}

const struct igd_rl_stats *igd_rl_stats(const struct igd_rl *rl)
{
	return &rl->st;
}

/* The entry of @key in its set: found, else a free one, else the least recently seen
 * one, emptied. */
static struct rl_entry *rl_slot(struct igd_rl *rl, uint64_t key, uint64_t now)
{
	struct rl_entry *set = &rl->e[(rl_mix(key) & (rl->nsets - 1)) * IGD_RL_WAYS];
	struct rl_entry *free_e = NULL, *old = &set[0];
	unsigned int i;

	for (i = 0; i < IGD_RL_WAYS; i++) {
		if (set[i].used && set[i].key == key)
			return &set[i];
		if (!set[i].used && !free_e)
			free_e = &set[i];
		if (set[i].used && set[i].last_ms < old->last_ms)
			old = &set[i];
	}
	if (!free_e) {
		rl->st.evictions++;
		rl->st.lost += old->suppressed;
		free_e = old;
	}
	free_e->used = true;
	free_e->key = key;
	free_e->tat = now;
	free_e->suppressed = 0;
	return free_e;
}

bool igd_rl_check(struct igd_rl *rl, uint64_t key, uint64_t now_ms, uint64_t *suppressed)
{
	struct rl_entry *e = rl_slot(rl, key, now_ms);

	rl->st.checks++;
	e->last_ms = now_ms;
	if (e->tat > now_ms + rl->tau) {
		e->suppressed++;
		igd_counter_inc(&rl->st.suppressed);
		return false;
	}
	e->tat = (e->tat > now_ms ? e->tat : now_ms) + rl->interval;
	if (suppressed)
		*suppressed = e->suppressed;
	e->suppressed = 0;
	rl->st.logged++;
	return true;
}
