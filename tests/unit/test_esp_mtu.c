/* ESP overhead and inner MTU/MSS against worked values and values computed
 * by hand from xfrm_state_mtu():
 *   tunnel:    ((M - hdr - icv) & ~(B-1)) - 2,         hdr = 8 + iv + outer IP + encap
 *   transport: ((M - hdr - icv - H) & ~(B-1)) + H - 2, hdr = 8 + iv + encap, H = 20/40 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include "tap.h"
#include "mtu/esp_mtu.h"
#include "xfrm/sad.h"

static struct igd_sa sa_make(const char *aead, const char *crypt, const char *auth,
			     unsigned int trunc_bits)
{
	struct igd_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.family = 4;
	sa.proto = IPPROTO_ESP;
	sa.mode = XFRM_MODE_TUNNEL;
	if (aead) {
		strcpy(sa.aead.name, aead);
		sa.aead.trunc_bits = trunc_bits;
	}
	if (crypt)
		strcpy(sa.crypt.name, crypt);
	if (auth) {
		strcpy(sa.auth.name, auth);
		sa.auth.trunc_bits = trunc_bits;
	}
	return sa;
}

struct suite_case {
	const char *what;
	const char *aead, *crypt, *auth;
	unsigned int trunc_bits;
	unsigned int iv, icv, block;
	unsigned int mtu1500, mtu1400;	/* tunnel, IPv4 outer, no encap */
};

/* mtu = ((M - (8 + iv + 20) - icv) & ~(B-1)) - 2 */
static const struct suite_case suites[] = {
	{ "AES-GCM-16", "rfc4106(gcm(aes))", NULL, NULL, 128, 8, 16, 4, 1446, 1346 },
	{ "AES-GCM-16 (no trunc given)", "rfc4106(gcm(aes))", NULL, NULL, 0, 8, 16, 4, 1446, 1346 },
	{ "AES-GCM-8", "rfc4106(gcm(aes))", NULL, NULL, 64, 8, 8, 4, 1454, 1354 },
	{ "AES-GCM-12", "rfc4106(gcm(aes))", NULL, NULL, 96, 8, 12, 4, 1450, 1350 },
	{ "AES-CCM-16", "rfc4309(ccm(aes))", NULL, NULL, 128, 8, 16, 4, 1446, 1346 },
	{ "AES-GMAC", "rfc4543(gcm(aes))", NULL, NULL, 128, 8, 16, 4, 1446, 1346 },
	{ "ChaCha20-Poly1305", "rfc7539esp(chacha20,poly1305)", NULL, NULL, 128, 8, 16, 4,
	  1446, 1346 },
	/* 1500-44-12 = 1444 -> 1440; 1400-44-12 = 1344 */
	{ "AES-CBC + HMAC-SHA1-96", NULL, "cbc(aes)", "hmac(sha1)", 96, 16, 12, 16, 1438, 1342 },
	/* 1500-44-16 = 1440; 1400-44-16 = 1340 -> 1328 */
	{ "AES-CBC + HMAC-SHA256-128", NULL, "cbc(aes)", "hmac(sha256)", 128, 16, 16, 16,
	  1438, 1326 },
	/* plain XFRMA_ALG_AUTH: the kernel's icv_truncbits, 96 */
	{ "AES-CBC + HMAC-SHA256 (no trunc given)", NULL, "cbc(aes)", "hmac(sha256)", 0,
	  16, 12, 16, 1438, 1342 },
	/* 1500-44-24 = 1432 -> 1424; 1400-44-24 = 1332 -> 1328 */
	{ "AES-CBC + HMAC-SHA384-192", NULL, "cbc(aes)", "hmac(sha384)", 192, 16, 24, 16,
	  1422, 1326 },
	/* 1500-44-32 = 1424; 1400-44-32 = 1324 -> 1312 */
	{ "AES-CBC + HMAC-SHA512-256", NULL, "cbc(aes)", "hmac(sha512)", 256, 16, 32, 16,
	  1422, 1310 },
	/* 1500-36-12 = 1452; 1400-36-12 = 1352 */
	{ "AES-CTR + HMAC-SHA1-96", NULL, "rfc3686(ctr(aes))", "hmac(sha1)", 96, 8, 12, 4,
	  1450, 1350 },
	/* 1452 -> 1448; 1352 -> 1352 */
	{ "3DES + HMAC-SHA1-96", NULL, "cbc(des3_ede)", "hmac(sha1)", 96, 8, 12, 8, 1446, 1350 },
	/* 1500-44-12 = 1444 -> 1440 */
	{ "AES-CBC + AES-XCBC-96", NULL, "cbc(aes)", "xcbc(aes)", 0, 16, 12, 16, 1438, 1342 },
	/* encryption only: 1500-44 = 1456; 1400-44 = 1356 -> 1344 */
	{ "AES-CBC, no auth", NULL, "cbc(aes)", NULL, 0, 16, 0, 16, 1454, 1342 },
	/* null cipher + SHA256-128: 1500-28-16 = 1456 */
	{ "NULL + HMAC-SHA256-128", NULL, "ecb(cipher_null)", "hmac(sha256)", 128, 0, 16, 4,
	  1454, 1354 },
};

