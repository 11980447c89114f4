#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "caps.h"
#include "daemon.h"
#include "metrics.h"
#include "util/json.h"
#include "nft/nft_batch.h"
#include "nft/nft_hooks.h"
#include "guard/table_hold.h"
#include "util/num.h"
#include "verdict_log.h"
#include "diag.h"
#include "util/ratelimit.h"
#include "sdnotify.h"
#include "spdsync.h"

/* A copy from our log rules — a SYN or SYN/ACK the mss chain clamped, the first packet
 * of a cleartext flow towards what the SPs protect, or with --log-healthy the head of
 * a flow that left through its tunnel: its log line.  The packet itself went on long
 * ago. */
static void daemon_on_copy(const struct igd_nflog_pkt *c, void *arg)
{
	struct igd_daemon *d = arg;
	struct igd_qpkt qp = {
		.data = (uint8_t *)c->data, .len = c->len,
		.orig_len = igd_pkt_copy_len(c->data, c->len),	/* cut at the snaplen */
		.hook = c->hook, .hw_proto = c->hw_proto, .mark = c->mark,
		.indev = c->indev, .outdev = c->outdev, .copy = true,
		.queue = (uint16_t)d->opts.log_group,
	};
	size_t plen = strlen(IGD_GUARD_MSS_PREFIX);
	struct igd_judgement jd;
	uint64_t suppressed;
	struct igd_pkt p;
	uint32_t to = 0;
	int n;

	/* the prefix is our rule's, never the packet's: "... mss-clamp V" or
	 * "... pass" */
	if (!strncmp(c->prefix, "ipsecguard outer-", strlen("ipsecguard outer-"))) {
		igd_outer_on_copy(&d->outer, c, d->judge.sad);
		return;
	}
	if (!strcmp(c->prefix, IGD_GUARD_PASS_PREFIX)) {
		igd_judge_pass_copy(&d->judge, &qp, &p, &jd);
	} else if (!strcmp(c->prefix, IGD_GUARD_UNCOVERED_PREFIX)) {
		igd_judge_uncovered_copy(&d->judge, &qp, &p, &jd);
		if (jd.reason == IGD_R_PASS && !d->opts.log_pass)
			return;
	} else {
		if (!strncmp(c->prefix, IGD_GUARD_MSS_PREFIX, plen) &&
		    igd_num_u32(c->prefix + plen, 1, 65535, &to))
			to = 0;
		igd_judge_mss_copy(&d->judge, &qp, &p, (uint16_t)to, &jd);
	}
	if (!igd_diag_log_ok(&d->diag, qp.hook, &jd, &suppressed))
		return;
	igd_namesd_name_sa(&d->names, &jd, d->sa_conn, d->sa_child);
	n = igd_verdict_line(d->line, sizeof(d->line), &qp, &p, &jd, suppressed);
	if (n > 0)
		igd_logdest_line(d->log, d->line, (size_t)n);
}

static int daemon_on_fixes(int fd, void *arg)
{
	struct igd_daemon *d = arg;

	igd_fixes_on_results(&d->fixes);
	return 0;
}

/* Fix mode's exempt chains rewritten with what the fixes hold now. */
static int daemon_apply_exemptions(void *arg, char *err, size_t errlen)
{
	struct igd_daemon *d = arg;

	if (!d->hooks_installed) {
		snprintf(err, errlen, "the daemon's tables are not installed");
		return -ENOENT;
	}
	return igd_guard_exempt_update(&d->guard, igd_spdsync_sets(d), err, errlen);
}

/* Fix mode's thread, and its pipe in the loop. */
static int daemon_start_fixes(struct igd_daemon *d, char *err, size_t errlen)
{
	int e;

	if (d->opts.mode != IGD_MODE_FIX)
		return 0;
	e = igd_fixes_init(&d->fixes, d->log, daemon_apply_exemptions, d);
	if (!e)
		e = igd_loop_add_fd(d->loop, igd_fixes_fd(&d->fixes), daemon_on_fixes, d);
	if (e)
		snprintf(err, errlen, "fix thread: %s", strerror(-e));
	return e;
}

