/* First fragments of ESP, ESP in UDP and IKE, packets leaving whole and later
 * fragments, IPv4 and IPv6, read from copies of any length. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "outer/outer_frag.h"
#include "tap.h"

static size_t frag(uint8_t *b, uint8_t proto, uint16_t fragoff, uint16_t totlen)
{
	memset(b, 0, 64);
	b[0] = 0x45;
	b[2] = (uint8_t)(totlen >> 8);
	b[3] = (uint8_t)totlen;
	b[6] = (uint8_t)(fragoff >> 8);
	b[7] = (uint8_t)fragoff;
	b[9] = proto;
	b[12] = 172, b[13] = 16, b[14] = 0, b[15] = 2;
	b[16] = 172, b[17] = 16, b[18] = 0, b[19] = 1;
	return 20;
}

/* An IPv6 header and a fragment header (@fragoff: offset << 3 | M) before @nh; the
 * packet is @totlen bytes.  Returns the fragment's payload offset. */
static size_t frag6(uint8_t *b, uint8_t nh, uint16_t fragoff, uint32_t id, uint16_t totlen)
{
	memset(b, 0, 64);
	b[0] = 0x60;
	b[4] = (uint8_t)((totlen - 40) >> 8);
	b[5] = (uint8_t)(totlen - 40);
	b[6] = 44;			/* fragment header */
	b[7] = 64;
	b[8] = 0xfd, b[23] = 2;		/* fd00::2 */
	b[24] = 0xfd, b[39] = 1;	/* fd00::1 */
	b[40] = nh;
	b[42] = (uint8_t)(fragoff >> 8);
	b[43] = (uint8_t)fragoff;
	b[44] = (uint8_t)(id >> 24), b[45] = (uint8_t)(id >> 16);
	b[46] = (uint8_t)(id >> 8), b[47] = (uint8_t)id;
	return 48;
}

