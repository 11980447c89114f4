/* The tunnel's outer packets as the outer rules copy them (IPv4 and IPv6, cut at the
 * copy's snaplen):
 * - the first fragment of an arriving ESP or IKE-port datagram (before the kernel
 *   reassembles): what it carries and how big it is.  The fragment's size is what the
 *   path from the sender carried in one packet: an outer packet no larger than it
 *   would not have been fragmented;
 * - an ESP or IKE-port datagram leaving whole, larger than the path to its peer (the
 *   kernel fragments it after the hook that copied it);
 * - a later fragment of an ESP or UDP datagram (no transport header: its kind is the
 *   upper-layer protocol only).
 * Every field is checked against the copy's length (packet/pkt.h); nothing is
 * trusted. */
#ifndef IGD_OUTER_FRAG_H
#define IGD_OUTER_FRAG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "packet/addr.h"
#include "outer/outer_nat.h"

enum igd_outer_frag_kind {
	IGD_OFRAG_ESP,		/* ESP (protocol 50) */
	IGD_OFRAG_UDP_ESP,	/* ESP in UDP (NAT-T): a non-zero SPI after the UDP header */
	IGD_OFRAG_IKE,		/* IKE on an IKE port (the non-ESP marker, or port 500) */
	IGD_OFRAG_UDP,		/* a later fragment of UDP: ports are in the first */
};

struct igd_outer_frag {
	union igd_addr src, dst;
	uint8_t family;			/* 4 or 6 */
	uint16_t frag_len;		/* the fragment's (or packet's) IP length */
	uint32_t frag_id;		/* IPv4 id, IPv6 fragment header id */
	uint16_t offset;		/* the fragment's offset in bytes */
	bool df;			/* whole IPv4 packets: don't fragment */
	uint16_t sport, dport;		/* UDP kinds */
	uint32_t spi;			/* ESP kinds, host order */
	enum igd_outer_frag_kind kind;
};

/* 0, or -EINVAL: not a first fragment of ESP or of UDP to one of @ports, or too
 * short to say (an ESP kind needs its SPI in the copy). */
int igd_outer_frag_parse(const uint8_t *p, size_t len, const struct igd_outer_ports *ports,
			 struct igd_outer_frag *f);
/* The same of a packet that is not a fragment (offset 0, no more fragments). */
int igd_outer_whole_parse(const uint8_t *p, size_t len, const struct igd_outer_ports *ports,
			  struct igd_outer_frag *f);
/* 0, or -EINVAL: not a fragment with a non-zero offset of ESP or UDP.  Fills the
 * addresses, lengths, id, offset and kind (IGD_OFRAG_ESP or IGD_OFRAG_UDP). */
int igd_outer_later_parse(const uint8_t *p, size_t len, struct igd_outer_frag *f);
const char *igd_outer_frag_kind_str(enum igd_outer_frag_kind k);
#endif
