/* Boxes of address pairs (source range . destination range, and for decap_ok a reqid
 * range: struct igd_decap_elem) made pairwise disjoint, as the kernel's set of
 * concatenated ranges (nft_set_pipapo) takes them: it refuses an element whose first
 * or last key falls inside one it has.  Pure arithmetic on network-order addresses of
 * @alen bytes (4 or 16); no allocation but what the caller gives. */
#ifndef IGD_PAIR_RANGES_H
#define IGD_PAIR_RANGES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nft/decap_set.h"

/* Whether @a and @b share a point in every field (the reqids only with @reqid). */
bool igd_pair_meet(const struct igd_decap_elem *a, const struct igd_decap_elem *b,
		   uint32_t alen, bool reqid);
/* The union of @v's @n boxes as disjoint boxes in @out (room for @cap): each box is
 * added less what is there already (at most four pieces of it).  Returns how many,
 * -ENOSPC past @cap, or -EINVAL where two boxes that meet have different reqid ranges
 * (with @reqid: their union is no set of whole boxes of one range). */
int igd_pair_union(const struct igd_decap_elem *v, size_t n, uint32_t alen, bool reqid,
		   struct igd_decap_elem *out, size_t cap);
/* In place: two boxes that meet become the smallest box holding both, until none
 * meet.  More than the union, never less; returns how many are left. */
size_t igd_pair_hull(struct igd_decap_elem *v, size_t n, uint32_t alen);
/* In place: every box that meets another is left out (less than the union, never
 * more); @meets is room for @n flags.  Returns how many are left. */
size_t igd_pair_drop_meeting(struct igd_decap_elem *v, size_t n, uint32_t alen, bool reqid,
			     bool *meets);
#endif
