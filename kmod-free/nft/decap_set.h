/* The decapsulated packets the kernel's in/fwd policy check (__xfrm_policy_check)
 * surely accepts, as elements of an nf_tables set keyed by source . destination .
 * reqid of the SA that decrypted the packet (ipsec in reqid): such packets need no
 * queue trip.  Under-approximated, so that no packet the kernel would refuse is in
 * the set: an SP contributes only when
 *   - it is an allow SP with one template, required, over whole addresses (no
 *     protocol, ports, interface, mark or if_id in its selector);
 *   - an SP of the other direction (in for fwd, fwd for in) has the same selector
 *     and accepts the same reqids (the set cannot tell local from forwarded);
 *   - every in/fwd SP whose selector overlaps it accepts the same reqids (so the
 *     priorities among them cannot change the answer).
 * Everything else stays a suspect and is judged by the daemon. */
#ifndef IGD_DECAP_SET_H
#define IGD_DECAP_SET_H
#include <stddef.h>
#include <stdint.h>
#include "packet/addr.h"
#include "xfrm/spd.h"

struct igd_decap_elem {
	union igd_addr s_lo, s_hi, d_lo, d_hi;	/* network order, inclusive */
	uint32_t reqid_lo, reqid_hi;		/* host order, inclusive */
	uint8_t family;				/* 4 or 6 */
};

/* Writes at most @max elements for @spd into @out; returns how many, or -ENOSPC when
 * there would be more (then the set is left empty: every decapsulated packet is a
 * suspect, which is safe). */
int igd_decap_ok_elems(const struct igd_spd *spd, struct igd_decap_elem *out, size_t max);
/* The first and last address of @a/@plen (network order). */
void igd_prefix_range(int family, const union igd_addr *a, unsigned int plen,
		      union igd_addr *lo, union igd_addr *hi);
#endif
