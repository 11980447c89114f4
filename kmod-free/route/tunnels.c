/* Route-based tunnels from rtnetlink messages.  See tunnels.h. */
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/rtnetlink.h>
#include "route/tunnels.h"

void igd_tunnels_init(struct igd_tunnels *t)
{
	memset(t, 0, sizeof(*t));
}

void igd_tunnels_clear(struct igd_tunnels *t, bool links_too)
{
	if (t->nroutes || (links_too && t->nifs))
		t->generation++;
	t->nroutes = 0;
	if (links_too)
		t->nifs = 0;
}

const char *igd_tunnel_kind_name(enum igd_tunnel_kind k)
{
	return k == IGD_TUNNEL_VTI ? "vti" : "xfrm";
}

const struct igd_tunnel_if *igd_tunnels_if(const struct igd_tunnels *t, uint32_t ifindex)
{
	size_t i;

	for (i = 0; t && ifindex && i < t->nifs; i++)
		if (t->ifs[i].ifindex == ifindex)
			return &t->ifs[i];
	return NULL;
}

const struct igd_tunnel_if *igd_tunnels_by_if_id(const struct igd_tunnels *t, uint32_t if_id)
{
	size_t i;

	for (i = 0; t && if_id && i < t->nifs; i++)
		if (t->ifs[i].kind == IGD_TUNNEL_XFRM && t->ifs[i].if_id == if_id)
			return &t->ifs[i];
	return NULL;
}

bool igd_sp_route_bound(const struct igd_sp *sp, const struct igd_tunnels *t)
{
	size_t i;

	if (sp->if_id)
		return true;
	if (!sp->mark_m || !t)
		return false;
	for (i = 0; i < t->nifs; i++) {
		const struct igd_tunnel_if *f = &t->ifs[i];

		if (f->kind != IGD_TUNNEL_VTI)
			continue;
		if ((f->has_okey && (f->okey & sp->mark_m) == sp->mark_v) ||
		    (f->has_ikey && (f->ikey & sp->mark_m) == sp->mark_v))
			return true;
	}
	return false;
}

bool igd_tunnels_routed(const struct igd_tunnels *t, const struct igd_prefix *dst)
{
	size_t i;

	for (i = 0; t && i < t->nroutes; i++) {
		const struct igd_tunnel_route *r = &t->routes[i];
		const struct igd_tunnel_if *f;

		if (r->dst.family != dst->family || r->dst.plen != dst->plen ||
		    memcmp(&r->dst.addr, &dst->addr, sizeof(dst->addr)))
			continue;
		f = igd_tunnels_if(t, r->oif);
		if (f && f->up)
			return true;
	}
	return false;
}

/* --- links --------------------------------------------------------------------------- */

struct link_msg {
	struct igd_tunnel_if f;
	bool tunnel;		/* its kind is one of ours */
	bool bad;
};

/* The u32 attribute @a into *@v; a malformed one marks the message bad. */
static void get_u32(const struct nlattr *a, uint32_t *v, bool *bad)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		*bad = true;
	else
		*v = mnl_attr_get_u32(a);
}

static int cb_result(bool bad)
{
	return bad ? MNL_CB_ERROR : MNL_CB_OK;
}

static int link_xfrm_cb(const struct nlattr *a, void *data)
{
	struct link_msg *m = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_XFRM_LINK:
		get_u32(a, &m->f.link, &m->bad);
		break;
	case IFLA_XFRM_IF_ID:
		get_u32(a, &m->f.if_id, &m->bad);
		break;
	case IFLA_XFRM_COLLECT_METADATA:
		m->f.collect_md = true;
		break;
	}
	return cb_result(m->bad);
}

static int link_vti_cb(const struct nlattr *a, void *data)
{
	struct link_msg *m = data;
	uint32_t key = 0;

	switch (mnl_attr_get_type(a)) {
	case IFLA_VTI_LINK:
		get_u32(a, &m->f.link, &m->bad);
		break;
	case IFLA_VTI_IKEY:
		get_u32(a, &key, &m->bad);
		m->f.ikey = ntohl(key);		/* big-endian on the wire (nla_get_be32) */
		m->f.has_ikey = key != 0;
		break;
	case IFLA_VTI_OKEY:
		get_u32(a, &key, &m->bad);
		m->f.okey = ntohl(key);
		m->f.has_okey = key != 0;
		break;
	}
	return cb_result(m->bad);
}

