/* Steps shared by outer.c (outer-nat, the one-way cause) and outer_frag_log.c
 * (outer-frag); not part of the daemon's interface. */
#ifndef IGD_OUTER_INT_H
#define IGD_OUTER_INT_H
#include <stdbool.h>
#include <stdint.h>
#include "outer.h"
#include "util/json.h"

/* The SA between @a and @b (either way), preferring @spi when given. */
const struct igd_sa *outer_sa(const struct igd_sad *sad, int family,
			      const union igd_addr *a, const union igd_addr *b, uint32_t spi);
/* "sa": {spi, reqid, src, dst} */
/* Closes the event and writes it, with "suppressed" when lines were held back. */
void outer_end(struct igd_outer *o, struct igd_json *j, uint64_t suppressed);
/* One line per @key per 10 s (the rate limiter's answer). */
bool outer_rl(struct igd_outer *o, const void *key, size_t len, uint64_t *suppressed);
/* The counters of the peer at @a, a slot taken from the longest quiet one when new. */
struct igd_outer_peer *outer_peer(struct igd_outer *o, int family, const union igd_addr *a);

/* outer_frag_log.c: the copies of the fragments and frag_out chains. */
void outer_on_frag(struct igd_outer *o, const struct igd_nflog_pkt *c,
		   const struct igd_sad *sad);
void outer_on_frag_out(struct igd_outer *o, const struct igd_nflog_pkt *c,
		       const struct igd_sad *sad);
void outer_on_orphan(struct igd_outer *o, const struct igd_nflog_pkt *c);
/* Later fragments waiting for their first: judged once a second has passed. */
void outer_orphans_tick(struct igd_outer *o, const struct igd_sad *sad);
#endif
