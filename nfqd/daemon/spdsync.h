/* The daemon's copy of the SPD/SAD (the XFRM mirror), and the nft set of protected
 * prefixes kept in step with it. */
#ifndef IGD_SPDSYNC_H
#define IGD_SPDSYNC_H
#include <stddef.h>
#include <stdint.h>
#include "guard/guard_rules.h"
#include "mss.h"
#include "nft/decap_set.h"
#include "nft/prefix_set.h"
#include "xfrm/spd.h"

#define IGD_MAX_MSS_RULES 256
#define IGD_MAX_DECAP	1024	/* SP pairs whose decapsulated packets skip the queue */
#define IGD_MAX_TUNNELLED 1024	/* SP pairs whose cleartext is queued; more: every pair */

struct igd_prefix_list {
	struct igd_prefix *v;
	size_t n, cap;
};

/* What the guard's sets and rules hold now, computed from the SPD, the tunnels and
 * the remembered protections: this file's own state (the daemon holds it, nothing
 * else reads it). */
struct igd_spdsync {
	const struct igd_spd *spd_seen;	/* the tables the sets were made from */
	uint64_t spd_gen;
	uint64_t tunnels_gen;
	struct igd_prefix_list pfx;	/* the protected set's contents */
	struct igd_prefix_list held;	/* the held set's contents */
	struct igd_prefix_list req;	/* the required set's contents */
	struct igd_decap_elem decap[IGD_MAX_DECAP];	/* the decap_ok set's */
	size_t ndecap;
	struct igd_decap_elem tunnelled[IGD_MAX_TUNNELLED];	/* the tunnelled set's */
	size_t ntunnelled;
	bool tunnelled_all;	/* more than fit: the set holds every pair */
	struct igd_guard_count count[IGD_GUARD_MAX_SP_CTR];	/* the count chain's */
	size_t ncount;
	struct igd_guard_sets sets;	/* all, as the guard's rules take them */
	struct igd_mss_rule mss_rules[IGD_MAX_MSS_RULES];	/* installed */
	size_t n_mss_rules;
};

struct igd_daemon;

/* Opens the mirror (initial dump) and registers it with the loop. */
int igd_spdsync_open(struct igd_daemon *d, char *err, size_t errlen);
/* Points the judge at the current tables and, when the SPD changed, refreshes the
 * protected set.  Called after every mirror read and at start. */
void igd_spdsync_refresh(struct igd_daemon *d);
/* The sets, the mss and frag_out rules and the verdicts follow what the SPD and the
 * remembered protections are now. */
void igd_spdsync_update(struct igd_daemon *d);
/* Fills the daemon's prefix list from the SPD; returns how many (or -ENOMEM). */
int igd_spdsync_prefixes(struct igd_daemon *d);
/* The guard's sets as computed by the last igd_spdsync_prefixes(). */
const struct igd_guard_sets *igd_spdsync_sets(struct igd_daemon *d);
void igd_spdsync_tick(struct igd_daemon *d);
/* Once a second: remembered protections past their hold time go. */
void igd_spdsync_expire(struct igd_daemon *d);
/* Rewrites the SYN/ACK clamp rules when their values changed. */
void igd_spdsync_mss(struct igd_daemon *d);
/* Rewrites the frag_out rules when a tunnel endpoint or its path MTU changed. */
void igd_spdsync_fragout(struct igd_daemon *d);
void igd_spdsync_close(struct igd_daemon *d);
#endif
