/* XFRM netlink messages from the kernel (events and dumps), validated attribute by
 * attribute and converted into the mirror's types (xfrm/spd.h, xfrm/sad.h).  Key
 * material is never copied out of the message.  Used by the mirror (xfrm_mirror.h),
 * the tests and the fuzzers. */
#ifndef IGD_XFRM_PARSE_H
#define IGD_XFRM_PARSE_H
#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>
#include "xfrm/sad.h"
#include "xfrm/spd.h"

struct igd_xfrm_acquire {
	struct igd_sel sel;		/* the flow that triggered it (full prefixes) */
	union igd_addr daddr, saddr;	/* of the state the kernel wants */
	uint8_t family, proto;
	uint32_t seq;
	struct igd_sp policy;		/* the policy the kernel chose, with templates */
};

/* XFRM_MSG_NEWPOLICY, _UPDPOLICY, _DELPOLICY, _POLEXPIRE (@hard may be NULL).
 * Returns 0, -EBADMSG for a malformed message, -EPROTO for another type. */
int igd_xfrm_parse_policy(const struct nlmsghdr *nlh, struct igd_sp *sp, bool *hard);
/* XFRM_MSG_NEWSA, _UPDSA, _DELSA, _EXPIRE.  Key bytes are skipped, never copied. */
int igd_xfrm_parse_sa(const struct nlmsghdr *nlh, struct igd_sa *sa, bool *hard);
int igd_xfrm_parse_acquire(const struct nlmsghdr *nlh, struct igd_xfrm_acquire *acq);
/* XFRM_MSG_FLUSHPOLICY: the policy type flushed (IGD_PTYPE_MAIN without one). */
int igd_xfrm_parse_flush_policy(const struct nlmsghdr *nlh, int *type);
/* XFRM_MSG_FLUSHSA: the protocol flushed (0: all). */
int igd_xfrm_parse_flush_sa(const struct nlmsghdr *nlh, uint8_t *proto);
#endif
