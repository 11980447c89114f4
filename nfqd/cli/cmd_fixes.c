/* ipsecguard fixes: the NAT exemptions the guard inserted (list, revert), and a way to
 * insert one by hand (apply). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "cli.h"
#include "util/paths.h"
#include "util/num.h"
#include "util/proto.h"
#include "nl/ct_nl.h"
#include "natfix/natfix.h"

#define FIXES_ERR_MAX	512

void cmd_fixes_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard fixes - NAT exemptions for IPsec traffic: list, revert, apply\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard fixes list [--control PATH] [--json]\n"
		"    ipsecguard fixes revert [--sp N] [--control PATH] [--json]\n"
		"    ipsecguard fixes apply --src PREFIX --dst PREFIX [--proto P] [--sport N]\n"
		"                           [--dport N] [--sp N] [--no-flush] [--json]\n"
		"\n"
		"DESCRIPTION\n"
		"    When SNAT or MASQUERADE runs in postrouting before IPsec, the translated\n"
		"    packet no longer matches its security policy and leaves in clear (or is\n"
		"    dropped).  The fix is a rule at the top of the NAT chain that returns\n"
		"    before any translation for the policy's selector, the equivalent of\n"
		"        iptables -t nat -I POSTROUTING 1 -s SRC -d DST -j RETURN\n"
		"    ipsecguardd --mode fix keeps its exemptions where no other tool's reload\n"
		"    removes them: in a nat chain of its own tables (igd_exempt, before every\n"
		"    other nat chain), where each binds the selector's flows to their own\n"
		"    source, so no later nat chain translates them.  Its tables are its own:\n"
		"    list and revert ask the running daemon over its control socket for those.\n"
		"    apply puts a RETURN rule into the other tools' chains by hand.  Every rule\n"
		"    carries the comment \"ipsecguard-fix sp=N\" (N: the index of the security\n"
		"    policy it was made for) and is found by it.\n"
		"\n"
		"    apply puts its rule at the top of every NAT chain that could translate the\n"
		"    traffic:\n"
		"      nft           every base chain \"type nat hook postrouting\" of a table\n"
		"                    of family ip or ip6 (the selector's) or inet (with a\n"
		"                    \"meta nfproto\" match); tagged with a rule comment\n"
		"      iptables-nft  table nat, chain POSTROUTING, written the way\n"
		"                    iptables-nft writes it: `iptables-nft -t nat -S` shows\n"
		"                    \"-s SRC -d DST -m comment --comment ... -j RETURN\"\n"
		"      iptables-legacy\n"
		"                    when the legacy nat table exists and its POSTROUTING\n"
		"                    chain has rules, through iptables-legacy /\n"
		"                    ip6tables-legacy\n"
		"    The nf_tables inserts are one transaction.  A selector that already has\n"
		"    its rule in a chain gets no second one (whatever its sp index).\n"
		"\n"
		"COMMANDS\n"
		"    list      the running daemon's exemptions (kind ipsecguardd), then every\n"
		"              tagged rule of other chains: where it is (kind, family, table,\n"
		"              chain, handle; for iptables-legacy the rule number), its sp index\n"
		"              and the selector read back from the rule\n"
		"    revert    take out the daemon's exemptions and delete the tagged rules,\n"
		"              all or those of --sp N, and nothing else; the ruleset is as it\n"
		"              was before they were applied\n"
		"    apply     insert the rule for one selector, then delete the conntrack\n"
		"              entries whose original tuple falls under it, so that flows\n"
		"              already translated are tracked anew without NAT\n"
		"\n"
		"OPTIONS\n"
		"    --src PREFIX, --dst PREFIX\n"
		"                   the selector's source and destination: ADDRESS[/LEN], IPv4\n"
		"                   or IPv6, both of one family (required by apply); host bits\n"
		"                   are cleared\n"
		"    --proto P      tcp, udp, icmp, ipv6-icmp, sctp, gre, esp, ah or 0-255\n"
		"    --sport N, --dport N\n"
		"                   ports 1-65535, with --proto tcp or udp only\n"
		"    --sp N         the security policy index: for apply the tag written (default\n"
		"                   0), for revert the rules to delete (default: all)\n"
		"    --no-flush     apply: leave the conntrack table alone\n"
		"    --control PATH the daemon's control socket (default\n"
		"                   " IGD_CONTROL_DEFAULT "); when no daemon\n"
		"                   answers on the default one, list and revert work on the\n"
		"                   other chains alone\n"
		"    --json         one JSON object on one line\n"
		"    -h, --help     this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 success (also when there was nothing to do); 1 a system error (needs\n"
		"    CAP_NET_ADMIN; the message names the step that failed); 2 bad usage.\n"
		"\n"
		"EXAMPLES\n"
		"    ipsecguard fixes apply --src 10.0.2.0/24 --dst 192.168.0.0/16 --sp 4\n"
		"    ipsecguard fixes list --json\n"
		"    ipsecguard fixes revert --sp 4\n");
}

/* ---- options ---- */

