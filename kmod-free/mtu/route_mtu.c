/* Route and link MTU over rtnetlink (libmnl).  See route_mtu.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include "mtu/route_mtu.h"
#include "nl/nl_talk.h"

/* --- socket ------------------------------------------------------------------------- */

int igd_rtnl_open(struct igd_rtnl *r)
{
	memset(r, 0, sizeof(*r));
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->nl)
		return -errno;
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(r->nl);
		r->nl = NULL;
		return err;
	}
	return 0;
}

void igd_rtnl_close(struct igd_rtnl *r)
{
	if (!r || !r->nl)
		return;
	mnl_socket_close(r->nl);
	r->nl = NULL;
}

static int rtnl_talk(struct igd_rtnl *r, struct nlmsghdr *nlh, void *buf, size_t len,
		     mnl_cb_t cb, void *data)
{
	return igd_nl_exchange(r->nl, nlh, buf, len, cb, data);
}

static struct nlmsghdr *rtnl_msg_start(struct igd_rtnl *r, void *buf, uint16_t type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	return nlh;
}

/* --- link MTU ------------------------------------------------------------------------ */

struct link_answer {
	unsigned int mtu;
	unsigned int mtu6;
	bool got;
};

static int link_inet6_conf(const struct nlattr *conf, struct link_answer *a)
{
	int32_t v[DEVCONF_MTU6 + 1];

	if (mnl_attr_validate(conf, MNL_TYPE_BINARY) < 0)
		return MNL_CB_ERROR;
	if (mnl_attr_get_payload_len(conf) < sizeof(v))
		return MNL_CB_OK;
	memcpy(v, mnl_attr_get_payload(conf), sizeof(v));
	if (v[DEVCONF_MTU6] > 0)
		a->mtu6 = (unsigned int)v[DEVCONF_MTU6];
	return MNL_CB_OK;
}

static int link_inet6_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_type_valid(attr, IFLA_INET6_MAX) < 0 ||
	    mnl_attr_get_type(attr) != IFLA_INET6_CONF)
		return MNL_CB_OK;
	return link_inet6_conf(attr, data);
}

static int link_af_spec_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) != AF_INET6)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	return mnl_attr_parse_nested(attr, link_inet6_cb, data);
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_answer *a = data;

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		a->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_AF_SPEC:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(attr, link_af_spec_cb, data);
	}
	return MNL_CB_OK;
}

static int link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_answer *a = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	a->got = true;
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
}

int igd_link_mtu_get(struct igd_rtnl *r, uint32_t ifindex, int family, unsigned int *mtu,
		     void *buf, size_t len)
{
	struct link_answer a = { 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int ret;

	if (!r || !r->nl || !mtu || !buf || !ifindex || ifindex > INT32_MAX ||
	    (family != 4 && family != 6))
		return -EINVAL;
	if (len < (size_t)MNL_SOCKET_BUFFER_SIZE)
		return -ENOSPC;
	nlh = rtnl_msg_start(r, buf, RTM_GETLINK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ret = rtnl_talk(r, nlh, buf, len, link_msg_cb, &a);
	if (ret < 0)
		return ret;
	if (!a.got || !a.mtu)
		return -ENODEV;
	*mtu = family == 6 && a.mtu6 ? a.mtu6 : a.mtu;
	return 0;
}

/* --- route MTU ----------------------------------------------------------------------- */

struct route_answer {
	struct igd_route_mtu *out;
	uint8_t family;
	bool got;
};

static int route_metrics_cb(const struct nlattr *attr, void *data)
{
	struct igd_route_mtu *out = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type != RTAX_MTU && type != RTAX_LOCK)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (type == RTAX_MTU)
		out->metric_mtu = mnl_attr_get_u32(attr);
	else
		out->locked = mnl_attr_get_u32(attr) & (1u << RTAX_MTU);
	return MNL_CB_OK;
}

/* rta_expires is in clock ticks (USER_HZ), as iproute2 reads it. */
static int route_cacheinfo(const struct nlattr *attr, struct igd_route_mtu *out)
{
	struct rta_cacheinfo ci;
	long hz = sysconf(_SC_CLK_TCK);

	if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(ci)) < 0)
		return MNL_CB_ERROR;
	memcpy(&ci, mnl_attr_get_payload(attr), sizeof(ci));
	if (hz <= 0)
		hz = 100;
	if (ci.rta_expires > 0)
		out->expires = (uint32_t)(((uint64_t)ci.rta_expires + (uint64_t)hz - 1) /
					  (uint64_t)hz);
	return MNL_CB_OK;
}

static int route_addr(const struct nlattr *attr, uint8_t family, union igd_addr *a,
		      bool *has)
{
	size_t alen = family == 6 ? 16 : 4;

	if (mnl_attr_validate2(attr, MNL_TYPE_BINARY, alen) < 0)
		return MNL_CB_ERROR;
	memset(a, 0, sizeof(*a));
	memcpy(a->b, mnl_attr_get_payload(attr), alen);
	*has = true;
	return MNL_CB_OK;
}

