/* igd_pkt_parse() on hand-built packets: the protocols the daemon meets, the
 * IPv6 extension chain, fragments, every truncation of valid packets, and hostile
 * length fields. */
#include <stdlib.h>
#include "tap.h"
#include "pkt_build.h"
#include "util/proto.h"

static const char *addr_s(const struct igd_pkt *p, const union igd_addr *a)
{
	static char s[2][IGD_ADDRSTRLEN];
	static int i;

	i ^= 1;
	return igd_addr_str(p->family, a, s[i], sizeof(s[i]));
}

static int parse(struct igd_pkt *p, const struct pb *k)
{
	return igd_pkt_parse(p, k->b, k->n);
}

static void test_v4_tcp(void)
{
	struct igd_pkt p;
	struct pb k;

	pb_v4_syn(&k, 1460, 0);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 syn parses");
	is_int(p.family, 4, "v4 syn: family");
	is_int(p.proto, IPPROTO_TCP, "v4 syn: proto");
	is_int(p.ttl, 64, "v4 syn: ttl");
	is_str(addr_s(&p, &p.src), "192.0.2.1", "v4 syn: src");
	is_str(addr_s(&p, &p.dst), "198.51.100.7", "v4 syn: dst");
	is_int(p.sport, 40000, "v4 syn: sport");
	is_int(p.dport, 22, "v4 syn: dport");
	is_int(p.tcp_flags, 0x02, "v4 syn: tcp flags");
	is_int(p.flags, IGD_PKT_F_PORTS | IGD_PKT_F_TCP_MSS, "v4 syn: flags");
	is_int(p.mss, 1460, "v4 syn: mss");
	is_int(p.mss_off, 20 + 22, "v4 syn: mss offset (even)");
	is_int(p.l3_len, k.n, "v4 syn: l3_len");
	is_int(p.l4_off, 20, "v4 syn: l4_off");
	is_int(p.l4_len, k.n - 20, "v4 syn: l4_len");

	pb_v4_syn(&k, 1380, 1);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 syn, NOP before MSS");
	is_int(p.mss, 1380, "mss after NOP");
	is_int(p.mss_off, 20 + 23, "mss offset (odd)");

	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0);
	pb_tcp(&k, 5000, 80, 0x10, NULL, 0);
	pb_put(&k, "data", 4);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 ack without options");
	is_int(p.flags, IGD_PKT_F_PORTS, "no MSS flag without the option");
	is_int(p.l4_len, 24, "l4_len counts the payload");

	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0);
	pb_tcp(&k, 5000, 80, 0x02, (const uint8_t *)"\x01\x01\x00\x02\x04\x05\xb4", 7);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "options after EOL are not read");
	ok(!(p.flags & IGD_PKT_F_TCP_MSS), "no MSS after EOL");
}

static void test_v4_options(void)
{
	static const uint8_t ra[] = { 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00 };
	struct igd_pkt p;
	struct pb k;

	pb_ip4(&k, IPPROTO_UDP, ra, sizeof(ra), 0);
	pb_udp(&k, 1234, 53, 3);
	pb_put(&k, "abc", 3);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 with IP options parses");
	is_int(p.l4_off, 28, "IP options: l4_off after IHL*4");
	is_int(p.sport, 1234, "IP options: sport");
	is_int(p.dport, 53, "IP options: dport");
	is_int(p.l4_len, 11, "IP options: l4_len");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), 0, "IP options: UDP checksum verifies");

	k.b[k.n++] = 0;		/* Ethernet-style padding past the total length */
	k.b[k.n++] = 0;
	is_int(parse(&p, &k), IGD_PKT_OK, "bytes past total length are ignored");
	is_int(p.l3_len, k.n - 2, "l3_len is the total length, not the buffer");
}

