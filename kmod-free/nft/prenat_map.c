#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "nft/prenat_map.h"
#include "nft/setelem_get.h"

static size_t prenat_alen(int family)
{
	return family == 6 ? 16 : 4;
}

size_t igd_prenat_key_len(int family)
{
	return 2 * prenat_alen(family) + 12;
}

size_t igd_prenat_data_len(int family)
{
	return prenat_alen(family) + 4;
}

size_t igd_prenat_key(uint8_t *k, int family, const union igd_addr *src,
		      const union igd_addr *dst, uint8_t proto, const uint8_t th[4])
{
	size_t a = prenat_alen(family);

	memset(k, 0, IGD_PRENAT_KEY_MAX);
	memcpy(k, src->b, a);
	memcpy(k + a, dst->b, a);
	k[2 * a] = proto;
	memcpy(k + 2 * a + 4, th, 2);		/* th sport */
	memcpy(k + 2 * a + 8, th + 2, 2);	/* th dport */
	return igd_prenat_key_len(family);
}

/* ---- the answer: ELEMENTS { LIST_ELEM { KEY, DATA { VALUE }, ... } } ---- */

struct prenat_find {
	int type;
	const struct nlattr *a;
};

static int prenat_find_cb(const struct nlattr *a, void *data)
{
	struct prenat_find *f = data;

	if (mnl_attr_get_type(a) == f->type && !f->a)
		f->a = a;
	return MNL_CB_OK;
}

/* The first attribute of @type inside @nest (validated as a nest), or NULL. */
static const struct nlattr *prenat_nested(const struct nlattr *nest, int type)
{
	struct prenat_find f = { type, NULL };

	if (!nest || mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(nest, prenat_find_cb, &f) < 0)
		return NULL;
	return f.a;
}

int igd_prenat_reply_parse(const struct nlmsghdr *nlh, int family, struct igd_prenat *out)
{
	struct prenat_find f = { NFTA_SET_ELEM_LIST_ELEMENTS, NULL };
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	const struct nlattr *v;
	size_t a = prenat_alen(family);
	const uint8_t *d;

	memset(out, 0, sizeof(*out));
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWSETELEM ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), prenat_find_cb, &f) < 0)
		return -EINVAL;
	if (!f.a)
		return -ENOENT;
	/* libmnl walks up to the length rounded up to 4: the nest must end inside */
	if ((const uint8_t *)f.a + f.a->nla_len > end)
		return -EINVAL;
	v = prenat_nested(prenat_nested(prenat_nested(f.a, NFTA_LIST_ELEM), NFTA_SET_ELEM_DATA),
			  NFTA_DATA_VALUE);
	if (!v)
		return -ENOENT;
	if (mnl_attr_get_payload_len(v) != igd_prenat_data_len(family))
		return -EINVAL;
	d = mnl_attr_get_payload(v);
	memcpy(out->saddr.b, d, a);
	out->sport = (uint16_t)(d[a] << 8 | d[a + 1]);
	return 0;
}

struct prenat_answer {
	int family;
	struct igd_prenat *out;
	int ret;
};

static int prenat_answer_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prenat_answer *ans = data;

	ans->ret = igd_prenat_reply_parse(nlh, ans->family, ans->out);
	return MNL_CB_OK;
}

int igd_prenat_lookup(struct mnl_socket *nl, void *buf, size_t len, const char *table,
		      int family, const uint8_t *key, struct igd_prenat *out)
{
	struct prenat_answer ans = { family, out, -ENOENT };
	int ret;

	ret = igd_nft_setelem_get(nl, buf, len, table, family, IGD_PRENAT_MAP, key,
				  (uint16_t)igd_prenat_key_len(family), prenat_answer_cb, &ans);
	return ret ? ret : ans.ret;
}
