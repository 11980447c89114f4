/* ipsecguard stats: the kernel's /proc/net/xfrm_stat counters, explained. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "metrics/kernel_metrics.h"
#include "guard/guard_counters.h"
#include "util/json.h"
#include "xfrm/xfrm_stat.h"
#include "util/clock.h"

struct stats_opts {
	bool json, all, guard, prometheus;
	const char *table;
	uint32_t watch, count;
	const char *file;
};

void cmd_stats_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard stats - the kernel's XFRM drop counters, explained\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard stats [--all] [--json] [--file PATH]\n"
		"    ipsecguard stats --watch SECONDS [--count N] [--json] [--file PATH]\n"
		"    ipsecguard stats --guard [--table NAME] [--json]\n"
		"    ipsecguard stats --prometheus [--table NAME]\n"
		"\n"
		"DESCRIPTION\n"
		"    Reads /proc/net/xfrm_stat of the current network namespace and prints each\n"
		"    counter with what the kernel counted, the usual cause on a gateway, and\n"
		"    the ipsecguard verdict reason tied to it (e.g. XfrmInTmplMismatch and\n"
		"    tmpl-mismatch).  Non-zero counters only, unless --all.  Counters this\n"
		"    version does not know are printed too, without an explanation.\n"
		"\n"
		"    With --watch, prints the counters that grew every SECONDS: one line per\n"
		"    counter and interval, with the increase and the new total.\n"
		"\n"
		"    With --guard, prints instead what the running daemon's own rules counted\n"
		"    in the kernel (its nf_tables tables, read back): suspects queued,\n"
		"    packets of flagged connections dropped or passed, healthy decapsulated\n"
		"    packets, MSS clamps, the tunnel's own translated flows (outer_nat_flows)\n"
		"    and fragments of ESP and IKE-port UDP arriving (frag_*), and the new\n"
		"    tunnelled flows per protecting out SP.\n"
		"\n"
		"    With --prometheus, prints what the kernel counts in the Prometheus text\n"
		"    format: every xfrm_stat counter, the daemon's rule counters when its\n"
		"    tables are there, and the sizes of the SPD and SAD (the daemon's\n"
		"    --metrics-file carries these and its own counters).\n"
		"\n"
		"OPTIONS\n"
		"    --all           every counter, zero or not\n"
		"    --json          one JSON object {\"file\",\"counters\":[{\"counter\",\"value\",\n"
		"                    \"dir\",\"meaning\",\"cause\",\"reason\"}...]}; with --watch,\n"
		"                    one line per increase, as the daemon logs them:\n"
		"                    {\"ts\",\"event\":\"xfrm_stat\",\"counter\",\"delta\",\"total\",\n"
		"                    \"dir\",\"meaning\",\"cause\",\"reason\"}\n"
		"    --watch S       report increases every S seconds (1-86400)\n"
		"    --count N       with --watch: stop after N intervals (0: never)\n"
		"    --file PATH     read PATH instead, e.g. /proc/PID/net/xfrm_stat for the\n"
		"                    namespace of process PID\n"
		"    --guard         the daemon's rule counters instead (see above)\n"
		"    --table NAME    with --guard or --prometheus: the daemon's --table\n"
		"                    (default ipsecguard)\n"
		"    --prometheus    kernel counters in the Prometheus text format\n"
		"    -h, --help      this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 success; 1 the file cannot be read (absent when the kernel lacks\n"
		"    CONFIG_XFRM_STATISTICS), or with --guard no daemon's tables; 2 bad usage.\n");
}

static const char *stats_path(const struct stats_opts *o)
{
	return o->file ? o->file : IGD_XSTAT_PATH;
}

static int stats_read(const struct stats_opts *o, struct igd_xstat_snap *s)
{
	int err = igd_xstat_read(s, o->file);

	if (!err)
		return 0;
	fprintf(stderr, "%s: %s: %s%s\n", cli_prog, stats_path(o), strerror(-err),
		err == -ENOENT ? " (kernel without CONFIG_XFRM_STATISTICS?)" : "");
	return CLI_EXIT_FAIL;
}

static void stats_json_counter(struct igd_json *j, const struct igd_xstat_counter *c)
{
	const struct igd_xstat_info *in = igd_xstat_info(c->name);

	igd_json_obj_open(j, NULL);
	igd_json_str(j, "counter", c->name);
	igd_json_uint(j, "value", c->value);
	if (in) {
		igd_json_str(j, "dir", in->dir);
		igd_json_str(j, "meaning", in->meaning);
		igd_json_str(j, "cause", in->cause);
	} else {
		igd_json_null(j, "dir");
		igd_json_null(j, "meaning");
		igd_json_null(j, "cause");
	}
	if (in && in->reason)
		igd_json_str(j, "reason", in->reason);
	else
		igd_json_null(j, "reason");
	igd_json_obj_close(j);
}

/* Non-zero counters first, both groups in the kernel's order. */
static void stats_print_json(const struct stats_opts *o, const struct igd_xstat_snap *s)
{
	static char buf[64 * 1024];
	struct igd_json j;
	unsigned int i, nz = 0;

	igd_json_init(&j, buf, sizeof(buf));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "file", stats_path(o));
	igd_json_arr_open(&j, "counters");
	for (i = 0; i < s->n; i++)
		if (s->c[i].value) {
			stats_json_counter(&j, &s->c[i]);
			nz++;
		}
	for (i = 0; o->all && i < s->n; i++)
		if (!s->c[i].value)
			stats_json_counter(&j, &s->c[i]);
	igd_json_arr_close(&j);
	igd_json_uint(&j, "nonzero", nz);
	igd_json_uint(&j, "total", s->n);
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		puts(buf);
}

