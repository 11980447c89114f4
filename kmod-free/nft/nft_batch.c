/* One nf_tables transaction: build, send, read every ack.  See nft_batch.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "nft/nft_batch.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK		11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK		10
#endif

/* Room kept for the BATCH_BEGIN / BATCH_END envelopes. */
#define NFT_ENVELOPE_LEN	MNL_ALIGN(sizeof(struct nlmsghdr) + sizeof(struct nfgenmsg))
#define NFT_EXTMSG_MAX		160
/* Receive buffer per expected ack (an ack skb's truesize, with room to spare). */
#define NFT_ACK_RCVBUF		2048

struct nft_msg {
	size_t off;			/* from the start of the buffer */
	int result;			/* 1 pending, 0 ok, -errno */
	char what[IGD_NFT_WHAT_MAX];
};

struct igd_nft_batch {
	char *buf;
	size_t len;			/* bytes of closed messages, envelope included */
	size_t cap;
	struct nlmsghdr *open;		/* message being built, not yet in len */
	struct nft_msg *msgs;
	unsigned int n, nalloc;
	uint32_t seq;			/* BATCH_BEGIN's; message i has seq + 1 + i */
	int commit_err;			/* error reported against BATCH_BEGIN */
	int ext_idx;			/* message the extended ack below belongs to */
	int ext_off;			/* NLMSGERR_ATTR_OFFS, -1 when absent */
	char ext_msg[NFT_EXTMSG_MAX];
};

struct igd_nft_batch *igd_nft_batch_alloc(void)
{
	struct igd_nft_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->seq = (uint32_t)time(NULL) << 8;
	b->len = NFT_ENVELOPE_LEN;
	b->ext_idx = -1;
	b->ext_off = -1;
	return b;
}

void igd_nft_batch_free(struct igd_nft_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->msgs);
	free(b);
}

static void nft_batch_close(struct igd_nft_batch *b)
{
	if (!b->open)
		return;
	b->len += MNL_ALIGN(b->open->nlmsg_len);
	b->open = NULL;
}

static int nft_batch_reserve(struct igd_nft_batch *b, size_t room)
{
	size_t cap = b->cap ? b->cap : 4 * IGD_NFT_MSG_MAX;
	char *buf;

	while (cap < b->len + room)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	buf = realloc(b->buf, cap);
	if (!buf)
		return -ENOMEM;
	memset(buf + b->cap, 0, cap - b->cap);
	b->buf = buf;
	b->cap = cap;
	return 0;
}

static struct nft_msg *nft_batch_new_msg(struct igd_nft_batch *b)
{
	struct nft_msg *m;

	if (b->n == b->nalloc) {
		unsigned int nalloc = b->nalloc ? 2 * b->nalloc : 16;

		m = realloc(b->msgs, nalloc * sizeof(*m));
		if (!m)
			return NULL;
		b->msgs = m;
		b->nalloc = nalloc;
	}
	m = &b->msgs[b->n];
	memset(m, 0, sizeof(*m));
	m->result = 1;
	return m;
}

struct nlmsghdr *igd_nft_batch_put(struct igd_nft_batch *b, uint16_t type,
				   uint16_t family, uint16_t flags,
				   const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	struct nft_msg *m;
	va_list ap;

	nft_batch_close(b);
	if (nft_batch_reserve(b, IGD_NFT_MSG_MAX + NFT_ENVELOPE_LEN) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	m = nft_batch_new_msg(b);
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	va_end(ap);
	m->off = b->len;
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, type, family,
				    flags | NLM_F_ACK, b->seq + 1 + b->n);
	b->n++;
	b->open = nlh;
	return nlh;
}

static const char *nft_family_str(uint32_t family)
{
	switch (family) {
	case NFPROTO_IPV4:	return "ip";
	case NFPROTO_IPV6:	return "ip6";
	case NFPROTO_INET:	return "inet";
	case NFPROTO_ARP:	return "arp";
	case NFPROTO_BRIDGE:	return "bridge";
	case NFPROTO_NETDEV:	return "netdev";
	}
	return "unknown";
}

