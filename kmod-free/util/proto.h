/* IP protocol numbers and their names: one table for every part that prints or reads
 * them (verdict lines, NAT exemption selectors, iptables-legacy rules, the CLI). */
#ifndef IGD_PROTO_H
#define IGD_PROTO_H
#include <stddef.h>
#include <stdint.h>

/* The name iptables and nft print for @proto ("tcp", "ipv6-icmp", ...), else its
 * number written into @buf ("?" without a buffer).  0 has no name here ("0"). */
const char *igd_proto_name(uint8_t proto, char *buf, size_t len);
/* A name (with the aliases "icmpv6", "ipv6-mh", "any" for 0), a number 0-255, or a
 * name the system's protocol database knows.  0, or -EINVAL. */
int igd_proto_parse(const char *s, uint8_t *out);
#endif
