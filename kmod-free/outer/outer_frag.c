/* A first fragment's contents; see outer_frag.h. */
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

int igd_outer_frag_parse(const uint8_t *p, size_t len, const struct igd_outer_ports *ports,
			 struct igd_outer_frag *f)
{
	size_t ihl;
	uint16_t frag;
	uint8_t proto;

	memset(f, 0, sizeof(*f));
	if (len < 20 || (p[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	frag = be16(p + 6);
	/* a first fragment: more fragments, offset 0 */
	if (ihl < 20 || len < ihl || (frag & 0x3fff) != 0x2000)
		return -EINVAL;
	f->frag_len = be16(p + 2);
	memcpy(&f->src.a4, p + 12, 4);
	memcpy(&f->dst.a4, p + 16, 4);
	proto = p[9];
	p += ihl;
	len -= ihl;
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

const char *igd_outer_frag_kind_str(enum igd_outer_frag_kind k)
{
	switch (k) {
	case IGD_OFRAG_ESP:	return "esp";
	case IGD_OFRAG_UDP_ESP:	return "esp-in-udp";
	case IGD_OFRAG_IKE:	return "ike";
	}
	return "?";
}
