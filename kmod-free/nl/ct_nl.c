/* Conntrack netlink: dump, match by selector, delete.  See ct_nl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libmnl/libmnl.h>

#include "nl/ct_nl.h"
#include "nl/nl_talk.h"

#define CT_REQ_BUF	1024

/* One entry to delete: its original tuple as the kernel sent it, zone and id. */
struct ct_victim {
	uint8_t tuple[512];
	uint16_t tuple_len;		/* whole attribute, header included */
	uint16_t zone;			/* network order, as sent */
	uint32_t id;			/* network order, as sent */
	bool has_zone, has_id;
	uint8_t family;			/* 4 or 6 */
};

struct ct_dump {
	const struct igd_sel *sel;	/* NULL: every entry the dump sends */
	int family;			/* 0: both */
	struct ct_victim *v;
	unsigned int n, cap;
};

static void ct_seterr(char *err, size_t errlen, const char *what, int ret)
{
	if (errlen)
		snprintf(err, errlen, "conntrack: %s: %s", what, strerror(-ret));
}

bool igd_ct_sel_match(const struct igd_sel *sel, int family,
		      const struct igd_ct_tuple *orig)
{
	uint16_t sp = orig->sport, dp = orig->dport;

	if (family != sel->family ||
	    !igd_addr_match(family, &orig->src, &sel->saddr, sel->plen_s) ||
	    !igd_addr_match(family, &orig->dst, &sel->daddr, sel->plen_d))
		return false;
	if (sel->proto && orig->proto != sel->proto)
		return false;
	if (!sel->sport_mask && !sel->dport_mask)
		return true;
	if (!orig->has_ports)
		return false;
	if (orig->proto == IPPROTO_ICMP || orig->proto == IPPROTO_ICMPV6) {
		sp = orig->dport >> 8;		/* type */
		dp = orig->dport & 0xff;	/* code */
	}
	return ((sp ^ sel->sport) & sel->sport_mask) == 0 &&
	       ((dp ^ sel->dport) & sel->dport_mask) == 0;
}

/* ---- parsing: ct_attr.c validates every attribute before it is read ---- */

static int ct_victim_add(struct ct_dump *d, const struct igd_ct_entry *e)
{
	struct ct_victim *v;

	if (e->orig_nest->nla_len > sizeof(v->tuple))
		return -EMSGSIZE;
	if (d->n == d->cap) {
		unsigned int cap = d->cap ? 2 * d->cap : 16;

		v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	v = &d->v[d->n++];
	memset(v, 0, sizeof(*v));
	memcpy(v->tuple, e->orig_nest, e->orig_nest->nla_len);
	v->tuple_len = e->orig_nest->nla_len;
	v->has_zone = e->has_zone;
	v->zone = e->zone;
	v->has_id = e->has_id;
	v->id = e->id;
	v->family = e->family;
	return 0;
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_dump *d = data;
	struct igd_ct_entry e;
	int ret;

	if (igd_ct_entry_parse(nlh, &e) < 0 || (d->family && e.family != d->family)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (d->sel && !igd_ct_sel_match(d->sel, d->family, &e.orig))
		return MNL_CB_OK;
	ret = ct_victim_add(d, &e);
	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* ---- socket work ---- */

static struct nlmsghdr *ct_msg_start(char *buf, uint16_t type, uint16_t flags,
				     int family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family == 6 ? AF_INET6 : AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* CTA_TUPLE_ORIG or _REPLY of @t: addresses, protocol and, for protocols with ports,
 * the ports. */
static void ct_put_tuple(struct nlmsghdr *nlh, uint16_t type, int family,
			 const struct igd_ct_tuple *t)
{
	struct nlattr *tn = mnl_attr_nest_start(nlh, type), *n;
	size_t alen = family == 6 ? 16 : 4;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, family == 6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, alen, t->src.b);
	mnl_attr_put(nlh, family == 6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, alen, t->dst.b);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (t->has_ports && t->proto != IPPROTO_ICMP && t->proto != IPPROTO_ICMPV6) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	}
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, tn);
}

static int ct_get_cb(const struct nlmsghdr *nlh, void *data)
{
	if (igd_ct_msg_parse(nlh, data) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int igd_ct_get(struct mnl_socket *nl, int family, const struct igd_ct_tuple *t, bool reply,
	       struct igd_ct *out)
{
	char buf[CT_REQ_BUF];
	uint8_t rbuf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ct_msg_start(buf, IPCTNL_MSG_CT_GET, 0, family, 0);

	memset(out, 0, sizeof(*out));
	ct_put_tuple(nlh, reply ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG, family, t);
	return igd_nl_exchange(nl, nlh, rbuf, sizeof(rbuf), ct_get_cb, out);
}

static void ct_dump_reset(void *data)
{
	((struct ct_dump *)data)->n = 0;
}

/* The entries of the selector; the dump runs again when the kernel flags it as
 * interrupted, and when every try was, what the last one saw is still deleted. */
static int ct_dump(struct ct_dump *d)
{
	char buf[CT_REQ_BUF];
	struct nlmsghdr *nlh = ct_msg_start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, d->family, 0);
	int ret = igd_nl_dump(nlh, ct_dump_cb, d, ct_dump_reset);

	return ret == -EINTR ? 0 : ret;
}

/* A request naming entry @v: its original tuple as the kernel sent it, zone, id. */
static struct nlmsghdr *ct_msg_victim(char *buf, uint16_t type, int family,
				      const struct ct_victim *v)
{
	struct nlmsghdr *nlh = ct_msg_start(buf, type, 0, family, 0);
	struct nlattr *a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);

	memcpy(a, v->tuple, v->tuple_len);
	nlh->nlmsg_len += MNL_ALIGN(v->tuple_len);
	if (v->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, v->zone);
	if (v->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, v->id);
	return nlh;
}

static int ct_delete(struct mnl_socket *nl, int family, const struct ct_victim *v)
{
	char buf[CT_REQ_BUF];

	return igd_nl_talk(nl, ct_msg_victim(buf, IPCTNL_MSG_CT_DELETE, family, v));
}

static int ct_flush_family(struct mnl_socket *nl, struct ct_dump *d, unsigned int *deleted,
			   char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	ret = ct_dump(d);
	if (ret < 0) {
		ct_seterr(err, errlen, d->family == 6 ? "dump ipv6 entries" :
				       "dump ipv4 entries", ret);
		return ret;
	}
	for (i = 0; i < d->n; i++) {
		ret = ct_delete(nl, d->family, &d->v[i]);
		if (ret == -ENOENT)
			continue;	/* timed out or deleted meanwhile */
		if (ret < 0) {
			ct_seterr(err, errlen, "delete entry", ret);
			return ret;
		}
		(*deleted)++;
	}
	return 0;
}

/* A socket of our own for a run of requests. */
static struct mnl_socket *ct_socket(char *err, size_t errlen)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int ret;

	if (!nl) {
		ct_seterr(err, errlen, "open netlink socket", -errno);
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		ct_seterr(err, errlen, "bind netlink socket", ret);
		mnl_socket_close(nl);
		errno = -ret;
		return NULL;
	}
	return nl;
}