static int link_info_cb(const struct nlattr *a, void *data)
{
	struct link_msg *m = data;
	const char *kind;

	switch (mnl_attr_get_type(a)) {
	case IFLA_INFO_KIND:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0) {
			m->bad = true;
			break;
		}
		kind = mnl_attr_get_str(a);
		m->tunnel = !strcmp(kind, "xfrm") || !strcmp(kind, "vti") || !strcmp(kind, "vti6");
		m->f.kind = strcmp(kind, "xfrm") ? IGD_TUNNEL_VTI : IGD_TUNNEL_XFRM;
		break;
	case IFLA_INFO_DATA:
		/* the kind comes first in the kernel's messages (rtnl_link_info_fill) */
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    (m->tunnel && mnl_attr_parse_nested(a, m->f.kind == IGD_TUNNEL_XFRM ?
							link_xfrm_cb : link_vti_cb, m) < 0))
			m->bad = true;
		break;
	}
	return cb_result(m->bad);
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_msg *m = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
		    strlen(mnl_attr_get_str(a)) >= sizeof(m->f.name))
			m->bad = true;
		else
			strcpy(m->f.name, mnl_attr_get_str(a));
		break;
	case IFLA_MTU:
		get_u32(a, &m->f.mtu, &m->bad);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    mnl_attr_parse_nested(a, link_info_cb, m) < 0)
			m->bad = true;
		break;
	}
	return cb_result(m->bad);
}

static bool if_same(const struct igd_tunnel_if *a, const struct igd_tunnel_if *b)
{
	return a->ifindex == b->ifindex && !strcmp(a->name, b->name) && a->kind == b->kind &&
	       a->if_id == b->if_id && a->ikey == b->ikey && a->okey == b->okey &&
	       a->has_ikey == b->has_ikey && a->has_okey == b->has_okey &&
	       a->collect_md == b->collect_md && a->up == b->up && a->mtu == b->mtu &&
	       a->link == b->link;
}

static struct igd_tunnel_if *if_slot(struct igd_tunnels *t, uint32_t ifindex)
{
	return (struct igd_tunnel_if *)igd_tunnels_if(t, ifindex);
}

static void routes_drop_if(struct igd_tunnels *t, uint32_t ifindex, int family)
{
	size_t i, k;

	for (i = k = 0; i < t->nroutes; i++) {
		if (t->routes[i].oif == ifindex && (!family || t->routes[i].dst.family == family))
			continue;
		t->routes[k++] = t->routes[i];
	}
	if (k != t->nroutes)
		t->generation++;
	t->nroutes = k;
}

static bool link_msg(struct igd_tunnels *t, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct igd_tunnel_if *old;
	struct link_msg m = { 0 };

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) || ifi->ifi_index <= 0) {
		t->bad_msgs++;
		return false;
	}
	old = if_slot(t, (uint32_t)ifi->ifi_index);
	if (nlh->nlmsg_type == RTM_DELLINK) {
		if (!old)
			return false;
		routes_drop_if(t, old->ifindex, 0);
		*old = t->ifs[--t->nifs];
		t->generation++;
		return true;
	}
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, &m) < 0 || m.bad) {
		t->bad_msgs++;
		return false;
	}
	if (!m.tunnel)
		return false;
	m.f.ifindex = (uint32_t)ifi->ifi_index;
	m.f.up = ifi->ifi_flags & IFF_UP;
	if (old && if_same(old, &m.f))
		return false;
	if (old && old->up && !m.f.up)
		routes_drop_if(t, old->ifindex, 4);	/* fib_disable_ip: silently */
	if (old && !old->up && m.f.up)
		t->want_routes = true;	/* what it carries now: ask again */
	if (!old) {
		if (t->nifs == IGD_TUNNEL_IFS_MAX) {
			t->overflow++;
			return false;
		}
		old = &t->ifs[t->nifs++];
	}
	*old = m.f;
	t->generation++;
	return true;
}

