/* XFRM_MSG_GETDEFAULT; see xfrm_default.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/xfrm.h>
#include "xfrm/xfrm_default.h"
#include "nl/nl_talk.h"

#ifdef XFRM_MSG_GETDEFAULT	/* the headers of Linux 5.17 and later */
int igd_xfrm_default_parse(const void *p, size_t len, struct igd_xfrm_default *d)
{
	struct xfrm_userpolicy_default u;

	memset(d, 0, sizeof(*d));
	if (len < sizeof(u))
		return -EINVAL;
	memcpy(&u, p, sizeof(u));
	d->known = true;
	d->block[IGD_DIR_IN] = u.in == XFRM_USERPOLICY_BLOCK;
	d->block[IGD_DIR_FWD] = u.fwd == XFRM_USERPOLICY_BLOCK;
	d->block[IGD_DIR_OUT] = u.out == XFRM_USERPOLICY_BLOCK;
	return 0;
}

static int default_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != XFRM_MSG_GETDEFAULT)
		return MNL_CB_OK;
	return igd_xfrm_default_parse(mnl_nlmsg_get_payload(nlh), mnl_nlmsg_get_payload_len(nlh),
				      data) ? MNL_CB_ERROR : MNL_CB_OK;
}

int igd_xfrm_default_get(struct igd_xfrm_default *d)
{
	_Alignas(8) uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct xfrm_userpolicy_default *u;
	int e;

	memset(d, 0, sizeof(*d));
	nl = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = -errno;
		mnl_socket_close(nl);
		return e;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETDEFAULT;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	memset(u, 0, sizeof(*u));
	e = igd_nl_exchange(nl, nlh, buf, sizeof(buf), default_cb, d);
	mnl_socket_close(nl);
	if (e)
		memset(d, 0, sizeof(*d));
	return e;
}

#else	/* built against older headers: what a kernel without default policies does */
int igd_xfrm_default_parse(const void *p, size_t len, struct igd_xfrm_default *d)
{
	(void)p;
	(void)len;
	memset(d, 0, sizeof(*d));
	return -EINVAL;
}

int igd_xfrm_default_get(struct igd_xfrm_default *d)
{
	memset(d, 0, sizeof(*d));
	return -EOPNOTSUPP;
}
#endif

const char *igd_xfrm_default_str(const struct igd_xfrm_default *d, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < IGD_DIR_MAX; i++)
		if (d->block[i] && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						igd_dir_str(i));
	return buf;
}
