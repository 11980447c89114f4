/* Test driver for kmod-free/mtu/route_mtu: the MTU the kernel uses towards a destination.
 *
 *   route_mtu_tool route DST [from SRC] [oif IFNAME] [mark N] [flags lookup|fibmatch]
 *                            [repeat N]
 *   route_mtu_tool link IFNAME 4|6
 *
 * `route` prints one line per query, on one socket and one buffer:
 *   mtu=1300 source=pmtu metric=1300 dev=1500 locked=0 expires=599 oif=eth0 cloned=1
 * `link` prints mtu=N.  Exit 0, or 1 with the error on stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "packet/addr.h"
#include "util/num.h"
#include "mtu/route_mtu.h"

static char tool_buf[IGD_RTNL_BUF_SIZE];

static int tool_usage(void)
{
	fprintf(stderr, "usage: route_mtu_tool route DST [from SRC] [oif IF] [mark N] "
		"[flags lookup|fibmatch] [repeat N]\n"
		"       route_mtu_tool link IF 4|6\n");
	return 2;
}

static void tool_print(const struct igd_route_mtu *m)
{
	char ifname[IF_NAMESIZE] = "-";

	if (m->oif && !if_indextoname(m->oif, ifname))
		snprintf(ifname, sizeof(ifname), "%u", m->oif);
	printf("mtu=%u source=%s metric=%u dev=%u locked=%d expires=%u oif=%s cloned=%d\n",
	       m->mtu, igd_mtu_source_str(m->source), m->metric_mtu, m->dev_mtu, m->locked,
	       m->expires, ifname, !!(m->rtm_flags & RTM_F_CLONED));
}

static int tool_flags(const char *s, uint32_t *flags)
{
	if (!strcmp(s, "lookup"))
		*flags |= RTM_F_LOOKUP_TABLE;
	else if (!strcmp(s, "fibmatch"))
		*flags |= RTM_F_FIB_MATCH;
	else
		return -EINVAL;
	return 0;
}

static int tool_opt(struct igd_route_query *q, const char *key, const char *val,
		    uint32_t *repeat)
{
	if (!strcmp(key, "from")) {
		q->has_src = true;
		return igd_addr_parse(val, &q->src) == q->family ? 0 : -EINVAL;
	}
	if (!strcmp(key, "oif")) {
		q->oif = if_nametoindex(val);
		return q->oif ? 0 : -ENODEV;
	}
	if (!strcmp(key, "mark"))
		return igd_num_u32(val, 0, UINT32_MAX, &q->mark);
	if (!strcmp(key, "flags"))
		return tool_flags(val, &q->rtm_flags);
	if (!strcmp(key, "repeat"))
		return igd_num_u32(val, 1, 1000000, repeat);
	return -EINVAL;
}

static int tool_route(struct igd_rtnl *r, int argc, char **argv)
{
	struct igd_route_query q = { 0 };
	struct igd_route_mtu m;
	uint32_t repeat = 1, i;
	int ret, k;

	if (argc < 1 || argc % 2 != 1)
		return tool_usage();
	q.family = (uint8_t)igd_addr_parse(argv[0], &q.dst);
	if (!q.family)
		return tool_usage();
	for (k = 1; k + 1 < argc; k += 2) {
		ret = tool_opt(&q, argv[k], argv[k + 1], &repeat);
		if (ret < 0) {
			fprintf(stderr, "route_mtu_tool: %s %s: %s\n", argv[k], argv[k + 1],
				strerror(-ret));
			return 1;
		}
	}
	for (i = 0; i < repeat; i++) {
		ret = igd_route_mtu_get(r, &q, &m, tool_buf, sizeof(tool_buf));
		if (ret < 0) {
			fprintf(stderr, "route_mtu_tool: route %s: %s\n", argv[0], strerror(-ret));
			return 1;
		}
		tool_print(&m);
	}
	return 0;
}

static int tool_link(struct igd_rtnl *r, int argc, char **argv)
{
	unsigned int ifindex, mtu;
	uint32_t family;
	int ret;

	if (argc != 2 || igd_num_u32(argv[1], 4, 6, &family) < 0 || family == 5)
		return tool_usage();
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex) {
		fprintf(stderr, "route_mtu_tool: %s: no such device\n", argv[0]);
		return 1;
	}
	ret = igd_link_mtu_get(r, ifindex, (int)family, &mtu, tool_buf, sizeof(tool_buf));
	if (ret < 0) {
		fprintf(stderr, "route_mtu_tool: link %s: %s\n", argv[0], strerror(-ret));
		return 1;
	}
	printf("mtu=%u\n", mtu);
	return 0;
}

int main(int argc, char **argv)
{
	struct igd_rtnl r;
	int ret;

	if (argc < 2)
		return tool_usage();
	ret = igd_rtnl_open(&r);
	if (ret < 0) {
		fprintf(stderr, "route_mtu_tool: rtnetlink: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "route"))
		ret = tool_route(&r, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "link"))
		ret = tool_link(&r, argc - 2, argv + 2);
	else
		ret = tool_usage();
	igd_rtnl_close(&r);
	return ret;
}
