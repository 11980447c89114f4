/* libFuzzer harness for the netlink parsers that read kernel messages: XFRM policies,
 * SAs and ACQUIREs (xfrm_parse.c), the conntrack entry NFQUEUE attaches to a packet and
 * an entry of a conntrack dump (ct_attr.c), the copies nfnetlink_log sends (nflog.c)
 * and the prenat map's answers (prenat_map.c).  The first input byte picks the
 * message type; the rest is the message after its netlink header, whose length is
 * set to the input's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/xfrm.h>
#include "packet/ct_attr.h"
#include "nl/nflog.h"
#include "nft/prenat_map.h"
#include "xfrm/xfrm_mirror.h"

static const uint16_t fuzz_types[] = {
	XFRM_MSG_NEWPOLICY, XFRM_MSG_UPDPOLICY, XFRM_MSG_DELPOLICY, XFRM_MSG_POLEXPIRE,
	XFRM_MSG_NEWSA, XFRM_MSG_UPDSA, XFRM_MSG_DELSA, XFRM_MSG_EXPIRE, XFRM_MSG_ACQUIRE,
	0,	/* a conntrack nest */
	1,	/* a conntrack dump entry */
	2,	/* an nfnetlink_log packet */
	3,	/* the prenat map's answer, IPv4 */
	4,	/* ... IPv6 */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	union {
		struct igd_sp sp;
		struct igd_sa sa;
		struct igd_xfrm_acquire acq;
		struct igd_ct ct;
		struct igd_ct_entry ce;
		struct igd_nflog_pkt lp;
		struct igd_prenat pn;
	} out;
	uint16_t type;
	bool hard;

	if (size < 1 || size - 1 > sizeof(buf) - NLMSG_HDRLEN)
		return 0;
	type = fuzz_types[data[0] % (sizeof(fuzz_types) / sizeof(fuzz_types[0]))];
	memset(nlh, 0, NLMSG_HDRLEN);
	memcpy(buf + NLMSG_HDRLEN, data + 1, size - 1);
	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + size - 1);
	nlh->nlmsg_type = type;
	switch (type) {
	case 0:
		/* the payload as one nested attribute */
		if (size - 1 >= sizeof(struct nlattr) &&
		    ((struct nlattr *)(buf + NLMSG_HDRLEN))->nla_len <= size - 1)
			igd_ct_parse((const struct nlattr *)(buf + NLMSG_HDRLEN), &out.ct);
		break;
	case 1:
		nlh->nlmsg_type = IPCTNL_MSG_CT_NEW | NFNL_SUBSYS_CTNETLINK << 8;
		if (igd_ct_entry_parse(nlh, &out.ce) == 0 &&
		    ((const uint8_t *)out.ce.orig_nest < buf + NLMSG_HDRLEN ||
		     (const uint8_t *)out.ce.orig_nest + out.ce.orig_nest->nla_len >
		     buf + nlh->nlmsg_len))
			abort();	/* the tuple to send back lies inside the message */
		break;
	case 2:
		nlh->nlmsg_type = NFULNL_MSG_PACKET | NFNL_SUBSYS_ULOG << 8;
		if (igd_nflog_msg_parse(nlh, &out.lp) == 0 &&
		    (out.lp.data < buf || out.lp.data + out.lp.len > buf + nlh->nlmsg_len ||
		     strlen(out.lp.prefix) > nlh->nlmsg_len))
			abort();	/* the copy and the prefix lie inside the message */
		break;
	case 3:
	case 4:
		nlh->nlmsg_type = NFT_MSG_NEWSETELEM | NFNL_SUBSYS_NFTABLES << 8;
		igd_prenat_reply_parse(nlh, type == 3 ? 4 : 6, &out.pn);
		break;
	case XFRM_MSG_ACQUIRE:
		igd_xfrm_parse_acquire(nlh, &out.acq);
		break;
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
	case XFRM_MSG_EXPIRE:
		igd_xfrm_parse_sa(nlh, &out.sa, &hard);
		break;
	default:
		igd_xfrm_parse_policy(nlh, &out.sp, &hard);
	}
	return 0;
}
