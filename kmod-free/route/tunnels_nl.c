/* Route-based tunnels over rtnetlink.  See tunnels_nl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "nl/nl_talk.h"
#include "route/tunnels_nl.h"

#define TNL_BUF		(64 * 1024)
#define TNL_RCVBUF	(4 << 20)
#define TNL_DUMP_TRIES	4

struct igd_tunnels_nl {
	struct mnl_socket *ev;		/* notifications */
	struct mnl_socket *req;		/* dumps */
	struct igd_tunnels *t;
	bool strict;			/* the kernel filters route dumps by device */
	bool changed;
	_Alignas(8) char buf[TNL_BUF];	/* netlink messages: aligned */
};

static int tnl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_tunnels_nl *nl = data;

	if (igd_tunnels_msg(nl->t, nlh, nlh->nlmsg_len))
		nl->changed = true;
	return MNL_CB_OK;
}

static int tnl_dump_links(struct igd_tunnels_nl *nl)
{
	_Alignas(8) char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return igd_nl_exchange(nl->req, nlh, nl->buf, sizeof(nl->buf), tnl_cb, nl);
}

/* The routes of @family that use @oif (0: every route, the table keeps ours). */
static int tnl_dump_routes(struct igd_tunnels_nl *nl, int family, uint32_t oif)
{
	_Alignas(8) char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	return igd_nl_exchange(nl->req, nlh, nl->buf, sizeof(nl->buf), tnl_cb, nl);
}

static int tnl_routes(struct igd_tunnels_nl *nl)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	uint32_t oifs[IGD_TUNNEL_IFS_MAX];
	size_t i, n = nl->t->nifs;
	unsigned int f;
	int e = 0;

	igd_tunnels_clear(nl->t, false);
	nl->t->want_routes = false;
	for (i = 0; i < n; i++)
		oifs[i] = nl->t->ifs[i].ifindex;
	for (f = 0; f < 2 && !e; f++) {
		if (!nl->strict) {
			e = n ? tnl_dump_routes(nl, fams[f], 0) : 0;
			continue;
		}
		for (i = 0; i < n && !e; i++)
			e = tnl_dump_routes(nl, fams[f], oifs[i]);
	}
	return e;
}

/* Everything again; a dump the kernel interrupted (the table changed under it) runs
 * again, a bounded number of times. */
static int tnl_dump(struct igd_tunnels_nl *nl, bool links)
{
	int e = -EINTR, tries;

	for (tries = 0; tries < TNL_DUMP_TRIES && e == -EINTR; tries++) {
		if (links) {
			igd_tunnels_clear(nl->t, true);
			e = tnl_dump_links(nl);
			if (e)
				continue;
		}
		e = tnl_routes(nl);
	}
	nl->t->dumps++;
	nl->changed = true;
	return e;
}

static struct mnl_socket *tnl_socket(unsigned int groups)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int e;

	if (!s)
		return NULL;
	if (mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		mnl_socket_close(s);
		errno = e;
		return NULL;
	}
	return s;
}

int igd_tunnels_nl_open(struct igd_tunnels_nl **nlp, struct igd_tunnels *t)
{
	struct igd_tunnels_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, rcv = TNL_RCVBUF, e;

	if (!nl)
		return -ENOMEM;
	nl->t = t;
	nl->ev = tnl_socket(RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE);
	nl->req = nl->ev ? tnl_socket(0) : NULL;
	if (!nl->req) {
		e = -errno;
		igd_tunnels_nl_close(nl);
		return e;
	}
	/* a larger buffer where the kernel allows it; a lost notification costs a dump */
	if (setsockopt(mnl_socket_get_fd(nl->ev), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		       sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(nl->ev), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	nl->strict = mnl_socket_setsockopt(nl->req, NETLINK_GET_STRICT_CHK, &one,
					   sizeof(one)) == 0;
	e = tnl_dump(nl, true);
	if (e) {
		igd_tunnels_nl_close(nl);
		return e;
	}
	*nlp = nl;
	return 0;
}

void igd_tunnels_nl_close(struct igd_tunnels_nl *nl)
{
	if (!nl)
		return;
	if (nl->ev)
		mnl_socket_close(nl->ev);
	if (nl->req)
		mnl_socket_close(nl->req);
	free(nl);
}

int igd_tunnels_nl_fd(const struct igd_tunnels_nl *nl)
{
	return mnl_socket_get_fd(nl->ev);
}

int igd_tunnels_nl_process(struct igd_tunnels_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->ev), e = 0;
	bool overrun = false;
	ssize_t n;

	nl->changed = false;
	for (;;) {
		n = recv(fd, nl->buf, sizeof(nl->buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overrun = true;	/* lost some: read on, then dump */
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				e = -errno;
			break;
		}
		/* notifications only: sequence 0, any port */
		if (mnl_cb_run(nl->buf, (size_t)n, 0, 0, tnl_cb, nl) < 0)
			nl->t->bad_msgs++;
	}
	if (overrun) {
		nl->t->overruns++;
		e = tnl_dump(nl, true);
	} else if (nl->t->want_routes) {
		e = tnl_dump(nl, false);
	}
	return e ? e : nl->changed;
}

int igd_tunnels_read(struct igd_tunnels *t)
{
	struct igd_tunnels_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, e;

	if (!nl)
		return -ENOMEM;
	nl->t = t;
	nl->req = tnl_socket(0);
	if (!nl->req) {
		e = -errno;
		free(nl);
		return e;
	}
	nl->strict = mnl_socket_setsockopt(nl->req, NETLINK_GET_STRICT_CHK, &one,
					   sizeof(one)) == 0;
	e = tnl_dump(nl, true);
	igd_tunnels_nl_close(nl);
	return e;
}
