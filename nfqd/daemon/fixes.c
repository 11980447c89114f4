/* Fix mode: NAT exemptions for SPs whose traffic source NAT pushed out of the
 * tunnel.  See fixes.h.  The packet path only asks (igd_fixes_request: a copy into a
 * fixed table); the loop puts the exemption into the daemon's own exempt chain, the
 * fix thread deletes the selector's conntrack entries.  Each exemption, flush and
 * failure is logged as an event.  A failed exemption is tried again with a doubling
 * delay; an SP counts as fixed only once its exemption is in. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "judge/sp_json.h"
#include "fixes.h"
#include "natfix/natfix.h"
#include "util/json.h"
#include "verdict_log.h"
#include "util/clock.h"

#define FIX_RETRY_FIRST_MS	1000
#define FIX_RETRY_MAX_MS	60000

enum fix_state {
	FIX_WANTED,		/* asked for, not in the chain */
	FIX_RETRY,		/* the chain could not be rewritten: later */
	FIX_PENDING,		/* going into the chain with this rewrite */
	FIX_INCHAIN,		/* in the chain, its flush not handed out yet */
	FIX_FLUSHING,		/* in the chain, the thread flushes */
	FIX_DONE,
	FIX_REFUSED,		/* a selector no rule can express: never */
};

static bool fix_in_chain(const struct igd_fix_entry *e)
{
	return e->state == FIX_PENDING || e->state == FIX_INCHAIN || e->state == FIX_FLUSHING ||
	       e->state == FIX_DONE;
}

static void fix_begin(struct igd_fixes *f, struct igd_json *j, const char *action,
		      const struct igd_sp *sp)
{
	igd_event_begin(j, f->line, sizeof(f->line), "fix");
	igd_json_str(j, "action", action);
	igd_json_sp(j, "sp", sp, IGD_JSON_BRIEF);
}

static void fix_end(struct igd_fixes *f, struct igd_json *j)
{
	igd_json_obj_close(j);
	if (igd_json_finish(j))
		igd_logdest_line(f->log, f->line, igd_json_len(j));
}

static void fix_log_rule(struct igd_fixes *f, const struct igd_fix_entry *e, const char *action)
{
	char sel[IGD_NATFIX_SEL_MAX];
	struct igd_json j;

	fix_begin(f, &j, action, &e->sp);
	igd_json_str(&j, "ruleset", "ipsecguardd");
	igd_json_str(&j, "chain", IGD_GUARD_EXEMPT_CHAIN);
	igd_json_str(&j, "rule", igd_natfix_sel_str(&e->sel, sel, sizeof(sel)));
	fix_end(f, &j);
}

static void fix_log_error(struct igd_fixes *f, const struct igd_sp *sp, const char *action,
			  const char *err, unsigned int retry_ms)
{
	struct igd_json j;

	fix_begin(f, &j, action, sp);
	igd_json_str(&j, "error", err);
	if (retry_ms)
		igd_json_uint(&j, "retry_in_ms", retry_ms);
	fix_end(f, &j);
}

static void fix_log_flush(struct igd_fixes *f, const struct igd_sp *sp, unsigned int n)
{
	struct igd_json j;

	fix_begin(f, &j, "conntrack-flush", sp);
	igd_json_uint(&j, "deleted", n);
	fix_end(f, &j);
}

int igd_fixes_init(struct igd_fixes *f, struct igd_logdest *log, igd_fixes_apply_fn apply,
		   void *arg)
{
	memset(f, 0, sizeof(*f));
	f->log = log;
	f->apply = apply;
	f->apply_arg = arg;
	return igd_fixer_start(&f->worker);
}

void igd_fixes_free(struct igd_fixes *f)
{
	igd_fixer_stop(f->worker);
	f->worker = NULL;
}

int igd_fixes_fd(const struct igd_fixes *f)
{
	return igd_fixer_fd(f->worker);
}

void igd_fixes_request(struct igd_fixes *f, const struct igd_sp *sp)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (f->e[i].sp.index == sp->index)
			return;		/* known: done, in hand or waiting to retry */
	if (f->n == IGD_MAX_FIXES)
		return;
	f->e[f->n].sp = *sp;
	f->e[f->n].state = FIX_WANTED;
	f->e[f->n].backoff_ms = FIX_RETRY_FIRST_MS;
	f->n++;
}

