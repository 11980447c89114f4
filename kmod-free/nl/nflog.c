#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <libmnl/libmnl.h>
#include "nl/nflog.h"
#include "nl/nl_talk.h"

#define NFLOG_RCVBUF	(1 << 20)
/* The kernel gathers copies into one datagram (one wakeup of ours) until it holds
 * NFLOG_QTHRESH of them or NFLOG_NLBUFSIZ bytes, or the oldest has waited
 * NFLOG_TIMEOUT hundredths of a second. */
#define NFLOG_TIMEOUT	1
#define NFLOG_QTHRESH	128
#define NFLOG_NLBUFSIZ	32768

struct igd_nflog {
	struct mnl_socket *nl;
	uint16_t group;
	igd_nflog_handler handler;
	void *arg;
	uint8_t *buf;
	size_t bufsize;
	struct igd_nflog_stats st;
};

static struct nlmsghdr *nflog_cfg_msg(uint8_t *buf, uint16_t group, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	return nlh;
}

static int nflog_err(char *err, size_t errlen, uint16_t group, const char *what, int e)
{
	snprintf(err, errlen, "nflog group %u: %s: %s", group, what, strerror(e));
	return -e;
}

static int nflog_bind(struct igd_nflog *l, uint32_t copy_range, char *err, size_t errlen)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(copy_range),
					       .copy_mode = NFULNL_COPY_PACKET };
	struct nlmsghdr *nlh;
	int e;

	nlh = nflog_cfg_msg(buf, l->group, AF_UNSPEC);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	e = igd_nl_talk(l->nl, nlh);
	/* the kernel answers -EPERM when another socket holds the group */
	if (e == -EBUSY || e == -EPERM)
		return nflog_err(err, errlen, l->group, "bound by another process (choose "
				 "another --log-group)", EBUSY);
	if (e)
		return nflog_err(err, errlen, l->group, "bind", -e);
	nlh = nflog_cfg_msg(buf, l->group, AF_UNSPEC);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(NFLOG_TIMEOUT));
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(NFLOG_QTHRESH));
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl(NFLOG_NLBUFSIZ));
	e = igd_nl_talk(l->nl, nlh);
	return e ? nflog_err(err, errlen, l->group, "copy mode", -e) : 0;
}

int igd_nflog_open(struct igd_nflog **lp, uint16_t group, uint32_t copy_range,
		   igd_nflog_handler h, void *arg, char *err, size_t errlen)
{
	struct igd_nflog *l = calloc(1, sizeof(*l));
	int sz = NFLOG_RCVBUF, e;

	*lp = NULL;
	if (!l)
		return nflog_err(err, errlen, group, "allocate", ENOMEM);
	l->group = group;
	l->handler = h;
	l->arg = arg;
	/* a datagram of gathered copies, or one copy larger than that */
	l->bufsize = NFLOG_NLBUFSIZ + MNL_SOCKET_BUFFER_SIZE + copy_range;
	l->buf = malloc(l->bufsize);
	l->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!l->buf || !l->nl) {
		e = nflog_err(err, errlen, group, "netlink socket", l->buf ? errno : ENOMEM);
		goto fail;
	}
	if (mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = nflog_err(err, errlen, group, "netlink bind", errno);
		goto fail;
	}
	if (setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	e = nflog_bind(l, copy_range, err, errlen);
	if (e)
		goto fail;
	/* the acks read, the rest is read when the loop says there is something */
	if (fcntl(mnl_socket_get_fd(l->nl), F_SETFL, O_NONBLOCK) < 0) {
		e = nflog_err(err, errlen, group, "non-blocking", errno);
		goto fail;
	}
	*lp = l;
	return 0;
fail:
	igd_nflog_close(l);
	return e;
}

struct nflog_tb {
	const struct nlattr *tb[NFULA_MAX + 1];
	const uint8_t *end;	/* of the message */
};