static void test_v4_frags(void)
{
	struct igd_pkt p;
	struct pb k;

	pb_ip4(&k, IPPROTO_UDP, NULL, 0, 0x2000);
	pb_udp(&k, 4000, 5000, 1400);
	pb_put(&k, "first", 5);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 first fragment parses");
	is_int(p.flags, IGD_PKT_F_FRAG | IGD_PKT_F_FRAG_FIRST | IGD_PKT_F_PORTS,
	       "first fragment: flags");
	is_int(p.dport, 5000, "first fragment: ports read");

	pb_ip4(&k, IPPROTO_UDP, NULL, 0, 0x2000 | 185);
	pb_put(&k, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 middle fragment parses");
	is_int(p.flags, IGD_PKT_F_FRAG, "middle fragment: only FRAG");
	is_int(p.proto, IPPROTO_UDP, "middle fragment: proto from the header");
	is_int(p.sport, 0, "middle fragment: no ports");
	is_int(p.l4_off, 20, "middle fragment: data offset");

	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 370);
	pb_put(&k, "\x01\x02", 2);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 last fragment (tiny) parses");
	is_int(p.flags, IGD_PKT_F_FRAG, "last fragment: only FRAG");

	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0x2000);
	pb_put(&k, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "first fragment cutting the TCP header");
	ok(p.flags & IGD_PKT_F_PORTS, "... still reports its ports");
}

static void test_v6_tcp_ext(void)
{
	struct igd_pkt p;
	struct pb k;
	uint8_t o[16];
	size_t n = pb_syn_opts(o, 1220, 0);

	pb_ip6(&k, IPPROTO_HOPOPTS);
	pb_ip6_opts(&k, IPPROTO_DSTOPTS);
	pb_ip6_opts(&k, IPPROTO_FRAGMENT);
	pb_ip6_frag(&k, IPPROTO_TCP, 0, 1);
	pb_tcp(&k, 40000, 443, 0x02, o, n);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v6 hbh+dst+frag+tcp parses");
	is_int(p.family, 6, "v6: family");
	is_int(p.ttl, 57, "v6: hop limit");
	is_str(addr_s(&p, &p.src), "2001:db8::1", "v6: src");
	is_str(addr_s(&p, &p.dst), "2001:db8:1::7", "v6: dst");
	is_int(p.proto, IPPROTO_TCP, "v6: proto after the chain");
	is_int(p.l4_off, 64, "v6: l4_off after three extension headers");
	is_int(p.flags, IGD_PKT_F_FRAG | IGD_PKT_F_FRAG_FIRST | IGD_PKT_F_PORTS |
	       IGD_PKT_F_TCP_MSS, "v6 first fragment: flags");
	is_int(p.mss, 1220, "v6: mss");
	is_int(p.mss_off, 64 + 22, "v6: mss offset");
	is_int(p.dport, 443, "v6: dport");

	pb_v6_syn(&k, 1220, 0, 1);
	is_int(parse(&p, &k), IGD_PKT_OK, "v6 atomic fragment parses");
	is_int(p.flags & (IGD_PKT_F_FRAG | IGD_PKT_F_FRAG_FIRST), 0,
	       "atomic fragment is not flagged a fragment");

	pb_ip6(&k, IPPROTO_DSTOPTS);
	pb_ip6_opts(&k, IPPROTO_FRAGMENT);
	pb_ip6_frag(&k, IPPROTO_UDP, 181, 1);
	pb_put(&k, "\x11\x94\x11\x94\0\0\0\0", 8);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v6 later fragment parses");
	is_int(p.flags, IGD_PKT_F_FRAG, "v6 later fragment: only FRAG");
	is_int(p.proto, IPPROTO_UDP, "v6 later fragment: proto from the fragment header");
	is_int(p.l4_off, 56, "v6 later fragment: data offset");

	pb_ip6(&k, IPPROTO_AH);
	pb_u8(&k, IPPROTO_TCP);
	pb_u8(&k, 4);		/* (4 + 2) * 4 = 24 bytes */
	pb_u16(&k, 0);
	pb_u32(&k, 0x1000);
	pb_u32(&k, 1);
	pb_put(&k, "0123456789ab", 12);
	pb_tcp(&k, 1, 2, 0x10, NULL, 0);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v6 AH + tcp parses");
	is_int(p.l4_off, 64, "AH length in 4-byte units + 2");
	is_int(p.dport, 2, "v6 AH: ports behind AH");
}