size_t igd_fixes_exemptions(const struct igd_fixes *f, struct igd_guard_exempt *out,
			    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < f->n && n < max; i++)
		if (fix_in_chain(&f->e[i])) {
			out[n].sel = f->e[i].sel;
			out[n].sp_index = f->e[i].sp.index;
			n++;
		}
	return n;
}

/* Wanted ones and due retries into the chain, in one rewrite; @now monotonic. */
static void fix_apply_due(struct igd_fixes *f, int64_t now)
{
	unsigned int i, k = 0;
	char err[256];

	for (i = 0; i < f->n; i++) {
		struct igd_fix_entry *e = &f->e[i];

		if (e->state != FIX_WANTED && (e->state != FIX_RETRY || now < e->next_ms))
			continue;
		if (igd_natfix_sel_norm(&e->sp.sel, &e->sel, err, sizeof(err))) {
			e->state = FIX_REFUSED;
			fix_log_error(f, &e->sp, "nat-exemption", err, 0);
			continue;
		}
		e->state = FIX_PENDING;	/* what the rewrite below puts in */
		k++;
	}
	if (!k)
		return;
	if (f->apply(f->apply_arg, err, sizeof(err))) {
		for (i = 0; i < f->n; i++) {
			struct igd_fix_entry *e = &f->e[i];

			if (e->state != FIX_PENDING)
				continue;
			/* never counted as fixed: tried again, later and later */
			f->failures++;
			e->state = FIX_RETRY;
			e->next_ms = now + e->backoff_ms;
			fix_log_error(f, &e->sp, "nat-exemption", err, e->backoff_ms);
			if (e->backoff_ms < FIX_RETRY_MAX_MS)
				e->backoff_ms *= 2;
		}
		return;
	}
	for (i = 0; i < f->n; i++)
		if (f->e[i].state == FIX_PENDING) {
			f->e[i].state = FIX_INCHAIN;
			f->applied++;
			fix_log_rule(f, &f->e[i], "nat-exemption");
		}
}

void igd_fixes_kick(struct igd_fixes *f)
{
	unsigned int i;

	fix_apply_due(f, (int64_t)igd_now_ms());
	for (i = 0; i < f->n; i++) {
		struct igd_fix_entry *e = &f->e[i];

		if (e->state == FIX_INCHAIN && igd_fixer_submit(f->worker, &e->sp))
			e->state = FIX_FLUSHING;
	}
}

static struct igd_fix_entry *fix_find(struct igd_fixes *f, uint32_t index)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (f->e[i].sp.index == index)
			return &f->e[i];
	return NULL;
}

static void fix_done(struct igd_fixes *f, const struct igd_fix_result *r)
{
	struct igd_fix_entry *e = fix_find(f, r->sp.index);

	if (e && e->state == FIX_FLUSHING)
		e->state = FIX_DONE;
	if (r->flush_err)
		fix_log_error(f, &r->sp, "conntrack-flush", r->flush_msg, 0);
	else
		fix_log_flush(f, &r->sp, r->flushed);
}

void igd_fixes_on_results(struct igd_fixes *f)
{
	struct igd_fix_result *r = &f->result;

	while (igd_fixer_result(f->worker, r))
		fix_done(f, r);
	igd_logdest_flush(f->log);
	igd_fixes_kick(f);
}

int igd_fixes_revert(struct igd_fixes *f, const uint32_t *sp)
{
	struct igd_fix_entry keep[IGD_MAX_FIXES], gone[IGD_MAX_FIXES];
	unsigned int i, nk = 0, ng = 0;
	char err[256];
	int e;

	for (i = 0; i < f->n; i++) {
		if (!sp || f->e[i].sp.index == *sp)
			gone[ng++] = f->e[i];
		else
			keep[nk++] = f->e[i];
	}
	if (!ng)
		return 0;
	memcpy(f->e, keep, nk * sizeof(keep[0]));
	f->n = nk;
	e = f->apply(f->apply_arg, err, sizeof(err));
	if (e) {
		/* the chain is as it was: so is the table */
		memcpy(f->e + nk, gone, ng * sizeof(gone[0]));
		f->n = nk + ng;
		return e;
	}
	f->reverted += ng;
	for (i = 0; i < ng; i++)
		if (fix_in_chain(&gone[i]))
			fix_log_rule(f, &gone[i], "nat-exemption-removed");
	igd_logdest_flush(f->log);
	return (int)ng;
}
