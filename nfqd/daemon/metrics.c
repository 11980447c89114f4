/* The metrics file; see metrics.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "fixes.h"
#include "judge.h"
#include "metrics.h"
#include "opts.h"
#include "outer.h"
#include "queue.h"
#include "tables.h"
#include "verdict_gen.h"
#include "guard/guard_counters.h"
#include "judge/remember.h"
#include "nl/nflog.h"
#include "route/tunnels.h"
#include "xfrm/xfrm_mirror.h"
#include "metrics/kernel_metrics.h"
#include "packet/pkt.h"

#define METRICS_BUF	(256 * 1024)

static void m_verdicts(struct igd_prom *p, const struct igd_judge *j)
{
	static const char *const v[2] = { "accept", "drop" };
	char idx[16];
	unsigned int r, k, i;

	igd_prom_family(p, "ipsecguard_verdicts_total", "counter",
			"Packets the daemon judged, by verdict reason and verdict (the stats "
			"event's reasons)");
	for (r = 0; r < IGD_R_MAX; r++)
		for (k = 0; k < 2; k++)
			igd_prom_sample_u64(p, j->count[r][k], "reason", igd_reason_name(r),
					    "verdict", v[k], NULL);
	igd_prom_family(p, "ipsecguard_sp_verdicts_total", "counter",
			"Packets the daemon judged per security policy (index and direction; "
			"sp=\"other\" beyond the first 128 policies), by reason and verdict");
	for (i = 0; i < j->nsp; i++) {
		snprintf(idx, sizeof(idx), "%u", j->sp[i].index);
		for (r = 0; r < IGD_R_MAX; r++)
			for (k = 0; k < 2; k++)
				if (j->sp[i].verdicts[r][k])
					igd_prom_sample_u64(p, j->sp[i].verdicts[r][k], "sp", idx,
							    "dir", igd_dir_str(j->sp[i].dir),
							    "reason", igd_reason_name(r),
							    "verdict", v[k], NULL);
	}
	for (r = 0; r < IGD_R_MAX; r++)
		for (k = 0; k < 2; k++)
			if (j->sp_other[r][k])
				igd_prom_sample_u64(p, j->sp_other[r][k], "sp", "other", "dir", "",
						    "reason", igd_reason_name(r), "verdict", v[k],
						    NULL);
	igd_prom_family(p, "ipsecguard_malformed_packets_total", "counter",
			"Queued packets the parser did not trust, by parse error");
	for (r = 1; r < IGD_PKT_ERR_MAX; r++)
		igd_prom_sample_u64(p, j->malformed[r], "error", igd_pkt_strerror((int)r), NULL);
}

static void m_queues(struct igd_prom *p, const struct igd_metrics_src *d)
{
	struct igd_queue_kstats ks[IGD_MAX_QUEUES];
	struct igd_queue_stats qs;
	char q[IGD_MAX_QUEUES][8];
	unsigned int i;

	for (i = 0; i < d->nqueues; i++) {
		snprintf(q[i], sizeof(q[i]), "%u", igd_queue_num(d->queues[i]));
		if (igd_queue_kstats_read(igd_queue_num(d->queues[i]), &ks[i]))
			memset(&ks[i], 0, sizeof(ks[i]));
	}
	igd_prom_family(p, "ipsecguard_queue_packets_total", "counter",
			"Packets the daemon received from each queue");
	for (i = 0; i < d->nqueues; i++) {
		igd_queue_stats(d->queues[i], &qs);
		igd_prom_sample_u64(p, qs.packets, "queue", q[i], NULL);
	}
	igd_prom_family(p, "ipsecguard_queue_kernel_drops_total", "counter",
			"Packets the kernel dropped at each queue: queue_full (the queue held "
			"queue-maxlen packets) or user (the daemon's socket buffer was full)");
	for (i = 0; i < d->nqueues; i++) {
		igd_prom_sample_u64(p, ks[i].queue_dropped, "queue", q[i], "cause", "queue_full",
				    NULL);
		igd_prom_sample_u64(p, ks[i].user_dropped, "queue", q[i], "cause", "user", NULL);
	}
	igd_prom_family(p, "ipsecguard_queue_waiting_packets", "gauge",
			"Packets waiting in each queue for a verdict");
	for (i = 0; i < d->nqueues; i++)
		igd_prom_sample_u64(p, ks[i].waiting, "queue", q[i], NULL);
}

static void m_oneway_one(const struct igd_ow_tunnel *t, void *data)
{
	struct igd_prom *p = data;
	char l[IGD_ADDRSTRLEN], r[IGD_ADDRSTRLEN], reqid[16], os[16], is[16];

	snprintf(reqid, sizeof(reqid), "%u", t->reqid);
	snprintf(os, sizeof(os), "0x%08x", t->out_spi);
	snprintf(is, sizeof(is), "0x%08x", t->in_spi);
	igd_prom_sample_u64(p, t->oneway, "local", igd_addr_str(t->family, &t->local, l, sizeof(l)),
			    "remote", igd_addr_str(t->family, &t->remote, r, sizeof(r)),
			    "reqid", reqid, "out_spi", os, "in_spi", is, NULL);
}

static void m_diag(struct igd_prom *p, const struct igd_metrics_src *d)
{
	struct igd_xfrm_mirror_stats ms;
	struct igd_xstat_snap xs;

	igd_prom_family(p, "ipsecguard_oneway", "gauge",
			"1 while a tunnel's outbound SA counts and its inbound SA has stayed "
			"flat for the --oneway hold, else 0 (per SA pair, last sample)");
	igd_ow_foreach(d->diag->ow, m_oneway_one, p);
	if (d->mirror) {
		igd_xfrm_mirror_get_stats(d->mirror, &ms);
		igd_prom_family(p, "ipsecguard_mirror_dumps_total", "counter",
				"Full dumps of the kernel's SPD and SAD the daemon's mirror made "
				"(at start and after lost events)");
		igd_prom_sample_u64(p, ms.dumps, NULL);
		igd_prom_family(p, "ipsecguard_mirror_dump_retries_total", "counter",
				"Dumps started again (interrupted by changes, or events lost)");
		igd_prom_sample_u64(p, ms.dump_retries, NULL);
		igd_prom_family(p, "ipsecguard_mirror_event_overruns_total", "counter",
				"Times XFRM events were lost (socket buffer full)");
		igd_prom_sample_u64(p, ms.overruns, NULL);
		igd_prom_xfrm_sizes(p, igd_spd_count(igd_xfrm_mirror_spd(d->mirror)),
				    igd_sad_count(igd_xfrm_mirror_sad(d->mirror)));
	}
	if (!igd_xstat_read(&xs, NULL))
		igd_prom_xfrm_stat(p, &xs);
}

/* The tables against other tools, the verdict generations, the remembered
 * protections. */
