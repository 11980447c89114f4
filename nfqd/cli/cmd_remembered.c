/* ipsecguard remembered: the protections the running daemon remembers after their SPs
 * went (its tunnels that are down), and forgetting them.  Asked over the daemon's
 * control socket: the daemon owns its tables, so only it can change what they hold. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "util/paths.h"

void cmd_remembered_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard remembered - the protections ipsecguardd remembers, and\n"
		"    forgetting them\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard remembered [--control PATH] [--json]\n"
		"    ipsecguard remembered forget PREFIX|all [--control PATH]\n"
		"\n"
		"DESCRIPTION\n"
		"    ipsecguardd remembers the selector of every protecting out SP while the SP\n"
		"    is in the SPD and for --remember seconds after it went (default a week):\n"
		"    while a tunnel is down, a flow its SP covered that leaves in clear is\n"
		"    tunnel-down, and dropped in enforce mode.  Without arguments this lists\n"
		"    them: live ones (their SP is there) and those whose tunnel is down, with\n"
		"    when they will be forgotten.  'forget PREFIX' forgets every entry whose\n"
		"    destination lies within PREFIX, 'forget all' every entry (live ones come\n"
		"    back from the SPD at once); the daemon's sets follow in one transaction.\n"
		"\n"
		"OPTIONS\n"
		"    --control PATH  the daemon's control socket (default\n"
		"                    " IGD_CONTROL_DEFAULT ")\n"
		"    --json          the daemon's JSON lines, one entry a line\n"
		"    -h, --help      this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 answered; 1 no daemon answers on the socket; 2 bad usage.\n");
}

static void rem_print(const char *line)
{
	char src[64], dst[64], v[64], sp[16], reqid[16], first[32], last[32], gone[32];
	bool live;

	if (!cli_json_field(line, "src", src, sizeof(src)) || !cli_json_field(line, "dst", dst, sizeof(dst)))
		return;
	live = cli_json_field(line, "live", v, sizeof(v)) && !strcmp(v, "true");
	printf("%s -> %s", src, dst);
	if (cli_json_field(line, "proto", v, sizeof(v)))
		printf(" proto %s", v);
	if (cli_json_field(line, "sport", v, sizeof(v)))
		printf(" sport %s", v);
	if (cli_json_field(line, "dport", v, sizeof(v)))
		printf(" dport %s", v);
	if (cli_json_field(line, "if_id", v, sizeof(v)))
		printf(" if_id %s", v);
	printf("  sp %s reqid %s", cli_json_field(line, "sp", sp, sizeof(sp)) ?: "?",
	       cli_json_field(line, "reqid", reqid, sizeof(reqid)) ?: "?");
	cli_json_field(line, "first_seen", first, sizeof(first));
	if (live)
		printf("  live since %s\n", first);
	else
		printf("  tunnel down since %s, forgotten at %s\n",
		       cli_json_field(line, "last_seen", last, sizeof(last)) ?: "?",
		       cli_json_field(line, "forgotten_at", gone, sizeof(gone)) ?: "?");
}

int cmd_remembered(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = IGD_CONTROL_DEFAULT;
	static char buf[4 << 20];
	char req[256], err[256];
	bool json = false;
	size_t got;
	char *line, *save = NULL;
	int c, e;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'j': json = true; break;
		case 'h': cmd_remembered_help(stdout); return 0;
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind < argc && !strcmp(argv[optind], "forget")) {
		if (optind + 2 != argc)
			return cli_usage_error("forget", "expected one PREFIX or all");
		snprintf(req, sizeof(req), "forget %s\n", argv[optind + 1]);
	} else if (optind < argc) {
		return cli_extra_argument(argv[optind]);
	} else {
		snprintf(req, sizeof(req), "remembered\n");
	}
	e = cli_control_ask(path, req, buf, sizeof(buf), &got);
	if (e) {
		fprintf(stderr, "%s: control socket %s: %s (is ipsecguardd running?)\n", cli_prog,
			path, strerror(-e));
		return CLI_EXIT_FAIL;
	}
	if (cli_json_field(buf, "error", err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", cli_prog, err);
		return req[0] == 'f' ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	if (json || req[0] == 'f') {
		fputs(buf, stdout);
		return 0;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		rem_print(line);
	return 0;
}
