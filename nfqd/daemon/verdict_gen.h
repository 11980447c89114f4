/* Verdict generations.  A verdict kept in a connection's conntrack mark holds for the
 * SPD (and what the daemon protects) it was made under: when those change, the next
 * generation comes into force with the new sets, in the same transaction
 * (igd_guard_gen_update), and a connection judged before meets the suspect rules again
 * at its next packet — a translated flow whose SP appeared since is judged and
 * stopped, a flagged one whose SP went is released.  A healthy flow the suspect rules
 * do not take is marked again by the last rule, without meeting the queue.
 *
 * A generation's values come back after IGD_NATGUARD_GENS changes.  Before one does,
 * the conntrack entries still carrying them (connections idle since) are cleared on a
 * thread of its own (igd_ct_mark_clear), so an old verdict never passes for a new one:
 * right after a change the sweep of the generation after it starts, and a change
 * that finds it unfinished waits for it (the sets change at once; the verdicts follow
 * when the sweep is done, at the next tick). */
#ifndef IGD_VERDICT_GEN_H
#define IGD_VERDICT_GEN_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct igd_daemon;

struct igd_gen {
	bool active;			/* scope protected with our own tables */
	bool due;			/* a change waits for the next generation */
	bool clean;			/* the next generation's values are nowhere */
	bool sweeping;			/* ... being cleared by the thread */
	bool prepared;			/* igd_gen_prepare moved on, not yet committed */
	unsigned int target;		/* the generation being swept */
	pthread_t thread;
	int pipe[2];			/* the thread's end of work */
	int sweep_err;			/* its result: 0 or -errno */
	unsigned int swept;		/* entries it cleared */
	char msg[192];
	uint64_t retry_ms;		/* a failed sweep's next try */
	uint64_t digest;		/* what the verdicts in force were made under */
	uint64_t pending;		/* ... the prepared generation's */
	uint64_t switches, sweeps, entries_cleared, sweep_failures;
};

/* Clears generation 0's values (a daemon before this one may have left them) and
 * starts on generation 1.  0, or -errno with @err when the thread cannot start. */
int igd_gen_init(struct igd_daemon *d, char *err, size_t errlen);
/* Before a transaction that replaces the sets: when what a verdict depends on (the out
 * SPs, --protect) changed, the next generation's values in the guard's configuration
 * if it is clean (true), else the change is remembered as due.  Then igd_gen_commit when the transaction went through, igd_gen_revert when
 * it did not. */
bool igd_gen_prepare(struct igd_daemon *d);
void igd_gen_commit(struct igd_daemon *d);
void igd_gen_revert(struct igd_daemon *d);
/* A due change whose generation is clean now, and a failed sweep, taken up again. */
void igd_gen_tick(struct igd_daemon *d);
void igd_gen_free(struct igd_daemon *d);
#endif
