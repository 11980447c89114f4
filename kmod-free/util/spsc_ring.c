/* See spsc_ring.h.  A record is laid out as [len lo][len hi][type][data...] and may
 * wrap around the end of the buffer; copies in and out are split where it wraps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/spsc_ring.h"

#define RING_HDR 3

int igd_ring_init(struct igd_ring *r, size_t size)
{
	size_t s = 4096;

	while (s < size)
		s <<= 1;
	r->buf = malloc(s);
	if (!r->buf)
		return -ENOMEM;
	r->size = s;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

void igd_ring_free(struct igd_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = 0;
}

static void ring_copy_in(struct igd_ring *r, size_t at, const void *src, size_t len)
{
	size_t off = at & (r->size - 1), first = r->size - off;

	if (first > len)
		first = len;
	memcpy(r->buf + off, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, len - first);
}

static void ring_copy_out(const struct igd_ring *r, size_t at, void *dst, size_t len)
{
	size_t off = at & (r->size - 1), first = r->size - off;

	if (first > len)
		first = len;
	memcpy(dst, r->buf + off, first);
	memcpy((uint8_t *)dst + first, r->buf, len - first);
}

bool igd_ring_put(struct igd_ring *r, uint8_t type, const void *data, size_t len)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint8_t hdr[RING_HDR] = { (uint8_t)len, (uint8_t)(len >> 8), type };

	if (len > IGD_RING_REC_MAX || r->size - (head - tail) < len + RING_HDR)
		return false;
	ring_copy_in(r, head, hdr, RING_HDR);
	ring_copy_in(r, head + RING_HDR, data, len);
	atomic_store_explicit(&r->head, head + RING_HDR + len, memory_order_release);
	return true;
}

int igd_ring_get(struct igd_ring *r, uint8_t *type, void *out, size_t cap)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint8_t hdr[RING_HDR];
	size_t len;
	int ret;

	if (head == tail)
		return -1;
	ring_copy_out(r, tail, hdr, RING_HDR);
	len = (size_t)hdr[0] | (size_t)hdr[1] << 8;
	*type = hdr[2];
	if (len > cap) {
		ret = -2;
	} else {
		ring_copy_out(r, tail + RING_HDR, out, len);
		ret = (int)len;
	}
	atomic_store_explicit(&r->tail, tail + RING_HDR + len, memory_order_release);
	return ret;
}