static void stats_text_counter(const struct igd_xstat_counter *c)
{
	const struct igd_xstat_info *in = igd_xstat_info(c->name);

	printf("%-24s %20llu", c->name, (unsigned long long)c->value);
	if (!in) {
		printf("  (not known to this version)\n");
		return;
	}
	printf("  %s%s%s\n", in->dir, in->reason ? ", verdict " : "",
	       in->reason ? in->reason : "");
	printf("    %s\n    cause: %s\n", in->meaning, in->cause);
}

static void stats_print_text(const struct stats_opts *o, const struct igd_xstat_snap *s)
{
	unsigned int i, nz = 0;

	for (i = 0; i < s->n; i++)
		if (s->c[i].value) {
			stats_text_counter(&s->c[i]);
			nz++;
		}
	for (i = 0; o->all && i < s->n; i++)
		if (!s->c[i].value)
			stats_text_counter(&s->c[i]);
	if (!nz && !o->all)
		printf("all %u counters of %s are zero (--all lists them)\n", s->n,
		       stats_path(o));
}

static void stats_print_delta(const struct stats_opts *o, const char *ts,
			      const struct igd_xstat_delta *d)
{
	char buf[4096];

	if (o->json) {
		if (igd_xstat_json_delta(buf, sizeof(buf), ts, d) > 0)
			puts(buf);
		return;
	}
	printf("%s %s +%llu (total %llu)%s", ts, d->name, (unsigned long long)d->delta,
	       (unsigned long long)d->total, d->reset ? " (counter was reset)" : "");
	if (d->info)
		printf(": %s%s%s\n", d->info->meaning, d->info->reason ? "; verdict " : "",
		       d->info->reason ? d->info->reason : "");
	else
		putchar('\n');
}