static int route_u32(const struct nlattr *attr, uint32_t *v)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	*v = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	struct route_answer *a = data;
	struct igd_route_mtu *out = a->out;

	if (mnl_attr_type_valid(attr, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case RTA_OIF:
		return route_u32(attr, &out->oif);
	case RTA_TABLE:
		return route_u32(attr, &out->table);
	case RTA_GATEWAY:
		return route_addr(attr, a->family, &out->gateway, &out->has_gateway);
	case RTA_PREFSRC:
		return route_addr(attr, a->family, &out->prefsrc, &out->has_prefsrc);
	case RTA_CACHEINFO:
		return route_cacheinfo(attr, out);
	case RTA_METRICS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(attr, route_metrics_cb, out);
	}
	return MNL_CB_OK;
}

static int route_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_answer *a = data;
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	rtm = mnl_nlmsg_get_payload(nlh);
	a->out->type = rtm->rtm_type;
	a->out->rtm_flags = rtm->rtm_flags;
	a->out->table = rtm->rtm_table;
	a->got = true;
	return mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, data);
}

static void route_put_addr(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
			   const union igd_addr *addr)
{
	mnl_attr_put(nlh, type, family == 6 ? 16 : 4, addr->b);
}

static struct nlmsghdr *route_request(struct igd_rtnl *r, const struct igd_route_query *q,
				      void *buf)
{
	struct nlmsghdr *nlh = rtnl_msg_start(r, buf, RTM_GETROUTE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	uint8_t bits = q->family == 6 ? 128 : 32;

	rtm->rtm_family = q->family == 6 ? AF_INET6 : AF_INET;
	rtm->rtm_dst_len = bits;
	rtm->rtm_flags = q->rtm_flags;
	route_put_addr(nlh, RTA_DST, q->family, &q->dst);
	if (q->has_src) {
		rtm->rtm_src_len = bits;
		route_put_addr(nlh, RTA_SRC, q->family, &q->src);
	}
	if (q->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, q->oif);
	if (q->iif)
		mnl_attr_put_u32(nlh, RTA_IIF, q->iif);
	if (q->mark)
		mnl_attr_put_u32(nlh, RTA_MARK, q->mark);
	return nlh;
}

/* A PMTU exception: a metric MTU with a lifetime.  IPv6 also flags the cached clone
 * (RTF_CACHE -> RTM_F_CLONED), which a route added with `expires` lacks; IPv4 marks
 * every answer cloned and reports a lifetime only for exceptions. */
static bool route_is_pmtu(const struct igd_route_mtu *out, uint8_t family)
{
	if (!out->metric_mtu || !out->expires)
		return false;
	return family == 4 || (out->rtm_flags & RTM_F_CLONED);
}

static int route_resolve(struct igd_rtnl *r, struct igd_route_mtu *out, uint8_t family,
			 void *buf, size_t len)
{
	int ret;

	if (out->oif) {
		ret = igd_link_mtu_get(r, out->oif, family, &out->dev_mtu, buf, len);
		if (ret < 0 && !out->metric_mtu)
			return ret;
	}
	if (out->metric_mtu) {
		out->mtu = out->metric_mtu;
		out->source = route_is_pmtu(out, family) ? IGD_MTU_SRC_PMTU : IGD_MTU_SRC_ROUTE;
	} else if (out->dev_mtu) {
		out->mtu = out->dev_mtu;
		out->source = IGD_MTU_SRC_DEV;
	} else {
		return -ENODEV;
	}
	return 0;
}

int igd_route_mtu_get(struct igd_rtnl *r, const struct igd_route_query *q,
		      struct igd_route_mtu *out, void *buf, size_t len)
{
	struct route_answer a = { .out = out, .family = q ? q->family : 0 };
	struct nlmsghdr *nlh;
	int ret;

	if (!r || !r->nl || !q || !out || !buf || (q->family != 4 && q->family != 6))
		return -EINVAL;
	if (len < (size_t)MNL_SOCKET_BUFFER_SIZE)
		return -ENOSPC;
	memset(out, 0, sizeof(*out));
	nlh = route_request(r, q, buf);
	ret = rtnl_talk(r, nlh, buf, len, route_msg_cb, &a);
	if (ret < 0)
		return ret;
	if (!a.got)
		return -ENOMSG;
	return route_resolve(r, out, q->family, buf, len);
}

const char *igd_mtu_source_str(enum igd_mtu_source s)
{
	switch (s) {
	case IGD_MTU_SRC_ROUTE:
		return "route";
	case IGD_MTU_SRC_PMTU:
		return "pmtu";
	case IGD_MTU_SRC_DEV:
		return "dev";
	case IGD_MTU_SRC_NONE:
		break;
	}
	return "none";
}
