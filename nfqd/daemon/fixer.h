/* Fix mode's worker thread.  Once an exemption is in the daemon's exempt chain, the
 * selector's conntrack entries are deleted, so that its flows bind again, without
 * NAT: a dump of the whole table that may take long, and must not delay a packet the
 * daemon answers.  The event loop hands SPs to this thread and reads the results back
 * when the thread's pipe is readable.  Both queues are fixed rings: no allocation. */
#ifndef IGD_FIXER_H
#define IGD_FIXER_H
#include <stdbool.h>
#include "xfrm/spd.h"

#define IGD_FIXER_RING	16

struct igd_fix_result {
	struct igd_sp sp;
	int flush_err;			/* 0, or -errno: the conntrack flush failed */
	char flush_msg[256];
	unsigned int flushed;		/* conntrack entries deleted */
};

struct igd_fixer;

/* Starts the thread.  0 or -errno. */
int igd_fixer_start(struct igd_fixer **f);
/* Readable when results wait (read them with igd_fixer_result). */
int igd_fixer_fd(const struct igd_fixer *f);
/* Hands @sp to the thread; false when its ring is full (try again later). */
bool igd_fixer_submit(struct igd_fixer *f, const struct igd_sp *sp);
/* Copies the next finished result into @out; false when there is none. */
bool igd_fixer_result(struct igd_fixer *f, struct igd_fix_result *out);
/* Lets the work in hand finish (drops what waits), stops the thread, frees;
 * NULL-safe. */
void igd_fixer_stop(struct igd_fixer *f);
#endif
