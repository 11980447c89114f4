/* Packet parsing for the queue daemon: IPv4/IPv6, the IPv6 extension header chain,
 * then TCP, UDP (and ESP/IKE inside UDP), ICMP/ICMPv6 and ESP.
 *
 * Error rule: IGD_PKT_ETRUNC when the buffer or the packet ends before a fixed-size
 * header (the IP total length beyond the buffer, a TCP header cut short); EHDR,
 * EEXTHDR or EL4 when a length field inside a header points where it cannot (IHL
 * below 5, an extension header running past the packet, TCP doff beyond the
 * segment).  Nothing is read outside [buf, buf + len), and only the IP packet
 * itself ([buf, buf + l3_len)) is looked at past the IP header. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "packet/pkt.h"

#define PKT_IP4_MIN		20
#define PKT_IP6_LEN		40
#define PKT_TCP_MIN		20
#define PKT_UDP_LEN		8
#define PKT_ICMP_LEN		8
#define PKT_ESP_LEN		8
#define PKT_AH_MIN		12

#define PKT_IP4_MF		0x2000
#define PKT_IP4_OFFMASK		0x1fff
#define PKT_IP6_OFFMASK		0xfff8
#define PKT_IP6_MF		0x0001

#define PKT_TCPOPT_EOL		0
#define PKT_TCPOPT_NOP		1
#define PKT_TCPOPT_MSS		2
#define PKT_TCPOLEN_MSS		4

static uint16_t pkt_get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t pkt_get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool pkt_is_later_frag(const struct igd_pkt *p)
{
	return (p->flags & IGD_PKT_F_FRAG) && !(p->flags & IGD_PKT_F_FRAG_FIRST);
}

/* Ports of protocols whose header starts with them; @min is the header size.
 * The ports are kept even when the rest of the header is cut off. */
static int pkt_parse_ports(struct igd_pkt *p, const uint8_t *l4, size_t n, size_t min)
{
	if (n < 4)
		return IGD_PKT_ETRUNC;
	p->sport = pkt_get16(l4);
	p->dport = pkt_get16(l4 + 2);
	p->flags |= IGD_PKT_F_PORTS;
	return n < min ? IGD_PKT_ETRUNC : IGD_PKT_OK;
}

/* Records one MSS option whose kind byte is at @i of the TCP header. */
static int pkt_tcp_opt_mss(struct igd_pkt *p, const uint8_t *tcp, size_t i, size_t olen)
{
	if (olen != PKT_TCPOLEN_MSS || (p->flags & IGD_PKT_F_TCP_MSS))
		return IGD_PKT_EL4;	/* bad length, or a second MSS option */
	p->mss = pkt_get16(tcp + i + 2);
	p->mss_off = (uint16_t)(p->l4_off + i + 2);
	p->flags |= IGD_PKT_F_TCP_MSS;
	return IGD_PKT_OK;
}

/* Walks the options in [20, @hlen) of the TCP header at @tcp. */
static int pkt_tcp_opts_walk(struct igd_pkt *p, const uint8_t *tcp, size_t hlen)
{
	size_t i = PKT_TCP_MIN, olen;
	int err;

	while (i < hlen) {
		if (tcp[i] == PKT_TCPOPT_EOL)
			break;
		if (tcp[i] == PKT_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > hlen)
			return IGD_PKT_EL4;
		olen = tcp[i + 1];
		if (olen < 2 || i + olen > hlen)
			return IGD_PKT_EL4;
		if (tcp[i] == PKT_TCPOPT_MSS) {
			err = pkt_tcp_opt_mss(p, tcp, i, olen);
			if (err)
				return err;
		}
		i += olen;
	}
	return IGD_PKT_OK;
}

static int pkt_parse_tcp(struct igd_pkt *p, const uint8_t *tcp, size_t n)
{
	size_t hlen;
	int err;

	err = pkt_parse_ports(p, tcp, n, PKT_TCP_MIN);
	if (err)
		return err;
	p->tcp_flags = tcp[13];
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < PKT_TCP_MIN || hlen > n)
		return IGD_PKT_EL4;
	return pkt_tcp_opts_walk(p, tcp, hlen);
}