static void stats_sleep(uint32_t seconds)
{
	struct timespec t = { .tv_sec = seconds };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static int stats_watch(const struct stats_opts *o)
{
	struct igd_xstat_snap base, cur;
	struct igd_xstat_delta d[IGD_XSTAT_MAX];
	unsigned int n, i;
	uint32_t round;
	char ts[40];
	int rc;

	rc = stats_read(o, &base);
	if (rc)
		return rc;
	for (round = 0; !o->count || round < o->count; round++) {
		stats_sleep(o->watch);
		rc = stats_read(o, &cur);
		if (rc)
			return rc;
		n = igd_xstat_diff(&base, &cur, d, IGD_XSTAT_MAX);
		igd_utc_stamp(ts, sizeof(ts));
		for (i = 0; i < n && i < IGD_XSTAT_MAX; i++)
			stats_print_delta(o, ts, &d[i]);
		fflush(stdout);
		base = cur;
	}
	return 0;
}

static const struct option stats_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "watch", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "file", required_argument, NULL, 'f' },
	{ "guard", no_argument, NULL, 'g' },
	{ "prometheus", no_argument, NULL, 'P' },
	{ "table", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0, CLI_EXIT_USAGE, or -1 after --help. */
static int stats_parse(int argc, char **argv, struct stats_opts *o)
{
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", stats_longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': o->json = true; break;
		case 'a': o->all = true; break;
		case 'f': o->file = optarg; break;
		case 'g': o->guard = true; break;
		case 'P': o->prometheus = true; break;
		case 't': o->table = optarg; break;
		case 'w':
			if (cli_parse_u32("--watch", optarg, 86400, &o->watch))
				return CLI_EXIT_USAGE;
			if (!o->watch)
				return cli_usage_error("--watch", "needs at least 1 second");
			break;
		case 'c':
			if (cli_parse_u32("--count", optarg, UINT32_MAX, &o->count))
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			cmd_stats_help(stdout);
			return -1;
		default:
			return cli_getopt_error(opt, argv);
		}
	}
	if (optind < argc)
		return cli_extra_argument(argv[optind]);
	if (o->count && !o->watch)
		return cli_usage_error("--count", "only with --watch");
	if (o->table && !o->guard && !o->prometheus)
		return cli_usage_error("--table", "only with --guard or --prometheus");
	if ((o->guard || o->prometheus) && (o->watch || o->all || o->file))
		return cli_usage_error(o->guard ? "--guard" : "--prometheus",
				       "not with --watch, --all or --file");
	if (o->guard && (o->prometheus))
		return cli_usage_error("--prometheus", "not with --guard");
	if (o->prometheus && o->json)
		return cli_usage_error("--prometheus", "not with --json");
	return 0;
}

/* Kernel counters as metrics: xfrm_stat, the daemon's rules, SPD and SAD sizes. */
static int stats_prometheus(const struct stats_opts *o)
{
	struct igd_xfrm_mirror_cfg cfg = { .no_events = true };
	static struct igd_guard_counters c;
	static struct igd_xstat_snap s;
	static char buf[256 * 1024];
	struct igd_xfrm_mirror *m;
	struct igd_prom p;
	int rc;

	igd_prom_init(&p, buf, sizeof(buf));
	if (!igd_xstat_read(&s, NULL))
		igd_prom_xfrm_stat(&p, &s);
	if (!igd_guard_counters_read(o->table ? o->table : "ipsecguard", &c))
		igd_prom_guard(&p, &c);
	rc = cli_mirror_open(&m, &cfg);
	if (rc)
		return rc;
	igd_prom_xfrm_sizes(&p, igd_spd_count(igd_xfrm_mirror_spd(m)),
			    igd_sad_count(igd_xfrm_mirror_sad(m)));
	igd_xfrm_mirror_close(m);
	if (!igd_prom_ok(&p)) {
		fprintf(stderr, "ipsecguard stats: more metrics than fit in %zu bytes\n",
			sizeof(buf));
		return CLI_EXIT_FAIL;
	}
	fputs(buf, stdout);
	return 0;
}

/* The daemon's rule counters, as its stats event names them. */
static int stats_guard(const struct stats_opts *o)
{
	const char *table = o->table ? o->table : "ipsecguard";
	static struct igd_guard_counters c;
	static char buf[32768];
	struct igd_json j;
	unsigned int i;
	int e = igd_guard_counters_read(table, &c);

	if (e) {
		fprintf(stderr, "ipsecguard stats: tables %s: %s (is the daemon running, with "
			"its own hooks?)\n", table, strerror(-e));
		return CLI_EXIT_FAIL;
	}
	if (!o->json) {
		for (i = 0; i < IGD_CTR_MAX; i++)
			printf("%-26s %20llu\n", igd_guard_ctr_name(i), (unsigned long long)c.v[i]);
		for (i = 0; i < c.nsp; i++)
			printf("sp %-23u %20llu new tunnelled flows\n", c.sp[i].index,
			       (unsigned long long)c.sp[i].flows);
		return 0;
	}
	igd_json_init(&j, buf, sizeof(buf));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "table", table);
	igd_guard_counters_json(&j, &c);
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		printf("%.*s\n", (int)igd_json_len(&j), buf);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct stats_opts o = { 0 };
	struct igd_xstat_snap s;
	int rc;

	rc = stats_parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.guard)
		return stats_guard(&o);
	if (o.prometheus)
		return stats_prometheus(&o);
	if (o.watch)
		return stats_watch(&o);
	rc = stats_read(&o, &s);
	if (rc)
		return rc;
	if (o.json)
		stats_print_json(&o, &s);
	else
		stats_print_text(&o, &s);
	return 0;
}
