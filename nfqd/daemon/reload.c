/* SIGHUP: the configuration read again (defaults, the file, the same command line)
 * and every change the running daemon can take applied.  The guard's tables are
 * replaced in one nf_tables transaction (the old rules answer until the commit, the
 * new ones from the next packet on: no suspect passes unjudged in between), and the
 * queues stay bound, so no queued packet is left without a verdict.  What only a
 * restart can change (queue numbers, table, user, mark bits, socket sizes) is named
 * in the config event and keeps its running value; a file that does not parse keeps
 * the whole running configuration.  The log is reopened either way (logrotate). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "spdsync.h"
#include "util/clock.h"
#include "util/json.h"

struct reload_notes {
	const char *changed[24], *restart[24];
	unsigned int nchanged, nrestart;
};

static void note(const char **v, unsigned int *n, const char *name)
{
	if (*n < 24)
		v[(*n)++] = name;
}

static bool prefixes_differ(const struct igd_opts *a, const struct igd_opts *b)
{
	return a->nprotect != b->nprotect ||
	       memcmp(a->protect, b->protect, a->nprotect * sizeof(a->protect[0]));
}

/* What only a restart changes: noted, the running value kept. */
static void reload_restart_only(const struct igd_daemon *d, const struct igd_opts *n,
				struct reload_notes *r)
{
	const struct igd_opts *o = &d->opts;
	bool nflog = d->nflog != NULL;

	if (n->queue_lo != o->queue_lo || n->queue_hi != o->queue_hi)
		note(r->restart, &r->nrestart, "queue");
	if (strcmp(n->table, o->table))
		note(r->restart, &r->nrestart, "table");
	if (strcmp(n->user, o->user))
		note(r->restart, &r->nrestart, "user");
	if (n->mark_mask != o->mark_mask)
		note(r->restart, &r->nrestart, "mark-mask");
	if (n->maxlen != o->maxlen || n->copy_range != o->copy_range || n->rcvbuf != o->rcvbuf)
		note(r->restart, &r->nrestart, "queue-maxlen/copy-range/rcvbuf");
	if (n->log_group != o->log_group)
		note(r->restart, &r->nrestart, "log-group");
	if (n->no_hooks != o->no_hooks)
		note(r->restart, &r->nrestart, "no-hooks");
	/* against what was configured: the start may have fallen back from both */
	if (n->scope != d->cfg_scope || n->pre_nat_tap != o->pre_nat_tap)
		note(r->restart, &r->nrestart, "queue-scope/pre-nat-tap");
	if (n->no_outer != d->cfg_no_outer)
		note(r->restart, &r->nrestart, "no-outer");
	if (!o->xstat_interval && n->xstat_interval)
		note(r->restart, &r->nrestart, "xfrm-stat-interval (from 0)");
	if (n->tunnel_names != o->tunnel_names || strcmp(n->vici, o->vici))
		note(r->restart, &r->nrestart, "tunnel-names/vici");
	if (n->oneway_hold != o->oneway_hold)
		note(r->restart, &r->nrestart, "oneway");
	if (n->table_hold != o->table_hold)
		note(r->restart, &r->nrestart, "table-hold");
	if (strcmp(n->state_dir, o->state_dir))
		note(r->restart, &r->nrestart, "state-dir");
	if (strcmp(n->control, o->control))
		note(r->restart, &r->nrestart, "control");
	if (n->remember != o->remember && (!n->remember || !o->remember))
		note(r->restart, &r->nrestart, "remember (to or from 0)");
	if (n->mode != o->mode && (n->mode == IGD_MODE_FIX || o->mode == IGD_MODE_FIX))
		note(r->restart, &r->nrestart, "mode (to or from fix)");
	if (n->mss_mode != IGD_MSS_OFF && !nflog)
		note(r->restart, &r->nrestart, "mss (its clamps' copies need the log group)");
	if (n->log_healthy && !o->log_healthy && !nflog)
		note(r->restart, &r->nrestart, "log-healthy");
}

/* A new log file or target; the old one stays when it cannot be opened. */
static void reload_log(struct igd_daemon *d, const struct igd_opts *n, struct reload_notes *r,
		       char *err, size_t errlen)
{
	struct igd_logdest *log;

	if (!strcmp(n->log, d->opts.log)) {
		igd_daemon_reopen_log(d);
		return;
	}
	if (igd_logdest_open(&log, n->log, err, errlen)) {
		note(r->restart, &r->nrestart, "log (cannot be opened now)");
		return;
	}
	igd_logdest_flush(d->log);
	igd_logdest_close(d->log);
	d->log = log;
	d->diag.cfg.log = log;
	d->outer.log = log;
	d->fixes.log = log;
	snprintf(d->opts.log, sizeof(d->opts.log), "%s", n->log);
	note(r->changed, &r->nchanged, "log");
}

