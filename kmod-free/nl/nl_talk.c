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

int igd_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = nl_seq();
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		/* packets the kernel sends unasked (sequence 0: a bound queue or log
		 * group) pass through without a callback; the ack ends the loop */
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

#define NL_DUMP_BUF	(64 * 1024)
#define NL_DUMP_TRIES	4

struct nl_dump {
	mnl_cb_t cb;
	void *data;
	bool intr;			/* NLM_F_DUMP_INTR seen */
};

static int nl_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_dump *d = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	return d->cb(nlh, d->data);
}

static int nl_dump_recv(struct mnl_socket *nl, uint32_t seq, struct nl_dump *d)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	char *buf = malloc(NL_DUMP_BUF);
	ssize_t n;
	int ret;

	if (!buf)
		return -ENOMEM;
	do {
		n = mnl_socket_recvfrom(nl, buf, NL_DUMP_BUF);
		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, nl_dump_cb, d);
		if (ret < 0)
			ret = -(errno ? errno : EPROTO);
	} while (ret > 0);
	free(buf);
	return ret;
}

int igd_nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, void (*reset)(void *data))
{
	struct nl_dump d = { cb, data, false };
	struct mnl_socket *nl;
	int ret = -EINTR, tries;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	for (tries = 0; tries < NL_DUMP_TRIES && ret == -EINTR; tries++) {
		d.intr = false;
		if (reset)
			reset(data);
		nlh->nlmsg_seq = nl_seq();
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
			ret = -errno;
			break;
		}
		ret = nl_dump_recv(nl, nlh->nlmsg_seq, &d);
		if (!ret && d.intr)
			ret = -EINTR;
	}
out:
	mnl_socket_close(nl);
	return ret;
}
