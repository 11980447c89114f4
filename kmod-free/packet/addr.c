#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
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

int igd_prefix_parse(const char *s, union igd_addr *a, uint8_t *plen)
{
	char buf[IGD_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int max, v = 0;
	int fam;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	fam = igd_addr_parse(buf, a);
	if (!fam)
		return 0;
	max = fam == 6 ? 128 : 32;
	if (!slash) {
		*plen = (uint8_t)max;
		return fam;
	}
	/* digits only, no sign, no leading zeros beyond one, at most max */
	if (!slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
	    strlen(slash + 1) > 3 || (slash[1] == '0' && slash[2]))
		return 0;
	v = (unsigned int)atoi(slash + 1);
	if (v > max)
		return 0;
	*plen = (uint8_t)v;
	return fam;
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