static void m_steady(struct igd_prom *p, const struct igd_metrics_src *d)
{
	size_t i, down = 0;

	if (d->opts->no_hooks)
		return;
	igd_prom_family(p, "ipsecguard_tables_restored_total", "counter",
			"Times another process removed or changed a table of the daemon's that "
			"is not owned and the daemon put it back");
	igd_prom_sample_u64(p, d->tables->restored, NULL);
	igd_prom_family(p, "ipsecguard_tables_restore_failures_total", "counter",
			"Restores that failed (tried again every second)");
	igd_prom_sample_u64(p, d->tables->restore_failures, NULL);
	igd_prom_family(p, "ipsecguard_ruleset_reloads_total", "counter",
			"Other processes' transactions that deleted tables while the daemon's "
			"owned tables stayed (a firewall reload)");
	igd_prom_sample_u64(p, d->tables->reloads_kept, NULL);
	if (d->gen->active) {
		igd_prom_family(p, "ipsecguard_verdict_generation_switches_total", "counter",
				"SPD changes after which running connections were judged again");
		igd_prom_sample_u64(p, d->gen->switches, NULL);
		igd_prom_family(p, "ipsecguard_verdict_generation_cleared_total", "counter",
				"Conntrack entries whose verdict of an old generation was cleared");
		igd_prom_sample_u64(p, d->gen->entries_cleared, NULL);
	}
	if (d->tunnels) {
		igd_prom_family(p, "ipsecguard_tunnel_interfaces", "gauge",
				"xfrm interfaces and VTIs on the gateway");
		igd_prom_sample_u64(p, d->tunnels->nifs, NULL);
		igd_prom_family(p, "ipsecguard_tunnel_routes", "gauge",
				"Routes into tunnel interfaces (any routing table)");
		igd_prom_sample_u64(p, d->tunnels->nroutes, NULL);
	}
	for (i = 0; i < d->memory->n; i++)
		down += !d->memory->v[i].live;
	igd_prom_family(p, "ipsecguard_remembered", "gauge",
			"Protections the daemon remembers, by whether their SP is in the SPD "
			"(live) or went (tunnel down)");
	igd_prom_sample_u64(p, d->memory->n - down, "state", "live", NULL);
	igd_prom_sample_u64(p, down, "state", "tunnel-down", NULL);
}