static void test_suite(const struct suite_case *c)
{
	struct igd_sa sa = sa_make(c->aead, c->crypt, c->auth, c->trunc_bits);
	struct igd_esp_params p;
	int ret = igd_esp_params_from_sa(&sa, &p);

	is_int(ret, 0, "%s: params from SA", c->what);
	if (ret)
		return;
	ok(p.iv == c->iv && p.icv == c->icv && p.block == c->block,
	   "%s: iv/icv/block %u/%u/%u (want %u/%u/%u)", c->what, p.iv, p.icv, p.block,
	   c->iv, c->icv, c->block);
	is_int(igd_esp_inner_mtu(&p, 1500), c->mtu1500, "%s: inner MTU at 1500", c->what);
	is_int(igd_esp_inner_mtu(&p, 1400), c->mtu1400, "%s: inner MTU at 1400", c->what);
	is_int(igd_esp_mss(&p, 1500, 4), c->mtu1500 - 40, "%s: MSS at 1500", c->what);
	is_int(igd_esp_mss(&p, 1400, 4), c->mtu1400 - 40, "%s: MSS at 1400", c->what);
}

static struct igd_esp_params gcm(bool tunnel, int outer, unsigned int encap)
{
	struct igd_esp_params p = {
		.iv = 8, .icv = 16, .block = 4, .encap = encap,
		.tunnel = tunnel, .outer_family = outer,
	};
	return p;
}

static struct igd_esp_params cbc(unsigned int icv, bool tunnel, int outer)
{
	struct igd_esp_params p = {
		.iv = 16, .icv = icv, .block = 16, .tunnel = tunnel, .outer_family = outer,
	};
	return p;
}

static void test_design_values(void)
{
	struct igd_esp_params p = gcm(true, 4, 0);

	is_int(igd_esp_header_len(&p), 36, "GCM tunnel IPv4: header 8+8+20");
	is_int(igd_esp_inner_mtu(&p, 1500), 1446, "worked: M=1500 GCM tunnel IPv4 inner MTU");
	is_int(igd_esp_mss(&p, 1500, 4), 1406, "worked: M=1500 GCM tunnel IPv4 MSS 1406");
	p.encap = IGD_ESP_ENCAP_UDP;
	is_int(igd_esp_header_len(&p), 44, "GCM tunnel IPv4 NAT-T: header 44");
	is_int(igd_esp_mss(&p, 1500, 4), 1398, "worked: with NAT-T MSS 1398");
	is_int(igd_esp_mss(&p, 1400, 4), 1298, "M=1400 GCM NAT-T MSS: 1400-60 -> 1338 - 40");
}

