/* ipsecguardd's state: one context passed everywhere, no hidden globals. */
#ifndef IGD_DAEMON_H
#define IGD_DAEMON_H
#include <stdbool.h>
#include <stddef.h>
#include "guard/guard_rules.h"
#include "diag.h"
#include "judge.h"
#include "names.h"
#include "outer.h"
#include "fixes.h"
#include "nl/nflog.h"
#include "guard/guard_counters.h"
#include "loop.h"
#include "opts.h"
#include "queue.h"
#include "verdict_log.h"
#include "log_dest.h"
#include "tables.h"
#include "verdict_gen.h"
#include "judge/remember.h"
#include "control.h"
#include "remembered.h"
#include "routed.h"
#include "spdsync.h"
#include "route/tunnels_nl.h"
#include "xfrm/xfrm_mirror.h"
#include "xfrm/xfrm_stat.h"
#include "worker.h"

#define IGD_TICK_MS 100
#define IGD_TICKS_PER_S (1000 / IGD_TICK_MS)




struct igd_daemon {
	struct igd_opts opts;
	int argc;			/* the command line, read again on reload */
	int cfg_scope;			/* --queue-scope and --no-outer as configured */
	bool cfg_no_outer;		/* (the start may fall back from both) */
	char **argv;
	struct igd_loop *loop;
	struct igd_queue *queues[IGD_MAX_QUEUES];	/* each answered by its thread */
	unsigned int nqueues;
	struct igd_worker *workers;	/* the queue threads (worker.h) */
	unsigned int nworkers;
	int workers_fd;			/* eventfd: lines or fix requests wait */
	bool workers_stopping;
	bool workers_failed;		/* a queue thread's loop ended on an error */
	struct igd_view_pub *view_pub;	/* what they take of this thread's state */
	struct igd_judge_view *view_next;	/* ... built here first */
	struct igd_judge judge_total;	/* every judge's counters (igd_workers_judge) */
	struct igd_logdest *log;
	struct igd_nflog *nflog;	/* copies of the packets the kernel clamped, the
					 * tunnel's own packets, healthy flow heads */
	struct igd_outer outer;		/* outer-nat, outer-frag */
	struct igd_namesd names;	/* the IKE daemon's tunnel names */
	char sa_conn[IGD_NAME_LEN], sa_child[IGD_NAME_LEN];	/* of the line being written */
	struct igd_judge judge;
	struct igd_mss mss;
	bool hooks_installed;
	struct mnl_socket *nft_nl;	/* owns the tables (hold persist, owner): every
					 * change to them goes through it */
	int hold;			/* enum igd_hold in force */
	struct igd_tables_state tables;	/* other tools' changes to them */
	struct igd_gen gen;		/* verdict generations */
	char scope_fallback[96];	/* what the kernel lacks for scope protected, "" */
	struct igd_guard_cfg guard;
	struct igd_xfrm_mirror *mirror;
	struct igd_tunnels *tunnels;	/* route-based tunnels (routed.h) */
	struct igd_tunnels_nl *tunnels_nl;	/* NULL: not watched */
	struct igd_spdsync sync;	/* what the guard's sets and rules hold now */
	struct igd_memory memory;	/* remembered protections (judge/remember.h) */
	uint64_t mem_saved_ms;		/* when its file was last written */
	bool mem_failing;		/* the last write failed (said once) */
	uint64_t mem_save_failures;
	struct igd_remember_from mem_from;	/* --remember-from */
	struct igd_control control;	/* the control socket */
	struct igd_localaddr local;
	struct igd_noxfrm noxfrm;	/* interfaces that skip the SPD, refreshed with local */
	struct igd_diag diag;
	struct igd_fixes fixes;		/* fix mode (worker NULL otherwise) */
	struct igd_guard_exempt exempt[IGD_MAX_FIXES];	/* the exempt chain's */
	unsigned int ticks;
	bool bad_option;		/* setup failed on an option's value: exit 2 */
	uint64_t start_time;		/* seconds since the epoch */
	bool metrics_failing;		/* the last write failed (said once) */
	struct igd_guard_counters kc;	/* our rules' counters, last read */
	bool kc_ok;
	char line[IGD_LINE_MAX];
};

int igd_daemon_setup(struct igd_daemon *d, char *err, size_t errlen);
int igd_daemon_run(struct igd_daemon *d);
void igd_daemon_teardown(struct igd_daemon *d);
void igd_daemon_log_stats(struct igd_daemon *d);
/* The log file reopened at its path (logrotate); a failure is said in the old one. */
void igd_daemon_reopen_log(struct igd_daemon *d);
/* The judge's view of --protect, --drop-uncovered and the remembered protections. */
void igd_daemon_out_cfg(struct igd_daemon *d);
/* Whether the backstop table stands beside the owned one (table_hold.h). */
bool igd_daemon_wants_backstop(const struct igd_daemon *d);
/* SIGHUP: the configuration read again and applied (reload.c). */
void igd_daemon_reload(struct igd_daemon *d);
#endif
