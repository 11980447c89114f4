/* Addresses shared by the parser, the SPD mirror and the logs. */
#ifndef IGD_ADDR_H
#define IGD_ADDR_H
#include <stdint.h>
#include <stdbool.h>
#include <netinet/in.h>

/* An IPv4 address lives in a4 (network order) with the remaining 12 bytes zero. */
union igd_addr {
	uint32_t a4;
	uint32_t a6[4];
	uint8_t b[16];
	struct in_addr in;
	struct in6_addr in6;
};

#define IGD_ADDRSTRLEN 46	/* INET6_ADDRSTRLEN */

/* Formats @a of @family (4 or 6) into @buf; returns @buf. */
const char *igd_addr_str(int family, const union igd_addr *a, char *buf, size_t len);
/* "10.0.2.0/24" into @buf (IGD_ADDRSTRLEN + 4 bytes suffice); returns @buf. */
const char *igd_prefix_str(int family, const union igd_addr *a, unsigned int plen,
			   char *buf, size_t len);
/* Parses an IPv4 or IPv6 literal; returns 4, 6, or 0 when @s is neither. */
int igd_addr_parse(const char *s, union igd_addr *a);
/* Parses "ADDR" or "ADDR/LEN" (LEN within the family's bits; no prefix: the whole
 * address): returns 4 or 6 with @a and *@plen, or 0 for anything else. */
int igd_prefix_parse(const char *s, union igd_addr *a, uint8_t *plen);
/* Whether @a and @b agree on their first @plen bits. */
bool igd_addr_match(int family, const union igd_addr *a, const union igd_addr *b,
		    unsigned int plen);
#endif
