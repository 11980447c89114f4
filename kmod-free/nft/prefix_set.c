#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "nft/prefix_set.h"

struct pset_range {
	uint8_t lo[16], hi[16];
};

static size_t pset_alen(int family)
{
	return family == 6 ? 16 : 4;
}

static void pset_range_of(const struct igd_prefix *p, size_t alen, struct pset_range *r)
{
	unsigned int plen = p->plen > alen * 8 ? (unsigned int)alen * 8 : p->plen;
	size_t i;

	for (i = 0; i < alen; i++) {
		unsigned int bits = plen > i * 8 ? plen - (unsigned int)i * 8 : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		r->lo[i] = p->addr.b[i] & m;
		r->hi[i] = (uint8_t)(r->lo[i] | (uint8_t)~m);
	}
}

/* a + 1 in place; returns 1 on overflow (a was all ones). */
static int pset_inc(uint8_t *a, size_t alen)
{
	size_t i = alen;

	while (i-- > 0)
		if (++a[i] != 0)
			return 0;
	return 1;
}

static int pset_cmp(const void *a, const void *b, void *alen)
{
	return memcmp(((const struct pset_range *)a)->lo, ((const struct pset_range *)b)->lo,
		      *(const size_t *)alen);
}

/* Merges sorted @r[0..n) in place; returns the new count. */
static size_t pset_merge(struct pset_range *r, size_t n, size_t alen)
{
	uint8_t next[16];
	size_t i, k = 0;

	for (i = 1; i < n; i++) {
		memcpy(next, r[k].hi, alen);
		if (pset_inc(next, alen) || memcmp(r[i].lo, next, alen) <= 0) {
			if (memcmp(r[i].hi, r[k].hi, alen) > 0)
				memcpy(r[k].hi, r[i].hi, alen);
			continue;
		}
		r[++k] = r[i];
	}
	return n ? k + 1 : 0;
}

static int pset_emit(struct igd_set_elem *out, size_t max, size_t *k, const uint8_t *key,
		     size_t alen, uint8_t end)
{
	if (*k >= max)
		return -ENOSPC;
	memset(&out[*k], 0, sizeof(out[*k]));
	memcpy(out[*k].key.b, key, alen);
	out[*k].end = end;
	(*k)++;
	return 0;
}

static int pset_write(const struct pset_range *r, size_t n, size_t alen,
		      struct igd_set_elem *out, size_t max)
{
	static const uint8_t zero[16];
	uint8_t end[16];
	size_t i, k = 0;

	if (n && memcmp(r[0].lo, zero, alen) && pset_emit(out, max, &k, zero, alen, 1))
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		if (pset_emit(out, max, &k, r[i].lo, alen, 0))
			return -ENOSPC;
		memcpy(end, r[i].hi, alen);
		if (!pset_inc(end, alen) && pset_emit(out, max, &k, end, alen, 1))
			return -ENOSPC;
	}
	return (int)k;
}

int igd_prefix_set_elems(struct igd_prefix *pfx, size_t n, int family,
			 struct igd_set_elem *out, size_t max)
{
	size_t alen = pset_alen(family), i, m = 0;
	struct pset_range *r;
	int ret;

	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (pfx[i].family == family)
			pset_range_of(&pfx[i], alen, &r[m++]);
	qsort_r(r, m, sizeof(*r), pset_cmp, &alen);
	m = pset_merge(r, m, alen);
	ret = pset_write(r, m, alen, out, max);
	free(r);
	return ret;
}
