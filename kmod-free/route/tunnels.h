/* Route-based tunnels: the gateway's xfrm interfaces and VTIs, and the routes that send
 * traffic into them.
 *
 * How the kernel runs them (net/xfrm/xfrm_interface_core.c, net/ipv4/ip_vti.c):
 *  - A packet routed into an xfrm interface passes postrouting once in clear with the
 *    interface as its output device (no xfrm bundle yet: `rt ipsec missing`); the
 *    interface's transmit then looks the SPD up with its if_id (the only lookup that
 *    carries one: an SP with an if_id matches nowhere else), and a packet without an
 *    SP or SA there is dropped, never sent in clear.  A VTI does the same with its
 *    output key as the lookup's mark.  So what is routed into a tunnel interface does
 *    not leak; what leaks on such a gateway is traffic for the tunnel's networks that
 *    leaves by another interface because the routes into the tunnel went (the IKE
 *    daemon or a routing daemon withdrew them, the interface went down).
 *  - Decapsulated packets arrive with the interface as their input device; the
 *    kernel's policy check uses its if_id (xfrm) or input key (VTI, which then drops
 *    the secpath).
 *
 * The table holds the tunnel interfaces (kind "xfrm", "vti", "vti6") and the unicast
 * routes, of any routing table, whose output device (or a nexthop's) is one of them.
 * It is filled from rtnetlink messages (igd_tunnels_msg) and has no socket of its own
 * (tunnels_nl.h).  No allocation: fixed capacities, overflow counted.  Not
 * thread-safe. */
#ifndef IGD_TUNNELS_H
#define IGD_TUNNELS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nft/prefix_set.h"
#include "xfrm/spd.h"

#define IGD_TUNNEL_IFS_MAX	256
#define IGD_TUNNEL_ROUTES_MAX	4096
#define IGD_IFNAMSIZ		16

enum igd_tunnel_kind {
	IGD_TUNNEL_XFRM,
	IGD_TUNNEL_VTI,		/* vti and vti6 */
};

struct igd_tunnel_if {
	uint32_t ifindex;
	char name[IGD_IFNAMSIZ];
	enum igd_tunnel_kind kind;
	uint32_t if_id;		/* xfrm; 0 with collect_md (external) */
	uint32_t ikey, okey;	/* vti, host order; 0: none */
	bool has_ikey, has_okey;
	bool collect_md;
	bool up;		/* IFF_UP */
	unsigned int mtu;
	uint32_t link;		/* the underlying device, 0: none given */
};

struct igd_tunnel_route {
	struct igd_prefix dst;
	uint32_t table;
	uint32_t priority;	/* the route's metric */
	uint32_t oif;		/* the tunnel interface it goes into */
};

struct igd_tunnels {
	struct igd_tunnel_if ifs[IGD_TUNNEL_IFS_MAX];
	size_t nifs;
	struct igd_tunnel_route routes[IGD_TUNNEL_ROUTES_MAX];
	size_t nroutes;
	uint64_t generation;	/* bumped on every change */
	bool want_routes;	/* a tunnel interface came up: dump its routes again */
	uint64_t overflow;	/* interfaces or routes not kept: the table was full */
	uint64_t bad_msgs;
	uint64_t dumps, overruns;	/* tunnels_nl.h: read anew, notifications lost */
};

void igd_tunnels_init(struct igd_tunnels *t);
/* Empties the routes (before a route dump) or everything (before a full one). */
void igd_tunnels_clear(struct igd_tunnels *t, bool links_too);

/* Applies one rtnetlink message (RTM_NEWLINK, RTM_DELLINK, RTM_NEWROUTE,
 * RTM_DELROUTE; others are ignored).  A link that is not a tunnel interface is
 * ignored unless it was one; a link going down takes its IPv4 routes with it, as the
 * kernel does without telling (fib_disable_ip).  Returns whether the table changed. */
bool igd_tunnels_msg(struct igd_tunnels *t, const void *nlh, size_t len);

const struct igd_tunnel_if *igd_tunnels_if(const struct igd_tunnels *t, uint32_t ifindex);
/* The interface with if_id @if_id (xfrm), or NULL. */
const struct igd_tunnel_if *igd_tunnels_by_if_id(const struct igd_tunnels *t, uint32_t if_id);

/* Whether @sp applies only inside a tunnel interface: it carries an if_id (only an
 * xfrm interface's transmit and receive look up with one), or its mark is a VTI's
 * key (the VTI's lookup uses it).  Such an SP says nothing about traffic that does
 * not enter the interface: no suspect set takes its selector. */
bool igd_sp_route_bound(const struct igd_sp *sp, const struct igd_tunnels *t);

/* Whether a route of the table sends @dst's traffic into an interface that is up. */
bool igd_tunnels_routed(const struct igd_tunnels *t, const struct igd_prefix *dst);

/* "xfrm" or "vti". */
const char *igd_tunnel_kind_name(enum igd_tunnel_kind k);
#endif
