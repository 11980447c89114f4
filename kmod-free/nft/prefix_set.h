/* Prefixes turned into the element list of an nf_tables interval set: sorted,
 * overlaps and neighbours merged, each range [lo, hi] written as an element at lo
 * and an interval-end element at hi + 1 (none when hi is the last address), with the
 * leading interval-end at 0 that nft itself adds when the first range starts later. */
#ifndef IGD_PREFIX_SET_H
#define IGD_PREFIX_SET_H
#include <stddef.h>
#include <stdint.h>
#include "packet/addr.h"

struct igd_prefix {
	union igd_addr addr;
	uint8_t plen;
	uint8_t family;		/* 4 or 6 */
};

struct igd_set_elem {
	union igd_addr key;	/* network order, 4 or 16 bytes used */
	uint8_t end;		/* 1: interval end */
};

/* Writes the elements for the prefixes of @family among @pfx[0..n) into @out (room
 * for @max, at most 2 n + 1 are needed) and returns how many, or -ENOSPC.  @pfx is
 * reordered. */
int igd_prefix_set_elems(struct igd_prefix *pfx, size_t n, int family,
			 struct igd_set_elem *out, size_t max);
#endif
