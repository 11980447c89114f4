/* The conntrack entry NFQUEUE attaches to a queued packet (NFQA_CT, in the layout of
 * nf_conntrack_netlink): original and reply tuples, status, mark, id.  From these the
 * daemon learns whether and how the packet was translated. */
#ifndef IGD_CT_ATTR_H
#define IGD_CT_ATTR_H
#include <stdbool.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "packet/addr.h"

struct igd_ct_tuple {
	union igd_addr src, dst;
	uint16_t sport, dport;	/* host order; ICMP: id in sport, type/code in dport */
	uint8_t proto;
	bool has_ports;
};

struct igd_ct {
	uint8_t family;		/* 4 or 6, 0 when no entry */
	struct igd_ct_tuple orig, reply;
	uint32_t status;	/* IPS_* bits */
	uint32_t mark;
	uint32_t id;
	bool has_reply;
};

/* Parses the nested NFQA_CT attribute @nest into @ct.  Unknown attributes are skipped;
 * a malformed one makes the whole entry unusable: returns -EINVAL and @ct->family = 0. */
int igd_ct_parse(const struct nlattr *nest, struct igd_ct *ct);
/* The same from a ctnetlink message (IPCTNL_MSG_CT_NEW after a struct nfgenmsg: an
 * answer to IPCTNL_MSG_CT_GET, a dump entry, an event). */
struct nlmsghdr;
int igd_ct_msg_parse(const struct nlmsghdr *nlh, struct igd_ct *ct);
/* One tuple nest (CTA_TUPLE_ORIG / _REPLY): addresses, protocol, ports (ICMP: id in
 * sport, type << 8 | code in dport); *@family gets 4 or 6.  0 or -EINVAL. */
int igd_ct_tuple_parse(const struct nlattr *nest, uint8_t *family, struct igd_ct_tuple *t);
/* The CTA_* attributes of a ctnetlink message after its @hdrlen-byte header into
 * tb[0..max]; unknown ones skipped, none read.  0 or -EINVAL. */
struct nlmsghdr;
int igd_ct_attrs_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
		       int max);
/* One entry of a conntrack dump (IPCTNL_MSG_CT_NEW after a struct nfgenmsg): its
 * original tuple parsed, and as the kernel sent it (@orig_nest, pointing into the
 * message) to name the entry back in a delete; zone and id in network order. */
struct igd_ct_entry {
	const struct nlattr *orig_nest;
	struct igd_ct_tuple orig;
	uint8_t family;
	bool has_zone, has_id;
	uint16_t zone;
	uint32_t id;
};

/* 0, or -EINVAL when the message or an attribute read is malformed or the original
 * tuple is missing. */
int igd_ct_entry_parse(const struct nlmsghdr *nlh, struct igd_ct_entry *e);
/* Whether the entry's source (SNAT/MASQUERADE) or destination (DNAT) was translated:
 * the reply tuple is not the inverse of the original one. */
bool igd_ct_snat(const struct igd_ct *ct);
bool igd_ct_dnat(const struct igd_ct *ct);
#endif
