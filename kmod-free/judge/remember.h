/* Protection outlives the SP that taught it.  Every protecting out SP's selector
 * (sources, destinations, protocol and ports, mark, if_id) is remembered while the SP
 * is in the SPD and for a hold time after it went: an IKE daemon that restarts, a
 * tunnel that is renegotiated, a peer that is down take their SPs away for seconds or
 * hours, and in that time a flow the SP covered would leave in clear (no SP: the
 * kernel sends it by its route; translated: NAT no longer meets an SP).  A flow that
 * no SP covers now and that a remembered selector covers is a flow of a tunnel that is
 * down.  The SPD is still the judge: a bypass or block SP that covers a flow decides
 * it, whatever is remembered.
 *
 * On a route-based gateway the routes are the SPD's part: an SP bound to an xfrm
 * interface's if_id or a VTI's key matches only inside that interface and is not
 * remembered (tunnels.h); what is remembered instead is every network routed into a
 * tunnel interface that is up (an entry with the interface's name, "via", and no SP).
 * When the route goes (withdrawn, the interface down) traffic for that network leaves
 * by another route in clear: a flow of a tunnel that is down, the same as above.
 *
 * The table is kept in a file (igd_memory_save), one entry a line:
 *
 *   # ipsecguard remembered protections 1
 *   FAMILY SRC/LEN DST/LEN PROTO SPORT/MASK DPORT/MASK MARK/MASK IF_ID SP REQID FIRST LAST [VIA]
 *
 * FIRST and LAST are seconds since the epoch: when the selector was first seen, and
 * when its SP (or route) was last there; VIA, a route's tunnel interface.  Written to a new file and renamed over the old, so
 * a crash leaves one or the other.  Not thread-safe; no allocation once loaded, but
 * for new selectors. */
#ifndef IGD_REMEMBER_H
#define IGD_REMEMBER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nft/prefix_set.h"
#include "route/tunnels.h"
#include "xfrm/spd.h"

#define IGD_MEMORY_MAX		4096
#define IGD_MEMORY_SUFFIX	".remembered"	/* the file: STATE_DIR/TABLE.remembered */

struct igd_remembered {
	struct igd_sel sel;
	uint32_t mark_v, mark_m, if_id;
	uint32_t sp_index, reqid;	/* the last SP that had the selector */
	char via[IGD_IFNAMSIZ];		/* a route's tunnel interface; "": an SP's */
	uint64_t first_s, last_s;	/* seconds since the epoch */
	bool live;			/* its SP is in the SPD now */
	bool was_live;			/* ... at the sync before (igd_memory_sync) */
};

struct igd_memory {
	struct igd_remembered *v;
	size_t n, cap;
	uint64_t hold_s;		/* 0: nothing is remembered */
	bool dirty;			/* changed since the last save */
	bool full_said;			/* IGD_MEMORY_MAX reached (said once) */
	uint64_t dropped;		/* selectors not kept: the table was full */
};

void igd_memory_init(struct igd_memory *m, uint64_t hold_s);
void igd_memory_free(struct igd_memory *m);
/* Brings the table in step with @spd and @tunnels (NULL: none) at @now: protecting out
 * SPs' selectors, but those bound to a tunnel interface, and the networks routed into
 * tunnel interfaces that are up are live (added when new), the others not; entries
 * whose SP or route went more than hold_s ago are dropped, and SP entries that a
 * tunnel interface binds.  Returns whether the set of entries that are not live changed (what the
 * guard's held set is made of).  A selector that does not fit (IGD_MEMORY_MAX, or no
 * memory) is counted in m->dropped.  The file is not written here: m->dirty says when
 * it is due. */
bool igd_memory_sync(struct igd_memory *m, const struct igd_spd *spd,
		     const struct igd_tunnels *tunnels, uint64_t now);
/* Drops the entries whose SP went more than hold_s before @now; whether any went. */
bool igd_memory_expire(struct igd_memory *m, uint64_t now);
/* The entry, not live, that covers @flow (family, addresses, protocol, ports, mark,
 * if_id), or NULL. */
const struct igd_remembered *igd_memory_match(const struct igd_memory *m,
					      const struct igd_flow *flow);
/* Forgets the entries whose destination lies within @dst (NULL: all of them, live
 * ones included: they come back from the SPD); returns how many. */
unsigned int igd_memory_forget(struct igd_memory *m, const struct igd_prefix *dst);
/* Reads @path (entries older than the hold time at @now are left out); a missing file
 * is an empty table.  Lines that do not parse are skipped and counted in *@bad.
 * 0 or -errno. */
int igd_memory_load(struct igd_memory *m, const char *path, uint64_t now, unsigned int *bad);
/* Takes what another daemon remembers (@from, as igd_memory_load read its file) into
 * @m: an entry @m lacks is added, not live (the next igd_memory_sync finds its SP here
 * if there is one), and one both have keeps the earlier first sighting and the later
 * last one, so that it is held as long as either daemon saw its SP.  Entries past
 * the hold time are not in @from (igd_memory_load left them out).  Returns how many
 * entries were added (a selector that does not fit is counted in m->dropped); *@aged,
 * when not NULL, how many of @m's own had their sightings moved. */
unsigned int igd_memory_merge(struct igd_memory *m, const struct igd_memory *from,
			      unsigned int *aged);
/* Writes the table to @path (PATH.tmp, fsync, rename); live entries are written as
 * seen at @now.  0 or -errno. */
int igd_memory_save(struct igd_memory *m, const char *path, uint64_t now);
/* One entry's line (without newline) into @buf; returns @buf. */
const char *igd_memory_line(const struct igd_remembered *r, char *buf, size_t len);
/* Parses a line as igd_memory_line writes it: 0, or -EINVAL. */
int igd_memory_parse_line(const char *line, struct igd_remembered *out);
/* The entry as a JSON object under @key (NULL in an array): selector, sp, reqid, live,
 * first_seen, last_seen and, when its SP is gone, forgotten_at. */
struct igd_json;
void igd_memory_json(struct igd_json *j, const char *key, const struct igd_remembered *r,
		     uint64_t hold_s);
#endif
