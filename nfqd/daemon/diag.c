#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "judge/sp_json.h"
#include "diag.h"
#include "judge.h"
#include "util/json.h"
#include "xfrm/oneway.h"
#include "util/ratelimit.h"
#include "xfrm/xfrm_stat.h"
#include "util/clock.h"

int igd_diag_init(struct igd_diag *g, const struct igd_diag_cfg *cfg)
{
	struct igd_rl_cfg rc = { 0 };
	struct igd_ow_cfg oc = { .hold_ms = cfg->oneway_hold * 1000 };
	int e;

	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	e = igd_rl_new(&g->rl, &rc);
	if (!e && cfg->oneway_hold)
		e = igd_ow_new(&g->ow, &oc);
	if (e)
		return e;
	if (cfg->xstat_interval) {
		e = igd_xstat_read(&g->xstat_base, NULL);
		g->xstat_ok = e == 0;
		if (e)
			fprintf(stderr, "ipsecguardd: /proc/net/xfrm_stat: %s; counters not "
				"monitored\n", strerror(-e));
	}
	return 0;
}

void igd_diag_free(struct igd_diag *g)
{
	igd_rl_free(g->rl);
	g->rl = NULL;
	igd_ow_free(g->ow);
	g->ow = NULL;
}

uint64_t igd_diag_suppressed(const struct igd_diag *g)
{
	return g->rl ? igd_rl_stats(g->rl)->suppressed : 0;
}

static void diag_xstat(struct igd_diag *g)
{
	struct igd_xstat_delta dl[IGD_XSTAT_MAX];
	struct igd_xstat_snap cur;
	unsigned int n, i;
	char ts[40];
	int len;

	if (igd_xstat_read(&cur, NULL))
		return;
	n = igd_xstat_diff(&g->xstat_base, &cur, dl, IGD_XSTAT_MAX);
	if (n > IGD_XSTAT_MAX)
		n = IGD_XSTAT_MAX;
	igd_utc_stamp(ts, sizeof(ts));
	for (i = 0; i < n; i++) {
		len = igd_xstat_json_delta(g->line, sizeof(g->line), ts, &dl[i]);
		if (len > 0)
			igd_logdest_line(g->cfg.log, g->line, (size_t)len);
	}
	g->xstat_base = cur;	/* after logging: the deltas point into cur */
}

static void diag_ow_event(const struct igd_ow_event *ev, void *arg)
{
	struct igd_diag *g = arg;
	struct igd_ow_event e = *ev;
	struct igd_ow_seen seen;
	char ts[40];
	int n;

	if (ev->type == IGD_OW_ONEWAY && g->cfg.oneway_seen) {
		memset(&seen, 0, sizeof(seen));
		g->cfg.oneway_seen(g->cfg.oneway_arg, ev, &seen);
		e.seen = &seen;
	}
	igd_utc_stamp(ts, sizeof(ts));
	n = igd_ow_json(g->line, sizeof(g->line), ts, &e);
	if (n > 0)
		igd_logdest_line(g->cfg.log, g->line, (size_t)n);
}

/* An SA whose source is ours sends; one whose destination is ours receives. */
static void diag_ow_sa(const struct igd_sa *sa, void *arg)
{
	struct igd_diag *g = arg;
	enum igd_ow_dir dir = IGD_OW_DIR_UNKNOWN;

	if (igd_localaddr_is_local(g->cfg.local, sa->family, &sa->saddr))
		dir = IGD_OW_DIR_OUT;
	else if (igd_localaddr_is_local(g->cfg.local, sa->family, &sa->daddr))
		dir = IGD_OW_DIR_IN;
	if (dir != IGD_OW_DIR_UNKNOWN)
		igd_ow_add_sa(g->ow, sa, dir);
}

/* One-way tunnels: SA counters sampled every few seconds. */
static void diag_oneway(struct igd_diag *g)
{
	igd_ow_begin(g->ow, igd_now_ms());
	if (igd_xfrm_mirror_sa_walk(g->mirror, diag_ow_sa, g))
		return;		/* an interrupted dump: the next tick samples again */
	igd_ow_end(g->ow, diag_ow_event, g);
}

void igd_diag_tick(struct igd_diag *g, unsigned int secs)
{
	if (g->xstat_ok && g->cfg.xstat_interval && secs % g->cfg.xstat_interval == 0)
		diag_xstat(g);
	if (g->ow && g->mirror && secs % IGD_OW_SAMPLE_S == 0)
		diag_oneway(g);
}

static void diag_acquire(struct igd_diag *g, const struct igd_xfrm_acquire *a)
{
	struct igd_json j;
	char pb[IGD_ADDRSTRLEN];

	if (g->cfg.no_sa)
		(*g->cfg.no_sa)++;
	igd_event_begin(&j, g->line, sizeof(g->line), "acquire");
	igd_json_str(&j, "reason", "no-sa");
	igd_json_uint(&j, "family", a->sel.family);
	igd_json_uint(&j, "proto", a->sel.proto);
	igd_json_str(&j, "src", igd_addr_str(a->sel.family, &a->sel.saddr, pb, sizeof(pb)));
	igd_json_str(&j, "dst", igd_addr_str(a->sel.family, &a->sel.daddr, pb, sizeof(pb)));
	if (a->sel.sport_mask || a->sel.dport_mask) {
		igd_json_uint(&j, "sport", a->sel.sport);
		igd_json_uint(&j, "dport", a->sel.dport);
	}
	igd_json_str(&j, "sa_dst", igd_addr_str(a->family, &a->daddr, pb, sizeof(pb)));
	igd_json_sp(&j, "sp", &a->policy, IGD_JSON_BRIEF);
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		igd_logdest_line(g->cfg.log, g->line, igd_json_len(&j));
}

void igd_diag_on_xfrm(const struct igd_xfrm_event *ev, void *arg)
{
	struct igd_diag *g = arg;

	if (ev->type == IGD_XFRM_EV_ACQUIRE && ev->acq)
		diag_acquire(g, ev->acq);
}

bool igd_log_rl_ok(struct igd_rl *rl, unsigned int hook, const struct igd_judgement *jd,
		   uint64_t *suppressed)
{
	uint64_t key = igd_rl_hash(&jd->flow, sizeof(jd->flow), (uint64_t)jd->reason << 8 | hook);

	*suppressed = 0;
	return igd_rl_check(rl, key, igd_now_ms(), suppressed);
}

bool igd_diag_log_ok(struct igd_diag *g, unsigned int hook, const struct igd_judgement *jd,
		     uint64_t *suppressed)
{
	return igd_log_rl_ok(g->rl, hook, jd, suppressed);
}
