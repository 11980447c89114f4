/* Route-based tunnels from rtnetlink messages as the kernel writes them: xfrm
 * interfaces and VTIs, routes into them (plain, multipath, replaced, deleted), a link
 * going down, and messages that do not parse. */
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/rtnetlink.h>
#include "route/tunnels.h"
#include "tap.h"

static _Alignas(8) char buf[4096];

static struct nlmsghdr *link_msg(uint16_t type, int ifindex, const char *name, bool up)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = up ? IFF_UP : 0;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	return nlh;
}

/* IFLA_LINKINFO { KIND @kind, DATA { @a1 @v1, @a2 @v2 } } */
static struct nlmsghdr *kind_link(int ifindex, const char *name, const char *kind, bool up,
				  uint16_t a1, uint32_t v1, uint16_t a2, uint32_t v2)
{
	struct nlmsghdr *nlh = link_msg(RTM_NEWLINK, ifindex, name, up);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO), *data;

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, a1, v1);
	mnl_attr_put_u32(nlh, a2, v2);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

static struct nlmsghdr *xfrm_link(int ifindex, const char *name, uint32_t if_id, bool up)
{
	return kind_link(ifindex, name, "xfrm", up, IFLA_XFRM_LINK, 2, IFLA_XFRM_IF_ID, if_id);
}

/* the keys big-endian, as the kernel writes them */
static struct nlmsghdr *vti_link(int ifindex, const char *name, uint32_t ikey, uint32_t okey)
{
	return kind_link(ifindex, name, "vti6", true, IFLA_VTI_IKEY, htonl(ikey), IFLA_VTI_OKEY,
			 htonl(okey));
}

static struct nlmsghdr *route_msg(uint16_t type, int family, const char *dst, int plen,
				  uint32_t table, int oif, int oif2)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	uint8_t a[16];

	nlh->nlmsg_type = type;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_type = RTN_UNICAST;
	inet_pton(family, dst, a);
	mnl_attr_put(nlh, RTA_DST, family == AF_INET6 ? 16 : 4, a);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (oif2) {
		struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
		struct rtnexthop nh[2] = {
			{ .rtnh_len = sizeof(nh[0]), .rtnh_ifindex = oif },
			{ .rtnh_len = sizeof(nh[0]), .rtnh_ifindex = oif2 },
		};

		memcpy(mnl_nlmsg_get_payload_tail(nlh), nh, sizeof(nh));
		nlh->nlmsg_len += MNL_ALIGN(sizeof(nh));
		mnl_attr_nest_end(nlh, mp);
	} else if (oif) {
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	}
	return nlh;
}

static bool apply(struct igd_tunnels *t, struct nlmsghdr *nlh)
{
	return igd_tunnels_msg(t, nlh, nlh->nlmsg_len);
}

static bool routed(struct igd_tunnels *t, int family, const char *dst, int plen)
{
	struct igd_prefix p = { .family = family == AF_INET6 ? 6 : 4, .plen = (uint8_t)plen };

	inet_pton(family, dst, &p.addr);
	return igd_tunnels_routed(t, &p);
}

