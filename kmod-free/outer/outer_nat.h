/* The tunnel's own packets translated by this gateway's NAT: what a conntrack entry of
 * IKE (udp 500), NAT-T (udp 4500), another IKE port, or ESP says was changed, read
 * from its original tuple against its reply tuple (the kernel keeps the translation
 * there: the reply is addressed to what the original was translated to).
 *
 *   source-port   an IKE port's source port rewritten: NAT-T's detection payloads and
 *                 the peers' port floating expect the port they sent from
 *   port-map      the destination port mapped to another one (UDP 88 outside to 4009
 *                 inside): the exchange establishes, the ESP-in-UDP that follows on
 *                 the port the peer learned meets no mapping
 *   esp-snat      ESP's source address translated (an SA's peer expects the SA's
 *                 address)
 * An address-only translation of IKE or NAT-T with its ports kept is what NAT-T is
 * built for: none of the above. */
#ifndef IGD_OUTER_NAT_H
#define IGD_OUTER_NAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "packet/ct_attr.h"

enum {
	IGD_ONAT_SOURCE_PORT = 1 << 0,
	IGD_ONAT_PORT_MAP = 1 << 1,
	IGD_ONAT_ESP_SNAT = 1 << 2,
};

#define IGD_OUTER_PORTS_MAX	8

struct igd_outer_ports {
	uint16_t v[IGD_OUTER_PORTS_MAX];
	unsigned int n;
};

/* 500 and 4500. */
void igd_outer_ports_default(struct igd_outer_ports *p);
bool igd_outer_port_in(const struct igd_outer_ports *p, uint16_t port);
/* Adds "N" or "N,M,..." (1-65535); 0, -EINVAL or -E2BIG (more than
 * IGD_OUTER_PORTS_MAX in all). */
int igd_outer_ports_parse(struct igd_outer_ports *p, const char *s);

/* The IGD_ONAT_* bits of @ct (0 when none, or when @ct is not IKE or ESP). */
unsigned int igd_outer_nat_classify(const struct igd_ct *ct, const struct igd_outer_ports *p);
/* "source-port,port-map" into @buf; returns @buf. */
const char *igd_outer_nat_str(unsigned int what, char *buf, size_t len);
#endif
