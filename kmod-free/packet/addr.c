#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "packet/addr.h"

const char *igd_addr_str(int family, const union igd_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int igd_addr_parse(const char *s, union igd_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->in) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, &a->in6) == 1)
		return 6;
	return 0;
}

bool igd_addr_match(int family, const union igd_addr *a, const union igd_addr *b,
		    unsigned int plen)
{
	unsigned int max = family == 6 ? 128 : 32, whole, rest;

	if (plen > max)
		plen = max;
	whole = plen / 8;
	rest = plen % 8;
	if (memcmp(a->b, b->b, whole))
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		if ((a->b[whole] ^ b->b[whole]) & m)
			return false;
	}
	return true;
}

const char *igd_prefix_str(int family, const union igd_addr *a, unsigned int plen,
			   char *buf, size_t len)
{
	char ab[IGD_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", igd_addr_str(family, a, ab, sizeof(ab)), plen);
	return buf;
}