static void pb_v6_dst_chain(struct pb *k, int count)
{
	int i;

	pb_ip6(k, IPPROTO_DSTOPTS);
	for (i = 0; i < count; i++)
		pb_ip6_opts(k, i == count - 1 ? IPPROTO_UDP : IPPROTO_DSTOPTS);
	pb_udp(k, 1, 2, 0);
	pb_done(k);
}

static void test_v6_ext_hostile(void)
{
	struct igd_pkt p;
	struct pb k;

	pb_v6_dst_chain(&k, IGD_PKT_V6_EXT_MAX);
	is_int(parse(&p, &k), IGD_PKT_OK, "v6 chain of exactly the bound parses");
	is_int(p.l4_off, 40 + 8 * IGD_PKT_V6_EXT_MAX, "... l4_off at its end");
	pb_v6_dst_chain(&k, IGD_PKT_V6_EXT_MAX + 1);
	is_int(parse(&p, &k), IGD_PKT_EEXTHDR, "v6 chain over the bound");

	pb_ip6(&k, IPPROTO_DSTOPTS);
	pb_ip6_opts(&k, IPPROTO_HOPOPTS);
	pb_ip6_opts(&k, IPPROTO_UDP);
	pb_udp(&k, 1, 2, 0);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_EEXTHDR, "hop-by-hop not first");

	pb_ip6(&k, IPPROTO_DSTOPTS);
	pb_ip6_opts(&k, IPPROTO_UDP);
	pb_udp(&k, 1, 2, 0);
	pb_done(&k);
	k.b[41] = 2;		/* 24 bytes: past the packet */
	is_int(parse(&p, &k), IGD_PKT_EEXTHDR, "extension header past the packet");

	pb_ip6(&k, IPPROTO_FRAGMENT);
	pb_ip6_frag(&k, IPPROTO_FRAGMENT, 0, 1);
	pb_ip6_frag(&k, IPPROTO_UDP, 0, 1);
	pb_udp(&k, 1, 2, 0);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_EEXTHDR, "two fragment headers");

	pb_ip6(&k, IPPROTO_DSTOPTS);
	pb_put(&k, "\x11\0\x01", 3);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_EEXTHDR, "extension header shorter than 8 bytes");

	pb_ip6(&k, IPPROTO_AH);
	pb_put(&k, "\x06\x00\0\0\0\0\0\x01", 8);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_EEXTHDR, "AH of 8 bytes");

	pb_ip6(&k, IPPROTO_NONE);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v6 no next header");
	is_int(p.l4_len, 0, "... nothing after it");

	pb_ip6(&k, IPPROTO_TCP);
	pb_tcp(&k, 1, 2, 0x10, NULL, 0);
	pb_done(&k);
	pb_set16(&k, 4, 200);
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "v6 payload length beyond the buffer");
	is_int(p.family, 6, "... family known");
	pb_set16(&k, 4, 10);
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "v6 payload length cutting TCP");
}

static void test_icmp(void)
{
	struct igd_pkt p;
	struct pb k;

	pb_ip4(&k, IPPROTO_ICMP, NULL, 0, 0);
	pb_put(&k, "\x08\x00\0\0\x12\x34\0\x01", 8);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "icmp echo parses");
	is_int(p.flags, IGD_PKT_F_ICMP, "icmp: flags");
	is_int(p.icmp_type, 8, "icmp: type");

	pb_ip4(&k, IPPROTO_ICMP, NULL, 0, 0);
	pb_put(&k, "\x03\x04\0\0", 4);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "icmp shorter than 8 bytes");

	pb_ip6(&k, IPPROTO_ICMPV6);
	pb_put(&k, "\x02\x00\0\0\0\0\x05\x00", 8);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "icmpv6 packet-too-big parses");
	is_int(p.icmp_type, 2, "icmpv6: type");
	is_int(p.icmp_code, 0, "icmpv6: code");
	ok(p.flags & IGD_PKT_F_ICMP, "icmpv6: flagged");

	pb_ip6(&k, IPPROTO_ICMP);
	pb_put(&k, "\x08\x00\0\0\0\0\0\0", 8);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v4 icmp number inside v6 parses");
	ok(!(p.flags & IGD_PKT_F_ICMP), "... but is not read as icmp");
}