/* RFC 3948 section 2.2: a single 0xff byte is a NAT-keepalive, four zero bytes (the
 * non-ESP marker) precede IKE, anything else longer than the ESP header is ESP.
 * Like the kernel's UDP encapsulation receive path, what is neither goes to IKE
 * (which drops it): it is reported without a flag. */
static void pkt_parse_natt(struct igd_pkt *p, const uint8_t *data, size_t n)
{
	if (n == 1 && data[0] == 0xff) {
		p->flags |= IGD_PKT_F_NATT_KA;
	} else if (n >= 4 && pkt_get32(data) == 0) {
		p->flags |= IGD_PKT_F_IKE;
	} else if (n > PKT_ESP_LEN) {
		p->spi = pkt_get32(data);
		p->esp_seq = pkt_get32(data + 4);
		p->flags |= IGD_PKT_F_UDP_ESP;
	}
}

static bool pkt_has_port(const struct igd_pkt *p, uint16_t port)
{
	return p->sport == port || p->dport == port;
}

static int pkt_parse_udp(struct igd_pkt *p, const uint8_t *udp, size_t n)
{
	size_t ulen, end;
	int err;

	err = pkt_parse_ports(p, udp, n, PKT_UDP_LEN);
	if (err)
		return err;
	ulen = pkt_get16(udp + 4);
	if (ulen < PKT_UDP_LEN)
		return IGD_PKT_EL4;
	if (p->flags & IGD_PKT_F_FRAG) {
		/* the first fragment holds only the start of the datagram */
		end = ulen < n ? ulen : n;
	} else {
		if (ulen > n && !(p->flags & IGD_PKT_F_PARTIAL))
			return IGD_PKT_EL4;
		if (ulen > n)
			ulen = n;	/* the capture stopped inside the datagram */
		end = ulen;	/* bytes past the UDP length are padding */
	}
	if (pkt_has_port(p, IGD_PORT_NATT))
		pkt_parse_natt(p, udp + PKT_UDP_LEN, end - PKT_UDP_LEN);
	else if (pkt_has_port(p, IGD_PORT_IKE))
		p->flags |= IGD_PKT_F_IKE;
	return IGD_PKT_OK;
}

static int pkt_parse_icmp(struct igd_pkt *p, const uint8_t *icmp, size_t n)
{
	if (n < PKT_ICMP_LEN)
		return IGD_PKT_ETRUNC;
	p->icmp_type = icmp[0];
	p->icmp_code = icmp[1];
	p->flags |= IGD_PKT_F_ICMP;
	return IGD_PKT_OK;
}

/* RFC 4303: SPI 0 is reserved for local use and never appears on the wire. */
static int pkt_parse_esp(struct igd_pkt *p, const uint8_t *esp, size_t n)
{
	if (n < PKT_ESP_LEN)
		return IGD_PKT_ETRUNC;
	p->spi = pkt_get32(esp);
	p->esp_seq = pkt_get32(esp + 4);
	if (!p->spi)
		return IGD_PKT_EL4;
	p->flags |= IGD_PKT_F_ESP;
	return IGD_PKT_OK;
}

static int pkt_parse_l4(struct igd_pkt *p, const uint8_t *buf)
{
	const uint8_t *l4 = buf + p->l4_off;
	size_t n = p->l4_len;

	if (pkt_is_later_frag(p))
		return IGD_PKT_OK;	/* no L4 header in this fragment */
	switch (p->proto) {
	case IPPROTO_TCP:
		return pkt_parse_tcp(p, l4, n);
	case IPPROTO_UDP:
		return pkt_parse_udp(p, l4, n);
	case IPPROTO_UDPLITE:
		return pkt_parse_ports(p, l4, n, PKT_UDP_LEN);
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return pkt_parse_ports(p, l4, n, 12);
	case IPPROTO_ESP:
		return pkt_parse_esp(p, l4, n);
	case IPPROTO_ICMP:
		return p->family == 4 ? pkt_parse_icmp(p, l4, n) : IGD_PKT_OK;
	case IPPROTO_ICMPV6:
		return p->family == 6 ? pkt_parse_icmp(p, l4, n) : IGD_PKT_OK;
	}
	return IGD_PKT_OK;
}

