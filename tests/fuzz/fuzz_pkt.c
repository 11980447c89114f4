/* libFuzzer harness for the packet parser and the MSS rewrite.
 *
 * Each input is parsed; a successful parse must describe offsets inside the input.
 * When a TCP MSS option was found, a copy gets a fresh checksum, then a new MSS:
 * the copy must re-parse the same way with the new value and still verify.
 *
 * With IGD_FUZZ_SEEDS=DIR in the environment, a few hand-built packets are first
 * written to DIR as seeds (no binary seeds live in the tree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "packet/pkt.h"
#include "packet/csum.h"
#include "../unit/pkt_build.h"
#include "util/proto.h"
#include "fuzz.h"

static void fuzz_seeds(const char *dir)
{
	static const uint8_t esp[] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 0xaa, 0xbb };
	static const uint8_t ike[] = { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0,
				       0, 0, 0, 0, 0x21, 0x20, 0x22, 0x08 };
	static const uint8_t ra[] = { 0x94, 0x04, 0x00, 0x00 };
	struct pb k;
	int n = 0;

	pb_v4_syn(&k, 1460, 0);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_v4_syn(&k, 1380, 1);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_v6_syn(&k, 1440, 0, 0);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_v6_syn(&k, 1220, 1, 1);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_v4_udp(&k, 4500, 4500, esp, sizeof(esp));
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_v4_udp(&k, 4500, 4500, ike, sizeof(ike));
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_v4_udp(&k, 4500, 4500, "\xff", 1);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_v4_udp(&k, 500, 500, ike + 4, sizeof(ike) - 4);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_ip4(&k, IPPROTO_ESP, ra, sizeof(ra), 0);
	pb_put(&k, esp, sizeof(esp));
	pb_done(&k);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_ip6(&k, IPPROTO_AH);
	pb_put(&k, "\x3a\x01\0\0\0\0\0\x01\0\0\0\x01", 12);
	pb_put(&k, "\x80\x00\0\0\0\x01\0\x01", 8);
	pb_done(&k);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_ip6(&k, IPPROTO_DSTOPTS);
	pb_ip6_opts(&k, IPPROTO_FRAGMENT);
	pb_ip6_frag(&k, IPPROTO_UDP, 181, 1);
	pb_put(&k, "\x11\x94\x11\x94\0\0\0\0", 8);
	pb_done(&k);
	fuzz_seed_write(dir, n++, k.b, k.n);
	pb_ip4(&k, IPPROTO_UDP, NULL, 0, 0x2000);
	pb_udp(&k, 4500, 4500, 1400);
	pb_put(&k, esp, sizeof(esp));
	pb_done(&k);
	fuzz_seed_write(dir, n++, k.b, k.n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("IGD_FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (dir && *dir)
		fuzz_seeds(dir);
	return 0;
}

static void fuzz_check_bounds(const struct igd_pkt *p, size_t size)
{
	size_t end = (size_t)p->l4_off + p->l4_len;

	FUZZ_CHECK(p->family == 4 || p->family == 6);
	FUZZ_CHECK(p->l3_len <= size);
	FUZZ_CHECK(end == p->l3_len);
	if (p->flags & IGD_PKT_F_TCP_MSS) {
		FUZZ_CHECK(p->proto == 6);
		FUZZ_CHECK(p->mss_off >= p->l4_off + 22);
		FUZZ_CHECK((size_t)p->mss_off + 2 <= end);
	}
	if ((p->flags & IGD_PKT_F_FRAG) && !(p->flags & IGD_PKT_F_FRAG_FIRST))
		FUZZ_CHECK(!(p->flags & (IGD_PKT_F_PORTS | IGD_PKT_F_TCP_MSS)));
}

static void fuzz_mss(const struct igd_pkt *p, const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size);
	uint16_t mss = (uint16_t)(data[size - 1] << 8 | data[size / 2]);
	struct igd_pkt q;
	int filled;

	if (!copy)
		return;
	memcpy(copy, data, size);
	filled = igd_l4_csum_fill(copy, size, p) == 0;
	FUZZ_CHECK(igd_tcp_mss_set(copy, size, p, mss) == 0);
	FUZZ_CHECK(igd_pkt_parse(&q, copy, size) == IGD_PKT_OK);
	FUZZ_CHECK(q.mss == mss && q.mss_off == p->mss_off);
	FUZZ_CHECK(q.flags == p->flags && q.l4_off == p->l4_off && q.l3_len == p->l3_len);
	if (filled)
		FUZZ_CHECK(igd_l4_csum_verify(copy, size, &q) == 0);
	FUZZ_CHECK(igd_tcp_mss_clamp(copy, size, &q, mss) == 0);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct igd_pkt p;
	char name[8];
	int err;

	err = igd_pkt_parse(&p, data, size);
	FUZZ_CHECK(err >= IGD_PKT_OK && err < IGD_PKT_ERR_MAX);
	FUZZ_CHECK(igd_pkt_strerror(err) != NULL);
	FUZZ_CHECK(igd_proto_name(p.proto, name, sizeof(name)) != NULL);
	if (err != IGD_PKT_OK)
		return 0;
	fuzz_check_bounds(&p, size);
	igd_l4_csum_verify(data, size, &p);
	if (p.flags & IGD_PKT_F_TCP_MSS)
		fuzz_mss(&p, data, size);
	return 0;
}
