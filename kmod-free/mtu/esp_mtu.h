/* ESP overhead and the largest inner MTU / TCP MSS a tunnel can carry, by the kernel's
 * own arithmetic (net/xfrm/xfrm_state.c xfrm_state_mtu(), net/ipv4/esp4.c and
 * net/ipv6/esp6.c esp_init_state()).
 *
 * For an ESP SA the kernel sets
 *
 *	header  = 8 (SPI, seq) + IV
 *		  + 20 (IPv4) or 40 (IPv6) outer header in tunnel mode
 *		  + 8 UDP (NAT-T), 16 (non-IKE UDP) or 2 (ESP in TCP) of encapsulation
 *	B       = cipher block size rounded up to 4
 *
 * and the largest packet that fits a path MTU M after encapsulation is
 *
 *	tunnel:    ((M - header - ICV) & ~(B - 1)) - 2
 *	transport: ((M - header - ICV - H) & ~(B - 1)) + H - 2
 *
 * where H is the IP header left outside ESP in transport mode (20 IPv4, 40 IPv6) and 2
 * is the ESP trailer's pad length and next header bytes.  The TCP MSS is that less the
 * inner IP header (20/40) and the TCP header (20), as the kernel derives the MSS it
 * advertises from the route's MTU.
 *
 * Everything here is pure arithmetic: no allocation, no I/O, safe on the packet path.
 */
#ifndef IGD_ESP_MTU_H
#define IGD_ESP_MTU_H
#include <stdbool.h>
#include <stdint.h>

struct igd_sa;

/* Bytes between the outer IP header and ESP for each kind of encapsulation. */
#define IGD_ESP_ENCAP_NONE	0
#define IGD_ESP_ENCAP_UDP	8	/* UDP_ENCAP_ESPINUDP (NAT-T, RFC 3948) */
#define IGD_ESP_ENCAP_UDP_NON_IKE 16	/* UDP_ENCAP_ESPINUDP_NON_IKE: UDP + 8 zero bytes */
#define IGD_ESP_ENCAP_TCP	2	/* TCP_ENCAP_ESPINTCP: the length field only */

enum igd_esp_alg_kind {
	IGD_ESP_ALG_AEAD,	/* XFRMA_ALG_AEAD: IV, block and ICV */
	IGD_ESP_ALG_CRYPT,	/* XFRMA_ALG_CRYPT: IV and block, no ICV */
	IGD_ESP_ALG_AUTH,	/* XFRMA_ALG_AUTH(_TRUNC): ICV only */
};

/* One algorithm by the kernel's crypto name, with what it adds to an ESP packet. */
struct igd_esp_alg {
	const char *name;		/* "rfc4106(gcm(aes))", "cbc(aes)", "hmac(sha256)" */
	enum igd_esp_alg_kind kind;
	uint8_t iv;			/* IV bytes on the wire */
	uint8_t block;			/* cipher block size rounded up to 4; 0 for auth */
	uint8_t icv;			/* ICV bytes when the SA gives no length: the AEAD
					 * tag, or the kernel's icv_truncbits / 8 for a plain
					 * XFRMA_ALG_AUTH (hmac(sha256) is 12 there, 16 only
					 * with auth-trunc 128 as IKE daemons install it) */
};

/* The algorithm called @name, or NULL when the table does not know it. */
const struct igd_esp_alg *igd_esp_alg_find(const char *name);
/* The table itself, for tests and listings: @n receives its length. */
const struct igd_esp_alg *igd_esp_alg_table(unsigned int *n);

/* What one ESP SA adds to each packet.  Fill it with igd_esp_params_from_sa(),
 * igd_esp_worst_case(), or by hand. */
struct igd_esp_params {
	unsigned int iv;		/* IV bytes */
	unsigned int icv;		/* ICV bytes */
	unsigned int block;		/* cipher block, a power of two; rounded up to 4 */
	unsigned int encap;		/* IGD_ESP_ENCAP_* bytes */
	bool tunnel;			/* tunnel mode, else transport */
	uint8_t outer_family;		/* 4 or 6: the SA's address family */
};

/* Fills @p from an ESP SA: algorithm names and ICV truncation (sa->auth.trunc_bits,
 * sa->aead.trunc_bits) first, the SA's own derived iv_len/icv_len/block when the names
 * are not in the table.  Returns 0, -EINVAL (NULL or bad family), -EPROTONOSUPPORT (not
 * ESP), -EOPNOTSUPP (mode other than tunnel/transport, unknown encapsulation) or
 * -ENOENT (algorithm unknown). */
int igd_esp_params_from_sa(const struct igd_sa *sa, struct igd_esp_params *p);

/* The worst case among the table's suites, for a tunnel whose SA is not known yet:
 * AES-CBC (IV 16, block 16) with HMAC-SHA512/256 (ICV 32), NAT-T (8), tunnel mode, with
 * an IPv6 outer header when @outer_family is 6 or 0 (unknown), IPv4 when 4.
 * At M = 1500 that is an inner MTU of 1390 (IPv6 outer) or 1406 (IPv4 outer). */
void igd_esp_worst_case(struct igd_esp_params *p, int outer_family);

/* The kernel's props.header_len: 8 + IV + outer IP (tunnel) + encapsulation. */
unsigned int igd_esp_header_len(const struct igd_esp_params *p);

/* The largest inner packet (IP header included) that leaves as an ESP packet of at
 * most @path_mtu bytes.  Never underflows: 0 when the path cannot carry an inner packet
 * of 20 bytes (the smallest IP header) or, in transport mode over IPv6, of 40.  An IPv6
 * inner packet needs 1280 in tunnel mode; below that the kernel fragments the outer
 * packet, which this function does not model. */
unsigned int igd_esp_inner_mtu(const struct igd_esp_params *p, unsigned int path_mtu);

/* The largest TCP MSS: igd_esp_inner_mtu() less the inner IP header (20 for
 * @inner_family 4, 40 for 6) and 20 of TCP.  In transport mode the inner family is the
 * outer one: pass it or 0.  Returns 0 when nothing fits or @inner_family is invalid —
 * callers must not clamp an MSS to 0 (leave it, or use their own floor such as 536). */
unsigned int igd_esp_mss(const struct igd_esp_params *p, unsigned int path_mtu,
			 int inner_family);

/* The ESP packet's length (outer IP header included) for an inner packet of
 * @inner_len bytes: the inverse of igd_esp_inner_mtu(), for tests and logs. */
unsigned int igd_esp_outer_len(const struct igd_esp_params *p, unsigned int inner_len);
#endif