static void pkt_set_l4(struct igd_pkt *p, size_t off)
{
	p->l4_off = (uint16_t)off;
	p->l4_len = (uint16_t)(p->l3_len - off);
}

static void pkt_frag4(struct igd_pkt *p, uint16_t frag, uint16_t id)
{
	p->df = (frag & 0x4000) != 0;
	if (!(frag & (PKT_IP4_MF | PKT_IP4_OFFMASK)))
		return;
	p->flags |= IGD_PKT_F_FRAG;
	p->frag_id = id;
	p->frag_off = (uint16_t)((frag & PKT_IP4_OFFMASK) * 8);
	if (!(frag & PKT_IP4_OFFMASK))
		p->flags |= IGD_PKT_F_FRAG_FIRST;
}

/* The IP length @tot against what was captured (@len) and the packet's real length
 * (@pktlen): a capture may stop early (NFQUEUE's copy range), a packet may not. */
static int pkt_set_l3_len(struct igd_pkt *p, size_t tot, size_t len, size_t pktlen)
{
	if (tot > pktlen)
		return IGD_PKT_ETRUNC;
	if (tot > len) {
		p->flags |= IGD_PKT_F_PARTIAL;
		tot = len;
	}
	p->l3_len = (uint16_t)tot;
	return IGD_PKT_OK;
}

static int pkt_parse_v4(struct igd_pkt *p, const uint8_t *buf, size_t len, size_t pktlen)
{
	size_t hlen, tot;

	if (len < PKT_IP4_MIN)
		return IGD_PKT_ETRUNC;
	p->family = 4;
	p->ttl = buf[8];
	p->proto = buf[9];
	memcpy(&p->src.a4, buf + 12, 4);
	memcpy(&p->dst.a4, buf + 16, 4);
	hlen = (size_t)(buf[0] & 0x0f) * 4;
	tot = pkt_get16(buf + 2);
	p->ip_len = (uint16_t)tot;
	if (hlen < PKT_IP4_MIN || tot < hlen)
		return IGD_PKT_EHDR;
	if (hlen > len || pkt_set_l3_len(p, tot, len, pktlen))
		return IGD_PKT_ETRUNC;
	pkt_set_l4(p, hlen);
	pkt_frag4(p, pkt_get16(buf + 6), pkt_get16(buf + 4));
	return pkt_parse_l4(p, buf);
}

static bool pkt_v6_is_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
		return true;
	}
	return false;
}

/* Length of the extension header @nh at @h with @n bytes left in the packet, or 0
 * when it does not fit. */
static size_t pkt_v6_ext_len(uint8_t nh, const uint8_t *h, size_t n)
{
	size_t hlen;

	if (n < 8)
		return 0;	/* every extension header is 8 bytes or more */
	if (nh == IPPROTO_FRAGMENT)
		hlen = 8;
	else if (nh == IPPROTO_AH)
		hlen = ((size_t)h[1] + 2) * 4;
	else
		hlen = ((size_t)h[1] + 1) * 8;
	if (hlen > n || (nh == IPPROTO_AH && hlen < PKT_AH_MIN))
		return 0;
	return hlen;
}

/* Fragment header at @h: flags the packet; whether this is a later fragment.
 * An atomic fragment (offset 0, M clear, RFC 6946) is not flagged. */
static bool pkt_frag6(struct igd_pkt *p, const uint8_t *h)
{
	uint16_t frag = pkt_get16(h + 2);

	if (!(frag & (PKT_IP6_OFFMASK | PKT_IP6_MF)))
		return false;
	p->flags |= IGD_PKT_F_FRAG;
	p->frag_id = pkt_get32(h + 4);
	p->frag_off = frag & PKT_IP6_OFFMASK;
	if (frag & PKT_IP6_OFFMASK)
		return true;
	p->flags |= IGD_PKT_F_FRAG_FIRST;
	return false;
}

