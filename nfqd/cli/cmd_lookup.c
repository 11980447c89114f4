/* ipsecguard lookup: which SP the kernel would pick for a flow. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "judge/sp_json.h"
#include "cli.h"

struct probe {
	struct igd_flow flow;
	int dir;
	bool have_src, have_dst, have_icmp;
	uint8_t icmp_type, icmp_code;
};

void cmd_lookup_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard lookup - which security policy the kernel picks for a flow\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard lookup --dir in|out|fwd --src IP --dst IP [--proto P]\n"
		"                      [--sport N] [--dport N] [--icmp-type N] [--icmp-code N]\n"
		"                      [--mark N] [--if-id N] [--oif N] [--json]\n"
		"    ipsecguard lookup --batch [--json] < PROBES\n"
		"\n"
		"DESCRIPTION\n"
		"    Dumps the kernel's SPD and answers with the policy xfrm_policy_lookup()\n"
		"    would return: type sub before main; among policies whose family, mark\n"
		"    ((mark & policy mask) == policy value), if_id and selector match, the\n"
		"    lowest priority value, ties to the older policy.  Longest prefix does not\n"
		"    win.  Prints the policy, or \"none\".\n"
		"\n"
		"OPTIONS\n"
		"    --dir D        in, out or fwd (required)\n"
		"    --src IP, --dst IP\n"
		"                   IPv4 or IPv6 addresses of the flow, same family (required)\n"
		"    --proto P      tcp, udp, icmp, ipv6-icmp, sctp, gre, udplite, mh or 0-255\n"
		"    --sport N, --dport N\n"
		"                   ports 0-65535 (ignored for protocols without ports, as the\n"
		"                   kernel does)\n"
		"    --icmp-type N, --icmp-code N\n"
		"                   for icmp/ipv6-icmp: the kernel matches the type against the\n"
		"                   selector's source port and the code against its destination\n"
		"                   port\n"
		"    --mark N       the packet mark (decimal or 0x hex)\n"
		"    --if-id N      the XFRM interface id (0: none)\n"
		"    --oif N        output interface index, for selectors bound to a device\n"
		"    --json         one JSON object: {\"sp\": {...}} or {\"sp\": null}\n"
		"    --batch        read probes from standard input, one a line, written as the\n"
		"                   options above without dashes (\"dir out src 10.0.0.1 dst\n"
		"                   10.1.0.1 proto udp dport 53\"); one answer a line, in order,\n"
		"                   against one snapshot of the SPD\n"
		"    -h, --help     this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 answered (whether or not a policy matched); 1 system error; 2 bad usage.\n"
		"\n"
		"EXAMPLE\n"
		"    ipsecguard lookup --dir out --src 10.0.2.5 --dst 192.168.1.1 --proto tcp \\\n"
		"        --dport 443 --json\n");
}

static int probe_addr(const char *what, const char *s, union igd_addr *a, uint8_t *family)
{
	int fam = igd_addr_parse(s, a);

	if (!fam)
		return -cli_usage_error(what, "'%s' is not an IPv4 or IPv6 address", s);
	if (*family && *family != fam)
		return -cli_usage_error(what, "'%s' is not of the other address's family", s);
	*family = (uint8_t)fam;
	return 0;
}

/* One option, by its long name without dashes.  0, or -CLI_EXIT_USAGE (reported). */
static int probe_set(struct probe *p, const char *key, const char *val)
{
	struct igd_flow *f = &p->flow;
	uint32_t v;
	int err = 0;

	if (!strcmp(key, "dir")) {
		p->dir = igd_dir_parse(val);
		if (p->dir < 0)
			return -cli_usage_error("--dir", "'%s' is not in, out or fwd", val);
	} else if (!strcmp(key, "src")) {
		err = probe_addr("--src", val, &f->saddr, &f->family);
		p->have_src = !err;
	} else if (!strcmp(key, "dst")) {
		err = probe_addr("--dst", val, &f->daddr, &f->family);
		p->have_dst = !err;
	} else if (!strcmp(key, "proto")) {
		err = cli_parse_proto("--proto", val, &f->proto);
	} else if (!strcmp(key, "sport") || !strcmp(key, "dport")) {
		err = cli_parse_u32(key[0] == 's' ? "--sport" : "--dport", val, 65535, &v);
		if (!err && key[0] == 's')
			f->sport = (uint16_t)v;
		else if (!err)
			f->dport = (uint16_t)v;
	} else if (!strcmp(key, "icmp-type") || !strcmp(key, "icmp-code")) {
		bool type = !strcmp(key, "icmp-type");

		err = cli_parse_u32(type ? "--icmp-type" : "--icmp-code", val, 255, &v);
		if (!err && type)
			p->icmp_type = (uint8_t)v;
		else if (!err)
			p->icmp_code = (uint8_t)v;
		p->have_icmp = true;
	} else if (!strcmp(key, "mark")) {
		err = cli_parse_u32("--mark", val, UINT32_MAX, &f->mark);
	} else if (!strcmp(key, "if-id")) {
		err = cli_parse_u32("--if-id", val, UINT32_MAX, &f->if_id);
	} else if (!strcmp(key, "oif")) {
		err = cli_parse_u32("--oif", val, INT32_MAX, &v);
		f->oif = (int32_t)v;
	} else {
		return -cli_usage_error(key, "unknown probe field");
	}
	return err ? -CLI_EXIT_USAGE : 0;
}