/* What the daemon can change while it runs; true when the tables must follow. */
static bool reload_live(struct igd_daemon *d, const struct igd_opts *n, struct reload_notes *r)
{
	struct igd_opts *o = &d->opts;
	bool tables = false;

	if (n->mode != o->mode && n->mode != IGD_MODE_FIX && o->mode != IGD_MODE_FIX) {
		o->mode = n->mode;
		d->judge.cfg.mode = n->mode;
		tables = true;
		note(r->changed, &r->nchanged, "mode");
	}
	if (n->fail_closed != o->fail_closed) {
		o->fail_closed = n->fail_closed;
		tables = true;
		note(r->changed, &r->nchanged, "fail-closed");
	}
	if ((n->mss_mode != o->mss_mode || n->mss != o->mss) &&
	    (n->mss_mode == IGD_MSS_OFF || d->nflog)) {
		struct igd_mss m;

		if (!igd_mss_init(&m, n->mss_mode, n->mss)) {
			igd_mss_close(&d->mss);
			d->mss = m;
			o->mss_mode = n->mss_mode;
			o->mss = n->mss;
			tables = true;
			note(r->changed, &r->nchanged, "mss");
		} else {
			note(r->restart, &r->nrestart, "mss (rtnetlink for auto failed)");
		}
	}
	if (prefixes_differ(n, o)) {
		memcpy(o->protect, n->protect, sizeof(o->protect));
		o->nprotect = n->nprotect;
		tables = true;
		note(r->changed, &r->nchanged, "protect");
	}
	if (n->drop_uncovered != o->drop_uncovered) {
		o->drop_uncovered = n->drop_uncovered;
		tables = true;
		note(r->changed, &r->nchanged, "drop-uncovered");
	}
	if (n->remember != o->remember && n->remember && o->remember) {
		o->remember = n->remember;
		d->memory.hold_s = n->remember;
		note(r->changed, &r->nchanged, "remember");
	}
	if (strcmp(n->remember_from, o->remember_from)) {
		/* taken in at the next tick; what the old file brought stays remembered */
		memcpy(o->remember_from, n->remember_from, sizeof(o->remember_from));
		d->mem_from.present = d->mem_from.said = false;
		note(r->changed, &r->nchanged, "remember-from");
	}
	if (memcmp(&n->ike_ports, &o->ike_ports, sizeof(o->ike_ports))) {
		o->ike_ports = n->ike_ports;
		tables = true;
		note(r->changed, &r->nchanged, "ike-port");
	}
	if (n->log_healthy != o->log_healthy && (!n->log_healthy || d->nflog)) {
		o->log_healthy = n->log_healthy;
		tables = true;
		note(r->changed, &r->nchanged, "log-healthy");
	}
	if (n->log_pass != o->log_pass) {
		o->log_pass = n->log_pass;
		note(r->changed, &r->nchanged, "log-pass");
	}
	if (n->stats_interval != o->stats_interval) {
		o->stats_interval = n->stats_interval;
		note(r->changed, &r->nchanged, "stats-interval");
	}
	if (strcmp(n->metrics_file, o->metrics_file) ||
	    n->metrics_interval != o->metrics_interval) {
		/* a collector would serve the old file's frozen series */
		if (o->metrics_file[0] && strcmp(n->metrics_file, o->metrics_file))
			unlink(o->metrics_file);
		memcpy(o->metrics_file, n->metrics_file, sizeof(o->metrics_file));
		o->metrics_interval = n->metrics_interval;
		d->metrics_failing = false;
		note(r->changed, &r->nchanged, "metrics");
	}
	if (n->xstat_interval != o->xstat_interval && o->xstat_interval) {
		o->xstat_interval = n->xstat_interval;
		d->diag.cfg.xstat_interval = n->xstat_interval;
		note(r->changed, &r->nchanged, "xfrm-stat-interval");
	}
	return tables;
}

/* What of the guard's configuration follows the options a reload may change. */
static void reload_guard_cfg(struct igd_daemon *d)
{
	struct igd_guard_cfg *g = &d->guard;
	bool enforcing = d->opts.mode != IGD_MODE_AUDIT || d->opts.fail_closed;

	g->hooks.bypass = !d->opts.fail_closed;
	g->enforce = d->opts.mode == IGD_MODE_ENFORCE;
	g->suspects_bypass = !enforcing;
	g->mss_chain = d->opts.mss_mode != IGD_MSS_OFF;
	g->log_healthy = d->opts.log_healthy;
	g->outer_ports = d->opts.ike_ports;
	g->backstop = igd_daemon_wants_backstop(d);
	igd_daemon_out_cfg(d);
}