/* The tunnel names' thread, with the reduced capabilities. */
static int daemon_start_names(struct igd_daemon *d, char *err, size_t errlen)
{
	int e = igd_namesd_start(&d->names, d->opts.tunnel_names, d->opts.vici);

	if (e)
		snprintf(err, errlen, "tunnel names thread: %s", strerror(-e));
	return e;
}

static int daemon_on_nflog(int fd, void *arg)
{
	struct igd_daemon *d = arg;

	return igd_nflog_process(d->nflog);
}

/* The copies of our log rules come through an nfnetlink_log group: only with our own
 * tables (they hold the rules).  The clamps and --log-healthy need it; the outer
 * events and the reports of cleartext towards what the SPs protect (the uncovered
 * rule) are given up with a warning when the group or conntrack cannot be had (a
 * second daemon in the namespace without its own --log-group). */
static int daemon_open_nflog(struct igd_daemon *d, char *err, size_t errlen)
{
	bool needed = d->opts.mss_mode != IGD_MSS_OFF || d->opts.log_healthy;
	bool wanted = !d->opts.no_outer || d->opts.scope == IGD_SCOPE_PROTECTED;
	const char *why = NULL;
	int e = 0;

	if (d->opts.no_hooks || (!needed && !wanted))
		return 0;
	if (!d->opts.no_outer && (e = igd_outer_init(&d->outer, d->log, &d->opts.ike_ports)))
		why = "conntrack netlink";
	d->outer.table = d->opts.table;
	if (!e)
		e = igd_nflog_open(&d->nflog, (uint16_t)d->opts.log_group,
				   IGD_GUARD_LOG_SNAPLEN, daemon_on_copy, d, err, errlen);
	if (e && !needed) {
		fprintf(stderr, "ipsecguardd: %s%s%s; the tunnel's own packets are not "
			"watched (outer-nat, outer-frag) and cleartext towards what the SPs "
			"protect is not reported\n", why ? why : err, why ? ": " : "",
			why ? strerror(-e) : "");
		igd_outer_free(&d->outer);
		d->opts.no_outer = true;
		return 0;
	}
	if (e && why) {
		snprintf(err, errlen, "%s: %s", why, strerror(-e));
		return e;
	}
	return e ?: igd_loop_add_fd(d->loop, igd_nflog_fd(d->nflog), daemon_on_nflog, d);
}

/* The queue threads' lines and fix requests. */
static int daemon_on_workers(int fd, void *arg)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* nothing counted: drain all the same */
	}
	igd_workers_drain(arg);
	/* a queue nobody answers: the daemon ends with an error (and is restarted) */
	return __atomic_load_n(&((struct igd_daemon *)arg)->workers_failed, __ATOMIC_ACQUIRE) ?
	       -EIO : 0;
}

static void daemon_after(void *arg)
{
	igd_workers_publish(arg);
}

/* The counters of our own rules, while our tables are there to read. */
/* --metrics-file, from the parts of the daemon the metrics are made of. */
static void daemon_metrics_write(struct igd_daemon *d)
{
	const struct igd_metrics_src src = {
		.opts = &d->opts, .start_time = d->start_time, .judge = igd_workers_judge(d),
		.queues = d->queues, .nqueues = d->nqueues, .diag = &d->diag,
		.mirror = d->mirror, .fixes = &d->fixes, .nflog = d->nflog,
		.outer = &d->outer, .kc = d->kc_ok ? &d->kc : NULL, .tables = &d->tables,
		.gen = &d->gen, .tunnels = d->tunnels, .memory = &d->memory,
		.log_suppressed = igd_diag_suppressed(&d->diag) + igd_workers_suppressed(d),
		.log_lost = igd_workers_lines_lost(d),
	};

	igd_metrics_write(&src, &d->metrics_failing);
}

static void daemon_read_kernel(struct igd_daemon *d)
{
	if (!d->hooks_installed || d->guard.scope != IGD_SCOPE_PROTECTED)
		return;
	d->kc_ok = igd_guard_counters_read(d->opts.table, &d->kc) == 0;
}

