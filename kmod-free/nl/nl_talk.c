#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include "nl/nl_talk.h"

/* Sequence numbers of every request and dump, whichever thread sends it. */
static uint32_t nl_seq(void)
{
	static uint32_t seq;

	return __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
}

uint32_t igd_nl_seq(void)
{
	return nl_seq();
}

int igd_nl_exchange(struct mnl_socket *nl, struct nlmsghdr *nlh, void *buf, size_t len,
		    mnl_cb_t cb, void *data)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	bool more = nlh->nlmsg_flags & (NLM_F_DUMP | NLM_F_ACK);
	uint32_t seq;
	ssize_t n;
	int ret;

	if (!nlh->nlmsg_seq)
		nlh->nlmsg_seq = nl_seq();
	seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, len);
		if (n < 0)
			return -errno;
		/* what the kernel sends unasked (sequence 0: a bound queue or log group)
		 * and the rest of an earlier, abandoned exchange are not our answer */
		if ((size_t)n >= sizeof(struct nlmsghdr) &&
		    ((const struct nlmsghdr *)buf)->nlmsg_seq != seq)
			continue;
		errno = 0;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (ret < 0)	/* libmnl says EINTR for NLM_F_DUMP_INTR */
			return -(errno ? errno : EPROTO);
		if (ret == MNL_CB_STOP || !more)
			return 0;
	}
}

int igd_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 0;
	return igd_nl_exchange(nl, nlh, buf, sizeof(buf), NULL, NULL);
}

#define NL_DUMP_BUF	(64 * 1024)
#define NL_DUMP_TRIES	4

int igd_nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, void (*reset)(void *data))
{
	struct mnl_socket *nl;
	int ret = -EINTR, tries;
	char *buf;

	buf = malloc(NL_DUMP_BUF);
	nl = buf ? mnl_socket_open(NETLINK_NETFILTER) : NULL;
	if (!nl) {
		ret = buf ? -errno : -ENOMEM;
		free(buf);
		return ret;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		ret = -errno;
	for (tries = 0; tries < NL_DUMP_TRIES && ret == -EINTR; tries++) {
		if (reset)
			reset(data);
		nlh->nlmsg_seq = 0;
		ret = igd_nl_exchange(nl, nlh, buf, NL_DUMP_BUF, cb, data);
	}
	mnl_socket_close(nl);
	free(buf);
	return ret;
}
