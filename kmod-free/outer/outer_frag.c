/* The outer packets' contents; see outer_frag.h. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "outer/outer_frag.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The IPv4 header: addresses, total length, id; *@frag the flags and offset field,
 * *@proto, and the transport part in *@p / *@len.  -EINVAL when it is not one. */
static int outer_ip(const uint8_t **p, size_t *len, struct igd_outer_frag *f, uint16_t *frag,
		    uint8_t *proto)
{
	const uint8_t *h = *p;
	size_t ihl;

	memset(f, 0, sizeof(*f));
	if (*len < 20 || (h[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < 20 || *len < ihl)
		return -EINVAL;
	*frag = be16(h + 6);
	*proto = h[9];
	f->frag_len = be16(h + 2);
	f->ip_id = be16(h + 4);
	f->offset = (uint16_t)((*frag & 0x1fff) * 8);
	memcpy(&f->src.a4, h + 12, 4);
	memcpy(&f->dst.a4, h + 16, 4);
	*p = h + ihl;
	*len -= ihl;
	return 0;
}

/* What the start of an ESP or IKE-port UDP datagram carries. */
static int outer_what(const uint8_t *p, size_t len, uint8_t proto,
		      const struct igd_outer_ports *ports, struct igd_outer_frag *f)
{
	switch (proto) {
	case IPPROTO_ESP:
		if (len < 4)
			return -EINVAL;
		f->kind = IGD_OFRAG_ESP;
		f->spi = be32(p);
		return f->spi ? 0 : -EINVAL;
	case IPPROTO_UDP:
		if (len < 8)
			return -EINVAL;
		f->sport = be16(p);
		f->dport = be16(p + 2);
		if (!igd_outer_port_in(ports, f->dport) && !igd_outer_port_in(ports, f->sport))
			return -EINVAL;
		/* RFC 3948: after the UDP header, a non-zero SPI is ESP, four zero
		 * bytes the non-ESP marker of IKE; port 500 carries IKE only */
		if (f->dport != 500 && f->sport != 500 && len >= 12 && be32(p + 8)) {
			f->kind = IGD_OFRAG_UDP_ESP;
			f->spi = be32(p + 8);
		} else {
			f->kind = IGD_OFRAG_IKE;
		}
		return 0;
	}
	return -EINVAL;
}

int igd_outer_frag_parse(const uint8_t *p, size_t len, const struct igd_outer_ports *ports,
			 struct igd_outer_frag *f)
{
	uint16_t frag;
	uint8_t proto;

	/* a first fragment: more fragments, offset 0 */
	if (outer_ip(&p, &len, f, &frag, &proto) || (frag & 0x3fff) != 0x2000)
		return -EINVAL;
	return outer_what(p, len, proto, ports, f);
}

int igd_outer_whole_parse(const uint8_t *p, size_t len, const struct igd_outer_ports *ports,
			  struct igd_outer_frag *f)
{
	uint16_t frag;
	uint8_t proto;

	/* not a fragment: no more fragments, offset 0 (DF may be set) */
	if (outer_ip(&p, &len, f, &frag, &proto) || (frag & 0x3fff))
		return -EINVAL;
	f->df = (frag & 0x4000) != 0;
	return outer_what(p, len, proto, ports, f);
}

int igd_outer_later_parse(const uint8_t *p, size_t len, struct igd_outer_frag *f)
{
	uint16_t frag;
	uint8_t proto;

	if (outer_ip(&p, &len, f, &frag, &proto) || !(frag & 0x1fff))
		return -EINVAL;
	if (proto == IPPROTO_ESP)
		f->kind = IGD_OFRAG_ESP;
	else if (proto == IPPROTO_UDP)
		f->kind = IGD_OFRAG_UDP;
	else
		return -EINVAL;
	return 0;
}

const char *igd_outer_frag_kind_str(enum igd_outer_frag_kind k)
{
	switch (k) {
	case IGD_OFRAG_ESP:	return "esp";
	case IGD_OFRAG_UDP_ESP:	return "esp-in-udp";
	case IGD_OFRAG_IKE:	return "ike";
	case IGD_OFRAG_UDP:	return "udp";
	}
	return "?";
}