void igd_daemon_log_stats(struct igd_daemon *d)
{
	uint64_t sup = igd_diag_suppressed(&d->diag) + igd_workers_suppressed(d);
	int n;

	daemon_read_kernel(d);
	n = igd_stats_line(d->line, sizeof(d->line), igd_workers_judge(d), d->queues, d->nqueues,
			   d->nflog, d->kc_ok ? &d->kc : NULL,
			   d->outer.ct_nl ? &d->outer.st : NULL,
			   d->opts.no_hooks ? NULL : &d->tables, &d->gen, sup,
			   igd_workers_lines_lost(d));

	if (n > 0)
		igd_logdest_line(d->log, d->line, (size_t)n);
	igd_logdest_flush(d->log);
}

/* A new file at the same path (logrotate; SIGHUP).  When it cannot be opened (a
 * --user that may not create files in the log's directory) the daemon goes on with
 * the old file and says so in it, where the operator looks. */
void igd_daemon_reopen_log(struct igd_daemon *d)
{
	struct igd_json j;
	int e = igd_logdest_reopen(d->log);

	if (!e)
		return;
	fprintf(stderr, "ipsecguardd: reopen log %s: %s\n", d->opts.log, strerror(-e));
	igd_event_begin(&j, d->line, sizeof(d->line), "log-reopen");
	igd_json_str(&j, "path", d->opts.log);
	igd_json_str(&j, "error", strerror(-e));
	igd_json_str(&j, "hint", "give the daemon's user the log directory, or rotate "
		     "with copytruncate");
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		igd_logdest_line(d->log, d->line, igd_json_len(&j));
	igd_logdest_flush(d->log);
}

static void daemon_on_signal(int signo, void *arg)
{
	struct igd_daemon *d = arg;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		igd_loop_stop(d->loop);
		break;
	case SIGHUP:
		igd_daemon_reload(d);
		break;
	case SIGUSR1:
		igd_daemon_log_stats(d);
		break;
	}
}

static void daemon_on_tick(void *arg)
{
	struct igd_daemon *d = arg;

	igd_spdsync_tick(d);
	igd_tables_tick(d);
	igd_gen_tick(d);
	igd_control_tick(d);
	if (d->fixes.worker)
		igd_fixes_kick(&d->fixes);	/* retries that came due */
	if (igd_outer_busy(&d->outer))
		igd_outer_tick(&d->outer, d->judge.sad);
	d->ticks++;
	if (d->ticks % IGD_TICKS_PER_S)
		return;
	if ((d->ticks / IGD_TICKS_PER_S) % 5 == 0) {
		igd_localaddr_refresh(&d->local);
		igd_noxfrm_read(&d->noxfrm);
		igd_spdsync_mss(d);	/* path MTUs change */
		igd_spdsync_fragout(d);
	}
	igd_spdsync_expire(d);
	igd_remembered_tick(d);
	igd_diag_tick(&d->diag, d->ticks / IGD_TICKS_PER_S);
	igd_logdest_flush(d->log);
	/* a queue thread stuck in one burst for 10 s: no keep-alive, and systemd's
	 * watchdog restarts the daemon */
	if (igd_workers_healthy(d, 10000))
		igd_sdnotify("WATCHDOG=1");
	if (d->opts.stats_interval &&
	    (d->ticks / IGD_TICKS_PER_S) % d->opts.stats_interval == 0)
		igd_daemon_log_stats(d);
	if (d->opts.metrics_file[0] &&
	    (d->ticks / IGD_TICKS_PER_S) % d->opts.metrics_interval == 0) {
		daemon_read_kernel(d);
		daemon_metrics_write(d);
	}
}

static int daemon_open_queues(struct igd_daemon *d, char *err, size_t errlen)
{
	int e = igd_workers_open(d, err, errlen);

	if (e)
		return e;
	e = igd_loop_add_fd(d->loop, d->workers_fd, daemon_on_workers, d);
	if (e)
		snprintf(err, errlen, "event loop: %s", strerror(-e));
	return e;
}

