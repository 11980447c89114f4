#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libnftnl/rule.h>
#include "ruleset/chain_walk.h"
#include "natfix/natfix_int.h"
#include "natfix/natfix_legacy_line.h"

/* One rule of a chain as the walk needs it: its answer for the flow, and where it is. */
struct walk_rule {
	struct igd_nat_eval e;
	uint64_t handle;
	char rule[256];			/* legacy: the -S line */
};

struct rule_list {
	const struct igd_walk *w;
	struct walk_rule *v;
	unsigned int n, cap;
	int err;
};

static struct walk_rule *list_add(struct rule_list *l)
{
	if (l->n == l->cap) {
		unsigned int cap = l->cap ? 2 * l->cap : 16;
		struct walk_rule *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return NULL;
		}
		l->v = v;
		l->cap = cap;
	}
	return &l->v[l->n++];
}

static void list_reset(void *data)
{
	struct rule_list *l = data;

	l->n = 0;
}

static int nft_rule_fn(const struct nftnl_rule *r, void *data)
{
	struct rule_list *l = data;
	struct walk_rule *x = list_add(l);

	if (!x)
		return -ENOMEM;
	igd_nat_eval_nft(r, l->w->nfproto, l->w->c, &x->e);
	x->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	x->rule[0] = '\0';
	return 0;
}

static int legacy_rule_fn(const struct natfix_legacy_line *line, unsigned int num, void *data)
{
	struct rule_list *l = data;
	struct walk_rule *x = list_add(l);

	if (!x)
		return -ENOMEM;
	igd_nat_eval_legacy(line, l->w->c, &x->e);
	x->handle = num;
	natfix_legacy_join(line, x->rule, sizeof(x->rule));
	return 0;
}

/* The rules of @chain, read whole before the walk goes into them (a dump is not
 * nested in another).  0, or -errno: the chain does not exist (-ENOENT) or its
 * rules could not be read. */
static int chain_rules(struct igd_walk *w, const char *chain, bool base, struct rule_list *l)
{
	struct natfix_chain c = { .family = w->nfproto };
	bool exists = true;
	int ret;

	memset(l, 0, sizeof(*l));
	l->w = w;
	if (w->legacy) {
		ret = natfix_legacy_walk_chain(w->legacy, w->table, chain, legacy_rule_fn, l,
					       NULL, base ? &w->policy_drop : NULL, w->err,
					       sizeof(w->err));
		/* iptables names no chain of that name: a target we do not know */
		if (ret == -ENOENT)
			exists = false;
	} else {
		snprintf(c.table, sizeof(c.table), "%s", w->table);
		snprintf(c.chain, sizeof(c.chain), "%s", chain);
		ret = natfix_chain_rules(&c, nft_rule_fn, list_reset, l);
	}
	if (!ret && l->err)
		ret = l->err;
	if (ret < 0 || !exists) {
		free(l->v);
		l->v = NULL;
		l->n = 0;
		return exists ? ret : -ENOENT;
	}
	return 0;
}

/* A frame of the walk: the chain, the path to it, whether the packets of the flow
 * reach the current rule only maybe (the frame was entered only maybe, or a return or
 * goto before it may have taken some), and whether some of them may have gone back
 * to the calling chain before the frame's end. */
struct frame {
	const char *chain;
	char path[512];
	unsigned int depth;
	bool later_maybe;
	bool returned_maybe;
};

struct frame_end {
	enum igd_walk_end end;		/* FALL: returned or ran out */
	bool own_maybe;			/* some packets may have returned early instead */
};

static void note_hit(struct igd_walk *w, const struct frame *f, const struct walk_rule *r,
		     enum igd_tri match, const char *why)
{
	struct igd_walk_hit *h = &w->hit;
	bool sure = match == IGD_TRI_ALWAYS && !f->later_maybe && !w->maybe_ended;