static const char *nft_op_str(uint16_t type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_NEWRULE:
	case NFT_MSG_NEWSET:
	case NFT_MSG_NEWSETELEM:
		return "add";
	case NFT_MSG_DELTABLE:
	case NFT_MSG_DELCHAIN:
	case NFT_MSG_DELRULE:
	case NFT_MSG_DELSET:
	case NFT_MSG_DELSETELEM:
		return "delete";
	}
	return "send";
}

static const char *nft_str_or(const char *s)
{
	return s ? s : "?";
}

int igd_nft_batch_table(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
			const struct nftnl_table *t)
{
	uint32_t family = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	struct nlmsghdr *nlh;

	nlh = igd_nft_batch_put(b, type, family, flags, "%s table %s %s",
				nft_op_str(type), nft_family_str(family),
				nft_str_or(nftnl_table_get_str(t, NFTNL_TABLE_NAME)));
	if (!nlh)
		return -errno;
	nftnl_table_nlmsg_build_payload(nlh, t);
	return 0;
}

int igd_nft_batch_chain(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
			const struct nftnl_chain *c)
{
	uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	struct nlmsghdr *nlh;

	nlh = igd_nft_batch_put(b, type, family, flags, "%s chain %s %s %s",
				nft_op_str(type), nft_family_str(family),
				nft_str_or(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)),
				nft_str_or(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)));
	if (!nlh)
		return -errno;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	return 0;
}

int igd_nft_batch_rule(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
		       struct nftnl_rule *r)
{
	uint32_t family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	struct nlmsghdr *nlh;

	nlh = igd_nft_batch_put(b, type, family, flags, "%s rule %s %s %s",
				nft_op_str(type), nft_family_str(family),
				nft_str_or(nftnl_rule_get_str(r, NFTNL_RULE_TABLE)),
				nft_str_or(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)));
	if (!nlh)
		return -errno;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	return 0;
}

int igd_nft_batch_set(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
		      struct nftnl_set *s)
{
	uint32_t family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	struct nlmsghdr *nlh;

	nlh = igd_nft_batch_put(b, type, family, flags, "%s set %s %s %s",
				nft_op_str(type), nft_family_str(family),
				nft_str_or(nftnl_set_get_str(s, NFTNL_SET_TABLE)),
				nft_str_or(nftnl_set_get_str(s, NFTNL_SET_NAME)));
	if (!nlh)
		return -errno;
	nftnl_set_nlmsg_build_payload(nlh, s);
	return 0;
}

int igd_nft_batch_setelems(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
			   struct nftnl_set *s)
{
	uint32_t family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	struct nlmsghdr *nlh;

	nlh = igd_nft_batch_put(b, type, family, flags, "%s element %s %s %s",
				nft_op_str(type), nft_family_str(family),
				nft_str_or(nftnl_set_get_str(s, NFTNL_SET_TABLE)),
				nft_str_or(nftnl_set_get_str(s, NFTNL_SET_NAME)));
	if (!nlh)
		return -errno;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return 0;
}

unsigned int igd_nft_batch_count(const struct igd_nft_batch *b)
{
	return b->n;
}

const char *igd_nft_batch_what(const struct igd_nft_batch *b, unsigned int i)
{
	return i < b->n ? b->msgs[i].what : NULL;
}

int igd_nft_batch_result(const struct igd_nft_batch *b, unsigned int i)
{
	return i < b->n ? b->msgs[i].result : -EINVAL;
}

const void *igd_nft_batch_wire(struct igd_nft_batch *b, bool commit, size_t *len)
{
	nft_batch_close(b);
	if (nft_batch_reserve(b, NFT_ENVELOPE_LEN) < 0)
		return NULL;
	nftnl_batch_begin(b->buf, b->seq);
	*len = b->len;
	if (commit) {
		nftnl_batch_end(b->buf + b->len, b->seq + 1 + b->n);
		*len += NFT_ENVELOPE_LEN;
	}
	return b->buf;
}

