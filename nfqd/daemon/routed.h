/* Route-based tunnels (route/tunnels.h) in the daemon's life: their interfaces and the
 * routes into them, kept in step over rtnetlink.  Routes that come or go change what
 * is remembered and the guard's held set (and with them the verdict generation);
 * the judgement reads the interfaces' if_id and keys. */
#ifndef IGD_ROUTED_H
#define IGD_ROUTED_H
#include <stddef.h>

struct igd_daemon;

/* Reads the tunnel interfaces and their routes and watches them.  A failure is said
 * on stderr and leaves route-based tunnels unwatched (policy-based ones are guarded
 * as before); 0, or -ENOMEM. */
int igd_routed_open(struct igd_daemon *d);
void igd_routed_close(struct igd_daemon *d);
/* The interface and route events waiting, applied (the sets follow). */
void igd_routed_read(struct igd_daemon *d);
#endif
