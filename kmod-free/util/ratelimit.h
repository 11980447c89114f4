/* Per-key rate limiting of log lines: repeated verdicts for one flow are logged a few
 * times, then at most once per interval; everything in between is counted, and the next
 * line logged for that key carries the count ("suppressed": N).
 *
 * Each key (a 64-bit hash of what makes lines "the same", e.g. flow tuple + reason; see
 * igd_rl_hash()) has a token bucket of @burst lines refilled at one line per
 * @interval_ms, kept as a theoretical arrival time (GCRA): one 64-bit word per key.
 *
 * The table is fixed at creation: 4-way set-associative buckets; a key that finds its
 * set full evicts the least recently seen entry.  An evicted entry's pending suppressed
 * count is added to igd_rl_stats.lost so that totals stay exact; the daemon's own
 * per-reason counters are kept elsewhere and never depend on this table.
 *
 * Daemon wiring (packet path, no allocation, no syscalls):
 *
 *	key = igd_rl_hash(&tuple, sizeof(tuple), reason);
 *	if (igd_rl_check(rl, key, now_ms, &suppressed))
 *		log the verdict, with "suppressed": suppressed when it is non-zero;
 *	(always count the verdict in the daemon's counters)
 *
 * @now_ms is any monotonic millisecond clock (CLOCK_MONOTONIC).  Not thread-safe: one
 * table per thread.
 */
#ifndef IGD_RATELIMIT_H
#define IGD_RATELIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGD_RL_WAYS		4
#define IGD_RL_DEFAULT_KEYS	4096
#define IGD_RL_DEFAULT_INTERVAL	10000	/* ms: one line per flow and reason per 10 s */
#define IGD_RL_DEFAULT_BURST	3	/* lines allowed back to back */

struct igd_rl_cfg {
	unsigned int keys;		/* capacity, rounded up to a power of two; 0: default */
	uint32_t interval_ms;		/* 0: default */
	uint32_t burst;			/* 0: default */
};

struct igd_rl_stats {
	uint64_t checks, logged, suppressed;	/* suppressed: every line not logged */
	uint64_t evictions;
	uint64_t lost;		/* suppressed counts dropped with evicted entries */
};

struct igd_rl;

/* Allocates the table (the only allocation).  0 or -ENOMEM / -EINVAL. */
int igd_rl_new(struct igd_rl **rl, const struct igd_rl_cfg *cfg);
void igd_rl_free(struct igd_rl *rl);
/* true: log this line, and *@suppressed (may be NULL) holds how many lines of this key
 * were suppressed since the last logged one.  false: suppress it (counted). */
bool igd_rl_check(struct igd_rl *rl, uint64_t key, uint64_t now_ms, uint64_t *suppressed);
/* Forgets every key (e.g. on SIGHUP); the statistics stay. */
void igd_rl_reset(struct igd_rl *rl);
const struct igd_rl_stats *igd_rl_stats(const struct igd_rl *rl);

/* 64-bit FNV-1a of @len bytes, chained from @seed (0 for a fresh hash).  Mixes a final
 * avalanche so that nearby tuples spread over the buckets. */
uint64_t igd_rl_hash(const void *data, size_t len, uint64_t seed);
#endif
