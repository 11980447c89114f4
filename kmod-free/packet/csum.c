/* Internet checksum helpers: RFC 1071 sums, RFC 1624 incremental updates, the
 * TCP/UDP pseudo header and the TCP MSS rewrite. */
#include <errno.h>
#include <netinet/in.h>
#include "packet/csum.h"

#define CSUM_TCP_OFF	16	/* checksum field in the TCP header */
#define CSUM_UDP_OFF	6	/* checksum field in the UDP header */
#define CSUM_TCP_MIN	20
#define CSUM_UDP_LEN	8

static uint16_t csum_get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void csum_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t csum_bswap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

uint32_t igd_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	uint64_t s = sum;

	for (; len > 1; len -= 2, b += 2)
		s += csum_get16(b);
	if (len)
		s += (uint32_t)b[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t igd_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t igd_csum_ip4_hdr(const uint8_t *hdr, size_t hlen)
{
	uint32_t sum;

	if (hlen < 12)
		return (uint16_t)~igd_csum_fold(igd_csum_add(0, hdr, hlen));
	sum = igd_csum_add(0, hdr, 10);
	sum = igd_csum_add(sum, hdr + 12, hlen - 12);
	return (uint16_t)~igd_csum_fold(sum);
}

uint16_t igd_csum_replace16(uint16_t check, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~check;

	sum += (uint16_t)~old;
	sum += new;
	return (uint16_t)~igd_csum_fold(sum);
}

uint16_t igd_csum_replace32(uint16_t check, uint32_t old, uint32_t new)
{
	check = igd_csum_replace16(check, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
	return igd_csum_replace16(check, (uint16_t)old, (uint16_t)new);
}

static uint32_t csum_pseudo(const struct igd_pkt *p, uint32_t seglen)
{
	uint32_t sum;

	if (p->family == 4) {
		sum = igd_csum_add(0, &p->src.a4, 4);
		sum = igd_csum_add(sum, &p->dst.a4, 4);
	} else {
		sum = igd_csum_add(0, p->src.b, 16);
		sum = igd_csum_add(sum, p->dst.b, 16);
		sum += seglen >> 16;
	}
	return sum + p->proto + (seglen & 0xffff);
}

/* Where the checksum field is and how many bytes it covers, for TCP or UDP. */
static int csum_l4_layout(const uint8_t *buf, size_t len, const struct igd_pkt *p,
			  size_t *coff, size_t *seglen)
{
	const uint8_t *l4 = buf + p->l4_off;

	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if ((p->family != 4 && p->family != 6) || (p->flags & IGD_PKT_F_FRAG))
		return -EINVAL;
	if ((size_t)p->l4_off + p->l4_len > len)
		return -EINVAL;
	if (p->proto == IPPROTO_TCP) {
		*coff = CSUM_TCP_OFF;
		*seglen = p->l4_len;
		return p->l4_len < CSUM_TCP_MIN ? -EINVAL : 0;
	}
	if (p->l4_len < CSUM_UDP_LEN)
		return -EINVAL;
	*coff = CSUM_UDP_OFF;
	*seglen = csum_get16(l4 + 4);
	return *seglen < CSUM_UDP_LEN || *seglen > p->l4_len ? -EINVAL : 0;
}

int igd_l4_csum_compute(const uint8_t *buf, size_t len, const struct igd_pkt *p,
			uint16_t *csum)
{
	const uint8_t *l4 = buf + p->l4_off;
	size_t coff, seglen;
	uint32_t sum;
	int err;

	err = csum_l4_layout(buf, len, p, &coff, &seglen);
	if (err)
		return err;
	sum = csum_pseudo(p, (uint32_t)seglen);
	sum = igd_csum_add(sum, l4, coff);
	sum = igd_csum_add(sum, l4 + coff + 2, seglen - coff - 2);
	*csum = (uint16_t)~igd_csum_fold(sum);
	if (p->proto == IPPROTO_UDP && !*csum)
		*csum = 0xffff;
	return 0;
}

int igd_l4_csum_fill(uint8_t *buf, size_t len, const struct igd_pkt *p)
{
	uint16_t csum;
	int err;

	err = igd_l4_csum_compute(buf, len, p, &csum);
	if (err)
		return err;
	csum_put16(buf + p->l4_off + (p->proto == IPPROTO_TCP ? CSUM_TCP_OFF : CSUM_UDP_OFF),
		   csum);
	return 0;
}

int igd_l4_csum_verify(const uint8_t *buf, size_t len, const struct igd_pkt *p)
{
	const uint8_t *l4 = buf + p->l4_off;
	size_t coff, seglen;
	uint32_t sum;
	int err;

	err = csum_l4_layout(buf, len, p, &coff, &seglen);
	if (err)
		return err;
	if (p->proto == IPPROTO_UDP && !csum_get16(l4 + coff))
		return p->family == 4 ? 0 : -EBADMSG;
	sum = csum_pseudo(p, (uint32_t)seglen);
	sum = igd_csum_add(sum, l4, seglen);
	return igd_csum_fold(sum) == 0xffff ? 0 : -EBADMSG;
}

/* Whether @p describes a TCP header with its MSS option inside @buf. */
static int csum_mss_check(const uint8_t *buf, size_t len, const struct igd_pkt *p)
{
	size_t end = (size_t)p->l4_off + p->l4_len;

	if (p->proto != IPPROTO_TCP || end > len || p->l4_len < CSUM_TCP_MIN)
		return -EINVAL;
	if (!(p->flags & IGD_PKT_F_TCP_MSS))
		return -ENOENT;
	if (p->mss_off < p->l4_off + CSUM_TCP_MIN + 2 || (size_t)p->mss_off + 2 > end)
		return -EINVAL;
	if (buf[p->mss_off - 2] != 2 || buf[p->mss_off - 1] != 4)
		return -EINVAL;
	return 0;
}

int igd_tcp_mss_set(uint8_t *buf, size_t len, const struct igd_pkt *p, uint16_t mss)
{
	uint8_t *check = buf + p->l4_off + CSUM_TCP_OFF;
	uint16_t old, csum;
	int err;

	err = csum_mss_check(buf, len, p);
	if (err)
		return err;
	old = csum_get16(buf + p->mss_off);
	if (old == mss)
		return 0;
	csum = csum_get16(check);
	if ((p->mss_off - p->l4_off) & 1)
		csum = igd_csum_replace16(csum, csum_bswap16(old), csum_bswap16(mss));
	else
		csum = igd_csum_replace16(csum, old, mss);
	csum_put16(buf + p->mss_off, mss);
	csum_put16(check, csum);
	return 0;
}

int igd_tcp_mss_clamp(uint8_t *buf, size_t len, const struct igd_pkt *p, uint16_t max)
{
	int err;

	err = csum_mss_check(buf, len, p);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (csum_get16(buf + p->mss_off) <= max)
		return 0;
	err = igd_tcp_mss_set(buf, len, p, max);
	return err ? err : 1;
}
