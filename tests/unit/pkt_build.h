/* Hand-built packets for the parser and checksum tests (and the fuzz seeds):
 * a byte buffer with append helpers, and the headers the tests need. */
#ifndef IGD_PKT_BUILD_H
#define IGD_PKT_BUILD_H
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include "packet/pkt.h"
#include "packet/csum.h"

struct pb {
	uint8_t b[512];
	size_t n;
	size_t l3_len_at;	/* where the IP length field is (0: not yet) */
	size_t l3_start;	/* what the IP length counts from */
	int family;
};

static inline void pb_u8(struct pb *k, uint8_t v)
{
	if (k->n < sizeof(k->b))
		k->b[k->n++] = v;
}

static inline void pb_u16(struct pb *k, uint16_t v)
{
	pb_u8(k, (uint8_t)(v >> 8));
	pb_u8(k, (uint8_t)v);
}

static inline void pb_u32(struct pb *k, uint32_t v)
{
	pb_u16(k, (uint16_t)(v >> 16));
	pb_u16(k, (uint16_t)v);
}

static inline void pb_put(struct pb *k, const void *d, size_t n)
{
	const uint8_t *s = d;

	while (n--)
		pb_u8(k, *s++);
}

static inline void pb_set16(struct pb *k, size_t at, uint16_t v)
{
	k->b[at] = (uint8_t)(v >> 8);
	k->b[at + 1] = (uint8_t)v;
}

/* IPv4 header from 192.0.2.1 to 198.51.100.7, @opt (a multiple of 4) after it. */
static inline void pb_ip4(struct pb *k, uint8_t proto, const uint8_t *opt, size_t optlen,
			  uint16_t frag)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	pb_u8(k, (uint8_t)(0x40 | (20 + optlen) / 4));
	pb_u8(k, 0);
	k->l3_len_at = k->n;
	pb_u16(k, 0);
	pb_u16(k, 0x1234);
	pb_u16(k, frag);
	pb_u8(k, 64);
	pb_u8(k, proto);
	pb_u16(k, 0);
	pb_put(k, "\xc0\x00\x02\x01\xc6\x33\x64\x07", 8);
	pb_put(k, opt, optlen);
}

/* IPv6 header from 2001:db8::1 to 2001:db8:1::7. */
static inline void pb_ip6(struct pb *k, uint8_t nh)
{
	memset(k, 0, sizeof(*k));
	k->family = 6;
	pb_u32(k, 0x60000000);
	k->l3_len_at = k->n;
	k->l3_start = 40;
	pb_u16(k, 0);
	pb_u8(k, nh);
	pb_u8(k, 57);
	pb_put(k, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	pb_put(k, "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x07", 16);
}

/* An IPv6 options header (hop-by-hop or destination) of 8 bytes: PadN. */
static inline void pb_ip6_opts(struct pb *k, uint8_t nh)
{
	pb_u8(k, nh);
	pb_u8(k, 0);
	pb_put(k, "\x01\x04\0\0\0\0", 6);
}

static inline void pb_ip6_frag(struct pb *k, uint8_t nh, uint16_t off8, int more)
{
	pb_u8(k, nh);
	pb_u8(k, 0);
	pb_u16(k, (uint16_t)(off8 << 3 | (more ? 1 : 0)));
	pb_u32(k, 0xcafe);
}

/* TCP header; @opt is padded with EOL to a multiple of 4. */
static inline void pb_tcp(struct pb *k, uint16_t sport, uint16_t dport, uint8_t flags,
			  const uint8_t *opt, size_t optlen)
{
	size_t pad = (4 - optlen % 4) % 4;

	pb_u16(k, sport);
	pb_u16(k, dport);
	pb_u32(k, 1000);
	pb_u32(k, 0);
	pb_u8(k, (uint8_t)(((20 + optlen + pad) / 4) << 4));
	pb_u8(k, flags);
	pb_u16(k, 64240);
	pb_u16(k, 0);
	pb_u16(k, 0);
	pb_put(k, opt, optlen);
	while (pad--)
		pb_u8(k, 0);
}

/* UDP header whose length counts @paylen bytes of payload. */
static inline void pb_udp(struct pb *k, uint16_t sport, uint16_t dport, size_t paylen)
{
	pb_u16(k, sport);
	pb_u16(k, dport);
	pb_u16(k, (uint16_t)(8 + paylen));
	pb_u16(k, 0);
}

/* Sets the IP length field from the bytes so far, the IPv4 header checksum, and
 * the TCP/UDP checksum when the packet parses as TCP or UDP and is no fragment
 * (packets built not to parse, and the others, have no checksum to fill).  In the
 * unit tests (tap.h included first) a fill that fails is a failed check. */
static inline void pb_done(struct pb *k)
{
	struct igd_pkt p;
	int rc;

	pb_set16(k, k->l3_len_at, (uint16_t)(k->n - k->l3_start));
	if (k->family == 4)
		pb_set16(k, 10, igd_csum_ip4_hdr(k->b, (size_t)(k->b[0] & 0xf) * 4));
	if (igd_pkt_parse(&p, k->b, k->n) != IGD_PKT_OK ||
	    (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP) || (p.flags & IGD_PKT_F_FRAG))
		return;
	rc = igd_l4_csum_fill(k->b, k->n, &p);
#ifdef IGD_TAP_H
	if (rc != 0)
		is_int(rc, 0, "pb_done: TCP/UDP checksum filled");
#else
	(void)rc;
#endif
}

/* TCP SYN options: MSS @mss first (value at an even offset of the header) or after
 * a NOP (odd), then SACK-permitted and window scale. */
static inline size_t pb_syn_opts(uint8_t *o, uint16_t mss, int odd)
{
	size_t n = 0;

	if (odd)
		o[n++] = 1;
	o[n++] = 2;
	o[n++] = 4;
	o[n++] = (uint8_t)(mss >> 8);
	o[n++] = (uint8_t)mss;
	o[n++] = 4;
	o[n++] = 2;
	o[n++] = 1;
	o[n++] = 3;
	o[n++] = 3;
	o[n++] = 7;
	return n;
}

static inline void pb_v4_syn(struct pb *k, uint16_t mss, int odd)
{
	uint8_t o[16];
	size_t n = pb_syn_opts(o, mss, odd);

	pb_ip4(k, IPPROTO_TCP, NULL, 0, 0x4000);
	pb_tcp(k, 40000, 22, 0x02, o, n);
	pb_done(k);
}

/* IPv6 SYN behind hop-by-hop, destination options and an atomic fragment header
 * when @ext, else directly. */
static inline void pb_v6_syn(struct pb *k, uint16_t mss, int odd, int ext)
{
	uint8_t o[16];
	size_t n = pb_syn_opts(o, mss, odd);

	if (ext) {
		pb_ip6(k, IPPROTO_HOPOPTS);
		pb_ip6_opts(k, IPPROTO_DSTOPTS);
		pb_ip6_opts(k, IPPROTO_FRAGMENT);
		pb_ip6_frag(k, IPPROTO_TCP, 0, 0);
	} else {
		pb_ip6(k, IPPROTO_TCP);
	}
	pb_tcp(k, 40000, 443, 0x02, o, n);
	pb_done(k);
}

/* UDP on @sport -> @dport carrying @pay. */
static inline void pb_v4_udp(struct pb *k, uint16_t sport, uint16_t dport,
			     const void *pay, size_t paylen)
{
	pb_ip4(k, IPPROTO_UDP, NULL, 0, 0);
	pb_udp(k, sport, dport, paylen);
	pb_put(k, pay, paylen);
	pb_done(k);
}
#endif
