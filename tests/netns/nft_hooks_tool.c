/* Test driver for kmod-free/nft_hooks: probe, install and remove the daemon's tables.
 *
 *   nft_hooks_tool probe
 *   nft_hooks_tool install [-t TABLE] [-q NUM[:TOTAL]] [-b] [-f] [-a] [-n|-x]
 *   nft_hooks_tool remove [-t TABLE]
 *
 * -b bypass, -f fanout, -a all packets, -n force the native queue, -x the xt target. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_hooks.h"

static int tool_parse_u16(const char *s, uint16_t *v)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || n > UINT16_MAX)
		return -1;
	*v = (uint16_t)n;
	return (int)(end - s);
}

static int tool_parse_queue(const char *s, struct igd_hooks_cfg *cfg)
{
	int n = tool_parse_u16(s, &cfg->queue_num);

	if (n < 0)
		return -1;
	if (s[n] == '\0')
		return 0;
	if (s[n] != ':' || tool_parse_u16(s + n + 1, &cfg->queue_total) < 0)
		return -1;
	return 0;
}

static int tool_usage(void)
{
	fprintf(stderr, "usage: nft_hooks_tool probe | install [-t TABLE] [-q N[:TOTAL]]"
		" [-b] [-f] [-a] [-n|-x] | remove [-t TABLE]\n");
	return 2;
}

static int tool_probe(void)
{
	int ret = igd_hooks_probe();

	if (ret < 0) {
		fprintf(stderr, "probe: %s\n", strerror(-ret));
		return 1;
	}
	printf("%s\n", ret ? "native" : "xt");
	return 0;
}

static int tool_parse_opts(int argc, char **argv, struct igd_hooks_cfg *cfg)
{
	int c;

	while ((c = getopt(argc, argv, "t:q:bfanx")) != -1) {
		switch (c) {
		case 't': cfg->table = optarg; break;
		case 'q':
			if (tool_parse_queue(optarg, cfg) < 0)
				return -1;
			break;
		case 'b': cfg->bypass = true; break;
		case 'f': cfg->fanout = true; break;
		case 'a': cfg->all_packets = true; break;
		case 'n': cfg->queue = IGD_HOOKS_QUEUE_NATIVE; break;
		case 'x': cfg->queue = IGD_HOOKS_QUEUE_XT; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct igd_hooks_cfg cfg = { 0 };
	char err[256] = "";
	int ret;

	if (argc < 2)
		return tool_usage();
	if (strcmp(argv[1], "probe") == 0)
		return tool_probe();
	if (tool_parse_opts(argc - 1, argv + 1, &cfg) < 0)
		return tool_usage();
	if (strcmp(argv[1], "install") == 0)
		ret = igd_hooks_install(&cfg, err, sizeof(err));
	else if (strcmp(argv[1], "remove") == 0)
		ret = igd_hooks_remove(cfg.table, err, sizeof(err));
	else
		return tool_usage();
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}
