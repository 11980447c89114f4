/* Security association table: what the SAD holds, minus key material.
 *
 * The parser (xfrm_parse.c) never copies key bytes: an igd_sa has no field that could hold
 * them.  Algorithm names are kept, with the ESP overhead figures they imply.
 *
 * Ownership: the table owns its entries; igd_sad_add() copies.  Returned pointers stay
 * valid until the next change to the table.  Not thread-safe.
 */
#ifndef IGD_SAD_H
#define IGD_SAD_H
#include <stdbool.h>
#include <stdint.h>
#include "packet/addr.h"
#include "xfrm/spd.h"

#define IGD_ALG_NAME_MAX 64	/* CRYPTO_MAX_ALG_NAME */

struct igd_sa_alg {
	char name[IGD_ALG_NAME_MAX];	/* "" when absent */
	uint32_t key_bits;		/* the key's length, never its bytes */
	uint32_t trunc_bits;		/* ICV length (auth trunc / AEAD) */
};

struct igd_sa {
	union igd_addr daddr, saddr;
	struct igd_sel sel;
	struct igd_lifetime lft;
	struct igd_curlft cur;
	uint32_t spi;			/* host order */
	uint32_t reqid;
	uint32_t seq;
	uint32_t mark_v, mark_m;
	uint32_t if_id;
	uint32_t replay_window;
	uint32_t stats_replay_window, stats_replay, stats_integrity_failed;
	uint8_t family;			/* 4 or 6 (of saddr/daddr) */
	uint8_t proto;			/* IPPROTO_ESP, _AH, _COMP... */
	uint8_t mode;			/* XFRM_MODE_* */
	uint8_t flags;
	/* NAT-T: encap_type UDP_ENCAP_ESPINUDP (2) and ports, host order */
	uint16_t encap_type;
	uint16_t encap_sport, encap_dport;
	union igd_addr encap_oa;
	struct igd_sa_alg aead, crypt, auth, comp;
	/* Derived from the algorithm names (esp4.c / xfrm_state_mtu()): IV and ICV length in
	 * bytes, and the cipher block size rounded up to 4 as esp uses it.  0 when unknown. */
	uint16_t iv_len, icv_len, block;
	bool overhead_known;
};

struct igd_sad;

int igd_sad_new(struct igd_sad **sad);
void igd_sad_free(struct igd_sad *sad);
/* Adds or replaces (same daddr, spi, proto, family, mark) a copy of @sa. */
int igd_sad_add(struct igd_sad *sad, const struct igd_sa *sa);
/* -ENOENT when absent. */
int igd_sad_del(struct igd_sad *sad, int family, const union igd_addr *daddr, uint32_t spi,
		uint8_t proto, uint32_t mark_v, uint32_t mark_m);
/* XFRM_MSG_FLUSHSA: @proto 0 all, 255 (IPSEC_PROTO_ANY) ESP/AH/COMP, else that proto. */
void igd_sad_flush(struct igd_sad *sad, uint8_t proto);
const struct igd_sa *igd_sad_get(const struct igd_sad *sad, int family,
				 const union igd_addr *daddr, uint32_t spi, uint8_t proto,
				 uint32_t mark);
/* SAs with @reqid, newest first: pass NULL to start. */
const struct igd_sa *igd_sad_next_by_reqid(const struct igd_sad *sad, uint32_t reqid,
					   const struct igd_sa *prev);
/* Every SA, newest first: pass NULL to start. */
const struct igd_sa *igd_sad_next(const struct igd_sad *sad, const struct igd_sa *prev);
unsigned int igd_sad_count(const struct igd_sad *sad);
uint64_t igd_sad_generation(const struct igd_sad *sad);

/* Fills iv_len/icv_len/block/overhead_known from the algorithm names and lengths. */
void igd_sa_derive_overhead(struct igd_sa *sa);
const char *igd_xfrm_proto_str(uint8_t proto);	/* "esp", "ah", "comp", or a number */
const char *igd_xfrm_mode_str(uint8_t mode);	/* "transport", "tunnel"... */
#endif
