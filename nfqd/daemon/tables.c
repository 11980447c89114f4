/* The daemon's tables in a ruleset other tools reload.  See tables.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon.h"
#include <linux/netfilter.h>
#include <libmnl/libmnl.h>
#include "spdsync.h"
#include "tables.h"
#include "nft/nft_watch.h"
#include "guard/table_hold.h"
#include "util/clock.h"
#include "util/json.h"

/* The watched tables, in this order: the guard's (ip, ip6), the backstop's. */
enum { TBL_MAIN4, TBL_MAIN6, TBL_BACK4, TBL_BACK6, TBL_N };
#define TBL_MAIN	(1u << TBL_MAIN4 | 1u << TBL_MAIN6)
#define TBL_WATCH_RCVBUF	(4u << 20)
#define TBL_RETRY_MS	1000

int igd_tables_install(struct igd_daemon *d, char *err, size_t errlen)
{
	int e;

	if (igd_spdsync_prefixes(d) < 0) {
		snprintf(err, errlen, "protected prefixes: out of memory");
		return -ENOMEM;
	}
	e = igd_guard_install(&d->guard, igd_spdsync_sets(d), err, errlen);
	if (e)
		return e;
	d->sync.n_mss_rules = 0;		/* the new mss chain is empty: fill it */
	d->outer.nfragout = 0;		/* ... and the frag_out chain */
	igd_spdsync_mss(d);
	igd_spdsync_fragout(d);
	return 0;
}

static void tables_list(const struct igd_daemon *d, struct igd_nft_watch_table *t)
{
	unsigned int i;

	for (i = 0; i < TBL_N; i++) {
		t[i].nfproto = i % 2 ? NFPROTO_IPV6 : NFPROTO_IPV4;
		if (i < TBL_BACK4)
			snprintf(t[i].name, sizeof(t[i].name), "%s", d->opts.table);
		else
			igd_guard_backstop_name(d->opts.table, t[i].name, sizeof(t[i].name));
	}
}

/* "ip ipsecguard_backstop" for each bit of @bits, into the open array. */
static void tables_names(struct igd_json *j, const struct igd_daemon *d, unsigned int bits)
{
	struct igd_nft_watch_table t[TBL_N];
	char name[160];
	unsigned int i;

	tables_list(d, t);
	for (i = 0; i < TBL_N; i++) {
		if (!(bits & 1u << i))
			continue;
		snprintf(name, sizeof(name), "%s %s", i % 2 ? "ip6" : "ip", t[i].name);
		igd_json_str(j, NULL, name);
	}
}

/* Which of the watched tables the daemon has now. */
static unsigned int tables_ours(const struct igd_daemon *d)
{
	return TBL_MAIN | (d->guard.backstop ? 1u << TBL_BACK4 | 1u << TBL_BACK6 : 0);
}

static void tables_event(struct igd_daemon *d, const struct igd_nft_txn *t, const char *action,
			 unsigned int what, uint64_t us, const char *error)
{
	struct igd_json j;

	igd_event_begin(&j, d->line, sizeof(d->line), "tables");
	igd_json_str(&j, "action", action);
	igd_json_str(&j, "hold", igd_hold_name((enum igd_hold)d->hold));
	if (t && !t->overrun) {
		igd_json_obj_open(&j, "by");
		igd_json_uint(&j, "pid", t->pid);
		igd_json_str(&j, "comm", t->comm);
		igd_json_obj_close(&j);
		igd_json_uint(&j, "tables_deleted", t->tables_deleted);
	}
	if (t && t->overrun)
		igd_json_bool(&j, "overrun", true);
	igd_json_arr_open(&j, what ? "tables" : "kept");
	tables_names(&j, d, what ? what : tables_ours(d));
	igd_json_arr_close(&j);
	if (us)
		igd_json_uint(&j, "restore_us", us);
	if (error) {
		igd_json_str(&j, "error", error);
		igd_json_uint(&j, "retry_in_ms", TBL_RETRY_MS);
	}
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		igd_logdest_line(d->log, d->line, igd_json_len(&j));
	igd_logdest_flush(d->log);
}

/* Puts back @what (bits of the watched tables): all of the guard's tables when one of
 * the main ones went, else the backstop. */
static int tables_restore(struct igd_daemon *d, unsigned int what, char *err, size_t errlen)
{
	if (what & TBL_MAIN)
		return igd_tables_install(d, err, errlen);
	return igd_guard_backstop_install(&d->guard, igd_spdsync_sets(d), err, errlen);
}

static void tables_act(struct igd_daemon *d, const struct igd_nft_txn *t, unsigned int what)
{
	struct igd_tables_state *s = &d->tables;
	uint64_t t0 = igd_now_us();
	char err[256];

	if (tables_restore(d, what, err, sizeof(err))) {
		fprintf(stderr, "ipsecguardd: tables: restore: %s\n", err);
		s->restore_failures++;
		s->restore_due = true;
		s->restore_what |= what;
		s->retry_ms = igd_now_ms() + TBL_RETRY_MS;
		tables_event(d, t, "restore-failed", what, 0, err);
		return;
	}
	s->restored++;
	s->restore_due = false;
	s->restore_what = 0;
	tables_event(d, t, "restored", what, igd_now_us() - t0 ?: 1, NULL);
}

static void tables_on_txn(const struct igd_nft_txn *t, void *arg)
{
	struct igd_daemon *d = arg;
	unsigned int what = (t->overrun ? ~0u : t->touched) & tables_ours(d);

	if (!d->hooks_installed)
		return;
	if (t->overrun)
		d->tables.overruns++;
	if (what) {
		tables_act(d, t, what);
		return;
	}
	if (t->tables_deleted) {
		d->tables.reloads_kept++;
		tables_event(d, t, "kept", 0, 0, NULL);
	}
}

static int tables_on_fd(int fd, void *arg)
{
	struct igd_daemon *d = arg;
	int e = igd_nft_watch_process(d->tables.watch);

	if (e)
		fprintf(stderr, "ipsecguardd: tables: notifications: %s\n", strerror(-e));
	return 0;
}

void igd_tables_watch_update(struct igd_daemon *d)
{
	struct igd_nft_watch_table t[TBL_N];

	if (!d->tables.watch)
		return;
	tables_list(d, t);
	igd_nft_watch_tables(d->tables.watch, t, TBL_N);
}

int igd_tables_watch_open(struct igd_daemon *d, char *err, size_t errlen)
{
	int e;

	if (d->opts.no_hooks)
		return 0;
	e = igd_nft_watch_open(&d->tables.watch, TBL_WATCH_RCVBUF, tables_on_txn, d);
	if (!e) {
		igd_nft_watch_ignore(d->tables.watch, mnl_socket_get_portid(d->nft_nl));
		igd_tables_watch_update(d);
		e = igd_loop_add_fd(d->loop, igd_nft_watch_fd(d->tables.watch), tables_on_fd, d);
	}
	if (e)
		snprintf(err, errlen, "nf_tables notifications: %s", strerror(-e));
	return e;
}

void igd_tables_tick(struct igd_daemon *d)
{
	struct igd_tables_state *s = &d->tables;

	if (s->restore_due && igd_now_ms() >= s->retry_ms)
		tables_act(d, NULL, s->restore_what);
}

void igd_tables_watch_close(struct igd_daemon *d)
{
	igd_nft_watch_close(d->tables.watch);
	d->tables.watch = NULL;
}
