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

#include "ct_nl.h"

#define CT_DUMP_BUF	(64 * 1024)
#define CT_REQ_BUF	1024

/* One entry to delete: its original tuple as the kernel sent it, zone and id. */
struct ct_victim {
	uint8_t tuple[512];
	uint16_t tuple_len;		/* whole attribute, header included */
	uint16_t zone;			/* network order, as sent */
	uint32_t id;			/* network order, as sent */
	bool has_zone, has_id;
};

struct ct_dump {
	const struct igd_sel *sel;
	int family;
	struct ct_victim *v;
	unsigned int n, cap;
	bool intr;
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

/* ---- parsing, every attribute validated before it is read ---- */

struct ct_tb {
	const struct nlattr **tb;
	int max;
};

static int ct_nl_collect(const struct nlattr *a, void *data)
{
	struct ct_tb *t = data;

	if (mnl_attr_type_valid(a, t->max) < 0)
		return MNL_CB_OK;		/* newer kernel: skip */
	t->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int ct_nl_nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	struct ct_tb t = { tb, max };

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	if (!nest || mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EINVAL;
	return mnl_attr_parse_nested(nest, ct_nl_collect, &t) < 0 ? -EINVAL : 0;
}

static int ct_nl_addr(const struct nlattr *a, size_t len, union igd_addr *out)
{
	if (!a || mnl_attr_validate2(a, MNL_TYPE_BINARY, len) < 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out->b, mnl_attr_get_payload(a), len);
	return 0;
}

static int ct_nl_ip(const struct nlattr *nest, int family, struct igd_ct_tuple *t)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];

	if (ct_nl_nested(nest, tb, CTA_IP_MAX) < 0)
		return -EINVAL;
	if (family == 4)
		return ct_nl_addr(tb[CTA_IP_V4_SRC], 4, &t->src) ?:
		       ct_nl_addr(tb[CTA_IP_V4_DST], 4, &t->dst);
	return ct_nl_addr(tb[CTA_IP_V6_SRC], 16, &t->src) ?:
	       ct_nl_addr(tb[CTA_IP_V6_DST], 16, &t->dst);
}

static int ct_nl_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -EINVAL;
	*v = ntohs(mnl_attr_get_u16(a));
	return 0;
}

static int ct_nl_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -EINVAL;
	*v = mnl_attr_get_u8(a);
	return 0;
}

static int ct_nl_icmp(const struct nlattr **tb, int type, int code, struct igd_ct_tuple *t)
{
	uint8_t ty, co;

	if (!tb[type] || !tb[code])
		return 0;
	if (ct_nl_u8(tb[type], &ty) < 0 || ct_nl_u8(tb[code], &co) < 0)
		return -EINVAL;
	t->dport = (uint16_t)(ty << 8 | co);
	t->has_ports = true;
	return 0;
}

static int ct_nl_proto(const struct nlattr *nest, struct igd_ct_tuple *t)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];

	if (ct_nl_nested(nest, tb, CTA_PROTO_MAX) < 0 || ct_nl_u8(tb[CTA_PROTO_NUM], &t->proto) < 0)
		return -EINVAL;
	if (tb[CTA_PROTO_SRC_PORT] || tb[CTA_PROTO_DST_PORT]) {
		t->has_ports = true;
		return ct_nl_u16(tb[CTA_PROTO_SRC_PORT], &t->sport) ?:
		       ct_nl_u16(tb[CTA_PROTO_DST_PORT], &t->dport);
	}
	return ct_nl_icmp(tb, CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE, t) ?:
	       ct_nl_icmp(tb, CTA_PROTO_ICMPV6_TYPE, CTA_PROTO_ICMPV6_CODE, t);
}

static int ct_nl_tuple(const struct nlattr *nest, int family, struct igd_ct_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];

	memset(t, 0, sizeof(*t));
	if (ct_nl_nested(nest, tb, CTA_TUPLE_MAX) < 0 || !tb[CTA_TUPLE_IP] ||
	    !tb[CTA_TUPLE_PROTO])
		return -EINVAL;
	return ct_nl_ip(tb[CTA_TUPLE_IP], family, t) ?: ct_nl_proto(tb[CTA_TUPLE_PROTO], t);
}

