/* Checksum helpers: known vectors, incremental updates against full sums, the
 * TCP/UDP verifier, and the MSS rewrite for IPv4 and IPv6 at odd and even offsets. */
#include <errno.h>
#include "tap.h"
#include "pkt_build.h"

static uint32_t rnd_state = 0x2545f491;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void test_vectors(void)
{
	static const uint8_t ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
				      0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
				      0xc0, 0xa8, 0x00, 0xc7 };

	is_int(igd_csum_ip4_hdr(ip, sizeof(ip)), 0xb861, "IPv4 header checksum vector");
	is_int(igd_csum_fold(igd_csum_add(0, ip, sizeof(ip))), 0xffff,
	       "a header with its checksum sums to 0xffff");
	/* RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000 */
	is_int(igd_csum_replace16(0xdd2f, 0x5555, 0x3285), 0x0000, "RFC 1624 example");
	is_int(igd_csum_fold(0x0001fffe), 0xffff, "fold carries twice");
	is_int(igd_csum_fold(igd_csum_add(0, "\x01", 1)), 0x0100, "odd tail padded");
}

/* Random 64-byte blocks: replacing a word or a dword and updating incrementally
 * agrees with the full sum. */
static void test_incremental(void)
{
	uint8_t d[64];
	int i, j, bad16 = 0, bad32 = 0;

	for (i = 0; i < 2000; i++) {
		uint16_t check, o16, n16;
		uint32_t o32, n32;
		size_t at = (rnd() % 31) * 2;

		for (j = 0; j < 64; j++)
			d[j] = (uint8_t)rnd();
		check = (uint16_t)~igd_csum_fold(igd_csum_add(0, d, sizeof(d)));
		o16 = (uint16_t)(d[at] << 8 | d[at + 1]);
		n16 = (uint16_t)rnd();
		d[at] = (uint8_t)(n16 >> 8);
		d[at + 1] = (uint8_t)n16;
		check = igd_csum_replace16(check, o16, n16);
		bad16 += igd_csum_fold(igd_csum_add(check, d, sizeof(d))) != 0xffff;

		at = (rnd() % 15) * 4;
		o32 = (uint32_t)d[at] << 24 | (uint32_t)d[at + 1] << 16 |
		      (uint32_t)d[at + 2] << 8 | d[at + 3];
		n32 = rnd();
		for (j = 0; j < 4; j++)
			d[at + j] = (uint8_t)(n32 >> (24 - 8 * j));
		check = igd_csum_replace32(check, o32, n32);
		bad32 += igd_csum_fold(igd_csum_add(check, d, sizeof(d))) != 0xffff;
	}
	is_int(bad16, 0, "replace16 agrees with the full sum (2000 random blocks)");
	is_int(bad32, 0, "replace32 agrees with the full sum (2000 random blocks)");
}

static void test_verify(void)
{
	struct igd_pkt p;
	struct pb k;
	uint16_t c;

	pb_v4_syn(&k, 1460, 0);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v4 tcp SYN parses");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), 0, "v4 tcp checksum verifies");
	k.b[k.n - 1] ^= 0x40;
	is_int(igd_l4_csum_verify(k.b, k.n, &p), -EBADMSG, "v4 tcp: a flipped bit is caught");

	pb_v6_syn(&k, 1440, 1, 1);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v6 SYN behind extension headers parses");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), 0, "v6 tcp behind extension headers verifies");
	k.b[10] ^= 1;		/* source address: in the pseudo header */
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v6 tcp with a changed source parses");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), -EBADMSG, "v6: pseudo header counts");

	pb_v4_udp(&k, 1, 2, "hello", 5);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v4 udp parses");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), 0, "v4 udp (odd length) verifies");
	pb_set16(&k, 26, 0);
	is_int(igd_l4_csum_verify(k.b, k.n, &p), 0, "v4 udp checksum 0 means none");
	is_int(igd_l4_csum_compute(k.b, k.n, &p, &c), 0, "v4 udp compute");
	pb_set16(&k, 26, c);
	is_int(igd_l4_csum_verify(k.b, k.n, &p), 0, "computed value verifies");

	pb_ip6(&k, IPPROTO_UDP);
	pb_udp(&k, 1, 2, 2);
	pb_put(&k, "hi", 2);
	pb_done(&k);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v6 udp parses");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), 0, "v6 udp verifies");
	pb_set16(&k, 46, 0);
	is_int(igd_l4_csum_verify(k.b, k.n, &p), -EBADMSG, "v6 udp checksum 0 is wrong");

	pb_ip4(&k, IPPROTO_ESP, NULL, 0, 0);
	pb_put(&k, "\0\0\x01\0\0\0\0\x01", 8);
	pb_done(&k);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v4 esp parses");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), -EPROTONOSUPPORT, "esp has no L4 checksum");

	pb_ip4(&k, IPPROTO_UDP, NULL, 0, 0x2000);
	pb_udp(&k, 1, 2, 100);
	pb_done(&k);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v4 udp first fragment parses");
	is_int(igd_l4_csum_verify(k.b, k.n, &p), -EINVAL, "fragments are not checked");
}