static void test_families(void)
{
	struct igd_esp_params p = gcm(true, 6, 0);

	/* hdr 8+8+40 = 56: 1500-56-16 = 1428 -> 1426 */
	is_int(igd_esp_header_len(&p), 56, "GCM tunnel IPv6 outer: header 56");
	is_int(igd_esp_inner_mtu(&p, 1500), 1426, "GCM IPv6 outer: inner MTU 1426");
	is_int(igd_esp_mss(&p, 1500, 4), 1386, "GCM IPv6 outer, IPv4 inner: MSS 1386");
	is_int(igd_esp_mss(&p, 1500, 6), 1366, "GCM IPv6 outer, IPv6 inner: MSS 1366");
	/* hdr 64: 1500-64-16 = 1420 -> 1418 */
	p.encap = IGD_ESP_ENCAP_UDP;
	is_int(igd_esp_mss(&p, 1500, 6), 1358, "GCM IPv6 outer NAT-T, IPv6 inner: MSS 1358");
	/* 1400-64-16 = 1320 -> 1318 */
	is_int(igd_esp_mss(&p, 1400, 4), 1278, "GCM IPv6 outer NAT-T at 1400: MSS 1278");
	p = gcm(true, 4, 0);
	is_int(igd_esp_mss(&p, 1500, 6), 1386, "GCM IPv4 outer, IPv6 inner: MSS 1446-60");
	/* CBC/SHA1 IPv6 outer: hdr 64, 1500-64-12 = 1424 -> 1424 -> 1422 */
	p = cbc(12, true, 6);
	is_int(igd_esp_inner_mtu(&p, 1500), 1422, "CBC+SHA1 IPv6 outer: inner MTU 1422");
	is_int(igd_esp_mss(&p, 1500, 6), 1362, "CBC+SHA1 IPv6 outer, IPv6 inner: MSS 1362");
	is_int(igd_esp_mss(&p, 1500, 5), 0, "invalid inner family: 0");
}

static void test_encaps(void)
{
	struct igd_esp_params p = gcm(true, 4, IGD_ESP_ENCAP_TCP);

	/* hdr 38: 1500-38-16 = 1446 -> 1444 -> 1442 */
	is_int(igd_esp_inner_mtu(&p, 1500), 1442, "GCM ESP-in-TCP: inner MTU 1442");
	p.encap = IGD_ESP_ENCAP_UDP_NON_IKE;
	/* hdr 52: 1500-52-16 = 1432 -> 1430 */
	is_int(igd_esp_inner_mtu(&p, 1500), 1430, "GCM non-IKE UDP: inner MTU 1430");
}

static void test_transport(void)
{
	struct igd_esp_params p = gcm(false, 4, 0);

	/* hdr 16: 1500-16-16-20 = 1448 -> +20-2 = 1466 */
	is_int(igd_esp_header_len(&p), 16, "GCM transport: header 8+8");
	is_int(igd_esp_inner_mtu(&p, 1500), 1466, "GCM transport IPv4: inner MTU 1466");
	is_int(igd_esp_mss(&p, 1500, 4), 1426, "GCM transport IPv4: MSS 1426");
	is_int(igd_esp_mss(&p, 1500, 0), 1426, "transport: inner family 0 means the outer");
	is_int(igd_esp_mss(&p, 1500, 6), 0, "transport: other inner family refused");
	p.encap = IGD_ESP_ENCAP_UDP;
	/* hdr 24: 1500-24-16-20 = 1440 -> 1458 */
	is_int(igd_esp_mss(&p, 1500, 4), 1418, "GCM transport NAT-T IPv4: MSS 1418");
	/* hdr 24: 1500-24-12-20 = 1444 -> 1440 +20-2 = 1458 */
	p = cbc(12, false, 4);
	is_int(igd_esp_inner_mtu(&p, 1500), 1458, "CBC+SHA1 transport IPv4: inner MTU 1458");
	/* 1400-24-12-20 = 1344 -> 1344 + 18 = 1362 */
	is_int(igd_esp_mss(&p, 1400, 4), 1322, "CBC+SHA1 transport IPv4 at 1400: MSS 1322");
	/* hdr 24: 1500-24-16-40 = 1420 -> 1408 +40-2 = 1446 */
	p = cbc(16, false, 6);
	is_int(igd_esp_inner_mtu(&p, 1500), 1446, "CBC+SHA256 transport IPv6: inner MTU 1446");
	is_int(igd_esp_mss(&p, 1500, 6), 1386, "CBC+SHA256 transport IPv6: MSS 1386");
	p = gcm(false, 6, 0);
	/* 1500-16-16-40 = 1428 -> 1466 */
	is_int(igd_esp_mss(&p, 1500, 6), 1406, "GCM transport IPv6: MSS 1406");
}

