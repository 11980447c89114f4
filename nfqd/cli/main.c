/* ipsecguard: inspect what the kernel's IPsec policy database decides.
 * Subcommands are a table: add a line to cmds[] and a cmd_<name>.c beside this file. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

const char *cli_prog = "ipsecguard";

static const struct cli_cmd cmds[] = {
	{ "lookup", cmd_lookup, cmd_lookup_help,
	  "which security policy the kernel picks for a flow" },
	{ "spd", cmd_spd, cmd_spd_help,
	  "list policies and SAs (no keys); --watch follows changes" },
	{ "monitor", cmd_monitor, cmd_monitor_help,
	  "print XFRM events (ACQUIRE, EXPIRE, policy and SA changes)" },
	{ "stats", cmd_stats, cmd_stats_help,
	  "explain the kernel's XFRM drop counters (/proc/net/xfrm_stat)" },
	{ "fixes", cmd_fixes, cmd_fixes_help,
	  "NAT exemptions for IPsec selectors: list, revert, apply" },
	{ "doctor", cmd_doctor, cmd_doctor_help,
	  "find NAT, forwarding and policy mistakes before traffic does" },
	{ "trace", cmd_trace, cmd_trace_help,
	  "one flow through the gateway: route, SP, NAT, SP again, SA, verdict" },
	{ "remembered", cmd_remembered, cmd_remembered_help,
	  "protections the daemon keeps while their tunnels are down; forget" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void main_help(FILE *f)
{
	size_t i;

	fprintf(f,
		"NAME\n"
		"    ipsecguard - inspect the kernel's IPsec security policy database\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard COMMAND [OPTIONS]\n"
		"    ipsecguard help [COMMAND]\n"
		"    ipsecguard COMMAND --help\n"
		"\n"
		"DESCRIPTION\n"
		"    Reads the XFRM policies (SPs) and states (SAs) over netlink and answers\n"
		"    with the kernel's own lookup rules: sub policies before main, lowest\n"
		"    priority value first, ties to the older policy, marks and if_id filtered.\n"
		"    Key material is never read out of the kernel's messages.\n"
		"\n"
		"COMMANDS\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "    %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"\n"
		"EXIT STATUS\n"
		"    0 success; 1 a system error (no permission: needs CAP_NET_ADMIN);\n"
		"    2 bad usage.\n");
}

static const struct cli_cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		main_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		main_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			main_help(stdout);
			return 0;
		}
		c = cmd_find(argv[2]);
		if (!c)
			return cli_usage_error(argv[2], "unknown command (see 'ipsecguard help')");
		c->help(stdout);
		return 0;
	}
	c = cmd_find(argv[1]);
	if (!c)
		return cli_usage_error(argv[1], "unknown command (see 'ipsecguard help')");
	return c->run(argc - 1, argv + 1);
}
