/* Captures cut short by NFQUEUE's copy range: headers parse, nothing is read past the
 * capture, and a packet that claims more than its real length is still refused. */
#include <stdlib.h>
#include "tap.h"
#include "pkt_build.h"

static void cap_udp(void)
{
	uint8_t pay[300];
	struct igd_pkt p;
	struct pb k;
	uint8_t *cut;
	int err;

	memset(pay, 0xab, sizeof(pay));
	memset(&k, 0, sizeof(k));
	pb_v4_udp(&k, 1111, 2222, pay, sizeof(pay));
	/* a heap copy of exactly 64 bytes: ASan would see a read past it */
	cut = malloc(64);
	memcpy(cut, k.b, 64);
	err = igd_pkt_parse(&p, cut, 64);
	is_int(err, IGD_PKT_ETRUNC, "a plain parse of a cut packet is truncated");
	err = igd_pkt_parse_cap(&p, cut, 64, k.n);
	is_int(err, IGD_PKT_OK, "the capture of a longer packet parses");
	ok(p.flags & IGD_PKT_F_PARTIAL, "and is marked partial");
	is_int(p.sport, 1111, "source port");
	is_int(p.dport, 2222, "destination port");
	is_int(p.l3_len, 64, "l3_len is what was captured");
	err = igd_pkt_parse_cap(&p, cut, 64, 63);
	is_int(err, IGD_PKT_ETRUNC, "a real length below the capture is taken as the capture");
	/* an nfnetlink_log copy says nothing of the packet's length: its IP header does */
	is_int((int)igd_pkt_copy_len(cut, 64), (int)k.n, "a copy's length from its IPv4 header");
	err = igd_pkt_parse_cap(&p, cut, 64, igd_pkt_copy_len(cut, 64));
	ok(err == IGD_PKT_OK && (p.flags & IGD_PKT_F_PARTIAL), "so the copy parses, partial");
	is_int((int)igd_pkt_copy_len(cut, 19), 19, "no header: the copy's own length");
	cut[2] = 0, cut[3] = 30;
	is_int((int)igd_pkt_copy_len(cut, 64), 64, "a header claiming less: the copy's length");
	free(cut);
}

static void cap_lying_length(void)
{
	struct igd_pkt p;
	struct pb k;

	memset(&k, 0, sizeof(k));
	pb_v4_syn(&k, 1460, 0);
	/* the header claims 1000 bytes; the packet really has k.n */
	pb_set16(&k, 2, 1000);
	is_int(igd_pkt_parse_cap(&p, k.b, k.n, k.n), IGD_PKT_ETRUNC,
	       "an IP length beyond the real packet is refused");
	is_int(igd_pkt_parse_cap(&p, k.b, k.n, 1000), IGD_PKT_OK,
	       "the same header is fine when the packet really is that long");
	ok(p.flags & IGD_PKT_F_TCP_MSS, "and its MSS option is still found");
	is_int(p.mss, 1460, "MSS value");
}

static void cap_v6_every_cut(void)
{
	struct igd_pkt p;
	struct pb k;
	size_t cut;
	int bad = 0;

	memset(&k, 0, sizeof(k));
	pb_v6_syn(&k, 1400, 1, 1);
	for (cut = 1; cut < k.n; cut++) {
		uint8_t *b = malloc(cut);

		memcpy(b, k.b, cut);
		if (igd_pkt_parse_cap(&p, b, cut, k.n) == IGD_PKT_OK && (size_t)p.l4_off + 20 > cut)
			bad++;
		free(b);
	}
	is_int(bad, 0, "no cut of an IPv6 SYN parses OK without its TCP header");
	is_int((int)igd_pkt_copy_len(k.b, 60), (int)k.n, "an IPv6 copy: 40 + payload length");
}

int main(void)
{
	cap_udp();
	cap_lying_length();
	cap_v6_every_cut();
	return tap_done();
}