int igd_metrics_format(const struct igd_metrics_src *d, char *buf, size_t size)
{
	struct igd_prom p;

	igd_prom_init(&p, buf, size);
	igd_prom_family(&p, "ipsecguard_info", "gauge",
			"Always 1: the running daemon's version and mode");
	igd_prom_sample(&p, 1, "version", IGD_VERSION, "mode", igd_mode_name(d->opts->mode), NULL);
	igd_prom_family(&p, "ipsecguard_start_time_seconds", "gauge",
			"When the daemon started, in seconds since the epoch");
	igd_prom_sample_u64(&p, d->start_time, NULL);
	m_verdicts(&p, d->judge);
	igd_prom_family(&p, "ipsecguard_log_suppressed_total", "counter",
			"Verdict lines the rate limiter held back (their verdicts are counted)");
	igd_prom_sample_u64(&p, d->log_suppressed, NULL);
	igd_prom_family(&p, "ipsecguard_log_lines_lost_total", "counter",
			"Verdict lines a queue thread had no room for before the writer took "
			"them (their verdicts are counted)");
	igd_prom_sample_u64(&p, d->log_lost, NULL);
	igd_prom_family(&p, "ipsecguard_fixes_applied_total", "counter",
			"NAT exemptions fix mode inserted");
	igd_prom_sample_u64(&p, d->fixes->applied, NULL);
	m_queues(&p, d);
	if (d->nflog) {
		igd_prom_family(&p, "ipsecguard_nflog_copies_total", "counter",
				"Copies of packets the daemon's log rules sent it (clamps, the "
				"tunnel's own packets, healthy flow heads)");
		igd_prom_sample_u64(&p, igd_nflog_stats(d->nflog)->packets, NULL);
	}
	if (d->outer->ct_nl) {
		igd_prom_family(&p, "ipsecguard_outer_events_total", "counter",
				"outer-nat and outer-frag events written");
		igd_prom_sample_u64(&p, d->outer->st.nat_events, "event", "outer-nat", NULL);
		igd_prom_sample_u64(&p, d->outer->st.frag_events + d->outer->st.frag_out_events +
				    d->outer->st.orphan_events, "event", "outer-frag", NULL);
	}
	if (d->kc)
		igd_prom_guard(&p, d->kc);
	m_steady(&p, d);
	m_diag(&p, d);
	return igd_prom_ok(&p) ? (int)p.len : -ENOSPC;
}

int igd_metrics_write(const struct igd_metrics_src *d, bool *failing)
{
	static char buf[METRICS_BUF];
	char tmp[IGD_OPT_PATH_MAX + 8];
	int fd, n, e = 0;

	if (!d->opts->metrics_file[0])
		return 0;
	n = igd_metrics_format(d, buf, sizeof(buf));
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->opts->metrics_file);
	fd = n < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (n < 0) {
		e = n;
	} else if (fd < 0) {
		e = -errno;
	} else {
		size_t off = 0;

		while (!e && off < (size_t)n) {
			ssize_t w = write(fd, buf + off, (size_t)n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				e = w < 0 ? -errno : -EIO;
			else
				off += (size_t)w;
		}
	}
	if (fd >= 0 && close(fd) && !e)
		e = -errno;
	if (!e && rename(tmp, d->opts->metrics_file))
		e = -errno;
	if (e && fd >= 0)
		unlink(tmp);
	if (e && !*failing)
		fprintf(stderr, "ipsecguardd: metrics file %s: %s\n", d->opts->metrics_file,
			strerror(-e));
	*failing = e != 0;
	return e;
}
