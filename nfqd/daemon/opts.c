#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config.h"
#include "names/ike_names.h"
#include "util/num.h"
#include "guard/table_hold.h"
#include "opts.h"


static const char usage[] =
"Usage: ipsecguardd [--config FILE] [options]\n"
"Guard a Linux IPsec gateway: NAT before IPsec, policy misses, TCP MSS and the\n"
"tunnel's own packets.  Options come from /etc/ipsecguard/ipsecguardd.conf (or\n"
"--config FILE) and the command line, which overrides it.\n"
"\n"
"  -m, --mode audit|enforce|fix   log / drop / repair what leaks (default audit)\n"
"  -q, --queue N|A-B              queue number or range (default 0)\n"
"  -l, --log -|syslog|FILE        verdicts as JSON lines (default -)\n"
"      --mss off|auto|N           clamp the TCP MSS of protected flows\n"
"      --protect PREFIX           a destination reached only through a tunnel\n"
"      --remember S               keep an SP's protection S seconds after it goes\n"
"                                 (default 604800, 0: not at all)\n"
"      --drop-uncovered           enforce drops cleartext towards a destination an\n"
"                                 SP protects for other sources\n"
"      --state-dir DIR            what is remembered (default /var/lib/ipsecguard)\n"
"      --remember-from FILE       also hold what another daemon remembers (its\n"
"                                 TABLE.remembered, synced here: an HA pair)\n"
"      --control PATH             the control socket (default\n"
"                                 /run/ipsecguard/ipsecguardd.sock)\n"
"      --fail-closed              drop when no daemon listens or the queue fills\n"
"      --no-log-pass              no lines for clean packets\n"
"      --log-healthy              a pass line per tunnelled flow (async copies)\n"
"      --ike-port N[,N]           IKE ports besides 500 and 4500\n"
"      --no-outer                 do not watch IKE/NAT-T/ESP NAT and fragments\n"
"      --oneway S                 one-way tunnel after S seconds (default 30)\n"
"      --xfrm-stat-interval S     xfrm_stat events every S seconds (default 5)\n"
"      --stats-interval S         a stats event every S seconds (default off)\n"
"      --metrics-file PATH        Prometheus text file (node_exporter textfile)\n"
"      --metrics-interval S       its interval (default 15)\n"
"      --table NAME               its nf_tables tables (default ipsecguard)\n"
"      --table-hold auto|persist|owner|restore   how they hold against other tools\n"
"      --queue-scope protected|heads|all   what is queued (default protected)\n"
"      --pre-nat-tap auto|map|on|off       how a pre-NAT tuple is learnt\n"
"      --mark-mask MASK           mark bits the daemon uses (default 0x00ff0000)\n"
"      --no-hooks                 no tables: your own rules feed the queue\n"
"      --log-group N              nflog group of the rules' copies (default 4700)\n"
"      --tunnel-names auto|strongswan|libreswan|off   name SAs as the IKE daemon\n"
"      --vici URI                 strongSwan's VICI socket (swanctl --uri)\n"
"      --queue-maxlen N, --copy-range N, --rcvbuf BYTES   queue sizes\n"
"  -u, --user NAME                run as NAME with CAP_NET_ADMIN after setup\n"
"      --config FILE              the configuration file to read\n"
"      --check-config             validate the configuration and exit\n"
"  -h, --help, -V, --version\n"
"\n"
"Signals: SIGTERM/SIGINT stop (enforce keeps the tables), SIGHUP reloads the\n"
"configuration and reopens the log, SIGUSR1 logs a stats event.\n"
"Exit status: 0 clean, 1 runtime failure, 2 bad option or configuration.\n"
"See ipsecguardd(8) and ipsecguardd.conf(5).\n";

enum {
	OPT_MSS = 256, OPT_NO_HOOKS, OPT_TABLE, OPT_SCOPE, OPT_MARK_MASK, OPT_FAIL_CLOSED,
	OPT_PROTECT, OPT_XSTAT, OPT_ONEWAY,
	OPT_NO_LOG_PASS, OPT_LOG_HEALTHY, OPT_IKE_PORT, OPT_NO_OUTER, OPT_MAXLEN,
	OPT_COPY_RANGE, OPT_RCVBUF, OPT_STATS_INTERVAL,
	OPT_LOG_GROUP, OPT_PRE_NAT_TAP, OPT_CONFIG, OPT_CHECK_CONFIG, OPT_METRICS_FILE,
	OPT_METRICS_INTERVAL, OPT_TUNNEL_NAMES, OPT_VICI, OPT_TABLE_HOLD, OPT_DROP_UNCOVERED,
	OPT_REMEMBER, OPT_STATE_DIR, OPT_CONTROL, OPT_REMEMBER_FROM,
};