static void test_worst_case(void)
{
	struct igd_esp_params p, g = gcm(true, 4, IGD_ESP_ENCAP_UDP);
	unsigned int i, n;
	const struct igd_esp_alg *t = igd_esp_alg_table(&n);

	igd_esp_worst_case(&p, 0);
	ok(p.tunnel && p.outer_family == 6 && p.encap == 8 && p.icv == 32 && p.block == 16,
	   "worst case, family unknown: CBC/SHA512 NAT-T over IPv6");
	/* hdr 8+16+40+8 = 72: 1500-72-32 = 1396 -> 1392 -> 1390 */
	is_int(igd_esp_inner_mtu(&p, 1500), 1390, "worst case IPv6 outer: inner MTU 1390");
	is_int(igd_esp_mss(&p, 1500, 4), 1350, "worst case IPv6 outer: MSS 1350 (IPv4 inner)");
	is_int(igd_esp_mss(&p, 1500, 6), 1330, "worst case IPv6 outer: MSS 1330 (IPv6 inner)");
	igd_esp_worst_case(&p, 4);
	/* hdr 52: 1500-52-32 = 1416 -> 1408 -> 1406 */
	is_int(igd_esp_mss(&p, 1500, 4), 1366, "worst case IPv4 outer: MSS 1366");
	ok(igd_esp_mss(&p, 1500, 4) <= igd_esp_mss(&g, 1500, 4),
	   "worst case is no larger than GCM NAT-T");
	/* no suite of the table with NAT-T over IPv6 does worse than the worst case */
	igd_esp_worst_case(&p, 6);
	for (i = 0; i < n; i++) {
		struct igd_esp_params q = p;
		unsigned int m;

		if (t[i].kind == IGD_ESP_ALG_AUTH)
			continue;
		q.iv = t[i].iv;
		q.block = t[i].block;
		q.icv = t[i].kind == IGD_ESP_ALG_AEAD ? t[i].icv : 32;
		for (m = 1280; m <= 9000; m++)
			if (igd_esp_inner_mtu(&q, m) < igd_esp_inner_mtu(&p, m))
				break;
		ok(m > 9000, "worst case bounds %s (+32 ICV) for M 1280..9000", t[i].name);
	}
}

static void test_tiny(void)
{
	struct igd_esp_params p = gcm(true, 4, 0), w;
	unsigned int m;
	int bad = 0;

	is_int(igd_esp_inner_mtu(&p, 0), 0, "M=0: 0, no underflow");
	is_int(igd_esp_mss(&p, 0, 4), 0, "M=0: MSS 0");
	is_int(igd_esp_inner_mtu(&p, 51), 0, "M=51 < header+ICV: 0");
	is_int(igd_esp_inner_mtu(&p, 68), 0, "M=68: 16 bytes of payload, below an IP header");
	is_int(igd_esp_inner_mtu(&p, 76), 22, "M=76: 24 -> 22");
	is_int(igd_esp_mss(&p, 76, 4), 0, "M=76: no room for TCP: MSS 0");
	is_int(igd_esp_mss(&p, 100, 4), 6, "M=100: 48 -> 46 - 40 = 6");
	is_int(igd_esp_mss(&p, 576, 4), 482, "M=576: 524 -> 522 - 40");
	p = gcm(true, 6, 0);
	/* 1280-56-16 = 1208 -> 1206 */
	is_int(igd_esp_mss(&p, 1280, 6), 1146, "M=1280 IPv6 outer GCM: MSS 1146");
	p = gcm(false, 6, 0);
	is_int(igd_esp_inner_mtu(&p, 71), 0, "transport IPv6 M=71: 0");
	is_int(igd_esp_inner_mtu(&p, 76), 42, "transport IPv6 M=76: 4 + 40 - 2 = 42");
	igd_esp_worst_case(&w, 6);
	for (m = 0; m < 200; m++)
		if (igd_esp_inner_mtu(&w, m) > m || igd_esp_mss(&w, m, 6) > m)
			bad++;
	is_int(bad, 0, "worst case, M 0..199: never above M (no wrap-around)");
}