static void test_esp(void)
{
	struct igd_pkt p;
	struct pb k;

	pb_ip4(&k, IPPROTO_ESP, NULL, 0, 0);
	pb_u32(&k, 0xc0ffee01);
	pb_u32(&k, 42);
	pb_put(&k, "ciphertext-and-icv", 18);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "esp parses");
	is_int(p.flags, IGD_PKT_F_ESP, "esp: flags");
	is_int(p.spi, 0xc0ffee01, "esp: spi");
	is_int(p.esp_seq, 42, "esp: seq");

	pb_ip6(&k, IPPROTO_ESP);
	pb_u32(&k, 0);
	pb_u32(&k, 1);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_EL4, "esp with spi 0");

	pb_ip4(&k, IPPROTO_ESP, NULL, 0, 0);
	pb_u32(&k, 0x100);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "esp header cut short");
}

static void test_natt(void)
{
	static const uint8_t ike[] = { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0,
				       0, 0, 0, 0, 0x21, 0x20, 0x22, 0x08 };
	static const uint8_t esp[] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 0xaa, 0xbb };
	struct igd_pkt p;
	struct pb k;

	pb_v4_udp(&k, 4500, 4500, esp, sizeof(esp));
	is_int(parse(&p, &k), IGD_PKT_OK, "udp 4500 esp parses");
	is_int(p.flags, IGD_PKT_F_PORTS | IGD_PKT_F_UDP_ESP, "udp-esp: flags");
	is_int(p.proto, IPPROTO_UDP, "udp-esp: proto stays udp");
	is_int(p.spi, 0xdeadbeef, "udp-esp: spi");
	is_int(p.esp_seq, 9, "udp-esp: seq");

	pb_v4_udp(&k, 33000, 4500, ike, sizeof(ike));
	is_int(parse(&p, &k), IGD_PKT_OK, "udp 4500 non-ESP marker parses");
	is_int(p.flags, IGD_PKT_F_PORTS | IGD_PKT_F_IKE, "marker: IKE");
	is_int(p.spi, 0, "marker: no spi");

	pb_v4_udp(&k, 4500, 33000, "\xff", 1);
	is_int(parse(&p, &k), IGD_PKT_OK, "nat-t keepalive parses");
	is_int(p.flags, IGD_PKT_F_PORTS | IGD_PKT_F_NATT_KA, "keepalive: flags");

	pb_v4_udp(&k, 4500, 4500, "\xfe", 1);
	is_int(parse(&p, &k), IGD_PKT_OK, "one byte other than 0xff");
	is_int(p.flags, IGD_PKT_F_PORTS, "... flags nothing");

	pb_v4_udp(&k, 4500, 4500, esp, 8);
	is_int(parse(&p, &k), IGD_PKT_OK, "8 bytes on 4500 without marker");
	is_int(p.flags, IGD_PKT_F_PORTS, "... is not ESP (no payload)");

	pb_v4_udp(&k, 500, 500, ike + 4, sizeof(ike) - 4);
	is_int(parse(&p, &k), IGD_PKT_OK, "udp 500 parses");
	is_int(p.flags, IGD_PKT_F_PORTS | IGD_PKT_F_IKE, "udp 500: IKE");

	pb_ip6(&k, IPPROTO_UDP);
	pb_udp(&k, 4500, 4500, sizeof(esp));
	pb_put(&k, esp, sizeof(esp));
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_OK, "v6 udp-esp parses");
	is_int(p.spi, 0xdeadbeef, "v6 udp-esp: spi");
}

