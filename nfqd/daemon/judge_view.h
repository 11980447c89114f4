/* What the queue threads take of the loop thread's state: the mode and verdict
 * generation in force, --protect, the key-exchange ports, this machine's addresses,
 * the interfaces that skip the SPD and the remembered protections.  The loop thread
 * owns all of it and publishes a copy whenever it changed; a queue thread takes the
 * newest copy before it judges a batch.
 *
 * Publication is a sequence count (odd while the loop thread writes): a reader copies
 * into a buffer of its own and keeps the copy only when the count was even and the same
 * before and after, so it never waits for the writer and never judges with a torn copy
 * (it keeps the one it had, and takes the new one at its next batch).  The SPD itself is
 * not here: each queue thread mirrors it from the kernel's own events (worker.h). */
#ifndef IGD_JUDGE_VIEW_H
#define IGD_JUDGE_VIEW_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "judge/remember.h"
#include "localaddr.h"
#include "nft/prefix_set.h"
#include "opts.h"
#include "outer/outer_nat.h"
#include "route/noxfrm.h"

struct igd_judge_view {
	int mode;				/* enum igd_mode */
	unsigned int gen;			/* verdict generation (natguard.h) */
	bool drop_uncovered;
	bool log_pass;
	int mss_mode;				/* enum igd_mss_mode, with --mss's value */
	uint32_t mss;
	unsigned int nprotect;
	struct igd_prefix protect[IGD_MAX_PROTECT];
	struct igd_outer_ports ike_ports;
	struct igd_localaddr local;
	struct igd_noxfrm noxfrm;
	uint64_t fixes_reverted;		/* exemptions taken out (fixes.h) */
	uint64_t hold_s;			/* of the remembered protections */
	size_t nmem;
	struct igd_remembered mem[IGD_MEMORY_MAX];	/* the first nmem are used */
};

struct igd_view_pub {
	_Atomic uint64_t seq;			/* odd: being written */
	struct igd_judge_view v;
};

struct igd_daemon;

/* The view of @d as it is now, into @v. */
void igd_view_build(const struct igd_daemon *d, struct igd_judge_view *v);
/* Publishes @v when it differs from what @p holds (the loop thread only). */
void igd_view_publish(struct igd_view_pub *p, const struct igd_judge_view *v);
/* A reader's copy: when @p holds something newer than *@seen, copies it into @into
 * and returns true with *@seen updated; false when nothing is newer, or the writer was
 * at work (then @into may hold a torn copy: the caller keeps using its own). */
bool igd_view_read(struct igd_view_pub *p, uint64_t *seen, struct igd_judge_view *into);
#endif