static const struct option longopts[] = {
	{ "queue", required_argument, NULL, 'q' },
	{ "mode", required_argument, NULL, 'm' },
	{ "mss", required_argument, NULL, OPT_MSS },
	{ "log", required_argument, NULL, 'l' },
	{ "no-hooks", no_argument, NULL, OPT_NO_HOOKS },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "table-hold", required_argument, NULL, OPT_TABLE_HOLD },
	{ "queue-scope", required_argument, NULL, OPT_SCOPE },
	{ "mark-mask", required_argument, NULL, OPT_MARK_MASK },
	{ "protect", required_argument, NULL, OPT_PROTECT },
	{ "drop-uncovered", no_argument, NULL, OPT_DROP_UNCOVERED },
	{ "remember", required_argument, NULL, OPT_REMEMBER },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "remember-from", required_argument, NULL, OPT_REMEMBER_FROM },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "xfrm-stat-interval", required_argument, NULL, OPT_XSTAT },
	{ "oneway", required_argument, NULL, OPT_ONEWAY },
	{ "fail-closed", no_argument, NULL, OPT_FAIL_CLOSED },
	{ "no-log-pass", no_argument, NULL, OPT_NO_LOG_PASS },
	{ "log-healthy", no_argument, NULL, OPT_LOG_HEALTHY },
	{ "ike-port", required_argument, NULL, OPT_IKE_PORT },
	{ "no-outer", no_argument, NULL, OPT_NO_OUTER },
	{ "queue-maxlen", required_argument, NULL, OPT_MAXLEN },
	{ "copy-range", required_argument, NULL, OPT_COPY_RANGE },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "log-group", required_argument, NULL, OPT_LOG_GROUP },
	{ "pre-nat-tap", required_argument, NULL, OPT_PRE_NAT_TAP },
	{ "user", required_argument, NULL, 'u' },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "tunnel-names", required_argument, NULL, OPT_TUNNEL_NAMES },
	{ "vici", required_argument, NULL, OPT_VICI },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char *const mode_names[] = { "audit", "enforce", "fix" };

const char *igd_mode_name(enum igd_mode m)
{
	return mode_names[m];
}

/* Where the option being applied came from: "FILE:LINE", or NULL for argv. */
static const char *opts_where;
static char opts_errmsg[512];

const char *igd_opts_error(void)
{
	return opts_errmsg;
}

int igd_opts_report(const char *msg)
{
	snprintf(opts_errmsg, sizeof(opts_errmsg), "%s", msg);
	fprintf(stderr, "ipsecguardd: %s\n", opts_errmsg);
	return 2;
}

static int opts_fail(const char *fmt, const char *a, const char *b, const char *c)
{
	char msg[400];

	snprintf(msg, sizeof(msg), fmt, a, b, c);
	snprintf(opts_errmsg, sizeof(opts_errmsg), "%s%s%s", opts_where ? opts_where : "",
		 opts_where ? ": " : "", msg);
	fprintf(stderr, "ipsecguardd: %s\n", opts_errmsg);
	if (!opts_where)
		fprintf(stderr, "Try 'ipsecguardd --help'.\n");
	return 2;
}

static int opts_bad(const char *opt, const char *val, const char *why)
{
	return opts_fail(opts_where ? "%s = %s: %s" : "--%s %s: %s", opt, val, why);
}

static int opts_u32(const char *opt, const char *val, uint32_t min, uint32_t max,
		    uint32_t *out)
{
	char why[64];

	if (igd_num_u32(val, min, max, out) == 0)
		return 0;
	snprintf(why, sizeof(why), "expected a number from %u to %u", min, max);
	return opts_bad(opt, val, why);
}

static int opts_mode(struct igd_opts *o, const char *val)
{
	unsigned int i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(val, mode_names[i]) == 0) {
			o->mode = (enum igd_mode)i;
			return 0;
		}
	}
	return opts_bad("mode", val, "expected audit, enforce or fix");
}