static void test_udp_len(void)
{
	struct igd_pkt p;
	struct pb k;

	pb_v4_udp(&k, 1, 2, "xyz", 3);
	pb_set16(&k, 24, 7);
	is_int(parse(&p, &k), IGD_PKT_EL4, "udp length below 8");
	ok(p.flags & IGD_PKT_F_PORTS, "... ports kept");
	pb_set16(&k, 24, 12);
	is_int(parse(&p, &k), IGD_PKT_EL4, "udp length beyond the packet");
	pb_set16(&k, 24, 9);
	is_int(parse(&p, &k), IGD_PKT_OK, "udp length shorter than the packet");

	pb_v4_udp(&k, 4500, 4500, "\xff\0\0", 3);
	pb_set16(&k, 24, 9);
	is_int(parse(&p, &k), IGD_PKT_OK, "keepalive with IP padding");
	ok(p.flags & IGD_PKT_F_NATT_KA, "... classified by the UDP length");

	pb_ip4(&k, IPPROTO_UDP, NULL, 0, 0);
	pb_put(&k, "\0\x01\0", 3);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "udp header cut short");
	ok(!(p.flags & IGD_PKT_F_PORTS), "... no ports from 3 bytes");
}

static void test_v4_hostile(void)
{
	struct igd_pkt p;
	struct pb k;

	pb_v4_syn(&k, 1460, 0);
	k.b[0] = 0x44;
	is_int(parse(&p, &k), IGD_PKT_EHDR, "IHL < 5");
	is_int(p.family, 4, "... family known");
	is_str(addr_s(&p, &p.dst), "198.51.100.7", "... addresses known");

	pb_v4_syn(&k, 1460, 0);
	pb_set16(&k, 2, (uint16_t)(k.n + 1));
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "total length > buffer");
	pb_set16(&k, 2, 19);
	is_int(parse(&p, &k), IGD_PKT_EHDR, "total length < IHL*4");
	k.b[0] = 0x4f;
	pb_set16(&k, 2, 56);
	is_int(parse(&p, &k), IGD_PKT_EHDR, "IHL*4 > total length");
	k.b[0] = 0x4a;
	pb_set16(&k, 2, (uint16_t)k.n);
	is_int(parse(&p, &k), IGD_PKT_ETRUNC, "IHL 10 eats the TCP header");

	pb_v4_syn(&k, 1460, 0);
	k.b[32] = 0x40;
	is_int(parse(&p, &k), IGD_PKT_EL4, "TCP doff < 5");
	is_int(p.dport, 22, "... ports kept");
	k.b[32] = 0xf0;
	is_int(parse(&p, &k), IGD_PKT_EL4, "TCP doff beyond the packet");

	pb_v4_syn(&k, 1460, 0);
	k.b[41] = 3;
	is_int(parse(&p, &k), IGD_PKT_EL4, "MSS option of length 3");
	is_int(p.sport, 40000, "... ports kept");
	ok(!(p.flags & IGD_PKT_F_TCP_MSS), "... no MSS reported");
	k.b[41] = 0;
	is_int(parse(&p, &k), IGD_PKT_EL4, "option length 0 (would loop)");
	k.b[41] = 1;
	is_int(parse(&p, &k), IGD_PKT_EL4, "option length 1");
	k.b[41] = 40;
	is_int(parse(&p, &k), IGD_PKT_EL4, "option running past the header");

	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0);
	pb_tcp(&k, 1, 2, 0x02, (const uint8_t *)"\x02\x04\x05\xb4\x02\x04\x00\x10", 8);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_EL4, "two MSS options");

	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0);
	pb_tcp(&k, 1, 2, 0x02, (const uint8_t *)"\x01\x01\x01\x08", 4);
	pb_done(&k);
	is_int(parse(&p, &k), IGD_PKT_EL4, "option kind at the last byte");

	pb_v4_syn(&k, 1460, 0);
	k.b[0] = 0x54;
	is_int(parse(&p, &k), IGD_PKT_EVERSION, "version 5");
	is_int(igd_pkt_parse(&p, k.b, 0), IGD_PKT_ETRUNC, "empty buffer");
	is_int(igd_pkt_parse(&p, k.b, 19), IGD_PKT_EVERSION, "bad version on 19 bytes");
}

/* Every cut of a valid packet is reported truncated (the IP length says more),
 * from a heap block of exactly that size; with the IP length lowered to the cut,
 * whatever the result, every offset reported stays inside the cut. */