/* Scope "protected" classifies in the kernel with rt ipsec, ct status, ct original
 * addresses and meta secpath.  A kernel without one of them gets today's taps (scope
 * "heads": every flow head queued), and the start line says so. */
static void daemon_probe_scope(struct igd_daemon *d)
{
	unsigned int missing = 0;
	int e;

	if (d->opts.no_hooks || d->opts.scope != IGD_SCOPE_PROTECTED)
		return;
	e = igd_guard_probe(&missing);
	if (e || !missing)
		return;		/* nf_tables unreachable: the install says why */
	igd_guard_missing_str(missing, d->scope_fallback, sizeof(d->scope_fallback));
	d->opts.scope = IGD_SCOPE_HEADS;
	d->judge.cfg.scope = IGD_SCOPE_HEADS;
}

/* How the tables hold against other tools (table_hold.h): what the kernel offers,
 * or what --table-hold asks for when the kernel has it; and the socket that owns
 * them. */
static int daemon_table_hold(struct igd_daemon *d, char *err, size_t errlen)
{
	int have = igd_hold_probe();

	if (have < 0) {
		snprintf(err, errlen, "nf_tables: probe table flags: %s", strerror(-have));
		return have;
	}
	d->hold = d->opts.table_hold == IGD_HOLD_AUTO ? have : d->opts.table_hold;
	if (d->hold < have) {
		snprintf(err, errlen, "--table-hold %s: this kernel lacks %s; it offers %s",
			 igd_hold_name((enum igd_hold)d->hold),
			 d->hold == IGD_HOLD_PERSIST ? "NFT_TABLE_F_PERSIST (Linux 6.9)" :
			 "NFT_TABLE_F_OWNER (Linux 5.12)", igd_hold_name((enum igd_hold)have));
		return -EOPNOTSUPP;
	}
	d->nft_nl = igd_nft_socket_open();
	if (!d->nft_nl) {
		snprintf(err, errlen, "nf_tables: netlink socket: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void igd_daemon_out_cfg(struct igd_daemon *d)
{
	d->judge.out.protect = d->opts.protect;
	d->judge.out.nprotect = d->opts.nprotect;
	d->judge.out.drop_uncovered = d->opts.drop_uncovered;
	d->judge.out.memory = &d->memory;
}

/* The backstop stands beside an owned table that dies with the daemon, where a
 * suspect without a daemon is to be dropped. */
bool igd_daemon_wants_backstop(const struct igd_daemon *d)
{
	return d->hold == IGD_HOLD_OWNER && d->guard.scope == IGD_SCOPE_PROTECTED &&
	       d->opts.mode != IGD_MODE_AUDIT;
}

static int daemon_install_hooks(struct igd_daemon *d, char *err, size_t errlen)
{
	int e;

	bool ct = d->nqueues && igd_queue_has_ct(d->queues[0]);
	bool enforcing = d->opts.mode != IGD_MODE_AUDIT || d->opts.fail_closed;

	daemon_probe_scope(d);
	d->guard = (struct igd_guard_cfg){
		.hooks = {
			.table = d->opts.table,
			.queue_num = (uint16_t)d->opts.queue_lo,
			.queue_total = (uint16_t)(d->opts.queue_hi - d->opts.queue_lo + 1),
			.bypass = !d->opts.fail_closed,
			.fanout = d->opts.queue_hi > d->opts.queue_lo,
		},
		.scope = (enum igd_scope)d->opts.scope,
		.mark_mask = d->opts.mark_mask,
		.mark_flag = igd_natguard_flag(&d->judge.guard),
		.mark_secpath = igd_natguard_secpath(&d->judge.guard),
		.mark_secreq = igd_natguard_secreq(&d->judge.guard),
		.mark_decap_ok = igd_natguard_decap_ok(&d->judge.guard),
		.mark_ok = igd_natguard_ok(&d->judge.guard),
		.mss_chain = d->opts.mss_mode != IGD_MSS_OFF,
		.log_group = d->nflog ? (uint16_t)d->opts.log_group : 0,
		.log_healthy = d->opts.log_healthy,
		.outer = !d->opts.no_outer,
		.outer_ports = d->opts.ike_ports,
		/* the pre-NAT tuple where conntrack does not come with the queued
		 * packet: from the prenat map, or from the pre-NAT tap if asked for */
		.pre_nat_tap = d->opts.pre_nat_tap == IGD_PRE_NAT_TAP_ON,
		.prenat_map = d->opts.scope == IGD_SCOPE_PROTECTED &&
			      (d->opts.pre_nat_tap == IGD_PRE_NAT_TAP_MAP ||
			       (d->opts.pre_nat_tap == IGD_PRE_NAT_TAP_AUTO && !ct)),
		.mark_translated = igd_natguard_translated(&d->judge.guard),
		.mark_plain = igd_natguard_plain(&d->judge.guard),
		.enforce = d->opts.mode == IGD_MODE_ENFORCE,
		.suspects_bypass = !enforcing,
		.exempt_chain = d->opts.mode == IGD_MODE_FIX,
	};
	if (d->opts.no_hooks)
		return 0;
	e = daemon_table_hold(d, err, errlen);
	if (e)
		return e;
	d->guard.hooks.table_flags = igd_hold_table_flags((enum igd_hold)d->hold);
	d->guard.hooks.nl = d->nft_nl;
	d->guard.backstop = igd_daemon_wants_backstop(d);
	/* subscribed before the install: a change after it is never missed */
	e = igd_tables_watch_open(d, err, errlen);
	if (e)
		return e;
	if (igd_spdsync_prefixes(d) < 0) {
		snprintf(err, errlen, "protected prefixes: out of memory");
		return -ENOMEM;
	}
	e = igd_guard_install(&d->guard, igd_spdsync_sets(d), err, errlen);
	if (e && d->guard.mark_secreq) {
		/* a kernel without nft_xfrm: decapsulated packets without their reqid */
		fprintf(stderr, "ipsecguardd: %s; retrying without the reqid of "
			"decapsulated packets\n", err);
		d->guard.mark_secreq = 0;
		e = igd_guard_install(&d->guard, igd_spdsync_sets(d), err, errlen);
	}
	if (!e)
		d->hooks_installed = true;
	return e;
}

static int daemon_diag_init(struct igd_daemon *d, char *err, size_t errlen)
{
	struct igd_diag_cfg cfg = {
		.log = d->log, .local = &d->local, .no_sa = &d->judge.count[IGD_R_NO_SA][0],
		.xstat_interval = d->opts.xstat_interval, .oneway_hold = d->opts.oneway_hold,
		.oneway_seen = igd_outer_oneway_seen, .oneway_arg = &d->outer,
	};
	int e;

	igd_localaddr_refresh(&d->local);
	d->judge.local = &d->local;
	igd_noxfrm_read(&d->noxfrm);
	d->judge.noxfrm = &d->noxfrm;
	d->judge.ike_ports = &d->opts.ike_ports;
	e = igd_diag_init(&d->diag, &cfg);

	if (e)
		snprintf(err, errlen, "diagnostics: %s", strerror(-e));
	return e;
}

static int daemon_signals(struct igd_daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	unsigned int i;
	int e;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		e = igd_loop_add_signal(d->loop, sigs[i], daemon_on_signal, d);
		if (e)
			return e;
	}
	return 0;
}

int igd_daemon_setup(struct igd_daemon *d, char *err, size_t errlen)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int e;

	e = igd_judge_init(&d->judge, &(struct igd_judge_cfg){
		.mode = d->opts.mode, .no_hooks = d->opts.no_hooks, .scope = d->opts.scope,
		.queue_lo = d->opts.queue_lo, .queue_hi = d->opts.queue_hi,
		.mark_mask = d->opts.mark_mask,
	});
	if (e) {
		snprintf(err, errlen, "mark mask 0x%08x: not one run of at least 4 bits",
			 d->opts.mark_mask);
		return e;
	}
	e = igd_mss_init(&d->mss, d->opts.mss_mode, d->opts.mss);
	if (e) {
		snprintf(err, errlen, "rtnetlink for --mss auto: %s", strerror(-e));
		return e;
	}
	d->judge.mss = &d->mss;
	igd_daemon_out_cfg(d);
	e = igd_caps_lookup(d->opts.user[0] ? d->opts.user : NULL, &uid, &gid, err, errlen);
	if (e) {
		d->bad_option = true;	/* --user names no user */
		return e;
	}
	d->loop = igd_loop_new();
	if (!d->loop) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -ENOMEM;
	}
	e = daemon_signals(d);
	if (e) {
		snprintf(err, errlen, "signals: %s", strerror(-e));
		return e;
	}
	{
		char host[65] = "";

		gethostname(host, sizeof(host) - 1);
		igd_event_identity(host, d->opts.table);
	}
	e = igd_logdest_open(&d->log, d->opts.log, err, errlen);
	if (e) {
		d->bad_option = true;	/* --log names a file we cannot open */
		return e;
	}
	e = (d->opts.user[0] ? igd_logdest_chown(d->log, uid, gid) : 0) ?:
	    daemon_diag_init(d, err, errlen) ?:
	    igd_spdsync_open(d, err, errlen) ?:
	    igd_routed_open(d) ?:
	    daemon_open_queues(d, err, errlen) ?:
	    daemon_open_nflog(d, err, errlen) ?:
	    igd_remembered_open(d, d->opts.user[0] != '\0', uid, gid, err, errlen) ?:
	    igd_gen_init(d, err, errlen) ?:
	    daemon_install_hooks(d, err, errlen) ?:
	    igd_control_open(d, d->opts.user[0] != '\0', uid, gid, err, errlen) ?:
	    igd_caps_drop(d->opts.user[0] != '\0', uid, gid,
			  err, errlen) ?:
	    /* capabilities are per thread: the fix thread starts with the reduced set */
	    daemon_start_fixes(d, err, errlen) ?:
	    daemon_start_names(d, err, errlen);
	if (e)
		return e;
	igd_loop_set_tick(d->loop, IGD_TICK_MS, daemon_on_tick, d);
	igd_loop_set_after(d->loop, daemon_after, d);
	igd_spdsync_refresh(d);
	/* last: the threads inherit the capabilities left, and the judge as set up */
	return igd_workers_start(d, err, errlen);
}

