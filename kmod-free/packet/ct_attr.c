#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include "packet/ct_attr.h"

struct ct_tb {
	const struct nlattr **tb;
	int max;
	const uint8_t *end;	/* of the message; NULL inside a nest */
};

/* libmnl walks a message's attributes up to its length rounded up to 4: an attribute
 * ending in that padding lies outside what the sender wrote. */
static bool ct_attr_past(const struct nlattr *a, const uint8_t *end)
{
	return end && (const uint8_t *)a + a->nla_len > end;
}

static int ct_attr_collect(const struct nlattr *a, void *data)
{
	struct ct_tb *t = data;
	int type = mnl_attr_get_type(a);

	if (ct_attr_past(a, t->end))
		return MNL_CB_ERROR;
	if (mnl_attr_type_valid(a, t->max) < 0)
		return MNL_CB_OK;	/* newer kernel: skip */
	t->tb[type] = a;
	return MNL_CB_OK;
}

int igd_ct_attrs_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
		       int max)
{
	struct ct_tb t = { tb, max, (const uint8_t *)nlh + nlh->nlmsg_len };

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	return mnl_attr_parse(nlh, (unsigned int)hdrlen, ct_attr_collect, &t) < 0 ? -EINVAL : 0;
}

static int ct_nest_parse(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	struct ct_tb t = { .tb = tb, .max = max };

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	if (!nest || mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EINVAL;
	return mnl_attr_parse_nested(nest, ct_attr_collect, &t) < 0 ? -EINVAL : 0;
}

static int ct_get_addr(const struct nlattr *a, size_t len, union igd_addr *out)
{
	if (!a || mnl_attr_validate2(a, MNL_TYPE_BINARY, len) < 0)
		return -EINVAL;
	memcpy(out->b, mnl_attr_get_payload(a), len);
	return 0;
}

static int ct_parse_ip(const struct nlattr *nest, uint8_t *family, struct igd_ct_tuple *t)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];

	if (ct_nest_parse(nest, tb, CTA_IP_MAX))
		return -EINVAL;
	memset(&t->src, 0, sizeof(t->src));
	memset(&t->dst, 0, sizeof(t->dst));
	if (tb[CTA_IP_V4_SRC] || tb[CTA_IP_V4_DST]) {
		*family = 4;
		return ct_get_addr(tb[CTA_IP_V4_SRC], 4, &t->src) ?:
		       ct_get_addr(tb[CTA_IP_V4_DST], 4, &t->dst);
	}
	*family = 6;
	return ct_get_addr(tb[CTA_IP_V6_SRC], 16, &t->src) ?:
	       ct_get_addr(tb[CTA_IP_V6_DST], 16, &t->dst);
}

static int ct_get_u8(const struct nlattr *a, uint8_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -EINVAL;
	*v = mnl_attr_get_u8(a);
	return 0;
}

static int ct_get_be16(const struct nlattr *a, uint16_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -EINVAL;
	*v = ntohs(mnl_attr_get_u16(a));
	return 0;
}

static int ct_parse_icmp(const struct nlattr **tb, int id, int type, int code,
			 struct igd_ct_tuple *t)
{
	uint8_t ty = 0, co = 0;

	if (!tb[id] || !tb[type] || !tb[code])
		return 0;
	if (ct_get_be16(tb[id], &t->sport) || ct_get_u8(tb[type], &ty) ||
	    ct_get_u8(tb[code], &co))
		return -EINVAL;
	t->dport = (uint16_t)(ty << 8 | co);
	t->has_ports = true;
	return 0;
}

static int ct_parse_proto(const struct nlattr *nest, struct igd_ct_tuple *t)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];

	if (ct_nest_parse(nest, tb, CTA_PROTO_MAX) || !tb[CTA_PROTO_NUM] ||
	    ct_get_u8(tb[CTA_PROTO_NUM], &t->proto))
		return -EINVAL;
	t->has_ports = false;
	t->sport = t->dport = 0;
	if (tb[CTA_PROTO_SRC_PORT] && tb[CTA_PROTO_DST_PORT]) {
		t->has_ports = true;
		return ct_get_be16(tb[CTA_PROTO_SRC_PORT], &t->sport) ?:
		       ct_get_be16(tb[CTA_PROTO_DST_PORT], &t->dport);
	}
	return ct_parse_icmp(tb, CTA_PROTO_ICMP_ID, CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE, t) ?:
	       ct_parse_icmp(tb, CTA_PROTO_ICMPV6_ID, CTA_PROTO_ICMPV6_TYPE,
			     CTA_PROTO_ICMPV6_CODE, t);
}