struct fixes_opts {
	struct igd_sel sel;
	uint32_t sp;
	bool have_src, have_dst, have_sp, json, no_flush;
	const char *control;		/* the daemon's control socket */
	bool control_given;
};

static int fixes_prefix(const char *what, const char *s, union igd_addr *a,
			uint8_t *plen, uint8_t *family)
{
	char buf[IGD_ADDRSTRLEN + 8], *slash;
	uint32_t v;
	int fam;

	if (strlen(s) >= sizeof(buf))
		return -cli_usage_error(what, "'%s' is not an address or prefix", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	fam = igd_addr_parse(buf, a);
	if (!fam)
		return -cli_usage_error(what, "'%s' is not an IPv4 or IPv6 address", buf);
	if (*family && *family != fam)
		return -cli_usage_error(what, "'%s' is not of the other prefix's family", s);
	v = fam == 6 ? 128 : 32;
	if (slash && cli_parse_u32(what, slash + 1, v, &v))
		return -CLI_EXIT_USAGE;
	*plen = (uint8_t)v;
	*family = (uint8_t)fam;
	return 0;
}

static int fixes_port(const char *what, const char *s, uint16_t *port, uint16_t *mask)
{
	uint32_t v;

	if (cli_parse_u32(what, s, 65535, &v))
		return -CLI_EXIT_USAGE;
	if (v == 0)
		return -cli_usage_error(what, "port 0 matches nothing; leave the option out");
	*port = (uint16_t)v;
	*mask = 0xffff;
	return 0;
}

static const struct option fixes_lopts[] = {
	{ "src", required_argument, NULL, 's' },
	{ "dst", required_argument, NULL, 'd' },
	{ "proto", required_argument, NULL, 'p' },
	{ "sport", required_argument, NULL, 'S' },
	{ "dport", required_argument, NULL, 'D' },
	{ "sp", required_argument, NULL, 'i' },
	{ "no-flush", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "control", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int fixes_opt(struct fixes_opts *o, int opt, const char *arg)
{
	struct igd_sel *s = &o->sel;

	switch (opt) {
	case 's':
		o->have_src = true;
		return fixes_prefix("--src", arg, &s->saddr, &s->plen_s, &s->family);
	case 'd':
		o->have_dst = true;
		return fixes_prefix("--dst", arg, &s->daddr, &s->plen_d, &s->family);
	case 'p':
		return cli_parse_proto("--proto", arg, &s->proto) ? -CLI_EXIT_USAGE : 0;
	case 'S':
		return fixes_port("--sport", arg, &s->sport, &s->sport_mask);
	case 'D':
		return fixes_port("--dport", arg, &s->dport, &s->dport_mask);
	case 'i':
		o->have_sp = true;
		return cli_parse_u32("--sp", arg, UINT32_MAX, &o->sp) ? -CLI_EXIT_USAGE : 0;
	case 'n':
		o->no_flush = true;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'c':
		o->control = arg;
		o->control_given = true;
		return 0;
	}
	return -CLI_EXIT_USAGE;
}

/* Which options each command takes (by short code). */
static const char *fixes_allowed(const char *cmd)
{
	if (!strcmp(cmd, "list"))
		return "jc";
	if (!strcmp(cmd, "revert"))
		return "ijc";
	return "sdpSDinj";		/* apply */
}

static int fixes_parse(const char *cmd, int argc, char **argv, struct fixes_opts *o)
{
	const char *allowed = fixes_allowed(cmd);
	char name[32];
	int opt, idx;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", fixes_lopts, &idx)) != -1) {
		if (opt == 'h') {
			cmd_fixes_help(stdout);
			return 1;
		}
		if (opt == ':')
			return -cli_usage_error(argv[optind - 1], "needs a value");
		if (opt == '?')
			return -cli_usage_error(argv[optind - 1],
						"unknown option (see --help)");
		if (!strchr(allowed, opt)) {
			/* every option but -h is long: idx names it */
			snprintf(name, sizeof(name), "--%s", fixes_lopts[idx].name);
			return -cli_usage_error(name, "not an option of 'fixes %s' (see --help)",
						cmd);
		}
		if (fixes_opt(o, opt, optarg))
			return -CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return -cli_usage_error(argv[optind], "unexpected argument");
	return 0;
}

static int fixes_apply_check(const struct fixes_opts *o)
{
	const struct igd_sel *s = &o->sel;

	if (!o->have_src || !o->have_dst)
		return -cli_usage_error(o->have_src ? "--dst" : "--src", "required");
	if ((s->sport_mask || s->dport_mask) &&
	    s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP)
		return -cli_usage_error(s->sport_mask ? "--sport" : "--dport",
					"needs --proto tcp or udp");
	return 0;
}

/* ---- output ---- */

static const char *fixes_kind_str(enum igd_natfix_kind k)
{
	switch (k) {
	case IGD_NATFIX_NFT:		return "nft";
	case IGD_NATFIX_IPT_NFT:	return "iptables-nft";
	case IGD_NATFIX_IPT_LEGACY:	return "iptables-legacy";
	case IGD_NATFIX_OWN:		return "ipsecguardd";
	}
	return "?";
}

static const char *fixes_family_str(uint8_t f)
{
	switch (f) {
	case NFPROTO_IPV4:	return "ip";
	case NFPROTO_IPV6:	return "ip6";
	case NFPROTO_INET:	return "inet";
	}
	return "?";
}

static void fixes_print_rule(FILE *f, const struct igd_natfix_rule *r)
{
	fprintf(f, "%-15s %-4s %s %s %s %llu  sp %u  %s\n", fixes_kind_str(r->kind),
		fixes_family_str(r->family), r->table, r->chain,
		r->kind == IGD_NATFIX_IPT_LEGACY ? "rule" : "handle",
		(unsigned long long)r->handle, r->sp_index, r->sel_str);
}

static void fixes_json_rule(struct igd_json *j, const struct igd_natfix_rule *r)
{
	char buf[IGD_ADDRSTRLEN + 8], pb[8];
	const struct igd_sel *s = &r->sel;

	igd_json_obj_open(j, NULL);
	igd_json_str(j, "kind", fixes_kind_str(r->kind));
	igd_json_str(j, "family", fixes_family_str(r->family));
	igd_json_str(j, "table", r->table);
	igd_json_str(j, "chain", r->chain);
	igd_json_uint(j, r->kind == IGD_NATFIX_IPT_LEGACY ? "rule" : "handle", r->handle);
	igd_json_uint(j, "sp", r->sp_index);
	igd_json_str(j, "src", igd_prefix_str(s->family, &s->saddr, s->plen_s, buf, sizeof(buf)));
	igd_json_str(j, "dst", igd_prefix_str(s->family, &s->daddr, s->plen_d, buf, sizeof(buf)));
	if (s->proto)
		igd_json_str(j, "proto", igd_proto_name(s->proto, pb, sizeof(pb)));
	if (s->sport_mask)
		igd_json_uint(j, "sport", s->sport);
	if (s->dport_mask)
		igd_json_uint(j, "dport", s->dport);
	igd_json_obj_close(j);
}

/* Prints @n rules as {"<key>":[...], extra fields added by @tail}. */
static int fixes_json_print(const char *key, const struct igd_natfix_rule *rules,
			    unsigned int n, void (*tail)(struct igd_json *, const void *),
			    const void *arg)
{
	size_t size = 1024 + (size_t)n * 1024;
	char *buf = malloc(size);
	struct igd_json j;
	unsigned int i;
	int rc = 0;

	if (!buf) {
		fprintf(stderr, "%s: fixes: out of memory\n", cli_prog);
		return CLI_EXIT_FAIL;
	}
	igd_json_init(&j, buf, size);
	igd_json_obj_open(&j, NULL);
	igd_json_arr_open(&j, key);
	for (i = 0; i < n; i++)
		fixes_json_rule(&j, &rules[i]);
	igd_json_arr_close(&j);
	if (tail)
		tail(&j, arg);
	igd_json_obj_close(&j);
	if (igd_json_finish(&j)) {
		puts(buf);
	} else {
		fprintf(stderr, "%s: fixes: JSON output too long\n", cli_prog);
		rc = CLI_EXIT_FAIL;
	}
	free(buf);
	return rc;
}

static int fixes_fail(const char *what, int ret, const char *err)
{
	fprintf(stderr, "%s: fixes %s: %s%s\n", cli_prog, what,
		err[0] ? err : strerror(-ret),
		ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return CLI_EXIT_FAIL;
}

/* ---- list ---- */

struct fixes_coll {
	struct igd_natfix_rule *r;
	unsigned int n, cap;
};

static int fixes_collect(const struct igd_natfix_rule *rule, void *data)
{
	struct fixes_coll *c = data;
	struct igd_natfix_rule *nr;

	if (c->n == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 16;

		nr = realloc(c->r, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		c->r = nr;
		c->cap = cap;
	}
	c->r[c->n++] = *rule;
	return 0;
}

/* Asks the running daemon (fix mode keeps its exemptions in its own tables, which
 * only it may change).  0; 1 when no daemon answers and the socket was not named on
 * the command line (nothing to ask); -errno, said on stderr, otherwise. */
static int fixes_ask(const struct fixes_opts *o, const char *req, char *buf, size_t len)
{
	size_t got;
	int e = cli_control_ask(o->control, req, buf, len, &got);

	if (e && !o->control_given && (e == -ENOENT || e == -ECONNREFUSED))
		return 1;
	if (e)
		fprintf(stderr, "%s: fixes: control socket %s: %s (is ipsecguardd running?)\n",
			cli_prog, o->control, strerror(-e));
	return e;
}

/* One line of the daemon's "fixes" answer as a rule of its own chain. */
static int fixes_own_rule(const char *line, struct igd_natfix_rule *r)
{
	char v[64];
	uint32_t n;

	memset(r, 0, sizeof(*r));
	r->kind = IGD_NATFIX_OWN;
	snprintf(r->table, sizeof(r->table), "(ipsecguardd)");
	snprintf(r->chain, sizeof(r->chain), "%s", IGD_NATFIX_OWN_CHAIN);
	if (!cli_json_field(line, "sp", v, sizeof(v)) || igd_num_u32(v, 0, UINT32_MAX, &n))
		return -EINVAL;
	r->sp_index = n;
	if (!cli_json_field(line, "src", v, sizeof(v)) ||
	    !(r->sel.family = (uint8_t)igd_prefix_parse(v, &r->sel.saddr, &r->sel.plen_s)) ||
	    !cli_json_field(line, "dst", v, sizeof(v)) ||
	    igd_prefix_parse(v, &r->sel.daddr, &r->sel.plen_d) != r->sel.family)
		return -EINVAL;
	r->family = r->sel.family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	if (cli_json_field(line, "proto", v, sizeof(v)) && !igd_num_u32(v, 0, 255, &n))
		r->sel.proto = (uint8_t)n;
	if (cli_json_field(line, "sport", v, sizeof(v)) && !igd_num_u32(v, 0, 65535, &n)) {
		r->sel.sport = (uint16_t)n;
		r->sel.sport_mask = 0xffff;
	}
	if (cli_json_field(line, "dport", v, sizeof(v)) && !igd_num_u32(v, 0, 65535, &n)) {
		r->sel.dport = (uint16_t)n;
		r->sel.dport_mask = 0xffff;
	}
	igd_natfix_sel_str(&r->sel, r->sel_str, sizeof(r->sel_str));
	return 0;
}

static int fixes_list_own(const struct fixes_opts *o, struct fixes_coll *c)
{
	static char buf[1 << 20];
	struct igd_natfix_rule r;
	char *line, *save = NULL;
	int e = fixes_ask(o, "fixes\n", buf, sizeof(buf));

	if (e)
		return e > 0 ? 0 : e;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!fixes_own_rule(line, &r) && fixes_collect(&r, c))
			return -ENOMEM;
	return 0;
}

static int fixes_list(const struct fixes_opts *o)
{
	struct fixes_coll c = { NULL, 0, 0 };
	char err[FIXES_ERR_MAX] = "";
	unsigned int i;
	int ret, rc = 0;

	ret = fixes_list_own(o, &c);
	if (ret < 0) {
		free(c.r);
		return CLI_EXIT_FAIL;
	}
	ret = igd_natfix_list(fixes_collect, &c, err, sizeof(err));
	if (ret < 0) {
		free(c.r);
		return fixes_fail("list", ret, err);
	}
	if (o->json) {
		rc = fixes_json_print("fixes", c.r, c.n, NULL, NULL);
	} else if (c.n == 0) {
		puts("no fixes");
	} else {
		for (i = 0; i < c.n; i++)
			fixes_print_rule(stdout, &c.r[i]);
	}
	free(c.r);
	return rc;
}

/* ---- revert ---- */

/* The daemon's own exemptions out first; how many, or -errno (said). */
static int fixes_revert_own(const struct fixes_opts *o)
{
	char buf[256], req[64], v[32];
	uint32_t n;
	int e;

	if (o->have_sp)
		snprintf(req, sizeof(req), "revert %u\n", o->sp);
	else
		snprintf(req, sizeof(req), "revert\n");
	e = fixes_ask(o, req, buf, sizeof(buf));
	if (e)
		return e > 0 ? 0 : e;
	if (!cli_json_field(buf, "reverted", v, sizeof(v)) || igd_num_u32(v, 0, 1u << 20, &n)) {
		fprintf(stderr, "%s: fixes revert: the daemon says: %s", cli_prog, buf);
		return -EPROTO;
	}
	return (int)n;
}

static int fixes_revert(const struct fixes_opts *o)
{
	char err[FIXES_ERR_MAX] = "";
	unsigned int n = 0;
	int own = fixes_revert_own(o), ret;

	if (own < 0)
		return CLI_EXIT_FAIL;
	ret = igd_natfix_revert(o->have_sp ? &o->sp : NULL, &n, err, sizeof(err));
	n += (unsigned int)own;
	if (ret < 0) {
		if (n)
			fprintf(stderr, "%s: fixes revert: %u rules deleted before the error\n",
				cli_prog, n);
		return fixes_fail("revert", ret, err);
	}
	if (o->json)
		printf("{\"deleted\":%u}\n", n);
	else
		printf("%u rule%s deleted\n", n, n == 1 ? "" : "s");
	return 0;
}

/* ---- apply ---- */

struct fixes_apply_out {
	const struct igd_natfix_result *res;
	unsigned int ct_deleted;
	bool flushed;
};

static void fixes_apply_tail(struct igd_json *j, const void *arg)
{
	const struct fixes_apply_out *a = arg;

	igd_json_uint(j, "inserted", a->res->inserted);
	igd_json_uint(j, "present", a->res->present);
	if (a->flushed)
		igd_json_uint(j, "conntrack_deleted", a->ct_deleted);
}

static int fixes_apply_report(const struct fixes_opts *o, const struct fixes_apply_out *a)
{
	unsigned int i;

	if (o->json)
		return fixes_json_print("rules", a->res->rules, a->res->n,
					fixes_apply_tail, a);
	printf("%u rule%s inserted, %u chain%s had it already\n", a->res->inserted,
	       a->res->inserted == 1 ? "" : "s", a->res->present,
	       a->res->present == 1 ? "" : "s");
	for (i = 0; i < a->res->n; i++)
		fixes_print_rule(stdout, &a->res->rules[i]);
	if (a->flushed)
		printf("%u conntrack entr%s deleted\n", a->ct_deleted,
		       a->ct_deleted == 1 ? "y" : "ies");
	return 0;
}

static int fixes_apply(const struct fixes_opts *o)
{
	struct igd_natfix_result *res = calloc(1, sizeof(*res));
	struct fixes_apply_out a = { res, 0, false };
	char err[FIXES_ERR_MAX] = "";
	int ret, rc;

	if (!res)
		return fixes_fail("apply", -ENOMEM, "");
	ret = igd_natfix_apply(&o->sel, o->sp, res, err, sizeof(err));
	if (ret < 0) {
		free(res);
		return ret == -EINVAL || ret == -EOPNOTSUPP ?
		       cli_usage_error("fixes apply", "%s", err) : fixes_fail("apply", ret, err);
	}
	if (!o->no_flush) {
		ret = igd_ct_flush_selector(&o->sel, &a.ct_deleted, err, sizeof(err));
		if (ret < 0) {
			fixes_apply_report(o, &a);
			free(res);
			return fixes_fail("apply", ret, err);
		}
		a.flushed = true;
	}
	rc = fixes_apply_report(o, &a);
	free(res);
	return rc;
}

int cmd_fixes(int argc, char **argv)
{
	struct fixes_opts o;
	const char *cmd;
	int ret;

	memset(&o, 0, sizeof(o));
	o.control = IGD_CONTROL_DEFAULT;
	if (argc < 2) {
		cmd_fixes_help(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		cmd_fixes_help(stdout);
		return 0;
	}
	if (strcmp(cmd, "list") && strcmp(cmd, "revert") && strcmp(cmd, "apply"))
		return cli_usage_error(cmd, "not a fixes command (list, revert, apply)");
	ret = fixes_parse(cmd, argc - 1, argv + 1, &o);
	if (ret)
		return ret > 0 ? 0 : CLI_EXIT_USAGE;
	if (!strcmp(cmd, "list"))
		return fixes_list(&o);
	if (!strcmp(cmd, "revert"))
		return fixes_revert(&o);
	if (fixes_apply_check(&o))
		return CLI_EXIT_USAGE;
	return fixes_apply(&o);
}