/* The start line's account of how the tables hold. */
static const char *daemon_hold_text(const struct igd_daemon *d)
{
	switch (d->hold) {
	case IGD_HOLD_PERSIST:
		return "owned and persistent (hold persist): other tools' reloads and "
		       "deletes cannot remove them, and they outlive the daemon";
	case IGD_HOLD_OWNER:
		return d->guard.backstop ?
		       "owned (hold owner): other tools' reloads and deletes cannot remove "
		       "them; the backstop table beside them, put back when removed, drops "
		       "suspects when the daemon is gone" :
		       "owned (hold owner): other tools' reloads and deletes cannot remove "
		       "them; they go with the daemon";
	default:
		return "not owned (hold restore): put back when another tool removes or "
		       "changes them";
	}
}

int igd_daemon_run(struct igd_daemon *d)
{
	const char *how = "no hooks (external rules feed the queue)";

	char fallback[200];

	if (d->scope_fallback[0]) {
		snprintf(fallback, sizeof(fallback), "own nf_tables hooks installed, every flow "
			 "head queued: this kernel lacks %s (--queue-scope heads)",
			 d->scope_fallback);
		how = fallback;
	} else if (!d->opts.no_hooks && d->guard.scope != IGD_SCOPE_PROTECTED)
		how = "own nf_tables hooks installed, every flow head or packet queued";
	else if (!d->opts.no_hooks && d->guard.prenat_map)
		how = "own nf_tables hooks installed, suspects judged with the prenat map "
		      "(the kernel attaches no conntrack entry to queued packets)";
	else if (!d->opts.no_hooks && !d->guard.pre_nat_tap && d->nqueues &&
		 !igd_queue_has_ct(d->queues[0]))
		how = "own nf_tables hooks installed, no pre-NAT tap, no prenat map and no "
		      "conntrack entry with queued packets: translated suspects are unjudged";
	else if (!d->opts.no_hooks && !d->guard.pre_nat_tap)
		how = "own nf_tables hooks installed, suspects judged by their conntrack entry";
	else if (!d->opts.no_hooks)
		how = "own nf_tables hooks installed, pre-NAT tap (the kernel attaches no "
		      "conntrack entry to queued packets)";
	d->start_time = (uint64_t)time(NULL);
	daemon_metrics_write(d);	/* a file from the start */
	fprintf(stderr, "ipsecguardd: mode %s, queue %u-%u, %s%s%s\n",
		igd_mode_name(d->opts.mode), d->opts.queue_lo, d->opts.queue_hi, how,
		d->opts.no_hooks ? "" : "; tables ", d->opts.no_hooks ? "" : daemon_hold_text(d));
	igd_sdnotify("READY=1");
	return igd_loop_run(d->loop);
}

