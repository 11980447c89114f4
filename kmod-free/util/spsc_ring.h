/* A ring of records between exactly two threads: one puts, the other gets.  Each
 * record is a type byte and up to IGD_RING_REC_MAX bytes, kept whole: a get returns a
 * record as it was put, or nothing.  Nothing blocks and nothing allocates after init;
 * a put that does not fit fails and the caller counts it.
 *
 * The producer owns `head`, the consumer `tail` (free-running byte counts, C11
 * release/acquire): the consumer reads only bytes the producer has published, the
 * producer reuses only bytes the consumer has released. */
#ifndef IGD_SPSC_RING_H
#define IGD_SPSC_RING_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGD_RING_REC_MAX	65535

struct igd_ring {
	uint8_t *buf;
	size_t size;			/* a power of two */
	_Alignas(64) _Atomic size_t head;	/* written by the producer */
	_Alignas(64) _Atomic size_t tail;	/* written by the consumer */
};

/* @size is rounded up to a power of two (at least 4 KiB).  0 or -ENOMEM. */
int igd_ring_init(struct igd_ring *r, size_t size);
void igd_ring_free(struct igd_ring *r);
/* Producer: appends a record of @type holding @len bytes of @data.  false when it
 * does not fit now (or @len is over IGD_RING_REC_MAX). */
bool igd_ring_put(struct igd_ring *r, uint8_t type, const void *data, size_t len);
/* Consumer: takes the oldest record into @out (@cap bytes).  Returns its length and
 * sets *@type, or -1 when the ring is empty.  A record longer than @cap is skipped
 * and returns -2. */
int igd_ring_get(struct igd_ring *r, uint8_t *type, void *out, size_t cap);
#endif
