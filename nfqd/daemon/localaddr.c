#include <errno.h>
#include <ifaddrs.h>
#include <string.h>
#include <sys/socket.h>
#include "localaddr.h"

int igd_localaddr_refresh(struct igd_localaddr *l)
{
	struct ifaddrs *ifa, *i;
	unsigned int n = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i && n < IGD_LOCAL_MAX; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		memset(&l->addr[n].a, 0, sizeof(l->addr[n].a));
		if (i->ifa_addr->sa_family == AF_INET) {
			l->addr[n].a.in = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			l->addr[n++].family = 4;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			l->addr[n].a.in6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			l->addr[n++].family = 6;
		}
	}
	freeifaddrs(ifa);
	l->n = n;
	return 0;
}

bool igd_localaddr_is_local(const struct igd_localaddr *l, int family, const union igd_addr *a)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (l->addr[i].family == family && !memcmp(&l->addr[i].a, a, sizeof(*a)))
			return true;
	return false;
}