/* The entries whose mark & @mask is @value: the kernel filters the dump (CTA_MARK,
 * CTA_MARK_MASK), and runs it again when it was interrupted. */
static int ct_dump_mark(struct ct_dump *d, uint32_t value, uint32_t mask)
{
	char buf[CT_REQ_BUF];
	struct nlmsghdr *nlh = ct_msg_start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, 0, 0);
	int ret;

	/* AF_UNSPEC: both families in one dump */
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(value));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	ret = igd_nl_dump(nlh, ct_dump_cb, d, ct_dump_reset);
	return ret == -EINTR ? 0 : ret;
}

int igd_ct_mark_clear(uint32_t value, uint32_t mask, unsigned int *cleared, char *err,
		      size_t errlen)
{
	struct ct_dump d = { .sel = NULL, .family = 0 };
	unsigned int i, n = 0;
	struct mnl_socket *nl;
	char buf[CT_REQ_BUF];
	int ret;

	nl = ct_socket(err, errlen);
	if (!nl)
		return -errno;
	ret = ct_dump_mark(&d, value, mask);
	if (ret < 0)
		ct_seterr(err, errlen, "dump entries by mark", ret);
	for (i = 0; i < d.n && ret >= 0; i++) {
		struct nlmsghdr *nlh;

		nlh = ct_msg_victim(buf, IPCTNL_MSG_CT_NEW, d.v[i].family, &d.v[i]);
		/* the field cleared, the other bits kept: (mark & ~mask) ^ 0 */
		mnl_attr_put_u32(nlh, CTA_MARK, 0);
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
		ret = igd_nl_talk(nl, nlh);
		if (ret == -ENOENT) {
			ret = 0;	/* gone meanwhile */
			continue;
		}
		if (ret < 0)
			ct_seterr(err, errlen, "update entry", ret);
		else
			n++;
	}
	free(d.v);
	mnl_socket_close(nl);
	if (cleared)
		*cleared = n;
	return ret < 0 ? ret : 0;
}

int igd_ct_flush_selector(const struct igd_sel *sel, unsigned int *deleted,
			  char *err, size_t errlen)
{
	struct ct_dump d = { .sel = sel, .family = sel->family };
	unsigned int n = 0;
	struct mnl_socket *nl;
	int ret;

	if (sel->family != 4 && sel->family != 6) {
		ct_seterr(err, errlen, "selector", -EINVAL);
		return -EINVAL;
	}
	nl = ct_socket(err, errlen);
	if (!nl)
		return -errno;
	ret = ct_flush_family(nl, &d, &n, err, errlen);
	free(d.v);
	mnl_socket_close(nl);
	if (deleted)
		*deleted = n;
	return ret;
}