/* The formula's result is the largest inner length whose ESP packet fits. */
static void test_inverse(void)
{
	unsigned int i, n, m, fam, mode, bad = 0, checked = 0;
	const struct igd_esp_alg *t = igd_esp_alg_table(&n);

	for (i = 0; i < n; i++) {
		if (t[i].kind == IGD_ESP_ALG_AUTH)
			continue;
		for (fam = 4; fam <= 6; fam += 2)
		for (mode = 0; mode < 2; mode++) {
			struct igd_esp_params p = {
				.iv = t[i].iv, .block = t[i].block,
				.icv = t[i].kind == IGD_ESP_ALG_AEAD ? t[i].icv : 12,
				.encap = mode ? IGD_ESP_ENCAP_UDP : 0,
				.tunnel = mode, .outer_family = fam,
			};

			for (m = 128; m <= 9000; m++) {
				unsigned int in = igd_esp_inner_mtu(&p, m);

				checked++;
				if (!in || igd_esp_outer_len(&p, in) > m ||
				    igd_esp_outer_len(&p, in + 1) <= m)
					bad++;
			}
		}
	}
	is_int(bad, 0, "outer_len(inner_mtu(M)) <= M < outer_len(inner_mtu(M)+1), %u cases",
	       checked);
}

static void test_from_sa_errors(void)
{
	struct igd_sa sa = sa_make("rfc4106(gcm(aes))", NULL, NULL, 128);
	struct igd_esp_params p;

	is_int(igd_esp_params_from_sa(NULL, &p), -EINVAL, "NULL SA: -EINVAL");
	sa.family = 0;
	is_int(igd_esp_params_from_sa(&sa, &p), -EINVAL, "family 0: -EINVAL");
	sa.family = 6;
	sa.encap_type = UDP_ENCAP_ESPINUDP;
	is_int(igd_esp_params_from_sa(&sa, &p), 0, "IPv6 NAT-T GCM SA");
	ok(p.outer_family == 6 && p.encap == 8 && p.tunnel, "IPv6 NAT-T tunnel params");
	is_int(igd_esp_mss(&p, 1500, 6), 1358, "IPv6 NAT-T GCM SA: MSS 1358");
	sa.encap_type = 99;
	is_int(igd_esp_params_from_sa(&sa, &p), -EOPNOTSUPP, "unknown encap: -EOPNOTSUPP");
	sa.encap_type = 0;
	sa.mode = XFRM_MODE_BEET;
	is_int(igd_esp_params_from_sa(&sa, &p), -EOPNOTSUPP, "BEET: -EOPNOTSUPP");
	sa.mode = XFRM_MODE_TRANSPORT;
	is_int(igd_esp_params_from_sa(&sa, &p), 0, "transport SA");
	ok(!p.tunnel, "transport SA: not tunnel");
	sa.proto = IPPROTO_AH;
	is_int(igd_esp_params_from_sa(&sa, &p), -EPROTONOSUPPORT, "AH: -EPROTONOSUPPORT");

	sa = sa_make("rfc9999(foo)", NULL, NULL, 128);
	is_int(igd_esp_params_from_sa(&sa, &p), -ENOENT, "unknown AEAD: -ENOENT");
	sa.overhead_known = true;
	sa.iv_len = 8;
	sa.icv_len = 16;
	sa.block = 4;
	is_int(igd_esp_params_from_sa(&sa, &p), 0, "unknown AEAD, SA's own figures: used");
	is_int(igd_esp_mss(&p, 1500, 4), 1406, "unknown AEAD with SA figures: MSS 1406");
	sa = sa_make(NULL, "cbc(aes)", "hmac(whirlpool)", 0);
	is_int(igd_esp_params_from_sa(&sa, &p), -ENOENT, "unknown auth, no trunc: -ENOENT");
	sa.auth.trunc_bits = 256;
	is_int(igd_esp_params_from_sa(&sa, &p), 0, "unknown auth with trunc 256: ICV known");
	is_int(p.icv, 32, "unknown auth: ICV from trunc bits");
	sa = sa_make(NULL, NULL, NULL, 0);
	is_int(igd_esp_params_from_sa(&sa, &p), -ENOENT, "no algorithm: -ENOENT");
	ok(igd_esp_alg_find("cbc(aes)") && !igd_esp_alg_find("") && !igd_esp_alg_find(NULL),
	   "alg_find: known name, empty and NULL");
}

int main(void)
{
	size_t i;

	test_design_values();
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		test_suite(&suites[i]);
	test_families();
	test_encaps();
	test_transport();
	test_worst_case();
	test_tiny();
	test_inverse();
	test_from_sa_errors();
	return tap_done();
}
