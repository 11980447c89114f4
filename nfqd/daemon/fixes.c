/* Fix mode: NAT exemptions for SPs whose traffic source NAT pushed out of the
 * tunnel.  The packet path only asks (igd_fixes_request: a copy into a fixed table);
 * the fix thread does the work: a RETURN rule for the SP's selector at the top of
 * every NAT postrouting chain, then the deletion of the selector's conntrack entries
 * so that its flows bind again without NAT.  Each rule, flush and failure is logged
 * as an event.  A failed exemption is tried again with a doubling delay; an SP counts
 * as fixed only once its exemption is in. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fixes.h"
#include "util/json.h"
#include "verdict_log.h"
#include "util/clock.h"

#define FIX_RETRY_FIRST_MS	1000
#define FIX_RETRY_MAX_MS	60000

enum fix_state { FIX_WANTED, FIX_INFLIGHT, FIX_RETRY, FIX_DONE };

static const char *const fix_kinds[] = {
	[IGD_NATFIX_NFT] = "nft",
	[IGD_NATFIX_IPT_NFT] = "iptables-nft",
	[IGD_NATFIX_IPT_LEGACY] = "iptables-legacy",
};

static void fix_begin(struct igd_fixes *f, struct igd_json *j, const char *action,
		      const struct igd_sp *sp)
{
	igd_event_begin(j, f->line, sizeof(f->line), "fix");
	igd_json_str(j, "action", action);
	igd_log_sp(j, "sp", sp);
}

static void fix_end(struct igd_fixes *f, struct igd_json *j)
{
	igd_json_obj_close(j);
	if (igd_json_finish(j))
		igd_logdest_line(f->log, f->line, igd_json_len(j));
}

static void fix_log_rule(struct igd_fixes *f, const struct igd_sp *sp,
			 const struct igd_natfix_rule *r)
{
	struct igd_json j;

	fix_begin(f, &j, "nat-exemption", sp);
	igd_json_str(&j, "ruleset", fix_kinds[r->kind]);
	igd_json_uint(&j, "nfproto", r->family);
	igd_json_str(&j, "table", r->table);
	igd_json_str(&j, "chain", r->chain);
	igd_json_uint(&j, "handle", r->handle);
	igd_json_str(&j, "rule", r->sel_str);
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

int igd_fixes_init(struct igd_fixes *f, struct igd_logdest *log)
{
	memset(f, 0, sizeof(*f));
	f->log = log;
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

void igd_fixes_kick(struct igd_fixes *f)
{
	int64_t now = (int64_t)igd_now_ms();
	unsigned int i;

	for (i = 0; i < f->n; i++) {
		struct igd_fix_entry *e = &f->e[i];

		if (e->state == FIX_RETRY && now < e->next_ms)
			continue;
		if ((e->state == FIX_WANTED || e->state == FIX_RETRY) &&
		    igd_fixer_submit(f->worker, &e->sp))
			e->state = FIX_INFLIGHT;
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
	unsigned int i;

	if (r->apply_err) {
		/* never counted as fixed: tried again, later and later */
		f->failures++;
		if (e) {
			e->state = FIX_RETRY;
			e->next_ms = (int64_t)igd_now_ms() + e->backoff_ms;
		}
		fix_log_error(f, &r->sp, "nat-exemption", r->apply_msg, e ? e->backoff_ms : 0);
		if (e && e->backoff_ms < FIX_RETRY_MAX_MS)
			e->backoff_ms *= 2;
		return;
	}
	if (e)
		e->state = FIX_DONE;
	for (i = 0; i < r->res.n; i++)
		fix_log_rule(f, &r->sp, &r->res.rules[i]);
	if (r->flush_err)
		fix_log_error(f, &r->sp, "conntrack-flush", r->flush_msg, 0);
	else
		fix_log_flush(f, &r->sp, r->flushed);
	f->applied += r->res.inserted;
}

void igd_fixes_on_results(struct igd_fixes *f)
{
	struct igd_fix_result *r = &f->result;

	while (igd_fixer_result(f->worker, r))
		fix_done(f, r);
	igd_logdest_flush(f->log);
	igd_fixes_kick(f);
}