/* Walks the extension headers from @off (the end of the fixed header), at most
 * IGD_PKT_V6_EXT_MAX of them; leaves proto and l4_off at the upper layer, or at the
 * fragment payload of a later fragment. */
static int pkt_v6_ext_walk(struct igd_pkt *p, const uint8_t *buf, uint8_t nh, size_t off)
{
	unsigned int count;
	bool frag_seen = false;
	size_t hlen;

	for (count = 0; pkt_v6_is_ext(nh); count++) {
		if (count == IGD_PKT_V6_EXT_MAX)
			return IGD_PKT_EEXTHDR;
		if (nh == IPPROTO_HOPOPTS && count)
			return IGD_PKT_EEXTHDR;	/* RFC 8200: only right after the header */
		hlen = pkt_v6_ext_len(nh, buf + off, p->l3_len - off);
		if (!hlen)
			return IGD_PKT_EEXTHDR;
		if (nh == IPPROTO_FRAGMENT) {
			if (frag_seen)
				return IGD_PKT_EEXTHDR;
			frag_seen = true;
			if (pkt_frag6(p, buf + off)) {
				nh = buf[off];
				off += hlen;
				break;
			}
		}
		nh = buf[off];
		off += hlen;
	}
	p->proto = nh;
	pkt_set_l4(p, off);
	return IGD_PKT_OK;
}

static int pkt_parse_v6(struct igd_pkt *p, const uint8_t *buf, size_t len, size_t pktlen)
{
	size_t tot;
	int err;

	if (len < PKT_IP6_LEN)
		return IGD_PKT_ETRUNC;
	p->family = 6;
	p->ttl = buf[7];
	p->proto = buf[6];
	memcpy(p->src.b, buf + 8, 16);
	memcpy(p->dst.b, buf + 24, 16);
	tot = PKT_IP6_LEN + (size_t)pkt_get16(buf + 4);
	p->ip_len = (uint16_t)(tot > UINT16_MAX ? UINT16_MAX : tot);
	if (tot > UINT16_MAX && tot <= pktlen)
		return IGD_PKT_EHDR;	/* does not fit the 16-bit offsets */
	if (pkt_set_l3_len(p, tot, len, pktlen))
		return IGD_PKT_ETRUNC;
	pkt_set_l4(p, PKT_IP6_LEN);
	err = pkt_v6_ext_walk(p, buf, buf[6], PKT_IP6_LEN);
	if (err)
		return err;
	return pkt_parse_l4(p, buf);
}

int igd_pkt_parse_cap(struct igd_pkt *p, const uint8_t *buf, size_t len, size_t pktlen)
{
	memset(p, 0, sizeof(*p));
	if (!len)
		return IGD_PKT_ETRUNC;
	if (pktlen < len)
		pktlen = len;
	switch (buf[0] >> 4) {
	case 4:
		return pkt_parse_v4(p, buf, len, pktlen);
	case 6:
		return pkt_parse_v6(p, buf, len, pktlen);
	}
	return IGD_PKT_EVERSION;
}

int igd_pkt_parse(struct igd_pkt *p, const uint8_t *buf, size_t len)
{
	return igd_pkt_parse_cap(p, buf, len, len);
}

static const char *const pkt_errs[IGD_PKT_ERR_MAX] = {
	[IGD_PKT_OK]		= "ok",
	[IGD_PKT_ETRUNC]	= "truncated",
	[IGD_PKT_EVERSION]	= "bad-version",
	[IGD_PKT_EHDR]		= "bad-header",
	[IGD_PKT_EEXTHDR]	= "bad-exthdr",
	[IGD_PKT_EL4]		= "bad-l4",
};

const char *igd_pkt_strerror(int err)
{
	if (err < 0 || err >= IGD_PKT_ERR_MAX)
		return "unknown";
	return pkt_errs[err];
}

size_t igd_pkt_copy_len(const uint8_t *buf, size_t len)
{
	size_t ip = 0;

	if (len >= 20 && buf[0] >> 4 == 4)
		ip = pkt_get16(buf + 2);
	else if (len >= 40 && buf[0] >> 4 == 6)
		ip = 40 + (size_t)pkt_get16(buf + 4);
	return ip > len ? ip : len;
}