/* Enforce and fix: suspects stay dropped while no daemon runs, and fix mode's
 * exemptions stay in.  The owned table outlives the daemon where the kernel has
 * persist, the backstop where it has only owner. */
static void daemon_keep_tables(struct igd_daemon *d)
{
	const char *t = d->opts.table;
	char bs[128];

	if (d->guard.backstop) {
		igd_guard_backstop_name(t, bs, sizeof(bs));
		fprintf(stderr, "ipsecguardd: %s: the backstop tables %s stay and drop "
			"suspects until a daemon runs again (nft delete table ip %s; nft "
			"delete table ip6 %s removes them)\n", igd_mode_name(d->opts.mode), bs,
			bs, bs);
		return;
	}
	fprintf(stderr, "ipsecguardd: %s: tables %s kept, suspects are dropped until "
		"a daemon runs again (nft delete table ip %s; nft delete table ip6 %s "
		"removes them)\n", igd_mode_name(d->opts.mode), t, t, t);
}

static void daemon_remove_tables(struct igd_daemon *d)
{
	char err[256], bs[128];

	if (igd_hooks_remove(d->opts.table, d->guard.hooks.table_flags, d->nft_nl, err,
			     sizeof(err)))
		fprintf(stderr, "ipsecguardd: %s\n", err);
	if (d->guard.backstop &&
	    igd_hooks_remove(igd_guard_backstop_name(d->opts.table, bs, sizeof(bs)), 0,
			     d->nft_nl, err, sizeof(err)))
		fprintf(stderr, "ipsecguardd: %s\n", err);
}

