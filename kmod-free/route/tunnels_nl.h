/* A live copy of the route-based tunnels (tunnels.h) over rtnetlink.
 *
 * Subscribes to link and IPv4/IPv6 route notifications first, then dumps the links
 * and, per tunnel interface, the routes that use it (a dump the kernel filters by
 * output device, NETLINK_GET_STRICT_CHK; a kernel without it sends every route and
 * the table keeps those into tunnels).  Notifications queued meanwhile are applied
 * after the dump in order, so none is lost.  On ENOBUFS (notifications were lost) or
 * when a tunnel interface comes up (the routes it carries again) the dump runs again.
 *
 *	struct igd_tunnels_nl *nl;
 *	igd_tunnels_nl_open(&nl, &tunnels);	(blocking dumps)
 *	poll igd_tunnels_nl_fd(nl); on POLLIN: igd_tunnels_nl_process(nl) -> changed?
 *
 * Ownership: @tunnels is the caller's and must outlive the copy.  Errors are -errno. */
#ifndef IGD_TUNNELS_NL_H
#define IGD_TUNNELS_NL_H
#include <stdbool.h>
#include <stdint.h>
#include "route/tunnels.h"

struct igd_tunnels_nl;

int igd_tunnels_nl_open(struct igd_tunnels_nl **nl, struct igd_tunnels *t);
void igd_tunnels_nl_close(struct igd_tunnels_nl *nl);
int igd_tunnels_nl_fd(const struct igd_tunnels_nl *nl);
/* Applies what is queued, without blocking (a dump it needs blocks); returns 1 when the
 * table changed, 0 when not, or -errno. */
int igd_tunnels_nl_process(struct igd_tunnels_nl *nl);
/* One-shot: fills @t from a dump (for the command-line tools).  0 or -errno. */
int igd_tunnels_read(struct igd_tunnels *t);
#endif
