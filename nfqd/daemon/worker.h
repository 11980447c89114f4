/* The queue threads: one per queue of --queue A-B (one for all of them where the
 * pre-NAT tap pairs packets across queues), each answering its own queues.
 *
 * Nothing a queue thread touches per packet is shared: it has its own judge (parser
 * state, counters, rate limiter, line buffer), its own mirror of the SPD and SAD and of
 * the route-based tunnels, each read from the kernel's own notifications before every
 * batch (so a policy or route change the kernel made before it queued a packet is known
 * when the packet is judged), and its own copy of the remembered protections, synced
 * with its SPD.  What only the loop thread knows (mode, verdict generation, --protect,
 * local addresses, the remembered protections it loads and expires) comes through a
 * published view (judge_view.h), taken without waiting.  Log lines and fix requests go
 * to the loop thread through a ring each (util/spsc_ring.h): it alone writes the log,
 * so every line stays whole; a line the ring has no room for is counted
 * (log_lines_lost in the stats event). */
#ifndef IGD_WORKER_H
#define IGD_WORKER_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "judge.h"
#include "judge_view.h"
#include "loop.h"
#include "mss.h"
#include "names.h"
#include "opts.h"
#include "queue.h"
#include "util/spsc_ring.h"
#include "verdict_log.h"

#define IGD_WORKER_RING	(1u << 20)	/* bytes of lines waiting for the writer */
#define IGD_PRENAT_BUF	8192	/* a prenat map lookup's request and answer */

struct igd_worker {
	struct igd_daemon *d;
	unsigned int idx;
	pthread_t th;
	bool started;
	struct igd_loop *loop;
	int stop_fd;			/* eventfd: the loop thread asks it to end */
	struct igd_queue *queues[IGD_MAX_QUEUES];
	unsigned int nqueues;
	struct igd_judge judge;
	struct igd_xfrm_mirror *mirror;
	struct igd_tunnels *tunnels;	/* NULL: the daemon watches none */
	struct igd_tunnels_nl *tunnels_nl;
	struct igd_mss mss;
	bool mss_open;
	struct igd_memory memory;	/* the view's, synced with this thread's SPD */
	struct igd_judge_view *view, *spare;
	uint64_t view_seq;
	const struct igd_spd *spd_seen;
	uint64_t spd_gen, tunnels_gen;
	struct mnl_socket *prenat_nl;
	_Alignas(8) uint8_t prenat_buf[IGD_PRENAT_BUF];
	struct igd_rl *rl;		/* log lines per flow and reason */
	struct igd_ring ring;		/* to the loop thread */
	uint64_t ring_full;		/* records it had no room for */
	_Atomic unsigned int gen_in_use;	/* bits: the verdict generations it may mark with */
	_Atomic uint64_t busy_since_ms;	/* answering a burst since then; 0: idle */
	bool pushed;			/* records since the writer was woken */
	uint32_t last_fix;		/* the SP index last asked to be fixed */
	char sa_conn[IGD_NAME_LEN], sa_child[IGD_NAME_LEN];
	char line[IGD_LINE_MAX];
};

enum igd_worker_rec {
	IGD_WREC_LINE = 1,		/* a log line */
	IGD_WREC_FIX,			/* fix mode: a struct igd_sp to exempt */
};

struct igd_daemon;

/* How many queue threads the daemon's options call for. */
unsigned int igd_workers_count(const struct igd_daemon *d);
/* Makes the threads' state and opens the queues, each given to its thread (not
 * started).  0 or -errno with @err. */
int igd_workers_open(struct igd_daemon *d, char *err, size_t errlen);
/* Gives each thread its copy of the judge, its mirrors and sockets, and starts it
 * (after the daemon is set up: the threads inherit the capabilities left). */
int igd_workers_start(struct igd_daemon *d, char *err, size_t errlen);
/* Asks each thread to answer what is queued and end; waits for them. */
void igd_workers_stop(struct igd_daemon *d);
void igd_workers_free(struct igd_daemon *d);
/* The loop thread: writes the lines the threads queued and takes their fix requests. */
void igd_workers_drain(struct igd_daemon *d);
/* The loop thread: publishes the view when it changed. */
void igd_workers_publish(struct igd_daemon *d);
/* Whether a queue thread still marks verdicts with generation @gen (not to be swept
 * yet). */
bool igd_workers_gen_in_use(const struct igd_daemon *d, unsigned int gen);
/* Whether every queue thread is alive and none has been answering one burst for more
 * than @ms (the watchdog's question). */
bool igd_workers_healthy(const struct igd_daemon *d, uint64_t ms);
/* The judges' counters summed (the loop thread's own and every queue thread's). */
const struct igd_judge *igd_workers_judge(struct igd_daemon *d);
/* Log lines suppressed by the threads' rate limiters, and lost for want of room. */
uint64_t igd_workers_suppressed(const struct igd_daemon *d);
uint64_t igd_workers_lines_lost(const struct igd_daemon *d);
#endif