/* --- routes -------------------------------------------------------------------------- */

struct route_msg {
	struct igd_tunnel_route r;
	uint32_t oifs[8];	/* the output device and the nexthops' */
	unsigned int noif;
	bool bad;
};

static void route_oif(struct route_msg *m, uint32_t ifindex)
{
	if (ifindex && m->noif < sizeof(m->oifs) / sizeof(m->oifs[0]))
		m->oifs[m->noif++] = ifindex;
}

static int route_attr_cb(const struct nlattr *a, void *data)
{
	struct route_msg *m = data;
	const struct rtnexthop *nh;
	size_t alen = m->r.dst.family == 6 ? 16 : 4, left;
	uint32_t oif = 0;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		if (mnl_attr_get_payload_len(a) != alen)
			m->bad = true;
		else
			memcpy(&m->r.dst.addr, mnl_attr_get_payload(a), alen);
		break;
	case RTA_OIF:
		get_u32(a, &oif, &m->bad);
		route_oif(m, oif);
		break;
	case RTA_TABLE:
		get_u32(a, &m->r.table, &m->bad);
		break;
	case RTA_PRIORITY:
		get_u32(a, &m->r.priority, &m->bad);
		break;
	case RTA_MULTIPATH:
		nh = mnl_attr_get_payload(a);
		left = mnl_attr_get_payload_len(a);
		while (left >= sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) &&
		       nh->rtnh_len <= left) {
			size_t step = RTNH_ALIGN(nh->rtnh_len);

			route_oif(m, (uint32_t)nh->rtnh_ifindex);
			if (step >= left)
				break;
			left -= step;
			nh = (const struct rtnexthop *)((const char *)nh + step);
		}
		break;
	}
	return cb_result(m->bad);
}

static bool route_same(const struct igd_tunnel_route *a, const struct igd_tunnel_route *b)
{
	return a->dst.family == b->dst.family && a->dst.plen == b->dst.plen &&
	       a->table == b->table && a->priority == b->priority &&
	       !memcmp(&a->dst.addr, &b->dst.addr, sizeof(a->dst.addr));
}

static bool route_msg(struct igd_tunnels *t, const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_msg m = { 0 };
	unsigned int i;
	size_t j;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm)) {
		t->bad_msgs++;
		return false;
	}
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
	    rtm->rtm_type != RTN_UNICAST || (rtm->rtm_flags & RTM_F_CLONED))
		return false;
	m.r.dst.family = rtm->rtm_family == AF_INET6 ? 6 : 4;
	m.r.dst.plen = rtm->rtm_dst_len;
	m.r.table = rtm->rtm_table;
	if (m.r.dst.plen > (m.r.dst.family == 6 ? 128 : 32) ||
	    mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, &m) < 0 || m.bad) {
		t->bad_msgs++;
		return false;
	}
	/* the entry this message is about, if it went into a tunnel */
	for (j = 0; j < t->nroutes && !route_same(&t->routes[j], &m.r); j++)
		;
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		for (i = 0; i < m.noif; i++)
			if (igd_tunnels_if(t, m.oifs[i])) {
				m.r.oif = m.oifs[i];
				break;
			}
	if (!m.r.oif) {
		/* deleted, or replaced by one that does not go into a tunnel */
		if (j == t->nroutes)
			return false;
		t->routes[j] = t->routes[--t->nroutes];
		t->generation++;
		return true;
	}
	if (j < t->nroutes) {
		if (t->routes[j].oif == m.r.oif)
			return false;
	} else if (t->nroutes == IGD_TUNNEL_ROUTES_MAX) {
		t->overflow++;
		return false;
	} else {
		t->nroutes++;
	}
	t->routes[j] = m.r;
	t->generation++;
	return true;
}

bool igd_tunnels_msg(struct igd_tunnels *t, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len || nlh->nlmsg_len < sizeof(*nlh)) {
		t->bad_msgs++;
		return false;
	}
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return link_msg(t, nlh);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return route_msg(t, nlh);
	}
	return false;
}
