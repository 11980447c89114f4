/* Verdict generations.  A verdict kept in a connection's conntrack mark holds for the
 * SPD (and what the daemon protects) it was made under: when those change, another
 * generation comes into force with the new sets, in the same transaction
 * (igd_guard_gen_update), and a connection judged before meets the suspect rules again
 * at its next packet — a translated flow whose SP appeared since is judged and
 * stopped, a flagged one whose SP went is released.  A healthy flow the suspect rules
 * do not take is marked again by the last rule, without meeting the queue.
 *
 * Which generation a digest gets (what a verdict depends on, gen_digest) is the
 * digest's own choice: two daemons that see the same SPD and protect the same
 * destinations use the same values, so a verdict one made holds on the other when
 * conntrackd carries the connection over (an HA pair); a daemon whose SPD differs
 * finds another generation in the entry and judges the connection again.  The
 * generations are in two halves: those of an SPD under which some remembered
 * protection is held (a tunnel down) and those of one under which none is, so a
 * gateway whose tunnels are down never takes the healthy verdicts of one whose tunnels
 * were up, nor the other way round, whatever the digests.
 *
 * A generation's values are put in force only where no conntrack entry carries them:
 * at start the chosen one is cleared at once (a daemon before this one, on this box or
 * the other of a pair, may have left them) and every other one on a thread of its own
 * (igd_ct_mark_clear); after a change the generation that went out of force is cleared
 * the same way a second later (packets judged under it may still be on their way), so
 * that it is ready for the next change.  A change whose generation is not clean yet
 * takes another clean one of its half; when there is none it waits for the sweep (the
 * sets change at once; the verdicts follow when the sweep is done, at the next tick). */
#ifndef IGD_VERDICT_GEN_H
#define IGD_VERDICT_GEN_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "natguard.h"

struct igd_daemon;

struct igd_gen {
	bool active;			/* scope protected with our own tables */
	bool due;			/* a change waits for a clean generation */
	bool sweeping;			/* a generation being cleared by the thread */
	bool prepared;			/* igd_gen_prepare moved on, not yet committed */
	bool clean[IGD_NATGUARD_GENS];	/* no conntrack entry carries its values */
	uint64_t left_ms[IGD_NATGUARD_GENS];	/* when it went out of force */
	unsigned int target;		/* the generation being swept */
	unsigned int before;		/* the prepared change's generation before */
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

/* Clears the values of the generation the SPD's digest chooses (a daemon before this
 * one may have left them), puts it in force and starts clearing the others.  0, or
 * -errno with @err when the thread cannot start. */
int igd_gen_init(struct igd_daemon *d, char *err, size_t errlen);
/* Before a transaction that replaces the sets: when what a verdict depends on (the out
 * SPs, --protect) changed, the values of the digest's generation in the guard's
 * configuration if it is clean (true), else the change is remembered as due.  Then
 * igd_gen_commit when the transaction went through, igd_gen_revert when it did not. */
bool igd_gen_prepare(struct igd_daemon *d);
void igd_gen_commit(struct igd_daemon *d);
void igd_gen_revert(struct igd_daemon *d);
/* A due change whose generation is clean now, a generation that went out of force a
 * second ago to be cleared, and a failed sweep, taken up. */
void igd_gen_tick(struct igd_daemon *d);
void igd_gen_free(struct igd_daemon *d);
#endif