static int nflog_attr_cb(const struct nlattr *a, void *data)
{
	struct nflog_tb *t = data;
	const struct nlattr **tb = t->tb;
	int type = mnl_attr_get_type(a);

	/* libmnl walks up to the length rounded up to 4: what ends in that padding
	 * was not written by the sender */
	if ((const uint8_t *)a + a->nla_len > t->end)
		return MNL_CB_ERROR;
	if (mnl_attr_type_valid(a, NFULA_MAX) < 0)
		return MNL_CB_OK;	/* newer than us: skipped */
	switch (type) {
	case NFULA_PACKET_HDR:
		if (mnl_attr_validate2(a, MNL_TYPE_UNSPEC,
				       sizeof(struct nfulnl_msg_packet_hdr)) < 0)
			return MNL_CB_ERROR;
		break;
	case NFULA_MARK:
	case NFULA_IFINDEX_INDEV:
	case NFULA_IFINDEX_OUTDEV:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case NFULA_PREFIX:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static uint32_t nflog_u32(const struct nlattr *a)
{
	return a ? ntohl(mnl_attr_get_u32(a)) : 0;
}

int igd_nflog_msg_parse(const struct nlmsghdr *nlh, struct igd_nflog_pkt *p)
{
	struct nflog_tb t = { .end = (const uint8_t *)nlh + nlh->nlmsg_len };
	const struct nlattr **tb = t.tb;
	const struct nfulnl_msg_packet_hdr *ph;

	memset(p, 0, sizeof(*p));
	p->prefix = "";
	if ((nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET)
		return -ENOENT;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nflog_attr_cb, &t) < 0 ||
	    !tb[NFULA_PACKET_HDR] || !tb[NFULA_PAYLOAD])
		return -EINVAL;
	ph = mnl_attr_get_payload(tb[NFULA_PACKET_HDR]);
	p->hw_proto = ntohs(ph->hw_protocol);
	p->hook = ph->hook;
	p->data = mnl_attr_get_payload(tb[NFULA_PAYLOAD]);
	p->len = mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]);
	p->mark = nflog_u32(tb[NFULA_MARK]);
	p->indev = nflog_u32(tb[NFULA_IFINDEX_INDEV]);
	p->outdev = nflog_u32(tb[NFULA_IFINDEX_OUTDEV]);
	if (tb[NFULA_PREFIX])
		p->prefix = mnl_attr_get_str(tb[NFULA_PREFIX]);
	return 0;
}

static int nflog_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_nflog *l = data;
	struct igd_nflog_pkt p;
	int ret = igd_nflog_msg_parse(nlh, &p);

	if (ret == -ENOENT)
		return MNL_CB_OK;
	if (ret < 0) {
		l->st.bad_msgs++;
		return MNL_CB_OK;	/* one bad message does not end the batch */
	}
	l->st.packets++;
	l->handler(&p, l->arg);
	return MNL_CB_OK;
}

int igd_nflog_process(struct igd_nflog *l)
{
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		n = mnl_socket_recvfrom(l->nl, l->buf, l->bufsize);
		if (n < 0 && errno == ENOBUFS) {
			l->st.overruns++;
			continue;
		}
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (mnl_cb_run(l->buf, (size_t)n, 0, 0, nflog_msg_cb, l) < 0)
			l->st.bad_msgs++;
	}
	return 0;
}

int igd_nflog_fd(const struct igd_nflog *l)
{
	return mnl_socket_get_fd(l->nl);
}

const struct igd_nflog_stats *igd_nflog_stats(const struct igd_nflog *l)
{
	return &l->st;
}

void igd_nflog_close(struct igd_nflog *l)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_UNBIND };
	struct nlmsghdr *nlh;

	if (!l)
		return;
	if (l->nl) {
		nlh = nflog_cfg_msg(buf, l->group, AF_UNSPEC);
		mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
		mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(l->nl);
	}
	free(l->buf);
	free(l);
}
