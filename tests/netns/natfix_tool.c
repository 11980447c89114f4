/* Test driver of the NAT exemption library (the netns suite calls it where the CLI is
 * not the point):
 *   natfix_tool apply SRC/PLEN DST/PLEN [PROTO [SPORT DPORT]] [sp=N]
 *   natfix_tool list
 *   natfix_tool revert [N]
 *   natfix_tool ctflush SRC/PLEN DST/PLEN
 * Exit 0 success, 1 failure, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "nl/ct_nl.h"
#include "natfix/natfix.h"

static int tool_prefix(const char *s, union igd_addr *a, uint8_t *plen)
{
	char buf[64], *slash;
	int fam;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	fam = igd_addr_parse(buf, a);
	if (!fam)
		return 0;
	*plen = (uint8_t)(slash ? atoi(slash + 1) : (fam == 6 ? 128 : 32));
	return fam;
}

static int tool_sel(int argc, char **argv, struct igd_sel *sel, uint32_t *sp)
{
	int i;

	memset(sel, 0, sizeof(*sel));
	if (argc < 2)
		return -EINVAL;
	sel->family = (uint8_t)tool_prefix(argv[0], &sel->saddr, &sel->plen_s);
	if (!sel->family || tool_prefix(argv[1], &sel->daddr, &sel->plen_d) != sel->family)
		return -EINVAL;
	for (i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "sp=", 3))
			*sp = (uint32_t)strtoul(argv[i] + 3, NULL, 10);
		else if (!strcmp(argv[i], "tcp"))
			sel->proto = IPPROTO_TCP;
		else if (!strcmp(argv[i], "udp"))
			sel->proto = IPPROTO_UDP;
		else if (!strcmp(argv[i], "icmp"))
			sel->proto = sel->family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		else if (!sel->sport_mask) {
			sel->sport = (uint16_t)atoi(argv[i]);
			sel->sport_mask = sel->sport ? 0xffff : 0;
			if (i + 1 < argc && strncmp(argv[i + 1], "sp=", 3)) {
				sel->dport = (uint16_t)atoi(argv[++i]);
				sel->dport_mask = sel->dport ? 0xffff : 0;
			}
		}
	}
	return 0;
}

static const char *tool_kind(enum igd_natfix_kind k)
{
	return k == IGD_NATFIX_NFT ? "nft" : k == IGD_NATFIX_IPT_NFT ? "iptables-nft" :
	       "iptables-legacy";
}

static const char *tool_family(uint8_t f)
{
	return f == 2 ? "ip" : f == 10 ? "ip6" : f == 1 ? "inet" : "?";
}

static int tool_print(const struct igd_natfix_rule *r, void *data)
{
	printf("%s %s %s %s handle %llu sp %u %s\n", tool_kind(r->kind),
	       tool_family(r->family), r->table, r->chain,
	       (unsigned long long)r->handle, r->sp_index, r->sel_str);
	return 0;
}

static int tool_apply(int argc, char **argv)
{
	struct igd_natfix_result res;
	struct igd_sel sel;
	uint32_t sp = 0;
	unsigned int i, del = 0;
	char err[256];
	int ret;

	if (tool_sel(argc, argv, &sel, &sp) < 0)
		return 2;
	ret = igd_natfix_apply(&sel, sp, &res, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "apply: %s\n", err);
		return 1;
	}
	printf("inserted %u present %u\n", res.inserted, res.present);
	for (i = 0; i < res.n; i++)
		tool_print(&res.rules[i], NULL);
	ret = igd_ct_flush_selector(&sel, &del, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "ctflush: %s\n", err);
		return 1;
	}
	printf("conntrack deleted %u\n", del);
	return 0;
}

int main(int argc, char **argv)
{
	struct igd_sel sel;
	unsigned int n = 0;
	uint32_t sp = 0;
	char err[256];
	int ret;

	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "apply"))
		return tool_apply(argc - 2, argv + 2);
	if (!strcmp(argv[1], "list")) {
		ret = igd_natfix_list(tool_print, NULL, err, sizeof(err));
		if (ret < 0)
			fprintf(stderr, "list: %s\n", err);
		return ret < 0;
	}
	if (!strcmp(argv[1], "revert")) {
		if (argc > 2)
			sp = (uint32_t)strtoul(argv[2], NULL, 10);
		ret = igd_natfix_revert(argc > 2 ? &sp : NULL, &n, err, sizeof(err));
		if (ret < 0)
			fprintf(stderr, "revert: %s\n", err);
		else
			printf("deleted %u\n", n);
		return ret < 0;
	}
	if (!strcmp(argv[1], "ctflush")) {
		if (tool_sel(argc - 2, argv + 2, &sel, &sp) < 0)
			return 2;
		ret = igd_ct_flush_selector(&sel, &n, err, sizeof(err));
		if (ret < 0)
			fprintf(stderr, "ctflush: %s\n", err);
		else
			printf("conntrack deleted %u\n", n);
		return ret < 0;
	}
	return 2;
}
