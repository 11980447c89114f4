/* Other processes' nf_tables transactions.  See nft_watch.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include "nft/nft_watch.h"

#define WATCH_IGNORE_MAX	4
#define WATCH_TABLE_ATTR	1	/* NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, ... */

struct igd_nft_watch {
	struct mnl_socket *nl;
	igd_nft_watch_cb cb;
	void *arg;
	struct igd_nft_watch_table t[IGD_NFT_WATCH_MAX];
	unsigned int nt;
	uint32_t ignore[WATCH_IGNORE_MAX];
	unsigned int nignore;
	struct igd_nft_txn cur;		/* the transaction being read */
	uint32_t cur_portid;
	bool cur_open;
	_Alignas(8) char buf[65536];	/* one datagram of notifications */
};

int igd_nft_watch_new(struct igd_nft_watch **w, igd_nft_watch_cb cb, void *arg)
{
	*w = calloc(1, sizeof(**w));
	if (!*w)
		return -ENOMEM;
	(*w)->cb = cb;
	(*w)->arg = arg;
	return 0;
}

int igd_nft_watch_open(struct igd_nft_watch **wp, uint32_t rcvbuf, igd_nft_watch_cb cb,
		       void *arg)
{
	unsigned int group = NFNLGRP_NFTABLES;
	struct igd_nft_watch *w;
	int e = igd_nft_watch_new(&w, cb, arg), sz = (int)rcvbuf, fd;

	if (e)
		return e;
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->nl || mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		e = -errno;
		igd_nft_watch_close(w);
		return e;
	}
	fd = mnl_socket_get_fd(w->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	*wp = w;
	return 0;
}

int igd_nft_watch_fd(const struct igd_nft_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

void igd_nft_watch_tables(struct igd_nft_watch *w, const struct igd_nft_watch_table *t,
			  unsigned int n)
{
	if (n > IGD_NFT_WATCH_MAX)
		n = IGD_NFT_WATCH_MAX;
	memcpy(w->t, t, n * sizeof(*t));
	w->nt = n;
}

void igd_nft_watch_ignore(struct igd_nft_watch *w, uint32_t portid)
{
	if (w->nignore < WATCH_IGNORE_MAX)
		w->ignore[w->nignore++] = portid;
}

static bool watch_ours(const struct igd_nft_watch *w, uint32_t portid)
{
	unsigned int i;

	if (!portid)
		return true;		/* the kernel's own (the packet path's elements) */
	for (i = 0; i < w->nignore; i++)
		if (w->ignore[i] == portid)
			return true;
	return false;
}

/* The watched table @name of family @nfproto names, or -1. */
static int watch_find(const struct igd_nft_watch *w, uint8_t nfproto, const char *name)
{
	unsigned int i;

	for (i = 0; i < w->nt; i++)
		if (w->t[i].nfproto == nfproto && !strcmp(w->t[i].name, name))
			return (int)i;
	return -1;
}

/* Attribute @type of @nlh after the nfgenmsg, validated as @v; NULL when absent. */
static const struct nlattr *watch_attr(const struct nlmsghdr *nlh, uint16_t type,
				       enum mnl_attr_data_type v)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return mnl_attr_validate(a, v) < 0 ? NULL : a;
	return NULL;
}

/* The process name, printable ASCII only (it is the process's own choice). */
static void watch_comm(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f && src[i] != '"' && src[i] != '\\' ?
			 src[i] : '?';
	dst[i] = '\0';
}

static void watch_txn_end(struct igd_nft_watch *w, const struct nlmsghdr *nlh, int *done)
{
	const struct nlattr *a;

	if ((a = watch_attr(nlh, NFTA_GEN_ID, MNL_TYPE_U32)))
		w->cur.genid = ntohl(mnl_attr_get_u32(a));
	if ((a = watch_attr(nlh, NFTA_GEN_PROC_PID, MNL_TYPE_U32)))
		w->cur.pid = ntohl(mnl_attr_get_u32(a));
	if ((a = watch_attr(nlh, NFTA_GEN_PROC_NAME, MNL_TYPE_NUL_STRING)))
		watch_comm(w->cur.comm, sizeof(w->cur.comm), mnl_attr_get_str(a));
	if (w->cur.touched || w->cur.tables_deleted) {
		w->cb(&w->cur, w->arg);
		(*done)++;
	}
	memset(&w->cur, 0, sizeof(w->cur));
	w->cur_open = false;
}

static void watch_msg(struct igd_nft_watch *w, const struct nlmsghdr *nlh, int *done)
{
	const struct nfgenmsg *nfg;
	const struct nlattr *a;
	uint8_t type;
	int i;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return;
	type = (uint8_t)NFNL_MSG_TYPE(nlh->nlmsg_type);
	if (watch_ours(w, nlh->nlmsg_pid))
		return;
	if (w->cur_open && w->cur_portid != nlh->nlmsg_pid)
		memset(&w->cur, 0, sizeof(w->cur));	/* another sender: a lost end */
	w->cur_open = true;
	w->cur_portid = nlh->nlmsg_pid;
	if (type == NFT_MSG_NEWGEN) {
		watch_txn_end(w, nlh, done);
		return;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	if (type == NFT_MSG_DELTABLE)
		w->cur.tables_deleted++;
	a = watch_attr(nlh, WATCH_TABLE_ATTR, MNL_TYPE_NUL_STRING);
	i = a ? watch_find(w, nfg->nfgen_family, mnl_attr_get_str(a)) : -1;
	if (i < 0)
		return;
	w->cur.touched |= 1u << i;
	if (type == NFT_MSG_DELTABLE)
		w->cur.deleted |= 1u << i;
}

int igd_nft_watch_feed(struct igd_nft_watch *w, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, done = 0;

	while (mnl_nlmsg_ok(nlh, left)) {
		watch_msg(w, nlh, &done);
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return done;
}

int igd_nft_watch_process(struct igd_nft_watch *w)
{
	struct igd_nft_txn lost = { .overrun = true };
	ssize_t n;

	for (;;) {
		n = recv(mnl_socket_get_fd(w->nl), w->buf, sizeof(w->buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			/* the half-read transaction is part of what was lost */
			memset(&w->cur, 0, sizeof(w->cur));
			w->cur_open = false;
			w->cb(&lost, w->arg);
			continue;
		}
		if (n < 0)
			return -errno;
		igd_nft_watch_feed(w, w->buf, (size_t)n);
	}
}

void igd_nft_watch_close(struct igd_nft_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}