	if (h->outcome != IGD_TRI_NEVER) {
		/* a later rule that does it too: the same translation? */
		if (r && (r->e.masquerade != h->masquerade || r->e.has_to != h->has_to ||
			  (h->has_to && memcmp(&r->e.to, &h->to, sizeof(h->to)))))
			w->hits_differ = true;
		return;
	}
	h->outcome = sure ? IGD_TRI_ALWAYS : IGD_TRI_MAYBE;
	snprintf(h->chain, sizeof(h->chain), "%s", f->chain);
	snprintf(h->path, sizeof(h->path), "%s", f->path);
	h->handle = r ? r->handle : 0;
	snprintf(h->rule, sizeof(h->rule), "%s", r ? r->rule : "");
	h->exempt_maybe = match == IGD_TRI_ALWAYS && (f->later_maybe || w->maybe_ended);
	if (sure)
		h->why[0] = '\0';
	else if (h->exempt_maybe)
		snprintf(h->why, sizeof(h->why), "a rule before it may take part (%.60s)",
			 w->open_why[0] ? w->open_why : "undecided");
	else
		snprintf(h->why, sizeof(h->why), "%s", why);
	if (r) {
		h->masquerade = r->e.masquerade;
		h->has_to = r->e.has_to;
		h->to = r->e.to;
	}
}

/* The rule's match with its mark condition answered by the mark the walk knows. */
static enum igd_tri rule_match(const struct igd_walk *w, const struct igd_nat_eval *e,
			       const char **why)
{
	enum igd_tri t;

	*why = e->why;
	if (!e->mark_cond || e->match == IGD_TRI_NEVER)
		return e->match;
	if (!w->mark_known) {
		if (e->match == IGD_TRI_ALWAYS)
			*why = "the packet mark";
		return IGD_TRI_MAYBE;
	}
	t = ((w->mark & e->mark_mask) == e->mark_value) != e->mark_neq ? IGD_TRI_ALWAYS :
								       IGD_TRI_NEVER;
	return t < e->match ? t : e->match;
}

/* The mark after rule @e matched (@match) for the flow. */
static void apply_mark(struct igd_walk *w, const struct igd_nat_eval *e, enum igd_tri match)
{
	uint32_t after;

	if (!e->mark_set || match == IGD_TRI_NEVER)
		return;
	if (!e->mark_set_known || (!w->mark_known && e->mark_and)) {
		w->mark_known = false;
		return;
	}
	after = ((w->mark_known ? w->mark : 0) & e->mark_and) ^ e->mark_xor;
	if (match == IGD_TRI_MAYBE && (!w->mark_known || after != w->mark)) {
		w->mark_known = false;		/* set for some packets only */
		return;
	}
	w->mark_known = true;
	w->mark = after;
}

/* A rule took some packets of the flow only maybe: what it left open. */
static void note_open(struct igd_walk *w, const char *why)
{
	if (!w->open_why[0])
		snprintf(w->open_why, sizeof(w->open_why), "%s", why[0] ? why : "undecided");
}

static enum igd_walk_end act_end(enum igd_nat_act a)
{
	return a == IGD_NAT_ACT_EXEMPT ? IGD_WALK_ACCEPT : a == IGD_NAT_ACT_DROP ? IGD_WALK_DROP :
	       IGD_WALK_TRANSLATE;
}

static struct frame_end walk_frame(struct igd_walk *w, struct frame *f, int *err);

/* "@path > @chain"; a path too long becomes "... > chain". */
static void path_join(char *dst, size_t size, const char *path, const char *chain)
{
	size_t a = strlen(path), b = strlen(chain);

	if (a + b + 4 > size) {
		path = "...";
		a = 3;
	}
	if (a + b + 4 > size)
		b = size - a - 4;
	memcpy(dst, path, a);
	memcpy(dst + a, " > ", 3);
	memcpy(dst + a + 3, chain, b);
	dst[a + 3 + b] = '\0';
}

/* A jump or goto of rule @r (matching @match) from frame @f.  Returns true when the
 * frame ends here for every packet that reaches the rule, with out->end. */
static bool walk_into(struct igd_walk *w, struct frame *f, const struct walk_rule *r,
		      enum igd_tri match, struct frame_end *out, int *err)
{
	struct frame sub = { .chain = r->e.jump, .depth = f->depth + 1 };
	bool all = match == IGD_TRI_ALWAYS;
	struct frame_end se;

