/* Diagnostics off the packet path: /proc/net/xfrm_stat deltas as events with their
 * meaning, ACQUIREs as no-sa events naming the SP that raised them, one-way tunnels
 * from sampled SA counters, and the rate limiter that keeps repeated verdicts of one
 * flow from flooding the log.  Its own state and line buffer; what it needs of the
 * rest of the daemon is given at init. */
#ifndef IGD_DIAG_H
#define IGD_DIAG_H
#include <stdbool.h>
#include <stdint.h>
#include "localaddr.h"
#include "log_dest.h"
#include "verdict_log.h"
#include "xfrm/oneway.h"
#include "xfrm/xfrm_mirror.h"
#include "xfrm/xfrm_stat.h"

#define IGD_OW_SAMPLE_S 5	/* seconds between SA counter samples */

struct igd_rl;
struct igd_ow;
struct igd_judgement;

struct igd_diag_cfg {
	struct igd_logdest *log;		/* where the events go */
	const struct igd_localaddr *local;	/* which SAs send, which receive */
	uint64_t *no_sa;			/* bumped for each ACQUIRE */
	unsigned int xstat_interval;		/* seconds, 0: xfrm_stat not read */
	unsigned int oneway_hold;		/* seconds, 0: no one-way detection */
	/* what this gateway sees of a one-way tunnel's cause; NULL: nothing */
	void (*oneway_seen)(void *arg, const struct igd_ow_event *ev, struct igd_ow_seen *s);
	void *oneway_arg;
};

struct igd_diag {
	struct igd_diag_cfg cfg;
	struct igd_xfrm_mirror *mirror;		/* set once the mirror runs */
	struct igd_rl *rl;
	struct igd_ow *ow;
	struct igd_xstat_snap xstat_base;
	bool xstat_ok;
	char line[IGD_LINE_MAX];
};

int igd_diag_init(struct igd_diag *g, const struct igd_diag_cfg *cfg);
void igd_diag_free(struct igd_diag *g);
/* Once a second; @secs since start. */
void igd_diag_tick(struct igd_diag *g, unsigned int secs);
/* The mirror's event callback (@arg: the struct igd_diag). */
void igd_diag_on_xfrm(const struct igd_xfrm_event *ev, void *arg);
/* Whether the verdict line of @jd should be written by a thread whose limiter is @rl
 * (one per thread); sets *suppressed. */
struct igd_rl;
bool igd_log_rl_ok(struct igd_rl *rl, unsigned int hook, const struct igd_judgement *jd,
		   uint64_t *suppressed);
/* The same with the loop thread's limiter. */
bool igd_diag_log_ok(struct igd_diag *g, unsigned int hook, const struct igd_judgement *jd,
		     uint64_t *suppressed);
/* Lines the rate limiter held back so far. */
uint64_t igd_diag_suppressed(const struct igd_diag *g);
#endif