static int opts_mss(struct igd_opts *o, const char *val)
{
	if (strcmp(val, "off") == 0) {
		o->mss_mode = IGD_MSS_OFF;
		return 0;
	}
	if (strcmp(val, "auto") == 0) {
		o->mss_mode = IGD_MSS_AUTO;
		return 0;
	}
	o->mss_mode = IGD_MSS_FIXED;
	if (igd_num_u32(val, 88, 65535, &o->mss) == 0)
		return 0;
	return opts_bad("mss", val, "expected off, auto, or a number from 88 to 65535");
}

static int opts_pre_nat_tap(struct igd_opts *o, const char *val)
{
	static const char *const names[] = { "auto", "on", "off", "map" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(val, names[i])) {
			o->pre_nat_tap = (int)i;	/* enum igd_pre_nat_tap order */
			return 0;
		}
	return opts_bad("pre-nat-tap", val, "expected auto, map, on or off");
}

static int opts_scope(struct igd_opts *o, const char *val)
{
	static const char *const names[] = { "protected", "heads", "all" };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (strcmp(val, names[i]) == 0) {
			o->scope = (int)i;	/* enum igd_scope order */
			return 0;
		}
	}
	return opts_bad("queue-scope", val, "expected protected, heads or all");
}

static int opts_mark_mask(struct igd_opts *o, const char *val)
{
	uint32_t m, field;

	if (igd_num_u32(val, 1, UINT32_MAX, &m))
		return opts_bad("mark-mask", val, "expected a 32-bit number such as 0x00ff0000");
	field = m >> __builtin_ctz(m);
	if ((field & (field + 1)) || __builtin_popcount(field) < 4)
		return opts_bad("mark-mask", val, "expected one run of at least 4 set bits");
	o->mark_mask = m;
	return 0;
}

static int opts_protect(struct igd_opts *o, const char *val)
{
	struct igd_prefix *p = &o->protect[o->nprotect];
	int fam;

	if (o->nprotect >= IGD_MAX_PROTECT)
		return opts_bad("protect", val, "at most 64 prefixes");
	fam = igd_prefix_parse(val, &p->addr, &p->plen);
	if (!fam)
		return opts_bad("protect", val, "expected an IPv4 or IPv6 ADDRESS[/LENGTH] "
				"(length 0-32, or 0-128)");
	p->family = (uint8_t)fam;
	o->nprotect++;
	return 0;
}

/* Another daemon's remembered file: an absolute name in a directory that exists; the
 * file itself may come later (its sync has not run yet), but not as a directory. */
static int opts_remember_from(struct igd_opts *o, const char *val)
{
	char dir[IGD_OPT_PATH_MAX];
	const char *slash = strrchr(val, '/');
	struct stat st;

	if (val[0] != '/' || strlen(val) >= sizeof(o->remember_from) || !slash[1])
		return opts_bad("remember-from", val, "expected an absolute file name");
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - val) ? (int)(slash - val) : 1, val);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return opts_bad("remember-from", val, "its directory does not exist");
	if (stat(val, &st) == 0 && S_ISDIR(st.st_mode))
		return opts_bad("remember-from", val, "is a directory, expected a file");
	snprintf(o->remember_from, sizeof(o->remember_from), "%s", val);
	return 0;
}

static int opts_queue(struct igd_opts *o, const char *val)
{
	if (igd_num_range(val, 0, 65535, &o->queue_lo, &o->queue_hi))
		return opts_bad("queue", val, "expected N or A-B with 0 <= A <= B <= 65535");
	if (o->queue_hi - o->queue_lo + 1 > IGD_MAX_QUEUES)
		return opts_bad("queue", val, "at most 16 queues");
	return 0;
}

