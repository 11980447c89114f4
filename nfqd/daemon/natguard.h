/* NAT-before-IPsec detection across the two taps of one packet.
 *
 * At the pre-NAT tap (forward for forwarded traffic, output for the gateway's own)
 * the flow head is looked up in the out SPD as the kernel did before FORWARD.  When a
 * protecting SP matches, the flow's pre-NAT tuple and that SP are kept in a slot and
 * the slot's number (a token) travels with the packet in the mark field.  At the
 * post-NAT tap (postrouting, after srcnat) the token brings the slot back: if source
 * NAT changed the tuple, the kernel redid the SP lookup on the new tuple
 * (nf_xfrm_me_harder); no protecting SP then means the packet leaves in clear
 * (nat-before-ipsec), another one means the wrong tunnel (nat-changed-sp).
 *
 * The tokens are needed only where the kernel does not attach the conntrack entry
 * (with its original tuple) to queued packets.  The slots are a fixed ring: no
 * allocation on the packet path.  More flow heads in flight than slots reuse a slot:
 * its token then finds the slot taken (or already released), and the suspect is
 * judged as unknown (dropped when enforcing), never as healthy. */
#ifndef IGD_NATGUARD_H
#define IGD_NATGUARD_H
#include <stdbool.h>
#include <stdint.h>
#include "judge/nat.h"
#include "xfrm/spd.h"

struct igd_natguard_slot {
	struct igd_flow flow;		/* the pre-NAT tuple */
	struct igd_sp sp;		/* the SP it matched (a copy: the SPD may change) */
	uint32_t seq;
	bool used;
};

#define IGD_NATGUARD_MAX_SLOTS 256
#define IGD_NATGUARD_GENS	8	/* verdict generations, at most */

struct igd_natguard {
	uint32_t mask;			/* the mark field */
	unsigned int shift;
	uint32_t nslots;		/* tokens 1..nslots; then the healthy and
					 * flagged values of generations ngens-1..1,
					 * the plain and translated suspect markers,
					 * healthy, decap-ok, the secpath+reqid and the
					 * secpath markers, then the flag (all ones) */
	unsigned int ngens;		/* verdict generations (natguard.c) */
	unsigned int gen;		/* the one in force */
	uint32_t next, seq;
	struct igd_natguard_slot slot[IGD_NATGUARD_MAX_SLOTS];
	uint64_t stale;			/* tokens that came back to a reused slot */
};

/* @mask must be one run of at least 4 bits; returns -EINVAL otherwise. */
int igd_natguard_init(struct igd_natguard *g, uint32_t mask);
/* The field value our prerouting rule gives decapsulated packets (meta secpath
 * exists), already shifted into the mask. */
uint32_t igd_natguard_secpath(const struct igd_natguard *g);
bool igd_natguard_is_secpath(const struct igd_natguard *g, uint32_t mark);
/* ... and the value whose mark carries the decrypting SA's reqid outside the field
 * (the packet had no mark of its own). */
uint32_t igd_natguard_secreq(const struct igd_natguard *g);
/* The value meaning: the daemon judged this connection healthy (ct mark), in the
 * generation in force. */
uint32_t igd_natguard_ok(const struct igd_natguard *g);
/* A verdict holds for the SPD it was made under: each generation has its own healthy
 * and flagged values (guard_rules.h, igd_guard_gen_update). */
unsigned int igd_natguard_gens(const struct igd_natguard *g);
void igd_natguard_set_gen(struct igd_natguard *g, unsigned int gen);
uint32_t igd_natguard_ok_gen(const struct igd_natguard *g, unsigned int gen);
uint32_t igd_natguard_flag_gen(const struct igd_natguard *g, unsigned int gen);
/* The markers of suspects queued with the prenat map (see nft/prenat_map.h): the
 * pre-NAT source is in the map; the packet was not translated at all. */
uint32_t igd_natguard_translated(const struct igd_natguard *g);
uint32_t igd_natguard_plain(const struct igd_natguard *g);
/* The value meaning: this connection's decapsulated packets passed (ct mark). */
uint32_t igd_natguard_decap_ok(const struct igd_natguard *g);
bool igd_natguard_is_secreq(const struct igd_natguard *g, uint32_t mark);
/* The field value of a flagged flow (already shifted into the mask), in the
 * generation in force. */
uint32_t igd_natguard_flag(const struct igd_natguard *g);
/* Stores the pre-NAT @flow and its @sp; returns the mark to give the packet
 * (@mark with the field set to the token). */
uint32_t igd_natguard_tag(struct igd_natguard *g, uint32_t mark, const struct igd_flow *flow,
			  const struct igd_sp *sp);
/* The slot of the token in @mark, released; NULL when there is none. */
const struct igd_natguard_slot *igd_natguard_take(struct igd_natguard *g, uint32_t mark);
/* @mark with the field cleared, or set to the flag. */
uint32_t igd_natguard_clear(const struct igd_natguard *g, uint32_t mark);
uint32_t igd_natguard_flagged(const struct igd_natguard *g, uint32_t mark);

#endif