void igd_daemon_teardown(struct igd_daemon *d)
{
	unsigned int i;

	igd_sdnotify("STOPPING=1");
	/* remove the hooks first: no new packets, then answer what is still queued.
	 * Enforce keeps them: its suspects' queue has no bypass, so while no daemon
	 * runs they are dropped, and a protected flow never leaks for want of one. */
	daemon_read_kernel(d);		/* the last stats line needs them */
	if (d->hooks_installed && d->opts.mode != IGD_MODE_AUDIT)
		daemon_keep_tables(d);
	else if (d->hooks_installed)
		daemon_remove_tables(d);
	d->hooks_installed = false;
	igd_workers_stop(d);		/* each answers what its queues still hold */
	if (d->log && d->nqueues)
		igd_daemon_log_stats(d);
	for (i = 0; i < d->nqueues; i++)
		igd_queue_close(d->queues[i]);
	igd_workers_free(d);
	igd_nflog_close(d->nflog);
	igd_outer_free(&d->outer);
	igd_namesd_stop(&d->names);
	igd_fixes_free(&d->fixes);
	igd_tables_watch_close(d);
	igd_control_close(d);
	igd_remembered_close(d);
	igd_gen_free(d);
	if (d->nft_nl)		/* an owned table without persist goes with it */
		mnl_socket_close(d->nft_nl);
	igd_spdsync_close(d);
	igd_routed_close(d);
	igd_mss_close(&d->mss);
	igd_diag_free(&d->diag);
	igd_logdest_close(d->log);
	igd_loop_free(d->loop);
}