	if (f->depth + 1 >= IGD_WALK_DEPTH) {
		note_hit(w, f, r, IGD_TRI_MAYBE, "jumps deeper than the kernel follows");
		w->maybe_ended = w->maybe_escaped = true;
		return false;
	}
	path_join(sub.path, sizeof(sub.path), f->path, r->e.jump);
	sub.later_maybe = f->later_maybe || !all;
	se = walk_frame(w, &sub, err);
	if (*err == -ENOENT && w->legacy) {	/* a target, not a chain */
		*err = 0;
		note_hit(w, f, r, IGD_TRI_MAYBE, "a target not followed");
		w->maybe_ended = w->maybe_escaped = true;
		return false;
	}
	if (*err)
		return false;
	if (se.end != IGD_WALK_FALL && (!all || se.own_maybe)) {
		w->maybe_ended = true;	/* it ended there for some packets */
		if (se.end != act_end(w->want))
			w->maybe_escaped = true;
	}
	if (r->e.go) {			/* a goto does not come back */
		if (all) {
			/* those the target gave back before its end return from here */
			out->end = se.end;
			f->returned_maybe = f->returned_maybe || se.own_maybe;
			return true;
		}
		if (se.end == IGD_WALK_FALL || se.own_maybe)
			f->returned_maybe = true;
		f->later_maybe = true;
		return false;
	}
	if (all && se.end != IGD_WALK_FALL && !se.own_maybe) {
		out->end = se.end;
		return true;
	}
	if (se.end != IGD_WALK_FALL)
		f->later_maybe = true;	/* ended for some, came back for others */
	return false;
}

static struct frame_end walk_frame(struct igd_walk *w, struct frame *f, int *err)
{
	struct frame_end out = { IGD_WALK_FALL, false };
	struct rule_list l;
	unsigned int i;

	*err = chain_rules(w, f->chain, f->depth == 0, &l);
	if (*err)
		return out;
	for (i = 0; i < l.n && !*err; i++) {
		const struct walk_rule *r = &l.v[i];
		const char *why;
		enum igd_tri match = rule_match(w, &r->e, &why);

		if (match == IGD_TRI_NEVER)
			continue;
		/* in a chain only some packets go through, the others come back to the
		 * caller with the mark they had */
		apply_mark(w, &r->e, f->depth && f->later_maybe ? IGD_TRI_MAYBE : match);
		switch (r->e.act) {
		case IGD_NAT_ACT_NONE:
			continue;
		case IGD_NAT_ACT_RETURN:
			if (match == IGD_TRI_ALWAYS)
				goto done;
			f->later_maybe = f->returned_maybe = true;
			note_open(w, why);
			continue;
		case IGD_NAT_ACT_OTHER:
			if (r->e.jump[0]) {
				if (match != IGD_TRI_ALWAYS)
					note_open(w, why);
				if (walk_into(w, f, r, match, &out, err))
					goto done;
				continue;
			}
			/* a verdict or target we do not know: it may do anything */
			note_hit(w, f, r, IGD_TRI_MAYBE, r->e.why[0] ? r->e.why :
				 "a verdict or target not followed");
			w->maybe_ended = w->maybe_escaped = true;
			continue;
		default:
			break;
		}
		/* accept, drop, translate: the hook's walk ends here */
		if (r->e.act == w->want)
			note_hit(w, f, r, match, why);
		if (match == IGD_TRI_ALWAYS) {
			out.end = act_end(r->e.act);
			goto done;
		}
		w->maybe_ended = true;
		if (r->e.act != w->want) {
			w->maybe_escaped = true;
			note_open(w, why);
		}
	}
done:
	out.own_maybe = f->returned_maybe;
	free(l.v);
	return out;
}

int igd_walk_base(struct igd_walk *w, const char *base)
{
	struct frame f = { .chain = base };
	struct frame_end e;
	int err = 0;

	memset(&w->hit, 0, sizeof(w->hit));
	w->hit.outcome = IGD_TRI_NEVER;
	w->maybe_ended = w->maybe_escaped = w->hits_differ = false;
	w->policy_drop = false;
	w->open_why[0] = '\0';
	w->mark_known = w->c->mark_known;
	w->mark = w->c->mark;
	snprintf(f.path, sizeof(f.path), "%s", base);
	e = walk_frame(w, &f, &err);
	if (err == -ENOENT && !w->legacy)
		err = 0;		/* the chain went meanwhile */
	w->end = e.end;
	/* packets that ended earlier ended with a verdict: only a return may fall */
	w->end_sure = !e.own_maybe;
	/* the first rule that may do it was not sure, but every packet that it left
	 * went on to one that does (libvirt's tcp, udp, then all: masqueraded) */
	if (w->hit.outcome == IGD_TRI_MAYBE && e.end == act_end(w->want) && w->end_sure &&
	    !w->maybe_escaped) {
		w->hit.outcome = IGD_TRI_ALWAYS;
		w->hit.why[0] = '\0';
		w->hit.exempt_maybe = false;
		if (w->hits_differ) {	/* translated for sure, to which source depends */
			w->hit.masquerade = w->hit.has_to = false;
			w->hit.to_unknown = true;
		}
	}
	return err;
}