static int probe_finish(struct probe *p)
{
	if (p->dir < 0)
		return -cli_usage_error("--dir", "required (in, out or fwd)");
	if (!p->have_src || !p->have_dst)
		return -cli_usage_error(p->have_src ? "--dst" : "--src", "required");
	if (p->have_icmp) {
		if (p->flow.proto != IPPROTO_ICMP && p->flow.proto != IPPROTO_ICMPV6)
			return -cli_usage_error("--icmp-type", "needs --proto icmp or ipv6-icmp");
		igd_flow_set_icmp(&p->flow, p->icmp_type, p->icmp_code);
	}
	return 0;
}

static void answer(const struct igd_sp *sp, bool json)
{
	if (json) {
		char buf[4096];
		struct igd_json j;

		igd_json_init(&j, buf, sizeof(buf));
		igd_json_obj_open(&j, NULL);
		if (sp)
			igd_json_sp(&j, "sp", sp, IGD_JSON_FULL);
		else
			igd_json_null(&j, "sp");
		igd_json_obj_close(&j);
		puts(igd_json_finish(&j) ? buf : "{\"sp\":null,\"error\":\"overflow\"}");
	} else if (sp) {
		cli_print_sp(stdout, sp);
	} else {
		puts("none");
	}
}

static int batch_line(const struct igd_spd *spd, char *line, bool json, unsigned long n)
{
	struct probe p = { .dir = -1 };
	char *save = NULL, *key, *val;
	char what[32];

	snprintf(what, sizeof(what), "line %lu", n);
	for (key = strtok_r(line, " \t\r\n", &save); key;
	     key = strtok_r(NULL, " \t\r\n", &save)) {
		val = strtok_r(NULL, " \t\r\n", &save);
		if (!val)
			return cli_usage_error(what, "'%s' has no value", key);
		if (probe_set(&p, key, val))
			return cli_usage_error(what, "bad probe");
	}
	if (probe_finish(&p))
		return cli_usage_error(what, "bad probe");
	answer(igd_spd_lookup(spd, p.dir, &p.flow), json);
	return 0;
}

static int run_batch(const struct igd_spd *spd, bool json)
{
	char line[1024];
	unsigned long n = 0;
	int rc = 0;

	while (fgets(line, sizeof(line), stdin)) {
		n++;
		if (line[strspn(line, " \t\r\n")] == '\0' || line[0] == '#')
			continue;
		rc = batch_line(spd, line, json, n);
		if (rc)
			break;
	}
	fflush(stdout);
	return rc;
}

static const struct option lookup_opts[] = {
	{ "dir", required_argument, NULL, 'D' },
	{ "src", required_argument, NULL, 's' },
	{ "dst", required_argument, NULL, 'd' },
	{ "proto", required_argument, NULL, 'p' },
	{ "sport", required_argument, NULL, 'S' },
	{ "dport", required_argument, NULL, 'P' },
	{ "icmp-type", required_argument, NULL, 't' },
	{ "icmp-code", required_argument, NULL, 'c' },
	{ "mark", required_argument, NULL, 'm' },
	{ "if-id", required_argument, NULL, 'i' },
	{ "oif", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "batch", no_argument, NULL, 'b' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_lookup(int argc, char **argv)
{
	struct igd_xfrm_mirror_cfg cfg = { .no_events = true };
	struct probe p = { .dir = -1 };
	struct igd_xfrm_mirror *m;
	bool json = false, batch = false;
	int opt, idx, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", lookup_opts, &idx)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'b':
			batch = true;
			break;
		case 'h':
			cmd_lookup_help(stdout);
			return 0;
		case ':':
		case '?':
			return cli_getopt_error(opt, argv);
		default:
			if (probe_set(&p, lookup_opts[idx].name, optarg))
				return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_argument(argv[optind]);
	if (!batch && probe_finish(&p))
		return CLI_EXIT_USAGE;
	rc = cli_mirror_open(&m, &cfg);
	if (rc)
		return rc;
	if (batch)
		rc = run_batch(igd_xfrm_mirror_spd(m), json);
	else
		answer(igd_spd_lookup(igd_xfrm_mirror_spd(m), p.dir, &p.flow), json);
	igd_xfrm_mirror_close(m);
	return rc;
}
