#include <errno.h>
#include <string.h>
#include "nft/decap_set.h"

void igd_prefix_range(int family, const union igd_addr *a, unsigned int plen,
		      union igd_addr *lo, union igd_addr *hi)
{
	unsigned int len = family == 6 ? 16 : 4, i;

	memset(lo, 0, sizeof(*lo));
	memset(hi, 0, sizeof(*hi));
	for (i = 0; i < len; i++) {
		unsigned int bits = plen > 8 * i ? plen - 8 * i : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		lo->b[i] = a->b[i] & m;
		hi->b[i] = (uint8_t)(a->b[i] | (uint8_t)~m);
	}
}

static bool decap_dir(const struct igd_sp *sp)
{
	return sp->dir == IGD_DIR_IN || sp->dir == IGD_DIR_FWD;
}

/* The reqids a decapsulated packet may come through to pass @sp's templates, as
 * [*lo, *hi]; false when that is not one range we can state. */
static bool decap_accepts(const struct igd_sp *sp, uint32_t *lo, uint32_t *hi)
{
	if (sp->action != IGD_SP_ALLOW || sp->ntmpl != 1 || sp->tmpl[0].optional)
		return false;
	*lo = sp->tmpl[0].reqid;
	*hi = sp->tmpl[0].reqid ? sp->tmpl[0].reqid : UINT32_MAX;
	return true;
}

static bool decap_whole_addresses(const struct igd_sp *sp)
{
	const struct igd_sel *s = &sp->sel;

	return !s->proto && !s->sport_mask && !s->dport_mask && !s->ifindex &&
	       !sp->mark_m && !sp->if_id;
}

static bool decap_same_sel(const struct igd_sel *a, const struct igd_sel *b)
{
	unsigned int len = a->family == 6 ? 16 : 4;

	return a->family == b->family && a->plen_s == b->plen_s && a->plen_d == b->plen_d &&
	       !memcmp(a->saddr.b, b->saddr.b, len) && !memcmp(a->daddr.b, b->daddr.b, len);
}

/* Two prefixes overlap when the shorter one contains the other. */
static bool decap_overlap(const struct igd_sel *a, const struct igd_sel *b)
{
	unsigned int ps = a->plen_s < b->plen_s ? a->plen_s : b->plen_s;
	unsigned int pd = a->plen_d < b->plen_d ? a->plen_d : b->plen_d;

	return a->family == b->family && igd_addr_match(a->family, &a->saddr, &b->saddr, ps) &&
	       igd_addr_match(a->family, &a->daddr, &b->daddr, pd);
}

/* Whether @b answers exactly as @a for every decapsulated packet both cover. */
static bool decap_agrees(const struct igd_sp *a, const struct igd_sp *b)
{
	uint32_t alo, ahi, blo, bhi;

	return decap_accepts(a, &alo, &ahi) && decap_accepts(b, &blo, &bhi) &&
	       alo == blo && ahi == bhi && decap_whole_addresses(b);
}

static bool decap_eligible(const struct igd_spd *spd, const struct igd_sp *a)
{
	const struct igd_sp *b;
	bool pair = false;
	int dir;

	if (!decap_whole_addresses(a) || !decap_agrees(a, a))
		return false;
	for (dir = IGD_DIR_IN; dir < IGD_DIR_MAX; dir++) {
		if (dir == IGD_DIR_OUT)
			continue;
		igd_spd_for_each(spd, b, dir) {
			if (b == a || !decap_dir(b) || !decap_overlap(&a->sel, &b->sel))
				continue;
			if (!decap_agrees(a, b))
				return false;
			if (b->dir != a->dir && decap_same_sel(&a->sel, &b->sel))
				pair = true;
		}
	}
	return pair;
}

int igd_decap_ok_elems(const struct igd_spd *spd, struct igd_decap_elem *out, size_t max)
{
	const struct igd_sp *sp;
	size_t n = 0;

	/* one element per pair: from the fwd SP, its in twin agreeing */
	igd_spd_for_each(spd, sp, IGD_DIR_FWD) {
		struct igd_decap_elem *e;

		if (!decap_eligible(spd, sp))
			continue;
		if (n == max)
			return -ENOSPC;
		e = &out[n++];
		e->family = sp->sel.family;
		igd_prefix_range(e->family, &sp->sel.saddr, sp->sel.plen_s, &e->s_lo, &e->s_hi);
		igd_prefix_range(e->family, &sp->sel.daddr, sp->sel.plen_d, &e->d_lo, &e->d_hi);
		decap_accepts(sp, &e->reqid_lo, &e->reqid_hi);
	}
	return (int)n;
}
