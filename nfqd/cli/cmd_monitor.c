/* ipsecguard monitor: XFRM events as they happen. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include "judge/sp_json.h"
#include "cli.h"
#include "util/clock.h"

struct mon {
	bool json, acquire_only;
	uint32_t count, seen;
};

void cmd_monitor_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard monitor - print XFRM events\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard monitor [--acquire] [--count N] [--timeout MS] [--json]\n"
		"\n"
		"DESCRIPTION\n"
		"    Prints one line per event: ACQUIRE (the kernel found a policy but no SA;\n"
		"    the line names that policy and the flow), soft and hard EXPIRE, policy\n"
		"    and SA changes, and resyncs after lost events.  Output is flushed per line.\n"
		"\n"
		"OPTIONS\n"
		"    --acquire       ACQUIRE events only\n"
		"    --count N       exit after N printed events\n"
		"    --timeout MS    exit after MS milliseconds (0: never, the default)\n"
		"    --rcvbuf BYTES  event socket buffer (default 1048576); lost events are\n"
		"                    reported as an \"overrun\" line\n"
		"    --json          JSON lines: {\"event\":\"acquire\",\"sp\":{...},\"flow\":{...}}\n"
		"    -h, --help      this text\n");
}

static const char *const ev_names[] = {
	[IGD_XFRM_EV_SP_NEW] = "sp-new", [IGD_XFRM_EV_SP_DEL] = "sp-del",
	[IGD_XFRM_EV_SP_FLUSH] = "sp-flush", [IGD_XFRM_EV_SP_EXPIRE] = "sp-expire",
	[IGD_XFRM_EV_SA_NEW] = "sa-new", [IGD_XFRM_EV_SA_DEL] = "sa-del",
	[IGD_XFRM_EV_SA_FLUSH] = "sa-flush", [IGD_XFRM_EV_SA_EXPIRE] = "sa-expire",
	[IGD_XFRM_EV_ACQUIRE] = "acquire", [IGD_XFRM_EV_RESYNC] = "resync",
};

static void json_flow(struct igd_json *j, const struct igd_sel *s)
{
	char ab[IGD_ADDRSTRLEN];

	igd_json_obj_open(j, "flow");
	igd_json_uint(j, "family", s->family);
	igd_json_uint(j, "proto", s->proto);
	igd_json_str(j, "src", igd_addr_str(s->family, &s->saddr, ab, sizeof(ab)));
	igd_json_str(j, "dst", igd_addr_str(s->family, &s->daddr, ab, sizeof(ab)));
	igd_json_uint(j, "sport", s->sport);
	igd_json_uint(j, "dport", s->dport);
	igd_json_obj_close(j);
}

static void print_json(const struct igd_xfrm_event *ev)
{
	char buf[8192];
	struct igd_json j;

	igd_json_init(&j, buf, sizeof(buf));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "event", ev_names[ev->type]);
	if (ev->hard)
		igd_json_bool(&j, "hard", true);
	if (ev->acq) {
		igd_json_sp(&j, "sp", &ev->acq->policy, IGD_JSON_FULL);
		json_flow(&j, &ev->acq->sel);
	}
	if (ev->sp)
		igd_json_sp(&j, "sp", ev->sp, IGD_JSON_FULL);
	if (ev->sa)
		igd_json_sa(&j, "sa", ev->sa, NULL, NULL, IGD_JSON_FULL);
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		puts(buf);
}

static void print_text(const struct igd_xfrm_event *ev)
{
	char ab[IGD_ADDRSTRLEN], ab2[IGD_ADDRSTRLEN];

	printf("%s%s", ev_names[ev->type], ev->hard ? " (hard)" : "");
	if (ev->acq) {
		const struct igd_sel *s = &ev->acq->sel;

		printf(" flow proto %u %s:%u -> %s:%u policy index %u\n", s->proto,
		       igd_addr_str(s->family, &s->saddr, ab, sizeof(ab)), s->sport,
		       igd_addr_str(s->family, &s->daddr, ab2, sizeof(ab2)), s->dport,
		       ev->acq->policy.index);
		return;
	}
	putchar('\n');
	if (ev->sp)
		cli_print_sp(stdout, ev->sp);
	if (ev->sa)
		cli_print_sa(stdout, ev->sa);
}

static void on_event(const struct igd_xfrm_event *ev, void *data)
{
	struct mon *mon = data;

	if (mon->acquire_only && ev->type != IGD_XFRM_EV_ACQUIRE)
		return;
	if (mon->count && mon->seen >= mon->count)
		return;
	mon->seen++;
	if (mon->json)
		print_json(ev);
	else
		print_text(ev);
	fflush(stdout);
}

/* Lost events cannot be printed; say that some were lost. */
static void overrun_report(const struct igd_xfrm_mirror *m, const struct mon *mon,
			   uint64_t *seen)
{
	struct igd_xfrm_mirror_stats st;

	igd_xfrm_mirror_get_stats(m, &st);
	if (st.overruns == *seen)
		return;
	*seen = st.overruns;
	if (mon->json)
		printf("{\"event\":\"overrun\",\"overruns\":%llu,\"rcvbuf\":%u}\n",
		       (unsigned long long)st.overruns, st.rcvbuf);
	else
		printf("overrun: events lost (%llu so far), receive buffer now %u\n",
		       (unsigned long long)st.overruns, st.rcvbuf);
	fflush(stdout);
}

static const struct option mon_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "acquire", no_argument, NULL, 'a' },
	{ "count", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "rcvbuf", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_monitor(int argc, char **argv)
{
	struct mon mon = { 0 };
	struct igd_xfrm_mirror_cfg cfg = { .cb = on_event, .cb_data = &mon };
	struct igd_xfrm_mirror *m;
	uint32_t timeout = 0;
	uint64_t start, overruns = 0;
	int opt, rc = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", mon_opts, NULL)) != -1) {
		switch (opt) {
		case 'j': mon.json = true; break;
		case 'a': mon.acquire_only = true; break;
		case 'c':
			if (cli_parse_u32("--count", optarg, UINT32_MAX, &mon.count))
				return CLI_EXIT_USAGE;
			break;
		case 't':
			if (cli_parse_u32("--timeout", optarg, 86400000, &timeout))
				return CLI_EXIT_USAGE;
			break;
		case 'r':
			if (cli_parse_u32("--rcvbuf", optarg, INT32_MAX, &cfg.rcvbuf))
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			cmd_monitor_help(stdout);
			return 0;
		default:
			return cli_getopt_error(opt, argv);
		}
	}
	if (optind < argc)
		return cli_extra_argument(argv[optind]);
	rc = cli_mirror_open(&m, &cfg);
	if (rc)
		return rc;
	start = igd_now_ms();
	while (!mon.count || mon.seen < mon.count) {
		struct pollfd pfd = { .fd = igd_xfrm_mirror_fd(m), .events = POLLIN };
		int tmo = igd_xfrm_mirror_timeout_ms(m);

		if (timeout && igd_now_ms() - start >= timeout)
			break;
		if (tmo < 0 || tmo > 100)
			tmo = 100;
		if (poll(&pfd, 1, tmo) < 0 && errno != EINTR)
			break;
		rc = igd_xfrm_mirror_process(m);
		overrun_report(m, &mon, &overruns);
		if (rc) {
			fprintf(stderr, "%s: XFRM events: %s\n", cli_prog, strerror(-rc));
			rc = CLI_EXIT_FAIL;
			break;
		}
	}
	igd_xfrm_mirror_close(m);
	return rc;
}
