#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "natguard.h"

int igd_natguard_init(struct igd_natguard *g, uint32_t mask)
{
	uint32_t field;
	unsigned int width = 0;

	memset(g, 0, sizeof(*g));
	if (!mask)
		return -EINVAL;
	g->shift = (unsigned int)__builtin_ctz(mask);
	field = mask >> g->shift;
	if (field & (field + 1))
		return -EINVAL;		/* not one run of ones */
	width = (unsigned int)__builtin_popcount(field);
	if (width < 4)
		return -EINVAL;
	g->mask = mask;
	/* 0: none, field - 6: plain suspect, field - 5: translated suspect,
	 * field - 4: judged healthy (generation 0), field - 3: decap ok,
	 * field - 2: secpath with reqid, field - 1: secpath, field: flag (generation 0);
	 * generation k > 0: flag field - 5 - 2k, healthy field - 6 - 2k; below them the
	 * tokens from 1 */
	g->ngens = (field - 6) / 2;
	if (g->ngens > IGD_NATGUARD_GENS)
		g->ngens = IGD_NATGUARD_GENS;
	g->nslots = field - 5 - 2 * g->ngens;
	if (g->nslots > IGD_NATGUARD_MAX_SLOTS)
		g->nslots = IGD_NATGUARD_MAX_SLOTS;
	return 0;
}

unsigned int igd_natguard_gens(const struct igd_natguard *g)
{
	return g->ngens;
}

void igd_natguard_set_gen(struct igd_natguard *g, unsigned int gen)
{
	g->gen = gen % g->ngens;
}

uint32_t igd_natguard_ok_gen(const struct igd_natguard *g, unsigned int gen)
{
	uint32_t field = g->mask >> g->shift;

	return (gen ? field - 6 - 2 * gen : field - 4) << g->shift;
}

uint32_t igd_natguard_flag_gen(const struct igd_natguard *g, unsigned int gen)
{
	uint32_t field = g->mask >> g->shift;

	return (gen ? field - 5 - 2 * gen : field) << g->shift;
}

uint32_t igd_natguard_secpath(const struct igd_natguard *g)
{
	return ((g->mask >> g->shift) - 1) << g->shift;
}

bool igd_natguard_is_secpath(const struct igd_natguard *g, uint32_t mark)
{
	return (mark & g->mask) == igd_natguard_secpath(g);
}

uint32_t igd_natguard_decap_ok(const struct igd_natguard *g)
{
	return ((g->mask >> g->shift) - 3) << g->shift;
}

uint32_t igd_natguard_ok(const struct igd_natguard *g)
{
	return igd_natguard_ok_gen(g, g->gen);
}

uint32_t igd_natguard_translated(const struct igd_natguard *g)
{
	return ((g->mask >> g->shift) - 5) << g->shift;
}

uint32_t igd_natguard_plain(const struct igd_natguard *g)
{
	return ((g->mask >> g->shift) - 6) << g->shift;
}

uint32_t igd_natguard_secreq(const struct igd_natguard *g)
{
	return ((g->mask >> g->shift) - 2) << g->shift;
}

bool igd_natguard_is_secreq(const struct igd_natguard *g, uint32_t mark)
{
	return (mark & g->mask) == igd_natguard_secreq(g);
}

uint32_t igd_natguard_flag(const struct igd_natguard *g)
{
	return igd_natguard_flag_gen(g, g->gen);
}

uint32_t igd_natguard_clear(const struct igd_natguard *g, uint32_t mark)
{
	return mark & ~g->mask;
}

uint32_t igd_natguard_flagged(const struct igd_natguard *g, uint32_t mark)
{
	return (mark & ~g->mask) | igd_natguard_flag(g);
}

uint32_t igd_natguard_tag(struct igd_natguard *g, uint32_t mark, const struct igd_flow *flow,
			  const struct igd_sp *sp)
{
	struct igd_natguard_slot *s;
	uint32_t token;

	token = g->next % g->nslots + 1;
	g->next++;
	s = &g->slot[token - 1];
	s->flow = *flow;
	s->sp = *sp;
	s->seq = ++g->seq;
	s->used = true;
	return (mark & ~g->mask) | (token << g->shift);
}

const struct igd_natguard_slot *igd_natguard_take(struct igd_natguard *g, uint32_t mark)
{
	uint32_t token = (mark & g->mask) >> g->shift;
	struct igd_natguard_slot *s;

	if (token == 0 || token > g->nslots)
		return NULL;
	s = &g->slot[token - 1];
	if (!s->used) {
		g->stale++;
		return NULL;
	}
	s->used = false;
	return s;
}