static void nft_batch_reset_results(struct igd_nft_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->n; i++)
		b->msgs[i].result = 1;
	b->commit_err = 0;
	b->ext_idx = -1;
	b->ext_off = -1;
	b->ext_msg[0] = '\0';
}

/* Extended ack attributes: only the message and the offset are used. */
struct nft_extack {
	const char *msg;
	int off;
};

static int nft_extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct nft_extack *ea = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_OK;
		ea->msg = mnl_attr_get_str(attr);
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		if (mnl_attr_get_u32(attr) < 0x10000)
			ea->off = (int)mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

static void nft_extack_parse(const struct nlmsghdr *nlh, struct nft_extack *ea)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	ea->msg = NULL;
	ea->off = -1;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	off = MNL_ALIGN(off);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, off, nft_extack_attr_cb, ea);
}

static void nft_batch_note_error(struct igd_nft_batch *b, int idx,
				 const struct nlmsghdr *nlh)
{
	struct nft_extack ea;

	if (b->ext_idx >= 0)
		return;			/* acks come in order: keep the first */
	nft_extack_parse(nlh, &ea);
	b->ext_idx = idx;
	b->ext_off = ea.off;
	snprintf(b->ext_msg, sizeof(b->ext_msg), "%s", ea.msg ? ea.msg : "");
}

/* One NLMSG_ERROR: an ack (error 0) or a failure of the message with its seq. */
static int nft_batch_ack(struct igd_nft_batch *b, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	uint32_t seq;
	int idx;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	seq = e->msg.nlmsg_seq;
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	if (seq == b->seq) {
		/* the whole batch: refused at BATCH_BEGIN or failed at commit */
		if (e->error && !b->commit_err) {
			b->commit_err = e->error;
			if (b->ext_idx < 0)
				nft_batch_note_error(b, b->n, nlh);
		}
		return 0;
	}
	if (seq - b->seq - 1 >= b->n)
		return 0;			/* not ours: ignore */
	idx = (int)(seq - b->seq - 1);
	b->msgs[idx].result = e->error;
	if (e->error)
		nft_batch_note_error(b, idx, nlh);
	return 1;
}

int igd_nft_batch_parse_acks(struct igd_nft_batch *b, const void *buf, size_t len,
			     uint32_t portid)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, acks = 0, ret;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (!mnl_nlmsg_portid_ok(nlh, portid))
			return -ESRCH;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			ret = nft_batch_ack(b, nlh);
			if (ret < 0)
				return ret;
			acks += ret;
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return left == 0 ? acks : -EBADMSG;
}

/* Which expression of rule message @nlh the byte at @off falls in:
 * "expression 3 (queue)", or an empty string. */
static void nft_rule_expr_at(const struct nlmsghdr *nlh, size_t off,
			     char *buf, size_t len)
{
	const struct nlattr *a, *e, *n;
	unsigned int i = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_RULE_EXPRESSIONS)
			continue;
		mnl_attr_for_each_nested(e, a) {
			size_t start = (size_t)((const char *)e - (const char *)nlh);
			const char *name = "?";

			i++;
			if (off < start || off >= start + e->nla_len)
				continue;
			mnl_attr_for_each_nested(n, e) {
				if (mnl_attr_get_type(n) == NFTA_EXPR_NAME &&
				    mnl_attr_validate(n, MNL_TYPE_NUL_STRING) == 0)
					name = mnl_attr_get_str(n);
			}
			snprintf(buf, len, "expression %u (%s)", i, name);
			return;
		}
	}
}

/* Where the extended ack points, for rule messages; empty otherwise. */
static void nft_batch_where(const struct igd_nft_batch *b, char *buf, size_t len)
{
	const struct nlmsghdr *nlh;

	buf[0] = '\0';
	if (b->ext_off < 0 || b->ext_idx < 0 || (unsigned int)b->ext_idx >= b->n)
		return;
	nlh = (const struct nlmsghdr *)(b->buf + b->msgs[b->ext_idx].off);
	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE ||
	    (size_t)b->ext_off >= nlh->nlmsg_len)
		return;
	nft_rule_expr_at(nlh, (size_t)b->ext_off, buf, len);
}