int main(void)
{
	struct igd_outer_ports ports;
	struct igd_outer_frag f;
	uint8_t b[64];
	size_t n;

	igd_outer_ports_default(&ports);
	n = frag(b, IPPROTO_ESP, 0x2000, 1500);
	b[n] = 0, b[n + 1] = 0, b[n + 2] = 0x10, b[n + 3] = 0x01;
	ok(igd_outer_frag_parse(b, n + 8, &ports, &f) == 0 && f.kind == IGD_OFRAG_ESP &&
	   f.spi == 0x1001 && f.frag_len == 1500, "ESP first fragment: SPI and size");
	is_int(igd_outer_frag_parse(b, n + 3, &ports, &f), -EINVAL, "cut before the SPI");
	b[6] = 0x20, b[7] = 0xb9;
	is_int(igd_outer_frag_parse(b, n + 8, &ports, &f), -EINVAL, "a later fragment");
	b[6] = 0, b[7] = 0;
	is_int(igd_outer_frag_parse(b, n + 8, &ports, &f), -EINVAL, "not fragmented");

	n = frag(b, IPPROTO_UDP, 0x2000, 1400);
	b[n] = 0x11, b[n + 1] = 0x94;		/* 4500 */
	b[n + 2] = 0x11, b[n + 3] = 0x94;
	b[n + 4] = 0x0b, b[n + 5] = 0xb8;	/* UDP length 3000: the datagram's */
	b[n + 8] = 0, b[n + 9] = 0, b[n + 10] = 0x20, b[n + 11] = 0x01;
	ok(igd_outer_frag_parse(b, n + 12, &ports, &f) == 0 && f.kind == IGD_OFRAG_UDP_ESP &&
	   f.spi == 0x2001 && f.dport == 4500, "ESP in UDP 4500: its SPI");
	b[n + 10] = 0, b[n + 11] = 0;
	ok(igd_outer_frag_parse(b, n + 12, &ports, &f) == 0 && f.kind == IGD_OFRAG_IKE,
	   "the non-ESP marker: IKE");
	b[n] = 0x01, b[n + 1] = 0xf4, b[n + 2] = 0x01, b[n + 3] = 0xf4;	/* 500 */
	b[n + 10] = 0x20;
	ok(igd_outer_frag_parse(b, n + 12, &ports, &f) == 0 && f.kind == IGD_OFRAG_IKE,
	   "port 500 carries IKE only");
	b[n] = 0, b[n + 1] = 53, b[n + 2] = 0, b[n + 3] = 53;
	is_int(igd_outer_frag_parse(b, n + 12, &ports, &f), -EINVAL, "UDP of another port");
	b[0] = 0x4f;
	is_int(igd_outer_frag_parse(b, 40, &ports, &f), -EINVAL, "a header longer than the copy");
	b[0] = 0x60;
	is_int(igd_outer_frag_parse(b, 40, &ports, &f), -EINVAL, "not IPv4");
	is_str(igd_outer_frag_kind_str(IGD_OFRAG_UDP_ESP), "esp-in-udp", "kind names");

	/* leaving whole (the frag_out chain's copies) */
	n = frag(b, IPPROTO_ESP, 0x4000, 3020);
	b[n + 2] = 0x10, b[n + 3] = 0x03;
	ok(igd_outer_whole_parse(b, n + 8, &ports, &f) == 0 && f.kind == IGD_OFRAG_ESP &&
	   f.spi == 0x1003 && f.frag_len == 3020 && f.df && f.family == 4,
	   "whole ESP with DF: SPI, size, df");
	b[6] = 0;
	ok(igd_outer_whole_parse(b, n + 8, &ports, &f) == 0 && !f.df, "without DF");
	b[6] = 0x20;
	is_int(igd_outer_whole_parse(b, n + 8, &ports, &f), -EINVAL, "a first fragment is not whole");
	b[6] = 0, b[7] = 0xb9;
	is_int(igd_outer_whole_parse(b, n + 8, &ports, &f), -EINVAL, "nor a later one");
	b[7] = 0;
	n = frag(b, IPPROTO_UDP, 0, 2036);
	b[n] = 0x11, b[n + 1] = 0x94, b[n + 2] = 0x11, b[n + 3] = 0x94;
	b[n + 4] = 0x07, b[n + 5] = 0xe0;	/* 2016 */
	b[n + 10] = 0x10, b[n + 11] = 0x02;
	ok(igd_outer_whole_parse(b, n + 12, &ports, &f) == 0 && f.kind == IGD_OFRAG_UDP_ESP &&
	   f.spi == 0x1002, "whole ESP in UDP");
	is_int(igd_outer_whole_parse(b, n + 7, &ports, &f), -EINVAL, "cut in the UDP header");

	/* later fragments */
	n = frag(b, IPPROTO_UDP, 0x00b9, 220);
	b[4] = 0x42, b[5] = 0x42;
	ok(igd_outer_later_parse(b, n, &f) == 0 && f.kind == IGD_OFRAG_UDP && f.frag_id == 0x4242 &&
	   f.offset == 1480 && f.frag_len == 220, "a later UDP fragment: id, offset, size");
	b[9] = IPPROTO_ESP;
	ok(igd_outer_later_parse(b, n, &f) == 0 && f.kind == IGD_OFRAG_ESP, "... of ESP");
	b[9] = IPPROTO_TCP;
	is_int(igd_outer_later_parse(b, n, &f), -EINVAL, "of TCP: not ours");
	b[9] = IPPROTO_UDP, b[6] = 0x20, b[7] = 0;
	is_int(igd_outer_later_parse(b, n, &f), -EINVAL, "a first fragment is not a later one");
	b[7] = 1;
	is_int(igd_outer_later_parse(b, 19, &f), -EINVAL, "shorter than a header");
	is_str(igd_outer_frag_kind_str(IGD_OFRAG_UDP), "udp", "the later fragment's kind");

	/* IPv6: the fragment header carries offset, M and a 32-bit id */
	n = frag6(b, IPPROTO_ESP, 0x0001, 0xa1b2c3d4, 1448);
	b[n + 2] = 0x30, b[n + 3] = 0x01;
	ok(igd_outer_frag_parse(b, n + 8, &ports, &f) == 0 && f.family == 6 &&
	   f.kind == IGD_OFRAG_ESP && f.spi == 0x3001 && f.frag_len == 1448 &&
	   f.src.b[15] == 2, "IPv6 first fragment of ESP: SPI, size, source");
	is_int(igd_outer_later_parse(b, n + 8, &f), -EINVAL, "IPv6: a first fragment is not a later one");
	n = frag6(b, IPPROTO_UDP, 0x05a8, 0xa1b2c3d4, 100);
	ok(igd_outer_later_parse(b, n, &f) == 0 && f.family == 6 && f.kind == IGD_OFRAG_UDP &&
	   f.frag_id == 0xa1b2c3d4 && f.offset == 1448, "IPv6 later fragment of UDP: id, offset");
	is_int(igd_outer_frag_parse(b, n, &ports, &f), -EINVAL, "IPv6: a later fragment is not a first");
	n = frag6(b, IPPROTO_ESP, 0, 0, 3000);
	b[6] = IPPROTO_ESP;			/* no fragment header: leaving whole */
	memmove(b + 40, b + 48, 16);
	b[40 + 3] = 0x04;
	ok(igd_outer_whole_parse(b, 48, &ports, &f) == 0 && f.family == 6 && f.spi == 0x0004 &&
	   f.frag_len == 3000, "IPv6 ESP leaving whole: SPI, size");
	return tap_done();
}
