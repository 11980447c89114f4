/* Fix mode's bookkeeping, on the event loop: which SPs want a NAT exemption, which
 * are in the exempt chain and wait for their conntrack flush, which wait to be tried
 * again, which are done; and the fix events in the log.
 *
 * An exemption is a rule of the daemon's own exempt chain (guard_rules.h): the loop
 * rewrites the chain through the daemon's callback (one transaction), then hands the
 * selector to the fix thread, which deletes its conntrack entries so its flows bind
 * again without NAT.  An SP counts as fixed while its rule is in the chain, which
 * nothing but the daemon can remove: its tables are its own. */
#ifndef IGD_FIXES_H
#define IGD_FIXES_H
#include <stdint.h>
#include "fixer.h"
#include "guard/guard_rules.h"
#include "verdict_log.h"
#include "log_dest.h"

#define IGD_MAX_FIXES 64

struct igd_fix_entry {
	struct igd_sp sp;
	struct igd_sel sel;		/* the SP's selector as the exemption has it */
	int state;			/* enum fix_state (fixes.c) */
	int64_t next_ms;		/* a retry's time (monotonic) */
	unsigned int backoff_ms;	/* the next retry's delay */
};

/* Rewrites the exempt chain with igd_fixes_exemptions(); 0 or -errno with @err. */
typedef int (*igd_fixes_apply_fn)(void *arg, char *err, size_t errlen);

struct igd_fixes {
	struct igd_fixer *worker;
	struct igd_logdest *log;
	igd_fixes_apply_fn apply;
	void *apply_arg;
	struct igd_fix_entry e[IGD_MAX_FIXES];
	unsigned int n;
	uint64_t applied;		/* exemptions put in */
	uint64_t failures;		/* exemptions that failed (each try) */
	uint64_t reverted;		/* exemptions taken out by revert */
	struct igd_fix_result result;	/* scratch for the results read back */
	char line[IGD_LINE_MAX];
};

/* Starts the fix thread; fix events go to @log; @apply rewrites the chain.  0 or
 * -errno. */
int igd_fixes_init(struct igd_fixes *f, struct igd_logdest *log, igd_fixes_apply_fn apply,
		   void *arg);
void igd_fixes_free(struct igd_fixes *f);
/* Readable when the fix thread has results: call igd_fixes_on_results. */
int igd_fixes_fd(const struct igd_fixes *f);
/* From the packet path: @sp's selector wants an exemption (copied; no allocation). */
void igd_fixes_request(struct igd_fixes *f, const struct igd_sp *sp);
/* Puts wanted SPs and due retries into the chain, and their flushes to the thread. */
void igd_fixes_kick(struct igd_fixes *f);
/* Logs what the fix thread finished and updates the states. */
void igd_fixes_on_results(struct igd_fixes *f);
/* The exemptions the chain holds (or is about to): up to @max into @out; how many. */
size_t igd_fixes_exemptions(const struct igd_fixes *f, struct igd_guard_exempt *out,
			    size_t max);
/* Takes out the exemptions of SP @sp (all when NULL) and rewrites the chain; how many
 * went, or -errno when the chain could not be rewritten (then nothing went). */
int igd_fixes_revert(struct igd_fixes *f, const uint32_t *sp);
#endif
