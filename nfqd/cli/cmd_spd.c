/* ipsecguard spd: list policies and SAs; --watch follows the kernel until idle. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include "judge/sp_json.h"
#include "cli.h"
#include "names/ike_names.h"
#include "util/clock.h"

struct spd_opts {
	bool json, watch, no_sa;
	int dir, names_src;
	const char *vici;
	struct igd_names *names;	/* NULL: none fetched */
	uint32_t rcvbuf, rcvbuf_max, idle_ms, max_ms;
};

void cmd_spd_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard spd - list the kernel's IPsec policies and SAs, without keys\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard spd [--dir in|out|fwd] [--no-sa] [--json]\n"
		"                   [--names auto|strongswan|libreswan|off] [--vici URI]\n"
		"    ipsecguard spd --watch [--rcvbuf BYTES] [--rcvbuf-max BYTES]\n"
		"                   [--until-idle MS] [--max-time MS] [--json]\n"
		"\n"
		"DESCRIPTION\n"
		"    Prints every policy (newest first, as ip xfrm policy does) and every SA\n"
		"    (as ip xfrm state, but never key bytes: algorithm names, key lengths and\n"
		"    the ESP overhead they imply).  Larval (acquire) states are not listed.\n"
		"    Where an IKE daemon runs, each SA carries the connection (and CHILD_SA)\n"
		"    name it has for it, matched by SPI and reqid: strongSwan's swanctl\n"
		"    --list-sas, libreswan's ipsec whack --status (no key material read).\n"
		"\n"
		"    With --watch the tool runs the same mirror the daemon runs: it subscribes\n"
		"    to XFRM events, dumps, applies events, and when the kernel drops events\n"
		"    (ENOBUFS) grows its receive buffer and dumps again.  It stops after\n"
		"    --until-idle MS without events once in sync, then prints the tables it\n"
		"    holds and, on standard error, one JSON line of counters.\n"
		"\n"
		"OPTIONS\n"
		"    --dir D            only policies of direction D\n"
		"    --no-sa            policies only\n"
		"    --names SRC        where SA names come from (default auto: swanctl when\n"
		"                       installed, else libreswan's ipsec; off: none)\n"
		"    --vici URI         strongSwan's VICI socket, as swanctl --uri takes it\n"
		"    --json             one JSON document {\"policies\": [...], \"sas\": [...]}\n"
		"    --watch            follow events (see above)\n"
		"    --rcvbuf BYTES     initial event socket buffer (default 1048576)\n"
		"    --rcvbuf-max BYTES cap for its growth (default 67108864)\n"
		"    --until-idle MS    quiet time that ends --watch (default 1000)\n"
		"    --max-time MS      give up after this long (default 0: never); exit 1\n"
		"    -h, --help         this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 listed; 1 system error or --max-time reached unsynced; 2 bad usage.\n");
}

static void print_json(const struct igd_spd *spd, const struct igd_sad *sad,
		       const struct spd_opts *o)
{
	const struct igd_sp *sp;
	const struct igd_sa *sa = NULL;
	const char *sep = "";
	char buf[4096];
	struct igd_json j;

	fputs("{\"policies\":[", stdout);
	igd_spd_for_each(spd, sp, o->dir) {
		igd_json_init(&j, buf, sizeof(buf));
		igd_json_sp(&j, NULL, sp, IGD_JSON_FULL);
		if (igd_json_finish(&j))
			printf("%s%s", sep, buf);
		sep = ",";
	}
	fputs("],\"sas\":[", stdout);
	sep = "";
	while (!o->no_sa && (sa = igd_sad_next(sad, sa))) {
		const struct igd_name_ent *e = o->names ?
			igd_names_find(o->names, sa->spi, sa->reqid) : NULL;

		igd_json_init(&j, buf, sizeof(buf));
		igd_json_sa(&j, NULL, sa, e ? e->conn : NULL, e ? e->child : NULL, IGD_JSON_FULL);
		if (igd_json_finish(&j))
			printf("%s%s", sep, buf);
		sep = ",";
	}
	fputs("]}\n", stdout);
}

static void print_text(const struct igd_spd *spd, const struct igd_sad *sad,
		       const struct spd_opts *o)
{
	const struct igd_sp *sp;
	const struct igd_sa *sa = NULL;

	igd_spd_for_each(spd, sp, o->dir)
		cli_print_sp(stdout, sp);
	while (!o->no_sa && (sa = igd_sad_next(sad, sa))) {
		const struct igd_name_ent *e = o->names ?
			igd_names_find(o->names, sa->spi, sa->reqid) : NULL;

		cli_print_sa(stdout, sa);
		if (e)
			printf("\tconn %s%s%s\n", e->conn, e->child[0] ? " child " : "", e->child);
	}
}

static void watch_count(const struct igd_xfrm_event *ev, void *data)
{
	uint64_t *last = data;

	(void)ev;
	*last = igd_now_ms();
}

