#include <errno.h>
#include <string.h>
#include "nft/pair_ranges.h"

static int addr_cmp(const union igd_addr *a, const union igd_addr *b, uint32_t alen)
{
	return memcmp(a->b, b->b, alen);
}

/* @a + 1 and @a - 1 in network order (the caller knows it does not wrap). */
static void addr_inc(union igd_addr *a, uint32_t alen)
{
	uint32_t i = alen;

	while (i-- > 0 && ++a->b[i] == 0)
		;
}

static void addr_dec(union igd_addr *a, uint32_t alen)
{
	uint32_t i = alen;

	while (i-- > 0 && a->b[i]-- == 0)
		;
}

bool igd_pair_meet(const struct igd_decap_elem *a, const struct igd_decap_elem *b,
		   uint32_t alen, bool reqid)
{
	return addr_cmp(&a->s_lo, &b->s_hi, alen) <= 0 && addr_cmp(&b->s_lo, &a->s_hi, alen) <= 0 &&
	       addr_cmp(&a->d_lo, &b->d_hi, alen) <= 0 && addr_cmp(&b->d_lo, &a->d_hi, alen) <= 0 &&
	       (!reqid || (a->reqid_lo <= b->reqid_hi && b->reqid_lo <= a->reqid_hi));
}

/* Appends @p less @o (they meet) to @out: the parts of @p's source range outside
 * @o's, then within it the parts of @p's destination range outside @o's. */
static int pair_subtract(const struct igd_decap_elem *p, const struct igd_decap_elem *o,
			 uint32_t alen, struct igd_decap_elem *out, size_t *n, size_t cap)
{
	struct igd_decap_elem piece[4], mid = *p;
	size_t k = 0, i;

	if (addr_cmp(&p->s_lo, &o->s_lo, alen) < 0) {
		piece[k] = *p;
		piece[k].s_hi = o->s_lo;
		addr_dec(&piece[k++].s_hi, alen);
		mid.s_lo = o->s_lo;
	}
	if (addr_cmp(&p->s_hi, &o->s_hi, alen) > 0) {
		piece[k] = *p;
		piece[k].s_lo = o->s_hi;
		addr_inc(&piece[k++].s_lo, alen);
		mid.s_hi = o->s_hi;
	}
	if (addr_cmp(&p->d_lo, &o->d_lo, alen) < 0) {
		piece[k] = mid;
		piece[k].d_hi = o->d_lo;
		addr_dec(&piece[k++].d_hi, alen);
	}
	if (addr_cmp(&p->d_hi, &o->d_hi, alen) > 0) {
		piece[k] = mid;
		piece[k].d_lo = o->d_hi;
		addr_inc(&piece[k++].d_lo, alen);
	}
	if (*n + k > cap)
		return -ENOSPC;
	for (i = 0; i < k; i++)
		out[(*n)++] = piece[i];
	return 0;
}

int igd_pair_union(const struct igd_decap_elem *v, size_t n, uint32_t alen, bool reqid,
		   struct igd_decap_elem *out, size_t cap)
{
	size_t have = 0, i, j;

	for (i = 0; i < n; i++) {
		/* the pieces of v[i] not yet covered sit at out[have..top) */
		size_t top = have, o;

		if (top == cap)
			return -ENOSPC;
		out[top++] = v[i];
		for (o = 0; o < have; o++) {
			size_t end = top;

			for (j = have; j < end; ) {
				struct igd_decap_elem p = out[j];

				if (!igd_pair_meet(&p, &out[o], alen, reqid)) {
					j++;
					continue;
				}
				if (reqid && (p.reqid_lo != out[o].reqid_lo ||
					      p.reqid_hi != out[o].reqid_hi))
					return -EINVAL;
				/* p is replaced by its pieces outside out[o] */
				out[j] = out[--end];
				out[end] = out[--top];
				if (pair_subtract(&p, &out[o], alen, out, &top, cap))
					return -ENOSPC;
			}
		}
		have = top;
	}
	return (int)have;
}

static void range_widen(union igd_addr *lo, union igd_addr *hi, const union igd_addr *lo2,
			const union igd_addr *hi2, uint32_t alen)
{
	if (addr_cmp(lo2, lo, alen) < 0)
		*lo = *lo2;
	if (addr_cmp(hi2, hi, alen) > 0)
		*hi = *hi2;
}

size_t igd_pair_hull(struct igd_decap_elem *v, size_t n, uint32_t alen)
{
	size_t i, j;
	bool met;

	do {
		met = false;
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++) {
				if (!igd_pair_meet(&v[i], &v[j], alen, false))
					continue;
				range_widen(&v[i].s_lo, &v[i].s_hi, &v[j].s_lo, &v[j].s_hi, alen);
				range_widen(&v[i].d_lo, &v[i].d_hi, &v[j].d_lo, &v[j].d_hi, alen);
				v[j--] = v[--n];
				met = true;
			}
	} while (met);
	return n;
}

size_t igd_pair_drop_meeting(struct igd_decap_elem *v, size_t n, uint32_t alen, bool reqid,
			     bool *meets)
{
	size_t i, j, k;

	for (i = 0; i < n; i++)
		meets[i] = false;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (igd_pair_meet(&v[i], &v[j], alen, reqid))
				meets[i] = meets[j] = true;
	for (i = k = 0; i < n; i++)
		if (!meets[i])
			v[k++] = v[i];
	return k;
}
