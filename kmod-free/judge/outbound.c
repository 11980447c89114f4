/* The outbound classification.  See outbound.h. */
#include "judge/outbound.h"

static const char *const out_names[IGD_OUT_MAX] = {
	[IGD_OUT_CLEAR] = "clear",
	[IGD_OUT_BYPASS] = "bypass",
	[IGD_OUT_BLOCK] = "block",
	[IGD_OUT_PROTECTED] = "protected",
	[IGD_OUT_HELD] = "held",
	[IGD_OUT_PROTECT] = "protect",
	[IGD_OUT_UNCOVERED] = "uncovered",
};

const char *igd_out_class_name(enum igd_out_class c)
{
	return (unsigned int)c < IGD_OUT_MAX ? out_names[c] : "?";
}

bool igd_sp_covers_all(const struct igd_sp *sp)
{
	return igd_sp_protecting(sp) && !sp->sel.proto && !sp->sel.sport_mask &&
	       !sp->sel.dport_mask && !sp->sel.ifindex && !sp->mark_m && !sp->if_id;
}

static bool out_protect(const struct igd_out_ctx *c, const struct igd_flow *f)
{
	size_t i;

	for (i = 0; i < c->nprotect; i++)
		if (c->protect[i].family == f->family &&
		    igd_addr_match(f->family, &f->daddr, &c->protect[i].addr, c->protect[i].plen))
			return true;
	return false;
}

/* A protecting out SP that covers all traffic to @f's destination. */
static const struct igd_sp *out_covering(const struct igd_spd *spd, const struct igd_flow *f)
{
	const struct igd_sp *sp;

	igd_spd_for_each(spd, sp, IGD_DIR_OUT)
		if (sp->sel.family == f->family && igd_sp_covers_all(sp) &&
		    igd_addr_match(f->family, &f->daddr, &sp->sel.daddr, sp->sel.plen_d))
			return sp;
	return NULL;
}

void igd_out_classify(const struct igd_out_ctx *c, const struct igd_flow *flow,
		      struct igd_out_decision *o)
{
	const struct igd_sp *sp = c->spd ? igd_spd_lookup(c->spd, IGD_DIR_OUT, flow) : NULL;

	*o = (struct igd_out_decision){ .cls = IGD_OUT_CLEAR, .sp = sp };
	if (sp) {
		o->cls = sp->action != IGD_SP_ALLOW ? IGD_OUT_BLOCK :
			 igd_sp_protecting(sp) ? IGD_OUT_PROTECTED : IGD_OUT_BYPASS;
		return;
	}
	o->held = igd_memory_match(c->memory, flow);
	if (o->held) {
		o->cls = IGD_OUT_HELD;
		o->drop = true;
		return;
	}
	if (out_protect(c, flow)) {
		o->cls = IGD_OUT_PROTECT;
		o->drop = true;
		return;
	}
	o->sp = c->spd ? out_covering(c->spd, flow) : NULL;
	if (o->sp) {
		o->cls = IGD_OUT_UNCOVERED;
		o->drop = c->drop_uncovered;
	}
}