static int opts_one(struct igd_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'q': return opts_queue(o, arg);
	case 'm': return opts_mode(o, arg);
	case OPT_MSS: return opts_mss(o, arg);
	case 'l':
		if (!arg[0] || strlen(arg) >= sizeof(o->log))
			return opts_bad("log", arg[0] ? arg : "''", "expected -, syslog or a file "
					"name (at most 1023 bytes)");
		snprintf(o->log, sizeof(o->log), "%s", arg);
		return 0;
	case OPT_TABLE:
		if (!arg[0] || strlen(arg) > 64 || strspn(arg, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(arg))
			return opts_bad("table", arg, "expected 1-64 letters, digits, _ or -");
		snprintf(o->table, sizeof(o->table), "%s", arg);
		return 0;
	case OPT_SCOPE: return opts_scope(o, arg);
	case OPT_TABLE_HOLD:
		o->table_hold = igd_hold_parse(arg);
		return o->table_hold < 0 ?
		       opts_bad("table-hold", arg, "expected auto, persist, owner or restore") : 0;
	case OPT_MARK_MASK: return opts_mark_mask(o, arg);
	case OPT_PROTECT: return opts_protect(o, arg);
	case OPT_REMEMBER: return opts_u32("remember", arg, 0, 315360000, &o->remember);
	case OPT_STATE_DIR:
		if (arg[0] != '/' || strlen(arg) >= sizeof(o->state_dir) - 32)
			return opts_bad("state-dir", arg, "expected an absolute directory name");
		snprintf(o->state_dir, sizeof(o->state_dir), "%s", arg);
		return 0;
	case OPT_REMEMBER_FROM: return opts_remember_from(o, arg);
	case OPT_CONTROL:
		if (arg[0] != '/' || strlen(arg) >= sizeof(o->control))
			return opts_bad("control", arg, "expected an absolute file name of at "
					"most 107 bytes");
		snprintf(o->control, sizeof(o->control), "%s", arg);
		return 0;
	case OPT_XSTAT: return opts_u32("xfrm-stat-interval", arg, 0, 3600, &o->xstat_interval);
	case OPT_ONEWAY: return opts_u32("oneway", arg, 0, 86400, &o->oneway_hold);
	case OPT_IKE_PORT:
		return igd_outer_ports_parse(&o->ike_ports, arg) ?
		       opts_bad("ike-port", arg, "expected ports 1-65535, at most 6 besides "
				"500 and 4500") : 0;
	case OPT_MAXLEN: return opts_u32("queue-maxlen", arg, 1, 1u << 20, &o->maxlen);
	case OPT_COPY_RANGE: return opts_u32("copy-range", arg, 128, 65535, &o->copy_range);
	case OPT_RCVBUF: return opts_u32("rcvbuf", arg, 65536, 1u << 30, &o->rcvbuf);
	case OPT_STATS_INTERVAL:
		return opts_u32("stats-interval", arg, 0, 86400, &o->stats_interval);
	case OPT_LOG_GROUP: return opts_u32("log-group", arg, 1, 65535, &o->log_group);
	case OPT_METRICS_FILE:
		if (!arg[0] || strlen(arg) >= sizeof(o->metrics_file) - 4)
			return opts_bad("metrics-file", arg[0] ? arg : "''", "expected a file name");
		snprintf(o->metrics_file, sizeof(o->metrics_file), "%s", arg);
		return 0;
	case OPT_TUNNEL_NAMES:
		return igd_names_src_parse(arg, &o->tunnel_names) ?
		       opts_bad("tunnel-names", arg, "expected auto, strongswan, libreswan or off") :
		       0;
	case OPT_VICI:
		if (!arg[0] || strlen(arg) >= sizeof(o->vici))
			return opts_bad("vici", arg[0] ? arg : "''", "expected a URI such as "
					"unix:///var/run/charon.vici");
		snprintf(o->vici, sizeof(o->vici), "%s", arg);
		return 0;
	case OPT_METRICS_INTERVAL:
		return opts_u32("metrics-interval", arg, 1, 3600, &o->metrics_interval);
	case OPT_PRE_NAT_TAP: return opts_pre_nat_tap(o, arg);
	case 'u':
		if (!arg[0] || strlen(arg) >= sizeof(o->user))
			return opts_bad("user", arg[0] ? arg : "''", "expected a user name");
		snprintf(o->user, sizeof(o->user), "%s", arg);
		return 0;
	}
	return 2;
}

/* Flags: on sets what the option says, off its default. */
static int opts_flag(struct igd_opts *o, int c, bool on)
{
	switch (c) {
	case OPT_NO_HOOKS: o->no_hooks = on; return 0;
	case OPT_FAIL_CLOSED: o->fail_closed = on; return 0;
	case OPT_NO_LOG_PASS: o->log_pass = !on; return 0;
	case OPT_LOG_HEALTHY: o->log_healthy = on; return 0;
	case OPT_NO_OUTER: o->no_outer = on; return 0;
	case OPT_DROP_UNCOVERED: o->drop_uncovered = on; return 0;
	}
	return 2;
}

