#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include "guard/guard_counters.h"
#include "util/json.h"
#include "guard/guard_rules.h"
#include "nft/nft_expr.h"
#include "nl/nl_talk.h"
#include "util/num.h"

static const struct {
	const char *comment, *name;
} ctr_names[IGD_CTR_MAX] = {
	[IGD_CTR_SUSPECT_NAT] = { IGD_GUARD_CTR_SUSPECT_NAT, "suspects_translated" },
	[IGD_CTR_SUSPECT_CLEAR] = { IGD_GUARD_CTR_SUSPECT_CLEAR, "suspects_untransformed" },
	[IGD_CTR_SUSPECT_UNAPPLIED] = { IGD_GUARD_CTR_SUSPECT_UNAPPLIED, "suspects_sp_not_applied" },
	[IGD_CTR_FLAGGED] = { IGD_GUARD_CTR_FLAGGED, "flagged_packets" },
	[IGD_CTR_DECAP_OK] = { IGD_GUARD_CTR_DECAP_OK, "decap_ok_packets" },
	[IGD_CTR_MSS] = { IGD_GUARD_CTR_MSS, "mss_clamps" },
	[IGD_CTR_OUTER_NAT] = { IGD_GUARD_CTR_OUTER_NAT, "outer_nat_flows" },
	[IGD_CTR_FRAG_ESP] = { IGD_GUARD_CTR_FRAG_ESP, "frag_first_esp" },
	[IGD_CTR_FRAG_UDP] = { IGD_GUARD_CTR_FRAG_UDP, "frag_first_ike_port_udp" },
	[IGD_CTR_FRAG_LATER_ESP] = { IGD_GUARD_CTR_FRAG_LATER_ESP, "frag_later_esp" },
	[IGD_CTR_FRAG_LATER_UDP] = { IGD_GUARD_CTR_FRAG_LATER_UDP, "frag_later_udp" },
	[IGD_CTR_FRAG_ORPHAN_ESP] = { IGD_GUARD_CTR_FRAG_ORPHAN_ESP, "frag_orphan_esp" },
	[IGD_CTR_FRAG_ORPHAN_UDP] = { IGD_GUARD_CTR_FRAG_ORPHAN_UDP, "frag_orphan_udp" },
	[IGD_CTR_FRAG_OUT_ESP] = { IGD_GUARD_CTR_FRAG_OUT_ESP, "frag_out_esp" },
	[IGD_CTR_FRAG_OUT_UDP] = { IGD_GUARD_CTR_FRAG_OUT_UDP, "frag_out_ike_port_udp" },
	[IGD_CTR_UNCOVERED] = { IGD_GUARD_CTR_UNCOVERED, "uncovered_copied" },
};

const char *igd_guard_ctr_name(enum igd_guard_ctr c)
{
	return c < IGD_CTR_MAX ? ctr_names[c].name : "?";
}

static int ctr_expr_cb(struct nftnl_expr *e, void *data)
{
	uint64_t *packets = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && !strcmp(name, "counter"))
		*packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	return 0;
}

static void ctr_add_sp(struct igd_guard_counters *c, uint32_t index, uint64_t n)
{
	size_t i;

	for (i = 0; i < c->nsp; i++)
		if (c->sp[i].index == index) {
			c->sp[i].flows += n;
			return;
		}
	if (c->nsp < IGD_GUARD_MAX_SP_CTR) {
		c->sp[c->nsp].index = index;
		c->sp[c->nsp++].flows = n;
	}
}

/* One rule of the dump: its counter goes where its comment says. */
static int ctr_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_guard_counters *c = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	const char *comment;
	uint64_t packets = 0;
	uint32_t index;
	unsigned int i;

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;	/* not one we can read: skipped */
	comment = igd_nft_rule_get_comment(r);
	if (!comment)
		goto out;
	nftnl_expr_foreach(r, ctr_expr_cb, &packets);
	for (i = 0; i < IGD_CTR_MAX; i++)
		if (!strcmp(comment, ctr_names[i].comment))
			c->v[i] += packets;
	if (!strncmp(comment, IGD_GUARD_CTR_SP, strlen(IGD_GUARD_CTR_SP)) &&
	    !igd_num_u32(comment + strlen(IGD_GUARD_CTR_SP), 0, UINT32_MAX, &index))
		ctr_add_sp(c, index, packets);
out:
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* a dump that the kernel interrupted runs again from nothing */
static void ctr_reset(void *data)
{
	memset(data, 0, sizeof(struct igd_guard_counters));
}

static int ctr_read_family(const char *table, uint16_t family, struct igd_guard_counters *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r)
		return -ENOMEM;
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0) {
		nftnl_rule_free(r);
		return -ENOMEM;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, family, NLM_F_DUMP, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return igd_nl_dump(nlh, ctr_rule_cb, c, ctr_reset);
}

int igd_guard_counters_read(const char *table, struct igd_guard_counters *out)
{
	struct igd_guard_counters c4, c6;
	size_t i;
	int ret;

	ret = ctr_read_family(table, NFPROTO_IPV4, &c4) ?:
	      ctr_read_family(table, NFPROTO_IPV6, &c6);
	if (ret)
		return ret;
	for (i = 0; i < IGD_CTR_MAX; i++)
		c4.v[i] += c6.v[i];
	for (i = 0; i < c6.nsp; i++)
		ctr_add_sp(&c4, c6.sp[i].index, c6.sp[i].flows);
	*out = c4;
	return 0;
}

void igd_guard_counters_json(struct igd_json *j, const struct igd_guard_counters *c)
{
	unsigned int i;

	igd_json_obj_open(j, "kernel");
	for (i = 0; i < IGD_CTR_MAX; i++)
		igd_json_uint(j, igd_guard_ctr_name(i), c->v[i]);
	igd_json_obj_close(j);
	igd_json_arr_open(j, "sp_flows");
	for (i = 0; i < c->nsp; i++) {
		igd_json_obj_open(j, NULL);
		igd_json_uint(j, "index", c->sp[i].index);
		igd_json_uint(j, "flows", c->sp[i].flows);
		igd_json_obj_close(j);
	}
	igd_json_arr_close(j);
}
