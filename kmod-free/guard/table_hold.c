/* Table ownership: the probe and the flags of existing tables.  See table_hold.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include "nft/nft_batch.h"
#include "guard/table_hold.h"
#include "nl/nl_talk.h"

static const char *const hold_names[IGD_HOLD_MAX] = {
	[IGD_HOLD_AUTO] = "auto",
	[IGD_HOLD_PERSIST] = "persist",
	[IGD_HOLD_OWNER] = "owner",
	[IGD_HOLD_RESTORE] = "restore",
};

const char *igd_hold_name(enum igd_hold h)
{
	return (unsigned int)h < IGD_HOLD_MAX ? hold_names[h] : "?";
}

int igd_hold_parse(const char *s)
{
	int i;

	for (i = 0; i < IGD_HOLD_MAX; i++)
		if (!strcmp(s, hold_names[i]))
			return i;
	return -1;
}

uint32_t igd_hold_table_flags(enum igd_hold h)
{
	switch (h) {
	case IGD_HOLD_PERSIST:
		return NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST;
	case IGD_HOLD_OWNER:
		return NFT_TABLE_F_OWNER;
	default:
		return 0;
	}
}

/* Whether a new table with @flags is taken, in a transaction that is never
 * committed: 0, or the kernel's -errno (EOPNOTSUPP for flags it does not know). */
static int hold_try(uint32_t flags)
{
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	struct nftnl_table *t = nftnl_table_alloc();
	char name[64];
	int ret = -ENOMEM;

	if (!b || !t)
		goto out;
	snprintf(name, sizeof(name), "igd_hold_probe_%ld", (long)getpid());
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	ret = igd_nft_batch_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, t);
	if (!ret) {
		igd_nft_batch_send(b, false, NULL, 0);
		ret = igd_nft_batch_result(b, 0);
		if (ret > 0)		/* no answer at all: nf_tables unreachable */
			ret = -EPROTO;
	}
out:
	nftnl_table_free(t);
	igd_nft_batch_free(b);
	return ret;
}

int igd_hold_probe(void)
{
	int ret = hold_try(NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST);

	if (!ret)
		return IGD_HOLD_PERSIST;
	if (ret != -EOPNOTSUPP && ret != -EINVAL)
		return ret;
	ret = hold_try(NFT_TABLE_F_OWNER);
	if (!ret)
		return IGD_HOLD_OWNER;
	return ret == -EOPNOTSUPP || ret == -EINVAL ? IGD_HOLD_RESTORE : ret;
}

struct table_get {
	uint32_t flags, owner;
	int found;
};

static int table_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFTA_TABLE_MAX) < 0)
		return MNL_CB_OK;
	if ((type == NFTA_TABLE_FLAGS || type == NFTA_TABLE_OWNER) &&
	    mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;	/* ignored, not trusted */
	tb[type] = a;
	return MNL_CB_OK;
}

static int table_get_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_TABLE_MAX + 1] = { NULL };
	struct table_get *g = data;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWTABLE)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), table_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	g->found = 1;
	if (tb[NFTA_TABLE_FLAGS])
		g->flags = ntohl(mnl_attr_get_u32(tb[NFTA_TABLE_FLAGS]));
	if (tb[NFTA_TABLE_OWNER])
		g->owner = ntohl(mnl_attr_get_u32(tb[NFTA_TABLE_OWNER]));
	return MNL_CB_OK;
}

int igd_nft_table_get(uint32_t nfproto, const char *name, uint32_t *flags, uint32_t *owner)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct table_get g = { 0 };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int ret;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)nfproto;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	ret = igd_nl_exchange(nl, nlh, buf, sizeof(buf), table_get_cb, &g);
	if (!ret && !g.found)
		ret = -ENOENT;
	if (!ret) {
		*flags = g.flags;
		if (owner)
			*owner = g.owner;
	}
out:
	mnl_socket_close(nl);
	return ret;
}
