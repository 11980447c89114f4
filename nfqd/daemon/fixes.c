/* Fix mode: NAT exemptions for SPs whose traffic source NAT pushed out of the
 * tunnel, applied outside the packet path (after the burst that asked for them):
 * a RETURN rule for the SP's selector at the top of every NAT postrouting chain,
 * then the conntrack entries of the selector are deleted so that its flows bind
 * again, this time without NAT.  Each rule and the flush are logged as events. */
#include <stdio.h>
#include <string.h>
#include "ct_nl.h"
#include "daemon.h"
#include "json.h"
#include "natfix.h"

static const char *const fix_kinds[] = {
	[IGD_NATFIX_NFT] = "nft",
	[IGD_NATFIX_IPT_NFT] = "iptables-nft",
	[IGD_NATFIX_IPT_LEGACY] = "iptables-legacy",
};

static void fix_begin(struct igd_daemon *d, struct igd_json *j, const char *action,
		      const struct igd_sp *sp)
{
	char ts[40];

	igd_log_ts(ts, sizeof(ts));
	igd_json_init(j, d->line, sizeof(d->line));
	igd_json_obj_open(j, NULL);
	igd_json_str(j, "ts", ts);
	igd_json_str(j, "event", "fix");
	igd_json_str(j, "action", action);
	igd_log_sp(j, "sp", sp);
}

static void fix_end(struct igd_daemon *d, struct igd_json *j)
{
	igd_json_obj_close(j);
	if (igd_json_finish(j))
		igd_vlog_line(d->log, d->line, igd_json_len(j));
}

static void fix_log_rule(struct igd_daemon *d, const struct igd_sp *sp,
			 const struct igd_natfix_rule *r)
{
	struct igd_json j;

	fix_begin(d, &j, "nat-exemption", sp);
	igd_json_str(&j, "ruleset", fix_kinds[r->kind]);
	igd_json_uint(&j, "nfproto", r->family);
	igd_json_str(&j, "table", r->table);
	igd_json_str(&j, "chain", r->chain);
	igd_json_uint(&j, "handle", r->handle);
	igd_json_str(&j, "rule", r->sel_str);
	fix_end(d, &j);
}

static void fix_log_error(struct igd_daemon *d, const struct igd_sp *sp, const char *action,
			  const char *err)
{
	struct igd_json j;

	fix_begin(d, &j, action, sp);
	igd_json_str(&j, "error", err);
	fix_end(d, &j);
}

static void fix_log_flush(struct igd_daemon *d, const struct igd_sp *sp, unsigned int n)
{
	struct igd_json j;

	fix_begin(d, &j, "conntrack-flush", sp);
	igd_json_uint(&j, "deleted", n);
	fix_end(d, &j);
}

static void fix_one(struct igd_daemon *d, const struct igd_sp *sp)
{
	struct igd_natfix_result res;
	unsigned int i, n = 0;
	char err[256];

	if (igd_natfix_apply(&sp->sel, sp->index, &res, err, sizeof(err)) < 0) {
		fix_log_error(d, sp, "nat-exemption", err);
		return;
	}
	for (i = 0; i < res.n; i++)
		fix_log_rule(d, sp, &res.rules[i]);
	if (igd_ct_flush_selector(&sp->sel, &n, err, sizeof(err)) < 0)
		fix_log_error(d, sp, "conntrack-flush", err);
	else
		fix_log_flush(d, sp, n);
	d->fixes_applied += res.inserted;
}

void igd_daemon_apply_fixes(struct igd_daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->nfix_pending; i++) {
		fix_one(d, &d->fix_pending[i]);
		if (d->nfix_done < IGD_MAX_FIXES)
			d->fix_done[d->nfix_done++] = d->fix_pending[i].index;
	}
	d->nfix_pending = 0;
	igd_vlog_flush(d->log);
}