static int ct_victim_add(struct ct_dump *d, const struct nlattr **tb)
{
	const struct nlattr *orig = tb[CTA_TUPLE_ORIG];
	struct ct_victim *v;

	if (orig->nla_len > sizeof(v->tuple))
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
	memcpy(v->tuple, orig, orig->nla_len);
	v->tuple_len = orig->nla_len;
	v->has_zone = tb[CTA_ZONE] != NULL;
	if (v->has_zone)
		v->zone = mnl_attr_get_u16(tb[CTA_ZONE]);
	v->has_id = tb[CTA_ID] != NULL;
	if (v->has_id)
		v->id = mnl_attr_get_u32(tb[CTA_ID]);
	return 0;
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1] = { NULL };
	struct ct_tb t = { tb, CTA_MAX };
	struct ct_dump *d = data;
	struct igd_ct_tuple orig;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_nl_collect, &t) < 0)
		goto bad;
	if ((tb[CTA_ZONE] && mnl_attr_validate(tb[CTA_ZONE], MNL_TYPE_U16) < 0) ||
	    (tb[CTA_ID] && mnl_attr_validate(tb[CTA_ID], MNL_TYPE_U32) < 0) ||
	    ct_nl_tuple(tb[CTA_TUPLE_ORIG], d->family, &orig) < 0)
		goto bad;
	if (!igd_ct_sel_match(d->sel, d->family, &orig))
		return MNL_CB_OK;
	ret = ct_victim_add(d, tb);
	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
bad:
	errno = EBADMSG;
	return MNL_CB_ERROR;
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

/* Reads replies to @seq until the dump ends or the ack arrives. */
static int ct_recv(struct mnl_socket *nl, uint32_t seq, mnl_cb_t cb, void *data)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	char *buf = malloc(CT_DUMP_BUF);
	ssize_t n;
	int ret;

	if (!buf)
		return -ENOMEM;
	do {
		n = mnl_socket_recvfrom(nl, buf, CT_DUMP_BUF);
		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (ret < 0)
			ret = -(errno ? errno : EPROTO);
	} while (ret > 0);
	free(buf);
	return ret;
}

static int ct_dump(struct mnl_socket *nl, uint32_t seq, struct ct_dump *d)
{
	char buf[CT_REQ_BUF];
	struct nlmsghdr *nlh = ct_msg_start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP,
					    d->family, seq);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return ct_recv(nl, seq, ct_dump_cb, d);
}

static int ct_delete(struct mnl_socket *nl, uint32_t seq, int family,
		     const struct ct_victim *v)
{
	char buf[CT_REQ_BUF];
	struct nlmsghdr *nlh = ct_msg_start(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
					    family, seq);
	struct nlattr *a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);

	memcpy(a, v->tuple, v->tuple_len);
	nlh->nlmsg_len += MNL_ALIGN(v->tuple_len);
	if (v->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, v->zone);
	if (v->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, v->id);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return ct_recv(nl, seq, NULL, NULL);
}

static int ct_flush_family(struct mnl_socket *nl, struct ct_dump *d, uint32_t *seq,
			   unsigned int *deleted, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	d->n = 0;
	d->intr = false;
	ret = ct_dump(nl, (*seq)++, d);
	if (ret < 0) {
		ct_seterr(err, errlen, d->family == 6 ? "dump ipv6 entries" :
				       "dump ipv4 entries", ret);
		return ret;
	}
	for (i = 0; i < d->n; i++) {
		ret = ct_delete(nl, (*seq)++, d->family, &d->v[i]);
		if (ret == -ENOENT)
			continue;	/* timed out or deleted meanwhile */
		if (ret < 0) {
			ct_seterr(err, errlen, "delete entry", ret);
			return ret;
		}
		(*deleted)++;
	}
	return d->intr ? -EINTR : 0;
}

int igd_ct_flush_selector(const struct igd_sel *sel, unsigned int *deleted,
			  char *err, size_t errlen)
{
	struct ct_dump d = { .sel = sel, .family = sel->family };
	uint32_t seq = (uint32_t)time(NULL);
	unsigned int n = 0;
	struct mnl_socket *nl;
	int ret, tries = 0;

	if (sel->family != 4 && sel->family != 6) {
		ct_seterr(err, errlen, "selector", -EINVAL);
		return -EINVAL;
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl) {
		ret = -errno;
		ct_seterr(err, errlen, "open netlink socket", ret);
		return ret;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		ct_seterr(err, errlen, "bind netlink socket", ret);
		goto out;
	}
	/* an interrupted dump may have missed entries: go again (deleted ones are gone) */
	do
		ret = ct_flush_family(nl, &d, &seq, &n, err, errlen);
	while (ret == -EINTR && ++tries < 4);
	if (ret == -EINTR)
		ret = 0;
out:
	free(d.v);
	mnl_socket_close(nl);
	if (deleted)
		*deleted = n;
	return ret;
}