int igd_nft_batch_error(const struct igd_nft_batch *b, char *err, size_t errlen)
{
	char where[64], kmsg[NFT_EXTMSG_MAX + 80] = "";
	const char *what = "commit";
	unsigned int i;
	int ret = 0;

	for (i = 0; i < b->n && !ret; i++) {
		if (b->msgs[i].result < 0) {
			ret = b->msgs[i].result;
			what = b->msgs[i].what;
		}
	}
	if (!ret)
		ret = b->commit_err;
	if (!ret)
		return 0;
	nft_batch_where(b, where, sizeof(where));
	if (b->ext_msg[0] || where[0])
		snprintf(kmsg, sizeof(kmsg), " (%s%s%s)", where,
			 where[0] && b->ext_msg[0] ? ": " : "", b->ext_msg);
	if (err && errlen)
		snprintf(err, errlen, "nft: %s: %s%s", what, strerror(-ret), kmsg);
	return ret;
}

static void nft_seterr(char *err, size_t errlen, const char *what, int ret)
{
	if (err && errlen)
		snprintf(err, errlen, "nft: %s: %s", what, strerror(-ret));
}

/* Buffers for one batch of @wire_len bytes and @nacks acks (best effort: the FORCE
 * variants need CAP_NET_ADMIN, which the daemon keeps). */
static void nft_socket_size(struct mnl_socket *nl, size_t wire_len, unsigned int nacks)
{
	int fd = mnl_socket_get_fd(nl), rcv = (int)(nacks * NFT_ACK_RCVBUF);
	int snd = (int)wire_len + 4096;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
}

struct mnl_socket *igd_nft_socket_open(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int one = 1;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	/* best effort: an old kernel without extended acks still works */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return nl;
}

/* nfnetlink handles the whole batch inside sendmsg(), so every reply is queued by
 * the time it returns: read until the socket is empty. */
static int nft_batch_recv(struct igd_nft_batch *b, struct mnl_socket *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid = mnl_socket_get_portid(nl);
	unsigned int acks = 0;
	ssize_t n;
	int ret;

	for (;;) {
		n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		ret = igd_nft_batch_parse_acks(b, buf, (size_t)n, portid);
		if (ret < 0)
			return ret;
		acks += (unsigned int)ret;
	}
	if (acks < b->n && !b->commit_err)
		return -EPROTO;
	return 0;
}

/* What an earlier batch left unread on a kept socket (a send that failed half-way). */
static void nft_socket_drain(struct mnl_socket *nl)
{
	char buf[4096];

	while (recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int igd_nft_batch_send_on(struct igd_nft_batch *b, struct mnl_socket *nl, bool commit,
			  char *err, size_t errlen)
{
	const void *wire;
	size_t len;
	int ret;

	nft_batch_reset_results(b);
	wire = igd_nft_batch_wire(b, commit, &len);
	if (!wire) {
		nft_seterr(err, errlen, "build batch", -ENOMEM);
		return -ENOMEM;
	}
	nft_socket_drain(nl);
	nft_socket_size(nl, len, b->n);
	if (mnl_socket_sendto(nl, wire, len) < 0) {
		ret = -errno;
		nft_seterr(err, errlen, "send batch", ret);
		return ret;
	}
	ret = nft_batch_recv(b, nl);
	if (ret < 0) {
		nft_seterr(err, errlen, "read acks", ret);
		return ret;
	}
	return igd_nft_batch_error(b, err, errlen);
}

int igd_nft_batch_send(struct igd_nft_batch *b, bool commit, char *err, size_t errlen)
{
	struct mnl_socket *nl = igd_nft_socket_open();
	int ret;

	if (!nl) {
		ret = -errno;
		nft_seterr(err, errlen, "open netlink socket", ret);
		return ret;
	}
	ret = igd_nft_batch_send_on(b, nl, commit, err, errlen);
	mnl_socket_close(nl);
	return ret;
}
