/* Security policy table with the kernel's lookup.
 *
 * Structure: policies are partitioned into bins by (direction, type, family).  Within a
 * bin, policies sharing the same "shape" (prefix lengths, port masks, whether proto and
 * ifindex are set, mark mask, and the kernel list category below) are found by one hash
 * probe on the flow masked by that shape: a tuple-space search.  Shapes are visited by
 * ascending lowest priority, so the search stops as soon as no remaining shape can beat
 * the best candidate.  Policies with an identical masked key form a group, kept sorted
 * by (priority, list place); its head is the only one that can win.
 *
 * Kernel equivalence: xfrm_policy_lookup_bytype() takes the first match of the exact
 * hash chain, then folds in the first match of each of four inexact candidate lists
 * (saddr:daddr, saddr:any, any:daddr, any:any), keeping a candidate unless another has
 * a lower priority or the same priority and a lower pos.  Each list is ordered by
 * priority then insertion, and all policies of a category that can match a flow sit in
 * the one list the lookup visits (tree nodes never overlap).  So: the answer is the
 * minimum by (priority, pos) over the per-category minima by (priority, list place).
 * That is what igd_spd_lookup() computes, with categories assigned as the kernel does
 * (xfrm_policy_inexact_alloc_chain(), policy_hash_bysel()).
 *
 * What pos is depends on the kernel (enum igd_spd_order):
 *  - Linux 6.12 on: one counter per namespace, the next value for every policy linked,
 *    an update included.  A tie goes to the policy linked first.
 *  - before: pos is never set on exact policies (0).  Every inexact insert renumbers
 *    the one list of all inexact policies of its direction (any family, type, if_id:
 *    priority, then insertion, an update at its old place) 0, 1, 2, ...; a delete
 *    renumbers nothing.  Among inexact policies pos follows their list order, so the
 *    tie between two is the list's; the fold replaces its candidate unless the
 *    candidate's pos is lower, so an exact policy (0) keeps a tie only against an
 *    inexact one whose pos is not 0: the one at the head of that list at the last
 *    inexact insert has 0 and beats it.  The table keeps per direction which policy
 *    got pos 0 (pos0) and the list's head (by (priority, slot)) to know the next one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "xfrm/spd.h"

enum spd_cat {
	CAT_EXACT,		/* kernel: policy_bydst hash chain */
	CAT_BOTH,		/* inexact saddr:daddr node list */
	CAT_SADDR,		/* inexact saddr:any */
	CAT_DADDR,		/* inexact any:daddr */
	CAT_ANY,		/* inexact any:any (bin hhead) */
	CAT_MAX,
};

#define INEXACT_PLEN4	16	/* kernel INEXACT_PREFIXLEN_IPV4 */
#define INEXACT_PLEN6	48	/* kernel INEXACT_PREFIXLEN_IPV6 */
#define KEY_WORDS	14

struct spd_key {
	uint32_t w[KEY_WORDS];
};

struct spd_shape {
	uint32_t id;
	uint8_t family, cat, plen_s, plen_d;
	uint8_t has_proto, has_ifindex;
	uint16_t smask, dmask;
	uint32_t mark_m;
	uint32_t nent;
	uint32_t minprio;	/* lower bound of the priorities in this shape */
	uint32_t amask_s[4], amask_d[4];
};

struct spd_ent;

struct spd_group {
	uint32_t hash;
	uint32_t prio;		/* of head, cached: lookups need not touch entries */
	uint64_t slot, pos;	/* of head */
	struct spd_group *next;
	struct spd_ent *head;	/* sorted by (priority, slot) */
	struct spd_key key;
};

struct spd_ent {
	struct igd_sp sp;	/* first: an igd_sp pointer is an entry pointer */
	struct spd_ent *newer, *older;
	struct spd_ent *idx_next;
	struct spd_ent *grp_next;
	struct spd_group *grp;
	struct spd_shape *shape;
	uint64_t pos;		/* kernel pos: link order */
	uint64_t slot;		/* place in the kernel list among equal priorities */
	struct igd_spd *owner;
	bool inexact;		/* in the kernel's inexact lists, not its exact hash */
};

struct spd_bin {
	struct spd_shape **shapes;	/* sorted by minprio */
	unsigned int n, cap;
};