static int cut_consistent(const struct pb *k, size_t cut)
{
	struct igd_pkt p;
	struct pb c = *k;
	size_t end;
	int err;

	c.n = cut;
	if (cut >= 4 && cut - c.l3_start <= UINT16_MAX && cut >= c.l3_start)
		pb_set16(&c, c.l3_len_at, (uint16_t)(cut - c.l3_start));
	err = igd_pkt_parse(&p, c.b, cut);
	if (err)
		return 1;
	end = (size_t)p.l4_off + p.l4_len;
	if (p.l3_len > cut || end != p.l3_len)
		return 0;
	if ((p.flags & IGD_PKT_F_TCP_MSS) && (size_t)p.mss_off + 2 > end)
		return 0;
	return 1;
}

static int cut_truncated(const struct pb *k, size_t cut)
{
	struct igd_pkt p;
	uint8_t *b = malloc(cut ? cut : 1);
	int err;

	if (!b)
		return 0;
	memcpy(b, k->b, cut);
	err = igd_pkt_parse(&p, b, cut);
	free(b);
	return err == IGD_PKT_ETRUNC;
}

static void test_truncations(const char *what, const struct pb *k)
{
	size_t cut, bad_trunc = 0, bad_cons = 0;

	for (cut = 0; cut < k->n; cut++) {
		bad_trunc += !cut_truncated(k, cut);
		bad_cons += !cut_consistent(k, cut);
	}
	is_int(bad_trunc, 0, "%s: all %zu cuts report truncated", what, k->n);
	is_int(bad_cons, 0, "%s: all cuts with fixed-up length stay in bounds", what);
}

static void test_truncation_all(void)
{
	static const uint8_t esp[] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 0xaa, 0xbb };
	struct pb k;

	pb_v4_syn(&k, 1460, 1);
	test_truncations("v4 syn", &k);
	pb_v6_syn(&k, 1440, 0, 1);
	test_truncations("v6 syn with extension headers", &k);
	pb_v4_udp(&k, 4500, 4500, esp, sizeof(esp));
	test_truncations("v4 udp-esp", &k);
	pb_ip6(&k, IPPROTO_AH);
	pb_put(&k, "\x3a\x01\0\0\0\0\0\x01\0\0\0\x01", 12);
	pb_put(&k, "\x80\x00\0\0\0\x01\0\x01", 8);
	pb_done(&k);
	test_truncations("v6 AH icmpv6", &k);
}

static void test_names(void)
{
	char buf[8];

	is_str(igd_pkt_strerror(IGD_PKT_OK), "ok", "strerror ok");
	is_str(igd_pkt_strerror(IGD_PKT_ETRUNC), "truncated", "strerror truncated");
	is_str(igd_pkt_strerror(IGD_PKT_EHDR), "bad-header", "strerror bad-header");
	is_str(igd_pkt_strerror(IGD_PKT_EEXTHDR), "bad-exthdr", "strerror bad-exthdr");
	is_str(igd_pkt_strerror(IGD_PKT_EL4), "bad-l4", "strerror bad-l4");
	is_str(igd_pkt_strerror(-1), "unknown", "strerror out of range");
	is_str(igd_pkt_strerror(IGD_PKT_ERR_MAX), "unknown", "strerror max");
	is_str(igd_proto_name(IPPROTO_TCP, buf, sizeof(buf)), "tcp", "proto tcp");
	is_str(igd_proto_name(IPPROTO_ICMPV6, buf, sizeof(buf)), "ipv6-icmp", "proto icmpv6");
	is_str(igd_proto_name(IPPROTO_ESP, buf, sizeof(buf)), "esp", "proto esp");
	is_str(igd_proto_name(253, buf, sizeof(buf)), "253", "proto by number");
	is_str(igd_proto_name(253, NULL, 0), "?", "proto without a buffer");
}

int main(void)
{
	test_v4_tcp();
	test_v4_options();
	test_v4_frags();
	test_v6_tcp_ext();
	test_v6_ext_hostile();
	test_icmp();
	test_esp();
	test_natt();
	test_udp_len();
	test_v4_hostile();
	test_truncation_all();
	test_names();
	return tap_done();
}
