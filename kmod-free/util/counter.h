/* Counters with one writer and readers on other threads: a queue thread counts, the
 * loop thread sums for the stats event and the metrics.  The writer stores each new
 * value whole and a reader loads it whole (relaxed: no order with anything else), so
 * neither sees a torn value and no lock or read-modify-write is needed. */
#ifndef IGD_UTIL_COUNTER_H
#define IGD_UTIL_COUNTER_H
#include <stdint.h>

/* By the counter's only writer. */
static inline void igd_counter_inc(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

/* From any thread. */
static inline uint64_t igd_counter_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}
#endif
