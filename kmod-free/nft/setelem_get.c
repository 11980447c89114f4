/* NFT_MSG_GETSETELEM; see setelem_get.h. */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "nft/setelem_get.h"
#include "nl/nl_talk.h"

static int setelem_none_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

int igd_nft_setelem_get(struct mnl_socket *nl, void *buf, size_t len, const char *table,
			int family, const char *set, const void *key, uint16_t klen,
			mnl_cb_t cb, void *data)
{
	struct nlattr *elems, *elem, *k;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (len < (size_t)MNL_SOCKET_BUFFER_SIZE)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSETELEM;
	nlh->nlmsg_flags = NLM_F_REQUEST;	/* one answer: the element or an error */
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	elems = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, key);
	mnl_attr_nest_end(nlh, k);
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, elems);
	return igd_nl_exchange(nl, nlh, buf, len, cb ? cb : setelem_none_cb, data);
}
