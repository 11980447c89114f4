/* The outer packets' contents; see outer_frag.h. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "outer/outer_frag.h"
#include "packet/pkt.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The packet (IPv4 or IPv6, cut at the copy's snaplen): addresses, lengths, the
 * fragment's id and offset.  -EINVAL when it does not parse. */
static int outer_pkt(const uint8_t *b, size_t len, struct igd_pkt *p, struct igd_outer_frag *f)
{
	memset(f, 0, sizeof(*f));
	if (igd_pkt_parse_cap(p, b, len, igd_pkt_copy_len(b, len)) != IGD_PKT_OK)
		return -EINVAL;
	f->family = p->family;
	f->src = p->src;
	f->dst = p->dst;
	f->frag_len = p->ip_len;
	f->frag_id = p->frag_id;
	f->offset = p->frag_off;
	f->df = p->df;
	return 0;
}

/* What the start of an ESP or IKE-port UDP datagram carries. */
static int outer_what(const uint8_t *b, const struct igd_pkt *p,
		      const struct igd_outer_ports *ports, struct igd_outer_frag *f)
{
	const uint8_t *after;

	switch (p->proto) {
	case IPPROTO_ESP:
		if (!(p->flags & IGD_PKT_F_ESP))
			return -EINVAL;
		f->kind = IGD_OFRAG_ESP;
		f->spi = p->spi;
		return 0;
	case IPPROTO_UDP:
		if (!(p->flags & IGD_PKT_F_PORTS))
			return -EINVAL;
		f->sport = p->sport;
		f->dport = p->dport;
		if (!igd_outer_port_in(ports, f->dport) && !igd_outer_port_in(ports, f->sport))
			return -EINVAL;
		/* RFC 3948: after the UDP header, a non-zero SPI is ESP, four zero
		 * bytes the non-ESP marker of IKE; port 500 carries IKE only */
		after = b + p->l4_off + 8;
		if (f->dport != 500 && f->sport != 500 && (size_t)p->l4_off + 12 <= p->l3_len &&
		    be32(after)) {
			f->kind = IGD_OFRAG_UDP_ESP;
			f->spi = be32(after);
		} else {
			f->kind = IGD_OFRAG_IKE;
		}
		return 0;
	}
	return -EINVAL;
}

int igd_outer_frag_parse(const uint8_t *b, size_t len, const struct igd_outer_ports *ports,
			 struct igd_outer_frag *f)
{
	struct igd_pkt p;

	if (outer_pkt(b, len, &p, f) || !(p.flags & IGD_PKT_F_FRAG_FIRST))
		return -EINVAL;
	return outer_what(b, &p, ports, f);
}

int igd_outer_whole_parse(const uint8_t *b, size_t len, const struct igd_outer_ports *ports,
			  struct igd_outer_frag *f)
{
	struct igd_pkt p;

	if (outer_pkt(b, len, &p, f) || (p.flags & IGD_PKT_F_FRAG))
		return -EINVAL;
	return outer_what(b, &p, ports, f);
}

int igd_outer_later_parse(const uint8_t *b, size_t len, struct igd_outer_frag *f)
{
	struct igd_pkt p;

	if (outer_pkt(b, len, &p, f) || !(p.flags & IGD_PKT_F_FRAG) ||
	    (p.flags & IGD_PKT_F_FRAG_FIRST))
		return -EINVAL;
	if (p.proto == IPPROTO_ESP)
		f->kind = IGD_OFRAG_ESP;
	else if (p.proto == IPPROTO_UDP)
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