int igd_ct_tuple_parse(const struct nlattr *nest, uint8_t *family, struct igd_ct_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];

	if (ct_nest_parse(nest, tb, CTA_TUPLE_MAX) || !tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return -EINVAL;
	return ct_parse_ip(tb[CTA_TUPLE_IP], family, t) ?: ct_parse_proto(tb[CTA_TUPLE_PROTO], t);
}

static int ct_get_be32(const struct nlattr *a, uint32_t *v)
{
	if (!a)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EINVAL;
	*v = ntohl(mnl_attr_get_u32(a));
	return 0;
}

/* An entry from its CTA_* attributes (a NFQA_CT / NFULA_CT nest, or a ctnetlink
 * message's top level). */
static int ct_parse_tb(const struct nlattr **tb, struct igd_ct *ct)
{
	uint8_t fam_o = 0, fam_r = 0;
	int err;

	memset(ct, 0, sizeof(*ct));
	if (!tb[CTA_TUPLE_ORIG])
		return -EINVAL;
	err = igd_ct_tuple_parse(tb[CTA_TUPLE_ORIG], &fam_o, &ct->orig);
	if (!err && tb[CTA_TUPLE_REPLY]) {
		err = igd_ct_tuple_parse(tb[CTA_TUPLE_REPLY], &fam_r, &ct->reply);
		ct->has_reply = !err;
		if (!err && fam_r != fam_o)
			err = -EINVAL;
	}
	err = err ?: ct_get_be32(tb[CTA_STATUS], &ct->status) ?:
	      ct_get_be32(tb[CTA_MARK], &ct->mark) ?: ct_get_be32(tb[CTA_ID], &ct->id);
	if (err) {
		memset(ct, 0, sizeof(*ct));
		return -EINVAL;
	}
	ct->family = fam_o;
	return 0;
}

int igd_ct_parse(const struct nlattr *nest, struct igd_ct *ct)
{
	const struct nlattr *tb[CTA_MAX + 1];

	memset(ct, 0, sizeof(*ct));
	if (ct_nest_parse(nest, tb, CTA_MAX))
		return -EINVAL;
	return ct_parse_tb(tb, ct);
}

int igd_ct_msg_parse(const struct nlmsghdr *nlh, struct igd_ct *ct)
{
	const struct nlattr *tb[CTA_MAX + 1];

	memset(ct, 0, sizeof(*ct));
	if (igd_ct_attrs_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_MAX) < 0)
		return -EINVAL;
	return ct_parse_tb(tb, ct);
}

bool igd_ct_snat(const struct igd_ct *ct)
{
	if (!ct->family || !ct->has_reply)
		return false;
	return memcmp(&ct->orig.src, &ct->reply.dst, sizeof(ct->orig.src)) ||
	       (ct->orig.has_ports && ct->orig.proto != IPPROTO_ICMP &&
		ct->orig.proto != IPPROTO_ICMPV6 && ct->orig.sport != ct->reply.dport);
}

bool igd_ct_dnat(const struct igd_ct *ct)
{
	if (!ct->family || !ct->has_reply)
		return false;
	return memcmp(&ct->orig.dst, &ct->reply.src, sizeof(ct->orig.dst)) ||
	       (ct->orig.has_ports && ct->orig.proto != IPPROTO_ICMP &&
		ct->orig.proto != IPPROTO_ICMPV6 && ct->orig.dport != ct->reply.sport);
}

int igd_ct_entry_parse(const struct nlmsghdr *nlh, struct igd_ct_entry *e)
{
	const struct nlattr *tb[CTA_MAX + 1];

	memset(e, 0, sizeof(*e));
	if (igd_ct_attrs_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_MAX) < 0 ||
	    (tb[CTA_ZONE] && mnl_attr_validate(tb[CTA_ZONE], MNL_TYPE_U16) < 0) ||
	    (tb[CTA_ID] && mnl_attr_validate(tb[CTA_ID], MNL_TYPE_U32) < 0) ||
	    igd_ct_tuple_parse(tb[CTA_TUPLE_ORIG], &e->family, &e->orig) < 0)
		return -EINVAL;
	e->orig_nest = tb[CTA_TUPLE_ORIG];
	e->has_zone = tb[CTA_ZONE] != NULL;
	if (e->has_zone)
		e->zone = mnl_attr_get_u16(tb[CTA_ZONE]);
	e->has_id = tb[CTA_ID] != NULL;
	if (e->has_id)
		e->id = mnl_attr_get_u32(tb[CTA_ID]);
	return 0;
}