struct igd_spd {
	struct spd_ent *newest, *oldest;
	struct spd_ent **idx;		/* by index */
	unsigned int idx_size;
	struct spd_group **grp;		/* by key */
	unsigned int grp_size, ngrp;
	/* One bit per hash, 8 bits per bucket: most shapes do not match a flow, and
	 * this cache-resident filter answers "no" without touching the table. */
	uint64_t *filter;
	unsigned int filter_shift;
	struct spd_bin bins[IGD_DIR_MAX][IGD_PTYPE_MAX][2];
	unsigned int count;
	uint32_t next_shape;
	uint64_t next_pos;
	uint64_t generation;
	uint8_t lbits[2], rbits[2];	/* [0] IPv4, [1] IPv6 */
	enum igd_spd_order order;
	/* IGD_SPD_ORDER_LIST: per direction, the inexact policy whose pos is 0 (none
	 * when it was deleted since the last inexact insert) and the head of the
	 * direction's inexact list (head_known false: find it again when needed) */
	struct spd_ent *pos0[IGD_DIR_MAX], *head[IGD_DIR_MAX];
	bool head_known[IGD_DIR_MAX];
};

static int fam_idx(int family)
{
	return family == 6 ? 1 : 0;
}

static bool addr_is_any(int family, const union igd_addr *a)
{
	if (family == 4)
		return a->a4 == 0;
	return !(a->a6[0] | a->a6[1] | a->a6[2] | a->a6[3]);
}

static void mask_words(int family, unsigned int plen, uint32_t *m)
{
	unsigned int bits = family == 6 ? 128 : 32, i;

	if (plen > bits)
		plen = bits;
	for (i = 0; i < 4; i++) {
		unsigned int b = plen > 32 * i ? plen - 32 * i : 0;

		if (i * 32 >= bits)
			m[i] = 0;
		else if (b >= 32)
			m[i] = 0xffffffffu;
		else
			m[i] = b ? htonl(~0u << (32 - b)) : 0;
	}
}