/* Rewrites @k's MSS to many values; each time the checksum must verify and a
 * re-parse must read the new value back. */
static void mss_sweep(const char *what, struct pb *k, int odd)
{
	struct igd_pkt p, q;
	int i, bad_csum = 0, bad_val = 0, err = 0;

	is_int(igd_pkt_parse(&p, k->b, k->n), IGD_PKT_OK, "%s: parses", what);
	is_int((p.mss_off - p.l4_off) & 1, odd, "%s: option at the intended parity", what);
	is_int(igd_l4_csum_verify(k->b, k->n, &p), 0, "%s: verifies before", what);
	for (i = 0; i < 1000; i++) {
		uint16_t mss = i < 3 ? (uint16_t[]){ 0, 0xffff, 536 }[i] : (uint16_t)rnd();

		err |= igd_tcp_mss_set(k->b, k->n, &p, mss);
		bad_csum += igd_l4_csum_verify(k->b, k->n, &p) != 0;
		bad_val += igd_pkt_parse(&q, k->b, k->n) != IGD_PKT_OK || q.mss != mss;
		p = q;
	}
	is_int(err, 0, "%s: 1000 rewrites succeed", what);
	is_int(bad_csum, 0, "%s: checksum verifies after every rewrite", what);
	is_int(bad_val, 0, "%s: the new MSS reads back", what);
}

static void test_mss_set(void)
{
	struct pb k;

	pb_v4_syn(&k, 1460, 0);
	mss_sweep("v4 even", &k, 0);
	pb_v4_syn(&k, 1460, 1);
	mss_sweep("v4 odd", &k, 1);
	pb_v6_syn(&k, 1440, 0, 0);
	mss_sweep("v6 even", &k, 0);
	pb_v6_syn(&k, 1440, 1, 1);
	mss_sweep("v6 odd, extension headers", &k, 1);
}

static void test_mss_errors(void)
{
	struct igd_pkt p, q;
	struct pb k, copy;

	pb_v4_syn(&k, 1460, 0);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v4 SYN parses");
	copy = k;
	is_int(igd_tcp_mss_set(k.b, k.n, &p, 1460), 0, "same value: success");
	ok(!memcmp(k.b, copy.b, k.n), "same value: packet untouched");
	is_int(igd_tcp_mss_set(k.b, k.n - 1, &p, 1000), -EINVAL, "buffer shorter than @p");
	q = p;
	q.mss_off++;
	is_int(igd_tcp_mss_set(k.b, k.n, &q, 1000), -EINVAL, "offset not at an MSS option");
	q = p;
	q.mss_off = (uint16_t)(k.n - 1);
	is_int(igd_tcp_mss_set(k.b, k.n, &q, 1000), -EINVAL, "offset at the end");
	ok(!memcmp(k.b, copy.b, k.n), "refused rewrites leave the packet alone");

	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0);
	pb_tcp(&k, 1, 2, 0x10, NULL, 0);
	pb_done(&k);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v4 tcp ACK without options parses");
	is_int(igd_tcp_mss_set(k.b, k.n, &p, 1000), -ENOENT, "no MSS option");
	is_int(igd_tcp_mss_clamp(k.b, k.n, &p, 1000), 0, "clamp without option: nothing");

	pb_v4_udp(&k, 1, 2, "x", 1);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v4 udp parses");
	is_int(igd_tcp_mss_set(k.b, k.n, &p, 1000), -EINVAL, "not tcp");
}

static void test_mss_clamp(void)
{
	struct igd_pkt p, q;
	struct pb k;

	pb_v6_syn(&k, 1440, 1, 0);
	is_int(igd_pkt_parse(&p, k.b, k.n), IGD_PKT_OK, "v6 SYN with MSS 1440 parses");
	is_int(igd_tcp_mss_clamp(k.b, k.n, &p, 1500), 0, "clamp never raises");
	is_int(igd_pkt_parse(&q, k.b, k.n), IGD_PKT_OK, "... re-parses after a clamp to 1500");
	is_int(q.mss, 1440, "... value unchanged");
	is_int(igd_tcp_mss_clamp(k.b, k.n, &p, 1440), 0, "clamp to the same value: nothing");
	is_int(igd_tcp_mss_clamp(k.b, k.n, &p, 1386), 1, "clamp lowers");
	is_int(igd_pkt_parse(&q, k.b, k.n), IGD_PKT_OK, "... re-parses after the clamp to 1386");
	is_int(q.mss, 1386, "... to the limit");
	is_int(igd_l4_csum_verify(k.b, k.n, &q), 0, "... and the checksum verifies");
}

int main(void)
{
	test_vectors();
	test_incremental();
	test_verify();
	test_mss_set();
	test_mss_errors();
	test_mss_clamp();
	return tap_done();
}
