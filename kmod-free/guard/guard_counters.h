/* The counters of the daemon's own rules, read back from the kernel: what the kernel
 * decided on its own (suspects it queued, packets of flagged connections, healthy
 * decapsulated packets it let through, clamps) and the new tunnelled flows each
 * protecting out SP carried.  Rules are found by their comments (guard_rules.h). */
#ifndef IGD_GUARD_COUNTERS_H
#define IGD_GUARD_COUNTERS_H
#include <stddef.h>
#include <stdint.h>

enum igd_guard_ctr {
	IGD_CTR_SUSPECT_NAT,
	IGD_CTR_SUSPECT_CLEAR,
	IGD_CTR_SUSPECT_UNAPPLIED,
	IGD_CTR_FLAGGED,
	IGD_CTR_DECAP_OK,
	IGD_CTR_MSS,
	IGD_CTR_OUTER_NAT,
	IGD_CTR_FRAG_ESP,
	IGD_CTR_FRAG_UDP,
	IGD_CTR_FRAG_LATER_ESP,
	IGD_CTR_FRAG_LATER_UDP,
	IGD_CTR_FRAG_ORPHAN_ESP,
	IGD_CTR_FRAG_ORPHAN_UDP,
	IGD_CTR_FRAG_OUT_ESP,
	IGD_CTR_FRAG_OUT_UDP,
	IGD_CTR_UNCOVERED,
	IGD_CTR_MAX,
};

#define IGD_GUARD_MAX_SP_CTR	256

struct igd_guard_counters {
	uint64_t v[IGD_CTR_MAX];		/* packets, both families */
	struct {
		uint32_t index;
		uint64_t flows;
	} sp[IGD_GUARD_MAX_SP_CTR];
	size_t nsp;
};

/* The stats event's name of @c ("suspects_translated", ...). */
const char *igd_guard_ctr_name(enum igd_guard_ctr c);
/* "kernel": {name: packets...} and "sp_flows": [{index, flows}...] into an open JSON
 * object: the stats event's and `ipsecguard stats --guard`'s form. */
struct igd_json;
void igd_guard_counters_json(struct igd_json *j, const struct igd_guard_counters *c);
/* Reads the counters of @table (ip and ip6).  0 or -errno. */
int igd_guard_counters_read(const char *table, struct igd_guard_counters *out);
#endif