/* The guard's rules for the options now in force, in one transaction. */
static int reload_tables(struct igd_daemon *d, char *err, size_t errlen)
{
	int e;

	reload_guard_cfg(d);
	igd_tables_watch_update(d);
	igd_gen_prepare(d);		/* --protect may have changed */
	e = igd_tables_install(d, err, errlen);
	if (e)
		igd_gen_revert(d);
	else
		igd_gen_commit(d);
	return e;
}

static void reload_event(struct igd_daemon *d, const char *result, const char *error,
			 const struct reload_notes *r)
{
	struct igd_json j;
	unsigned int i;

	igd_event_begin(&j, d->line, sizeof(d->line), "config");
	igd_json_str(&j, "result", result);
	igd_json_str(&j, "file", d->opts.config[0] ? d->opts.config : "");
	if (error)
		igd_json_str(&j, "error", error);
	if (r) {
		igd_json_arr_open(&j, "changed");
		for (i = 0; i < r->nchanged; i++)
			igd_json_str(&j, NULL, r->changed[i]);
		igd_json_arr_close(&j);
		igd_json_arr_open(&j, "restart_needed");
		for (i = 0; i < r->nrestart; i++)
			igd_json_str(&j, NULL, r->restart[i]);
		igd_json_arr_close(&j);
	}
	igd_json_str(&j, "mode", igd_mode_name(d->opts.mode));
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		igd_logdest_line(d->log, d->line, igd_json_len(&j));
	igd_logdest_flush(d->log);
}

/* A failed install: the options, the judge and the sets as they were, so the running
 * tables and the judgement agree and the next reload tries the change again. */
static void reload_undo(struct igd_daemon *d, const struct igd_opts *old)
{
	struct igd_mss m;

	if ((old->mss_mode != d->opts.mss_mode || old->mss != d->opts.mss) &&
	    !igd_mss_init(&m, old->mss_mode, old->mss)) {
		igd_mss_close(&d->mss);
		d->mss = m;
	}
	d->opts.mode = old->mode;
	d->opts.fail_closed = old->fail_closed;
	d->opts.mss_mode = old->mss_mode;
	d->opts.mss = old->mss;
	memcpy(d->opts.protect, old->protect, sizeof(old->protect));
	d->opts.nprotect = old->nprotect;
	d->opts.drop_uncovered = old->drop_uncovered;
	d->opts.ike_ports = old->ike_ports;
	d->opts.log_healthy = old->log_healthy;
	d->judge.cfg.mode = old->mode;
	reload_guard_cfg(d);
	igd_spdsync_prefixes(d);
}

/* The queues follow the mode: fail-open only in audit without --fail-closed. */
static void reload_queues(struct igd_daemon *d)
{
	bool open = d->opts.mode == IGD_MODE_AUDIT && !d->opts.fail_closed;
	unsigned int i;

	for (i = 0; i < d->nqueues; i++)
		if (igd_queue_set_fail_open(d->queues[i], open))
			fprintf(stderr, "ipsecguardd: reload: queue %u fail-open: %s\n",
				igd_queue_num(d->queues[i]), strerror(errno));
}

void igd_daemon_reload(struct igd_daemon *d)
{
	static struct igd_opts next, old;
	struct reload_notes r = { .nchanged = 0 };
	char err[256] = "";

	if (igd_opts_parse(&next, d->argc, d->argv)) {
		igd_daemon_reopen_log(d);
		fprintf(stderr, "ipsecguardd: reload: %s; the running configuration stays\n",
			igd_opts_error());
		reload_event(d, "kept", igd_opts_error(), NULL);
		return;
	}
	reload_restart_only(d, &next, &r);
	reload_log(d, &next, &r, err, sizeof(err));
	old = d->opts;
	if (reload_live(d, &next, &r) && d->hooks_installed &&
	    reload_tables(d, err, sizeof(err))) {
		fprintf(stderr, "ipsecguardd: reload: %s; the running tables stay\n", err);
		reload_undo(d, &old);
		reload_event(d, "failed", err, &r);
		return;
	}
	if (old.mode != d->opts.mode || old.fail_closed != d->opts.fail_closed)
		reload_queues(d);
	reload_event(d, "applied", NULL, &r);
}