/* Runs the mirror until it is in sync and quiet.  0, or CLI_EXIT_FAIL. */
static int watch(struct igd_xfrm_mirror *m, const struct spd_opts *o, uint64_t *last)
{
	uint64_t start = igd_now_ms();

	for (;;) {
		struct pollfd pfd = { .fd = igd_xfrm_mirror_fd(m), .events = POLLIN };
		int tmo = igd_xfrm_mirror_timeout_ms(m), err;
		uint64_t now = igd_now_ms();

		if (igd_xfrm_mirror_synced(m) && tmo < 0 && now - *last >= o->idle_ms)
			return 0;
		if (o->max_ms && now - start >= o->max_ms)
			return CLI_EXIT_FAIL;
		if (tmo < 0 || tmo > 50)
			tmo = 50;
		if (poll(&pfd, 1, tmo) < 0 && errno != EINTR)
			return CLI_EXIT_FAIL;
		err = igd_xfrm_mirror_process(m);
		if (err) {
			fprintf(stderr, "%s: XFRM events: %s\n", cli_prog, strerror(-err));
			return CLI_EXIT_FAIL;
		}
	}
}

static void stats_print(const struct igd_xfrm_mirror *m)
{
	struct igd_xfrm_mirror_stats st;

	igd_xfrm_mirror_get_stats(m, &st);
	fprintf(stderr,
		"{\"events\":%llu,\"overruns\":%llu,\"dumps\":%llu,\"dump_retries\":%llu,"
		"\"bad_msgs\":%llu,\"rcvbuf\":%u,\"policies\":%u,\"synced\":%s}\n",
		(unsigned long long)st.events, (unsigned long long)st.overruns,
		(unsigned long long)st.dumps, (unsigned long long)st.dump_retries,
		(unsigned long long)st.bad_msgs, st.rcvbuf,
		igd_spd_count(igd_xfrm_mirror_spd(m)),
		igd_xfrm_mirror_synced(m) ? "true" : "false");
}

static const struct option spd_opts_long[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "dir", required_argument, NULL, 'D' },
	{ "no-sa", no_argument, NULL, 'n' },
	{ "names", required_argument, NULL, 'N' },
	{ "vici", required_argument, NULL, 'V' },
	{ "watch", no_argument, NULL, 'w' },
	{ "rcvbuf", required_argument, NULL, 'r' },
	{ "rcvbuf-max", required_argument, NULL, 'R' },
	{ "until-idle", required_argument, NULL, 'i' },
	{ "max-time", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int spd_parse(int argc, char **argv, struct spd_opts *o)
{
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", spd_opts_long, NULL)) != -1) {
		int err = 0;

		switch (opt) {
		case 'j': o->json = true; break;
		case 'n': o->no_sa = true; break;
		case 'N':
			if (igd_names_src_parse(optarg, &o->names_src))
				return cli_usage_error("--names", "'%s' is not auto, strongswan, "
						       "libreswan or off", optarg);
			break;
		case 'V': o->vici = optarg; break;
		case 'w': o->watch = true; break;
		case 'D':
			o->dir = igd_dir_parse(optarg);
			if (o->dir < 0)
				return cli_usage_error("--dir", "'%s' is not in, out or fwd", optarg);
			break;
		case 'r': err = cli_parse_u32("--rcvbuf", optarg, INT32_MAX, &o->rcvbuf); break;
		case 'R':
			err = cli_parse_u32("--rcvbuf-max", optarg, INT32_MAX, &o->rcvbuf_max);
			break;
		case 'i': err = cli_parse_u32("--until-idle", optarg, 86400000, &o->idle_ms); break;
		case 'T': err = cli_parse_u32("--max-time", optarg, 86400000, &o->max_ms); break;
		case 'h':
			cmd_spd_help(stdout);
			return -1;
		default:
			return cli_getopt_error(opt, argv);
		}
		if (err)
			return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_extra_argument(argv[optind]);
	if (!o->watch && (o->rcvbuf || o->rcvbuf_max || o->idle_ms || o->max_ms))
		return cli_usage_error("--rcvbuf/--until-idle/--max-time", "only with --watch");
	return 0;
}

int cmd_spd(int argc, char **argv)
{
	struct spd_opts o = { .dir = -1 };
	struct igd_xfrm_mirror_cfg cfg = { .no_events = true };
	struct igd_xfrm_mirror *m;
	uint64_t last = igd_now_ms();
	int rc = spd_parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.watch) {
		cfg.no_events = false;
		cfg.rcvbuf = o.rcvbuf;
		cfg.rcvbuf_max = o.rcvbuf_max;
		cfg.cb = watch_count;
		cfg.cb_data = &last;
		if (!o.idle_ms)
			o.idle_ms = 1000;
	}
	rc = cli_mirror_open(&m, &cfg);
	if (rc)
		return rc;
	if (o.watch) {
		rc = watch(m, &o, &last);
		stats_print(m);
	}
	if (!o.no_sa && o.names_src != IGD_NAMES_OFF) {
		static struct igd_names names;

		/* no IKE daemon, or one that does not answer: SAs without names */
		if (igd_names_fetch(o.names_src, o.vici, &names) > 0)
			o.names = &names;
	}
	if (o.json)
		print_json(igd_xfrm_mirror_spd(m), igd_xfrm_mirror_sad(m), &o);
	else
		print_text(igd_xfrm_mirror_spd(m), igd_xfrm_mirror_sad(m), &o);
	igd_xfrm_mirror_close(m);
	return rc;
}