static uint32_t key_hash(const struct spd_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	unsigned int i;

	for (i = 0; i < KEY_WORDS; i++) {
		h ^= k->w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

/* --- categories and shapes ------------------------------------------------------ */

static int spd_cat_of(const struct igd_spd *spd, const struct igd_sp *sp)
{
	const struct igd_sel *s = &sp->sel;
	int f = fam_idx(s->family);
	unsigned int dbits, sbits, inexact = f ? INEXACT_PLEN6 : INEXACT_PLEN4;
	bool s_any, d_any;

	if (sp->dir == IGD_DIR_OUT) {
		dbits = spd->rbits[f];
		sbits = spd->lbits[f];
	} else {
		dbits = spd->lbits[f];
		sbits = spd->rbits[f];
	}
	if (s->plen_d >= dbits && s->plen_s >= sbits)
		return CAT_EXACT;
	s_any = addr_is_any(s->family, &s->saddr) || s->plen_s < inexact;
	d_any = addr_is_any(s->family, &s->daddr) || s->plen_d < inexact;
	if (s_any && d_any)
		return CAT_ANY;
	if (d_any)
		return CAT_SADDR;
	if (s_any)
		return CAT_DADDR;
	return CAT_BOTH;
}

static bool shape_fits(const struct spd_shape *sh, const struct igd_sp *sp, int cat)
{
	const struct igd_sel *s = &sp->sel;

	return sh->cat == cat && sh->plen_s == s->plen_s && sh->plen_d == s->plen_d &&
	       sh->smask == s->sport_mask && sh->dmask == s->dport_mask &&
	       sh->has_proto == !!s->proto && sh->has_ifindex == !!s->ifindex &&
	       sh->mark_m == sp->mark_m;
}

static void bin_sort_one(struct spd_bin *bin, unsigned int i)
{
	struct spd_shape *sh = bin->shapes[i];

	while (i > 0 && bin->shapes[i - 1]->minprio > sh->minprio) {
		bin->shapes[i] = bin->shapes[i - 1];
		i--;
	}
	bin->shapes[i] = sh;
}

static struct spd_bin *spd_bin_of(struct igd_spd *spd, const struct igd_sp *sp)
{
	return &spd->bins[sp->dir][sp->type][fam_idx(sp->sel.family)];
}

static struct spd_shape *shape_get(struct igd_spd *spd, const struct igd_sp *sp, int cat)
{
	struct spd_bin *bin = spd_bin_of(spd, sp);
	struct spd_shape *sh;
	unsigned int i;

	for (i = 0; i < bin->n; i++) {
		sh = bin->shapes[i];
		if (shape_fits(sh, sp, cat)) {
			if (sp->priority < sh->minprio) {
				sh->minprio = sp->priority;
				bin_sort_one(bin, i);
			}
			return sh;
		}
	}
	if (bin->n == bin->cap) {
		unsigned int cap = bin->cap ? bin->cap * 2 : 8;
		struct spd_shape **n = realloc(bin->shapes, cap * sizeof(*n));

		if (!n)
			return NULL;
		bin->shapes = n;
		bin->cap = cap;
	}
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->id = ++spd->next_shape;
	sh->family = sp->sel.family;
	sh->cat = cat;
	sh->plen_s = sp->sel.plen_s;
	sh->plen_d = sp->sel.plen_d;
	sh->smask = sp->sel.sport_mask;
	sh->dmask = sp->sel.dport_mask;
	sh->has_proto = !!sp->sel.proto;
	sh->has_ifindex = !!sp->sel.ifindex;
	sh->mark_m = sp->mark_m;
	sh->minprio = sp->priority;
	mask_words(sh->family, sh->plen_s, sh->amask_s);
	mask_words(sh->family, sh->plen_d, sh->amask_d);
	bin->shapes[bin->n++] = sh;
	bin_sort_one(bin, bin->n - 1);
	return sh;
}

static void shape_put(struct igd_spd *spd, const struct igd_sp *sp, struct spd_shape *sh)
{
	struct spd_bin *bin = spd_bin_of(spd, sp);
	unsigned int i;

	if (--sh->nent)
		return;
	for (i = 0; i < bin->n; i++)
		if (bin->shapes[i] == sh)
			break;
	if (i < bin->n) {
		memmove(&bin->shapes[i], &bin->shapes[i + 1],
			(bin->n - i - 1) * sizeof(*bin->shapes));
		bin->n--;
	}
	free(sh);
}

static void key_make(struct spd_key *k, const struct spd_shape *sh,
		     const union igd_addr *saddr, const union igd_addr *daddr,
		     uint16_t sport, uint16_t dport, uint8_t proto, int32_t ifindex,
		     uint32_t mark, uint32_t if_id)
{
	unsigned int i;

	k->w[0] = sh->id;
	k->w[1] = if_id;
	k->w[2] = mark;
	k->w[3] = sh->has_ifindex ? (uint32_t)ifindex : 0;
	k->w[4] = (uint32_t)(sport & sh->smask) << 16 | (dport & sh->dmask);
	k->w[5] = sh->has_proto ? proto : 0;
	for (i = 0; i < 4; i++) {
		k->w[6 + i] = saddr->a6[i] & sh->amask_s[i];
		k->w[10 + i] = daddr->a6[i] & sh->amask_d[i];
	}
}

static void key_of_sp(struct spd_key *k, const struct spd_shape *sh, const struct igd_sp *sp)
{
	const struct igd_sel *s = &sp->sel;

	key_make(k, sh, &s->saddr, &s->daddr, s->sport, s->dport, s->proto, s->ifindex,
		 sp->mark_v, sp->if_id);
}

/* --- group hash ------------------------------------------------------------------- */

static uint32_t filter_bit(const struct igd_spd *spd, uint32_t h)
{
	return (h * 0x9e3779b1u) >> spd->filter_shift;
}

static void filter_set(struct igd_spd *spd, uint32_t h)
{
	uint32_t b = filter_bit(spd, h);

	spd->filter[b / 64] |= 1ull << (b % 64);
}

static bool filter_test(const struct igd_spd *spd, uint32_t h)
{
	uint32_t b = filter_bit(spd, h);

	return spd->filter[b / 64] >> (b % 64) & 1;
}

static struct spd_group *grp_find(const struct igd_spd *spd, const struct spd_key *k,
				  uint32_t h)
{
	struct spd_group *g;

	if (!spd->grp_size)
		return NULL;
	for (g = spd->grp[h & (spd->grp_size - 1)]; g; g = g->next)
		if (g->hash == h && !memcmp(&g->key, k, sizeof(*k)))
			return g;
	return NULL;
}

static int grp_grow(struct igd_spd *spd)
{
	unsigned int size = spd->grp_size ? spd->grp_size * 2 : 64, i, shift = 32;
	struct spd_group **t = calloc(size, sizeof(*t));
	uint64_t *filter;

	while ((1u << (32 - shift)) < size * 8)
		shift--;
	filter = calloc((1u << (32 - shift)) / 64, sizeof(*filter));
	if (!t || !filter) {
		free(t);
		free(filter);
		return -ENOMEM;
	}
	free(spd->filter);
	spd->filter = filter;
	spd->filter_shift = shift;
	for (i = 0; i < spd->grp_size; i++) {
		struct spd_group *g, *next;

		for (g = spd->grp[i]; g; g = next) {
			next = g->next;
			g->next = t[g->hash & (size - 1)];
			t[g->hash & (size - 1)] = g;
			filter_set(spd, g->hash);
		}
	}
	free(spd->grp);
	spd->grp = t;
	spd->grp_size = size;
	return 0;
}

static struct spd_group *grp_get(struct igd_spd *spd, const struct spd_key *k)
{
	uint32_t h = key_hash(k);
	struct spd_group *g = grp_find(spd, k, h);

	if (g)
		return g;
	if (spd->ngrp >= spd->grp_size && grp_grow(spd))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->key = *k;
	g->hash = h;
	filter_set(spd, h);
	g->next = spd->grp[h & (spd->grp_size - 1)];
	spd->grp[h & (spd->grp_size - 1)] = g;
	spd->ngrp++;
	return g;
}

static void grp_drop(struct igd_spd *spd, struct spd_group *g)
{
	struct spd_group **pp = &spd->grp[g->hash & (spd->grp_size - 1)];

	while (*pp && *pp != g)
		pp = &(*pp)->next;
	if (*pp)
		*pp = g->next;
	spd->ngrp--;
	free(g);
}

static bool ent_before(const struct spd_ent *a, const struct spd_ent *b)
{
	if (a->sp.priority != b->sp.priority)
		return a->sp.priority < b->sp.priority;
	return a->slot < b->slot;
}

static void grp_sync(struct spd_group *g)
{
	g->prio = g->head->sp.priority;
	g->slot = g->head->slot;
	g->pos = g->head->pos;
}

/* --- classifier membership ------------------------------------------------------- */

static bool sp_indexable(const struct igd_sp *sp)
{
	return sp->dir < IGD_DIR_MAX && sp->type < IGD_PTYPE_MAX &&
	       (sp->sel.family == 4 || sp->sel.family == 6) &&
	       !(sp->mark_v & ~sp->mark_m);	/* else it can never match */
}

static int cls_insert(struct igd_spd *spd, struct spd_ent *e)
{
	struct spd_shape *sh;
	struct spd_group *g;
	struct spd_ent **pp;
	struct spd_key k;

	if (!sp_indexable(&e->sp))
		return 0;
	sh = shape_get(spd, &e->sp, spd_cat_of(spd, &e->sp));
	if (!sh)
		return -ENOMEM;
	sh->nent++;
	key_of_sp(&k, sh, &e->sp);
	g = grp_get(spd, &k);
	if (!g) {
		shape_put(spd, &e->sp, sh);
		return -ENOMEM;
	}
	for (pp = &g->head; *pp && ent_before(*pp, e); pp = &(*pp)->grp_next)
		;
	e->grp_next = *pp;
	*pp = e;
	grp_sync(g);
	e->grp = g;
	e->shape = sh;
	return 0;
}

static void cls_remove(struct igd_spd *spd, struct spd_ent *e)
{
	struct spd_ent **pp;

	if (!e->grp)
		return;
	for (pp = &e->grp->head; *pp && *pp != e; pp = &(*pp)->grp_next)
		;
	if (*pp)
		*pp = e->grp_next;
	if (!e->grp->head)
		grp_drop(spd, e->grp);
	else
		grp_sync(e->grp);
	shape_put(spd, &e->sp, e->shape);
	e->grp = NULL;
	e->shape = NULL;
}

/* --- index hash and age list ------------------------------------------------------- */

static unsigned int idx_bucket(const struct igd_spd *spd, uint32_t index)
{
	return (index * 2654435761u) & (spd->idx_size - 1);
}

static struct spd_ent *idx_find(const struct igd_spd *spd, uint32_t index)
{
	struct spd_ent *e;

	if (!spd->idx_size)
		return NULL;
	for (e = spd->idx[idx_bucket(spd, index)]; e; e = e->idx_next)
		if (e->sp.index == index)
			return e;
	return NULL;
}

static int idx_grow(struct igd_spd *spd)
{
	unsigned int old = spd->idx_size, i;
	struct spd_ent **ot = spd->idx, *e, *next;

	spd->idx_size = old ? old * 2 : 64;
	spd->idx = calloc(spd->idx_size, sizeof(*spd->idx));
	if (!spd->idx) {
		spd->idx = ot;
		spd->idx_size = old;
		return -ENOMEM;
	}
	for (i = 0; i < old; i++) {
		for (e = ot[i]; e; e = next) {
			unsigned int b = idx_bucket(spd, e->sp.index);

			next = e->idx_next;
			e->idx_next = spd->idx[b];
			spd->idx[b] = e;
		}
	}
	free(ot);
	return 0;
}

static void idx_unlink(struct igd_spd *spd, struct spd_ent *e)
{
	struct spd_ent **pp = &spd->idx[idx_bucket(spd, e->sp.index)];

	while (*pp && *pp != e)
		pp = &(*pp)->idx_next;
	if (*pp)
		*pp = e->idx_next;
}

static void age_unlink(struct igd_spd *spd, struct spd_ent *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		spd->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		spd->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void age_push_newest(struct igd_spd *spd, struct spd_ent *e)
{
	e->older = spd->newest;
	e->newer = NULL;
	if (spd->newest)
		spd->newest->newer = e;
	else
		spd->oldest = e;
	spd->newest = e;
}

/* --- pos before Linux 6.12 (IGD_SPD_ORDER_LIST) ------------------------------------ */

/* The head of direction @dir's inexact list: the lowest (priority, slot). */
static struct spd_ent *list_head(struct igd_spd *spd, int dir)
{
	struct spd_ent *e, *h = NULL;

	if (spd->head_known[dir])
		return spd->head[dir];
	for (e = spd->newest; e; e = e->older)
		if (e->inexact && e->sp.dir == dir && (!h || ent_before(e, h)))
			h = e;
	spd->head[dir] = h;
	spd->head_known[dir] = true;
	return h;
}

/* @e joins its direction's inexact list; the kernel renumbers the list, @old (the
 * policy @e replaces, still in the list) included. */
static void list_insert(struct igd_spd *spd, struct spd_ent *e)
{
	int dir = e->sp.dir;
	struct spd_ent *h = list_head(spd, dir);

	/* an update at the head's own place (same slot) goes before it */
	if (!h || ent_before(e, h) ||
	    (e->sp.priority == h->sp.priority && e->slot == h->slot))
		h = e;
	spd->head[dir] = spd->pos0[dir] = h;
}

static void list_remove(struct igd_spd *spd, struct spd_ent *e)
{
	int dir = e->sp.dir;

	if (!e->inexact || dir >= IGD_DIR_MAX)
		return;
	if (spd->pos0[dir] == e)
		spd->pos0[dir] = NULL;	/* its successor keeps pos 1 */
	if (spd->head[dir] == e)
		spd->head_known[dir] = false;
}

static void ent_destroy(struct igd_spd *spd, struct spd_ent *e)
{
	list_remove(spd, e);
	cls_remove(spd, e);
	idx_unlink(spd, e);
	age_unlink(spd, e);
	spd->count--;
	free(e);
}

/* --- public API ------------------------------------------------------------------ */

int igd_spd_new(struct igd_spd **spdp)
{
	struct igd_spd *spd = calloc(1, sizeof(*spd));
	unsigned int d;

	if (!spd)
		return -ENOMEM;
	spd->lbits[0] = spd->rbits[0] = 32;
	spd->lbits[1] = spd->rbits[1] = 128;
	spd->order = igd_spd_order_running();
	for (d = 0; d < IGD_DIR_MAX; d++)
		spd->head_known[d] = true;	/* empty */
	*spdp = spd;
	return 0;
}

void igd_spd_set_order(struct igd_spd *spd, enum igd_spd_order order)
{
	spd->order = order;
}

enum igd_spd_order igd_spd_get_order(const struct igd_spd *spd)
{
	return spd->order;
}

void igd_spd_free(struct igd_spd *spd)
{
	unsigned int d, t, f, i;

	if (!spd)
		return;
	while (spd->newest)
		ent_destroy(spd, spd->newest);
	for (d = 0; d < IGD_DIR_MAX; d++)
		for (t = 0; t < IGD_PTYPE_MAX; t++)
			for (f = 0; f < 2; f++) {
				struct spd_bin *bin = &spd->bins[d][t][f];

				for (i = 0; i < bin->n; i++)
					free(bin->shapes[i]);
				free(bin->shapes);
			}
	free(spd->grp);
	free(spd->filter);
	free(spd->idx);
	free(spd);
}

static bool sel_same(const struct igd_sel *a, const struct igd_sel *b)
{
	return !memcmp(&a->saddr, &b->saddr, sizeof(a->saddr)) &&
	       !memcmp(&a->daddr, &b->daddr, sizeof(a->daddr)) &&
	       a->sport == b->sport && a->sport_mask == b->sport_mask &&
	       a->dport == b->dport && a->dport_mask == b->dport_mask &&
	       a->family == b->family && a->plen_s == b->plen_s &&
	       a->plen_d == b->plen_d && a->proto == b->proto && a->ifindex == b->ifindex;
}

int igd_spd_add(struct igd_spd *spd, const struct igd_sp *sp)
{
	struct spd_ent *e, *old;
	int err;

	if (sp->sel.family != 4 && sp->sel.family != 6)
		return -EINVAL;
	if (sp->ntmpl > IGD_SP_MAX_TMPL)
		return -EINVAL;
	if (spd->count >= spd->idx_size && (err = idx_grow(spd)))
		return err;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->sp = *sp;
	e->owner = spd;
	e->pos = ++spd->next_pos;
	e->slot = e->pos;
	e->inexact = sp->dir < IGD_DIR_MAX && spd_cat_of(spd, sp) != CAT_EXACT;
	old = idx_find(spd, sp->index);
	/* An update keeping the priority takes the old policy's place in the kernel's
	 * list (xfrm_policy_insert_list()); any other change goes behind its peers. */
	if (old && old->sp.priority == sp->priority && old->sp.type == sp->type &&
	    old->sp.dir == sp->dir && sel_same(&old->sp.sel, &sp->sel))
		e->slot = old->slot;
	if (e->inexact)
		list_insert(spd, e);
	if (old)
		ent_destroy(spd, old);
	err = cls_insert(spd, e);
	if (err) {
		free(e);
		return err;
	}
	e->idx_next = spd->idx[idx_bucket(spd, sp->index)];
	spd->idx[idx_bucket(spd, sp->index)] = e;
	age_push_newest(spd, e);
	spd->count++;
	spd->generation++;
	return 0;
}

int igd_spd_del(struct igd_spd *spd, uint32_t index)
{
	struct spd_ent *e = idx_find(spd, index);

	if (!e)
		return -ENOENT;
	ent_destroy(spd, e);
	spd->generation++;
	return 0;
}

void igd_spd_flush(struct igd_spd *spd, int type)
{
	struct spd_ent *e, *older;

	for (e = spd->newest; e; e = older) {
		older = e->older;
		/* the kernel's flush leaves socket policies alone */
		if ((type < 0 || e->sp.type == type) && e->sp.dir < IGD_DIR_MAX)
			ent_destroy(spd, e);
	}
	spd->generation++;
}

int igd_spd_set_hthresh(struct igd_spd *spd, int family, uint8_t lbits, uint8_t rbits)
{
	int f = fam_idx(family);
	unsigned int max = f ? 128 : 32;
	struct spd_ent *e;
	int err = 0;

	if ((family != 4 && family != 6) || lbits > max || rbits > max)
		return -EINVAL;
	if (spd->lbits[f] == lbits && spd->rbits[f] == rbits)
		return 0;
	spd->lbits[f] = lbits;
	spd->rbits[f] = rbits;
	/* The kernel's xfrm_hash_rebuild() re-inserts every policy by age. */
	for (e = spd->oldest; e; e = e->newer) {
		list_remove(spd, e);
		cls_remove(spd, e);
	}
	for (e = spd->oldest; e; e = e->newer) {
		e->slot = e->pos;
		e->inexact = e->sp.dir < IGD_DIR_MAX && spd_cat_of(spd, &e->sp) != CAT_EXACT;
		if (e->inexact)
			list_insert(spd, e);
		if (!err)
			err = cls_insert(spd, e);
	}
	spd->generation++;
	return err;
}

static void flow_sel_ports(const struct igd_flow *f, uint16_t *sport, uint16_t *dport)
{
	switch (f->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
	case IPPROTO_GRE:
		*sport = f->sport;
		*dport = f->dport;
		break;
	case IPPROTO_MH:
		*sport = f->sport;
		*dport = 0;
		break;
	default:
		*sport = 0;
		*dport = 0;
	}
}

/* The kernel's fold (__xfrm_policy_eval_candidates()): candidate @c, of a list after
 * @ret's, at @ret's priority replaces @ret unless @ret's pos is lower. */
static bool fold_keeps(const struct igd_spd *spd, const struct spd_group *ret,
		       const struct spd_group *c)
{
	if (spd->order == IGD_SPD_ORDER_INSERT)
		return ret->pos < c->pos;
	if (!ret->head->inexact)	/* pos 0 */
		return c->head != spd->pos0[c->head->sp.dir];
	return ret->slot < c->slot;	/* pos follows the one inexact list */
}

/* The kernel's comparison inside one list: priority, then list place. */
static bool grp_before(const struct spd_group *a, const struct spd_group *b)
{
	return a->prio < b->prio || (a->prio == b->prio && a->slot < b->slot);
}

#define LOOKUP_BATCH 32

struct lookup_cand {
	const struct spd_shape *sh;
	struct spd_group *const *bucket;
	struct spd_key key;
	uint32_t hash;
};

/* Probes shapes [*i, n) in batches: hashes and filter first, then the buckets and the
 * groups with prefetches, so the cache misses of different shapes overlap. */
static void lookup_batch(const struct spd_bin *bin, const struct igd_spd *spd,
			 const struct igd_flow *f, uint16_t sport, uint16_t dport,
			 unsigned int *i, const struct spd_group **best, uint64_t *best_prio)
{
	struct lookup_cand c[LOOKUP_BATCH];
	unsigned int n = 0, j;

	for (; *i < bin->n && n < LOOKUP_BATCH; (*i)++) {
		const struct spd_shape *sh = bin->shapes[*i];
		struct lookup_cand *cd = &c[n];

		if (sh->minprio > *best_prio)
			break;
		key_make(&cd->key, sh, &f->saddr, &f->daddr, sport, dport, f->proto, f->oif,
			 f->mark & sh->mark_m, f->if_id);
		cd->hash = key_hash(&cd->key);
		if (!filter_test(spd, cd->hash))
			continue;
		cd->sh = sh;
		cd->bucket = &spd->grp[cd->hash & (spd->grp_size - 1)];
		__builtin_prefetch(cd->bucket);
		n++;
	}
	for (j = 0; j < n; j++)
		if (*c[j].bucket)
			__builtin_prefetch(*c[j].bucket);
	for (j = 0; j < n; j++) {
		const struct spd_group *g;
		int cat = c[j].sh->cat;

		for (g = *c[j].bucket; g; g = g->next)
			if (g->hash == c[j].hash && !memcmp(&g->key, &c[j].key, sizeof(g->key)))
				break;
		if (!g)
			continue;
		if (!best[cat] || grp_before(g, best[cat]))
			best[cat] = g;
		if (g->prio < *best_prio)
			*best_prio = g->prio;
	}
}

static const struct spd_ent *lookup_bytype(const struct spd_bin *bin,
					   const struct igd_spd *spd,
					   const struct igd_flow *f,
					   uint16_t sport, uint16_t dport)
{
	const struct spd_group *best[CAT_MAX] = { NULL }, *ret = NULL;
	uint64_t best_prio = UINT64_MAX;
	unsigned int i = 0;

	while (i < bin->n) {
		unsigned int before = i;

		lookup_batch(bin, spd, f, sport, dport, &i, best, &best_prio);
		if (i == before || (i < bin->n && bin->shapes[i]->minprio > best_prio))
			break;
	}
	/* the kernel's fold over its lists, exact first: priority, then pos */
	for (i = 0; i < CAT_MAX; i++) {
		const struct spd_group *c = best[i];

		if (!c)
			continue;
		if (!ret || c->prio < ret->prio ||
		    (c->prio == ret->prio && !fold_keeps(spd, ret, c)))
			ret = c;
	}
	return ret ? ret->head : NULL;
}

const struct igd_sp *igd_spd_lookup(const struct igd_spd *spd, int dir,
				    const struct igd_flow *flow)
{
	const struct spd_ent *e;
	uint16_t sport, dport;
	int f, t;

	if (dir < 0 || dir >= IGD_DIR_MAX || (flow->family != 4 && flow->family != 6))
		return NULL;
	f = fam_idx(flow->family);
	flow_sel_ports(flow, &sport, &dport);
	/* xfrm_policy_lookup(): sub policies first, main only when no sub matches */
	for (t = IGD_PTYPE_SUB; t >= IGD_PTYPE_MAIN; t--) {
		const struct spd_bin *bin = &spd->bins[dir][t][f];

		if (!bin->n)
			continue;
		e = lookup_bytype(bin, spd, flow, sport, dport);
		if (e)
			return &e->sp;
	}
	return NULL;
}

const struct igd_sp *igd_spd_get(const struct igd_spd *spd, uint32_t index)
{
	const struct spd_ent *e = idx_find(spd, index);

	return e ? &e->sp : NULL;
}

static const struct igd_sp *skip_to_dir(const struct spd_ent *e, int dir)
{
	while (e && dir >= 0 && e->sp.dir != dir)
		e = e->older;
	return e ? &e->sp : NULL;
}

const struct igd_sp *igd_spd_first(const struct igd_spd *spd, int dir)
{
	return skip_to_dir(spd->newest, dir);
}

const struct igd_sp *igd_spd_next(const struct igd_sp *sp, int dir)
{
	const struct spd_ent *e = (const struct spd_ent *)sp;

	return skip_to_dir(e->older, dir);
}

unsigned int igd_spd_count(const struct igd_spd *spd)
{
	return spd->count;
}

uint64_t igd_spd_generation(const struct igd_spd *spd)
{
	return spd->generation;
}

bool igd_sel_match(const struct igd_sel *s, const struct igd_flow *f)
{
	uint16_t sport, dport;

	if (s->family != f->family)
		return false;
	flow_sel_ports(f, &sport, &dport);
	return igd_addr_match(f->family, &f->daddr, &s->daddr, s->plen_d) &&
	       igd_addr_match(f->family, &f->saddr, &s->saddr, s->plen_s) &&
	       !((dport ^ s->dport) & s->dport_mask) &&
	       !((sport ^ s->sport) & s->sport_mask) &&
	       (f->proto == s->proto || !s->proto) &&
	       (f->oif == s->ifindex || !s->ifindex);
}

bool igd_sp_protecting(const struct igd_sp *sp)
{
	return sp->action == IGD_SP_ALLOW && sp->ntmpl > 0;
}

bool igd_sp_requires_ipsec(const struct igd_sp *sp)
{
	unsigned int i;

	for (i = 0; i < sp->ntmpl; i++)
		if (!sp->tmpl[i].optional)
			return true;
	return false;
}

void igd_flow_set_icmp(struct igd_flow *flow, uint8_t type, uint8_t code)
{
	flow->sport = type;
	flow->dport = code;
}

static const char *const dir_names[] = {
	"in", "out", "fwd", "in-sock", "out-sock", "fwd-sock",
};

const char *igd_dir_str(int dir)
{
	if (dir < 0 || dir >= (int)(sizeof(dir_names) / sizeof(dir_names[0])))
		return "?";
	return dir_names[dir];
}

int igd_dir_parse(const char *s)
{
	int i;

	for (i = 0; i < IGD_DIR_MAX; i++)
		if (!strcmp(s, dir_names[i]))
			return i;
	return -EINVAL;
}
