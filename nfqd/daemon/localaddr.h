/* The machine's own addresses, to tell at prerouting whether the kernel will check a
 * packet against the in policies (local delivery) or the fwd ones.  Refreshed from
 * getifaddrs() off the packet path; looked up without allocation. */
#ifndef IGD_LOCALADDR_H
#define IGD_LOCALADDR_H
#include <stdbool.h>
#include "packet/addr.h"

#define IGD_LOCAL_MAX 256

struct igd_localaddr {
	struct { union igd_addr a; int family; } addr[IGD_LOCAL_MAX];
	unsigned int n;
};

int igd_localaddr_refresh(struct igd_localaddr *l);
bool igd_localaddr_is_local(const struct igd_localaddr *l, int family, const union igd_addr *a);
#endif