/* Options that make no sense in a file: they act on this run of the program. */
static bool opts_cmdline_only(int c)
{
	return c == 'h' || c == 'V' || c == OPT_CONFIG || c == OPT_CHECK_CONFIG;
}

int igd_opts_set(struct igd_opts *o, const char *name, const char *value, const char *where)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	const struct option *opt;
	unsigned int i;
	int rc;

	opts_where = where;
	for (opt = longopts; opt->name && strcmp(opt->name, name); opt++)
		;
	if (!opt->name || opts_cmdline_only(opt->val)) {
		rc = opts_fail(!opt->name ? "unknown option '%s'%s%s" :
			       "'%s' belongs on the command line%s%s", name, "", "");
	} else if (opt->has_arg == no_argument) {
		rc = -1;
		for (i = 0; i < 4 && rc < 0; i++)
			rc = !strcmp(value, yes[i]) ? opts_flag(o, opt->val, true) :
			     !strcmp(value, no[i]) ? opts_flag(o, opt->val, false) : -1;
		if (rc < 0)
			rc = opts_bad(name, value, "expected yes or no");
	} else if (!value[0]) {
		rc = opts_bad(name, "''", "needs a value");
	} else {
		rc = opts_one(o, opt->val, value);
	}
	opts_where = NULL;
	return rc;
}

static void opts_defaults(struct igd_opts *o)
{
	*o = (struct igd_opts){
		.log = "-", .table = "ipsecguard", .log_pass = true, .log_group = 4700,
		.maxlen = 4096, .copy_range = 512, .rcvbuf = 8u << 20,
		.mark_mask = 0x00ff0000, .xstat_interval = 5, .oneway_hold = 30,
		.metrics_interval = 15, .remember = IGD_REMEMBER_DEFAULT,
		.state_dir = IGD_STATE_DIR_DEFAULT, .control = IGD_CONTROL_DEFAULT,
	};
	igd_outer_ports_default(&o->ike_ports);
}

/* The first pass over argv: --config, --check-config, --help and --version only. */
static int opts_first_pass(struct igd_opts *o, int argc, char **argv, bool *explicit)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":q:m:l:u:hV", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (c == 'V') {
			puts("ipsecguardd " IGD_VERSION);
			return 1;
		}
		if (c == OPT_CHECK_CONFIG)
			o->check_config = true;
		if (c == OPT_CONFIG) {
			if (!optarg[0] || strlen(optarg) >= sizeof(o->config))
				return opts_bad("config", optarg, "expected a file name");
			snprintf(o->config, sizeof(o->config), "%s", optarg);
			*explicit = true;
		}
	}
	return 0;
}

int igd_opts_parse(struct igd_opts *o, int argc, char **argv)
{
	bool explicit = false, protect_cmd = false, ports_cmd = false;
	int c, err;

	opts_defaults(o);
	opts_errmsg[0] = '\0';
	err = opts_first_pass(o, argc, argv, &explicit);
	if (err)
		return err;
	if (!explicit && access(IGD_CONFIG_DEFAULT, F_OK) == 0)
		snprintf(o->config, sizeof(o->config), "%s", IGD_CONFIG_DEFAULT);
	if (o->config[0]) {
		err = igd_config_read(o, o->config);
		if (err)
			return err;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":q:m:l:u:hV", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			opts_fail("%s option '%s'%s", c == '?' ? "unknown" : "missing argument for",
				  argv[optind - 1], "");
			return 2;
		}
		if (opts_cmdline_only(c))
			continue;
		/* a list on the command line replaces the file's */
		if (c == OPT_PROTECT && !protect_cmd) {
			o->nprotect = 0;
			protect_cmd = true;
		}
		if (c == OPT_IKE_PORT && !ports_cmd) {
			igd_outer_ports_default(&o->ike_ports);
			ports_cmd = true;
		}
		err = optarg ? opts_one(o, c, optarg) : opts_flag(o, c, true);
		if (err)
			return err;
	}
	if (optind < argc)
		return opts_fail("unexpected argument '%s'%s%s", argv[optind], "", "");
	return 0;
}
