/* kmod-free/nft/prenat_map without a kernel: the key's layout (the registers the
 * rule loads), and the kernel's answer to a GETSETELEM read back, well-formed or not. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include "nft/prenat_map.h"
#include "tap.h"

static uint8_t buf[8192] __attribute__((aligned(4)));

/* An answer as nf_tables_fill_setelem_info writes it: @dlen bytes of data. */
static struct nlmsghdr *answer(const uint8_t *data, uint16_t dlen, bool with_data)
{
	static const uint8_t key[20];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *elems, *elem, *n;
	struct nfgenmsg *nfg;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_IPV4;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "ipsecguard");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, IGD_PRENAT_MAP);
	elems = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	n = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof(key), key);
	mnl_attr_nest_end(nlh, n);
	if (with_data) {
		n = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
		mnl_attr_put(nlh, NFTA_DATA_VALUE, dlen, data);
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, 0);
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, elems);
	return nlh;
}

static void check_key(void)
{
	static const uint8_t th[4] = { 0x9c, 0x40, 0x00, 0x16 };
	uint8_t k[IGD_PRENAT_KEY_MAX];
	union igd_addr s = { 0 }, d = { 0 };

	inet_pton(AF_INET, "172.16.0.1", &s);
	inet_pton(AF_INET, "192.168.1.10", &d);
	is_int((int)igd_prenat_key(k, 4, &s, &d, IPPROTO_TCP, th), 20, "key: 20 bytes for IPv4");
	ok(!memcmp(k, "\xac\x10\x00\x01\xc0\xa8\x01\x0a", 8), "key: the addresses first");
	ok(k[8] == IPPROTO_TCP && !k[9] && !k[10] && !k[11], "key: the protocol, padded to 4");
	ok(!memcmp(k + 12, "\x9c\x40\0\0\0\x16\0\0", 8), "key: each port in a register of its own");
	is_int((int)igd_prenat_key_len(6), 44, "key: 44 bytes for IPv6");
	is_int((int)igd_prenat_data_len(6), 20, "data: 20 bytes for IPv6");
}

static void check_answer(void)
{
	static const uint8_t data[8] = { 10, 0, 2, 33, 0x9c, 0x40, 0, 0 };
	struct igd_prenat pn;
	struct nlmsghdr *nlh;

	nlh = answer(data, sizeof(data), true);
	is_int(igd_prenat_reply_parse(nlh, 4, &pn), 0, "answer: parses");
	ok(pn.saddr.a4 == htonl(0x0a000221), "answer: the pre-NAT source");
	is_int(pn.sport, 40000, "answer: the pre-NAT port, host order");
	nlh = answer(data, 4, true);
	is_int(igd_prenat_reply_parse(nlh, 4, &pn), -EINVAL, "answer: data of the wrong length");
	nlh = answer(data, sizeof(data), true);
	is_int(igd_prenat_reply_parse(nlh, 6, &pn), -EINVAL, "answer: IPv4 data for IPv6");
	nlh = answer(data, sizeof(data), false);
	is_int(igd_prenat_reply_parse(nlh, 4, &pn), -ENOENT, "answer: an element without data");
	nlh = answer(data, sizeof(data), true);
	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSET;
	is_int(igd_prenat_reply_parse(nlh, 4, &pn), -EINVAL, "answer: another message type");
	nlh = answer(data, sizeof(data), true);
	nlh->nlmsg_len -= 12;		/* the end of the nest cut off */
	ok(igd_prenat_reply_parse(nlh, 4, &pn) < 0, "answer: a truncated message");
}

int main(void)
{
	check_key();
	check_answer();
	return tap_done();
}
