/* The path MTU the kernel uses towards a destination, asked over rtnetlink.
 *
 * RTM_GETROUTE without RTM_F_FIB_MATCH answers with the route the kernel would use for a
 * packet (the dst, not the FIB entry): its RTA_METRICS carry RTAX_MTU from `mtu [lock] N`
 * or, while it lasts, from a learned PMTU exception (ICMP fragmentation-needed / packet
 * too big), whose remaining lifetime is in RTA_CACHEINFO's rta_expires.  Without RTAX_MTU
 * the device's MTU applies (IFLA_MTU; for IPv6 the interface's own mtu6 from
 * IFLA_AF_SPEC/AF_INET6/IFLA_INET6_CONF, which may be lower).  This is what `ip route
 * get` shows as "mtu" and "expires".
 *
 * Ownership: the caller owns the struct igd_rtnl and every buffer; a query allocates
 * nothing, so the daemon can ask on every new tunnel peer.  One igd_rtnl answers one
 * query at a time (not thread-safe).  Errors are -errno.
 */
#ifndef IGD_ROUTE_MTU_H
#define IGD_ROUTE_MTU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "packet/addr.h"

struct mnl_socket;

/* A receive buffer of this size holds any answer here (a link message with its IPv6
 * configuration included). */
#define IGD_RTNL_BUF_SIZE	16384

struct igd_rtnl {
	struct mnl_socket *nl;
};

/* Opens a NETLINK_ROUTE socket into @r (caller-owned).  0 or -errno. */
int igd_rtnl_open(struct igd_rtnl *r);
/* Closes it; NULL-safe and idempotent. */
void igd_rtnl_close(struct igd_rtnl *r);

struct igd_route_query {
	uint8_t family;			/* 4 or 6 */
	union igd_addr dst;
	union igd_addr src;		/* when has_src: a local address, or with iif
					 * the arriving packet's source */
	bool has_src;
	uint32_t oif;			/* output ifindex, 0: any */
	uint32_t iif;			/* input ifindex: the route of a packet arriving
					 * there (ip_route_input: local or forwarded,
					 * rp_filter, forwarding); 0: a locally sent one */
	uint32_t mark;			/* fwmark, 0: none */
	uint32_t rtm_flags;		/* 0 for the route a packet would take; tests may
					 * pass RTM_F_LOOKUP_TABLE or RTM_F_FIB_MATCH */
};

enum igd_mtu_source {
	IGD_MTU_SRC_NONE = 0,
	IGD_MTU_SRC_ROUTE,		/* the route's own `mtu [lock] N` */
	IGD_MTU_SRC_PMTU,		/* a learned PMTU exception, until it expires */
	IGD_MTU_SRC_DEV,		/* the output device (IPv6: its mtu6) */
};

struct igd_route_mtu {
	unsigned int mtu;		/* what the kernel uses for packets to dst */
	enum igd_mtu_source source;
	unsigned int metric_mtu;	/* RTAX_MTU, 0 when the route has none */
	unsigned int dev_mtu;		/* output device's MTU, 0 when not asked */
	bool locked;			/* RTAX_LOCK covers the MTU (no PMTUD below it) */
	uint32_t expires;		/* seconds left of a PMTU exception, rounded up;
					 * 0 when none */
	uint32_t oif;			/* output ifindex, 0 when the answer had none */
	uint32_t table;			/* RTA_TABLE */
	uint8_t type;			/* RTN_UNICAST, RTN_LOCAL... */
	uint32_t rtm_flags;		/* as answered (RTM_F_CLONED...) */
	bool has_gateway, has_prefsrc;
	union igd_addr gateway, prefsrc;
};

/* Asks the kernel for the route of @q and fills @out: mtu is the PMTU exception's or
 * the route's RTAX_MTU when present, else the output device's MTU (one RTM_GETLINK more).
 * @buf/@len: the caller's receive buffer, IGD_RTNL_BUF_SIZE recommended.
 * Returns 0, -EINVAL (bad query), -ENOSPC (buffer too small), or the kernel's answer
 * (-ENETUNREACH, -EHOSTUNREACH, ...). */
int igd_route_mtu_get(struct igd_rtnl *r, const struct igd_route_query *q,
		      struct igd_route_mtu *out, void *buf, size_t len);

/* The MTU of interface @ifindex for @family: IFLA_MTU, or for 6 the interface's IPv6
 * MTU when the kernel reports one.  0 or -errno (-ENODEV when absent). */
int igd_link_mtu_get(struct igd_rtnl *r, uint32_t ifindex, int family, unsigned int *mtu,
		     void *buf, size_t len);

/* "route", "pmtu", "dev" or "none". */
const char *igd_mtu_source_str(enum igd_mtu_source s);
#endif