int main(void)
{
	static struct igd_tunnels t;
	const struct igd_tunnel_if *f;
	struct nlmsghdr *nlh;
	uint64_t g;

	igd_tunnels_init(&t);
	ok(!apply(&t, link_msg(RTM_NEWLINK, 2, "eth0", true)), "eth0 is no tunnel");
	ok(apply(&t, xfrm_link(7, "ipsec0", 42, true)), "an xfrm interface");
	f = igd_tunnels_if(&t, 7);
	ok(f && f->kind == IGD_TUNNEL_XFRM && f->if_id == 42 && f->up && f->link == 2 &&
	   !strcmp(f->name, "ipsec0"), "its name, if_id, link, up");
	ok(igd_tunnels_by_if_id(&t, 42) == f, "found by its if_id");
	ok(!apply(&t, xfrm_link(7, "ipsec0", 42, true)), "the same again changes nothing");
	ok(apply(&t, vti_link(8, "vti6a", 5, 0x10203)), "a vti6");
	f = igd_tunnels_if(&t, 8);
	ok(f && f->kind == IGD_TUNNEL_VTI && f->ikey == 5 && f->okey == 0x10203 && f->has_okey,
	   "its keys, in host order");
	is_str(igd_tunnel_kind_name(f->kind), "vti", "named vti");

	ok(!apply(&t, route_msg(RTM_NEWROUTE, AF_INET, "10.9.0.0", 16, RT_TABLE_MAIN, 2, 0)),
	   "a route by eth0 is not kept");
	ok(apply(&t, route_msg(RTM_NEWROUTE, AF_INET, "192.168.0.0", 16, RT_TABLE_MAIN, 7, 0)),
	   "a route into ipsec0");
	ok(apply(&t, route_msg(RTM_NEWROUTE, AF_INET, "172.30.0.0", 24, 220, 2, 7)),
	   "a multipath route with a nexthop into ipsec0, table 220");
	ok(apply(&t, route_msg(RTM_NEWROUTE, AF_INET6, "fd00:168::", 48, RT_TABLE_MAIN, 7, 0)),
	   "an IPv6 route into it");
	ok(routed(&t, AF_INET, "192.168.0.0", 16) && routed(&t, AF_INET, "172.30.0.0", 24) &&
	   routed(&t, AF_INET6, "fd00:168::", 48), "all three are routed into a tunnel");
	ok(!routed(&t, AF_INET, "192.168.0.0", 24), "a prefix is the route's own");
	ok(apply(&t, route_msg(RTM_NEWROUTE, AF_INET, "192.168.0.0", 16, RT_TABLE_MAIN, 2, 0)),
	   "replaced by a route by eth0");
	ok(!routed(&t, AF_INET, "192.168.0.0", 16), "... it is gone");
	apply(&t, route_msg(RTM_NEWROUTE, AF_INET, "192.168.0.0", 16, RT_TABLE_MAIN, 7, 0));
	ok(apply(&t, route_msg(RTM_DELROUTE, AF_INET, "192.168.0.0", 16, RT_TABLE_MAIN, 7, 0)),
	   "deleted");
	ok(!routed(&t, AF_INET, "192.168.0.0", 16), "... gone");
	apply(&t, route_msg(RTM_NEWROUTE, AF_INET, "192.168.0.0", 16, RT_TABLE_MAIN, 7, 0));

	ok(apply(&t, xfrm_link(7, "ipsec0", 42, false)), "ipsec0 down");
	ok(!routed(&t, AF_INET, "192.168.0.0", 16) && !routed(&t, AF_INET, "172.30.0.0", 24),
	   "its IPv4 routes went with it (the kernel says nothing of them)");
	ok(!routed(&t, AF_INET6, "fd00:168::", 48) && t.nroutes == 1,
	   "the IPv6 one is kept but does not count while it is down");
	ok(apply(&t, xfrm_link(7, "ipsec0", 42, true)) && t.want_routes,
	   "up again: its routes are to be read again");
	ok(routed(&t, AF_INET6, "fd00:168::", 48), "... the IPv6 one counts again");
	nlh = link_msg(RTM_DELLINK, 7, "ipsec0", false);
	ok(apply(&t, nlh) && !igd_tunnels_if(&t, 7) && t.nroutes == 0,
	   "deleted: it and its routes are gone");

	g = t.generation;
	nlh = route_msg(RTM_NEWROUTE, AF_INET, "10.0.0.0", 8, RT_TABLE_MAIN, 8, 0);
	nlh->nlmsg_len = 20;
	ok(!apply(&t, nlh) && t.bad_msgs == 1, "a message cut short is counted");
	nlh = route_msg(RTM_NEWROUTE, AF_INET, "10.0.0.0", 8, RT_TABLE_MAIN, 8, 0);
	ok(!igd_tunnels_msg(&t, nlh, 10), "a buffer shorter than a header is refused");
	nlh = route_msg(RTM_NEWROUTE, AF_INET, "10.0.0.0", 40, RT_TABLE_MAIN, 8, 0);
	ok(!apply(&t, nlh) && t.bad_msgs == 3, "a prefix longer than the family's is counted");
	ok(t.generation == g, "nothing bad changed the table");
	return tap_done();
}
