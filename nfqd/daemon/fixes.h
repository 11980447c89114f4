/* Fix mode's bookkeeping, on the event loop: which SPs want a NAT exemption, which
 * are in the fix thread's hands, which wait to be tried again, which are done; and
 * the fix events in the log. */
#ifndef IGD_FIXES_H
#define IGD_FIXES_H
#include <stdint.h>
#include "fixer.h"
#include "verdict_log.h"
#include "log_dest.h"

#define IGD_MAX_FIXES 64

struct igd_fix_entry {
	struct igd_sp sp;
	int state;			/* enum fix_state (fixes.c) */
	int64_t next_ms;		/* a retry's time (monotonic) */
	unsigned int backoff_ms;	/* the next retry's delay */
};

struct igd_fixes {
	struct igd_fixer *worker;
	struct igd_logdest *log;
	struct igd_fix_entry e[IGD_MAX_FIXES];
	unsigned int n;
	uint64_t applied;		/* exemption rules inserted */
	uint64_t failures;		/* exemptions that failed (each try) */
	struct igd_fix_result result;	/* scratch for the results read back */
	char line[IGD_LINE_MAX];
};

/* Starts the fix thread; fix events go to @log.  0 or -errno. */
int igd_fixes_init(struct igd_fixes *f, struct igd_logdest *log);
void igd_fixes_free(struct igd_fixes *f);
/* Readable when the fix thread has results: call igd_fixes_on_results. */
int igd_fixes_fd(const struct igd_fixes *f);
/* From the packet path: @sp's selector wants an exemption (copied; no allocation). */
void igd_fixes_request(struct igd_fixes *f, const struct igd_sp *sp);
/* Hands wanted SPs and due retries to the fix thread. */
void igd_fixes_kick(struct igd_fixes *f);
/* Logs what the fix thread finished and updates the states. */
void igd_fixes_on_results(struct igd_fixes *f);
#endif
