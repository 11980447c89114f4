/* --metrics-file: the daemon's counters in the Prometheus text format, for
 * node_exporter's textfile collector, written every --metrics-interval seconds to a
 * temporary file in the same directory and renamed over the old one, so a reader never
 * sees half a file.  The names follow Prometheus conventions (counters end in _total,
 * times in seconds); the counters are the stats event's. */
#ifndef IGD_METRICS_H
#define IGD_METRICS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct igd_opts;
struct igd_judge;
struct igd_queue;
struct igd_diag;
struct igd_xfrm_mirror;
struct igd_fixes;
struct igd_nflog;
struct igd_outer;
struct igd_guard_counters;
struct igd_tables_state;
struct igd_gen;
struct igd_tunnels;
struct igd_memory;

/* The parts of the daemon the metrics are read from (NULL: not there). */
struct igd_metrics_src {
	const struct igd_opts *opts;
	uint64_t start_time;
	const struct igd_judge *judge;
	struct igd_queue *const *queues;
	unsigned int nqueues;
	const struct igd_diag *diag;
	const struct igd_xfrm_mirror *mirror;
	const struct igd_fixes *fixes;
	const struct igd_nflog *nflog;
	const struct igd_outer *outer;
	const struct igd_guard_counters *kc;	/* our rules' counters, when read */
	const struct igd_tables_state *tables;
	const struct igd_gen *gen;
	const struct igd_tunnels *tunnels;
	const struct igd_memory *memory;
	uint64_t log_suppressed;		/* by every thread's rate limiter */
	uint64_t log_lost;			/* lines the writer had no room for */
};

/* Formats every metric into @buf (@size bytes); its length, or -ENOSPC. */
int igd_metrics_format(const struct igd_metrics_src *s, char *buf, size_t size);
/* Writes the file (--metrics-file); 0 or -errno, said once on stderr until it works
 * again (*@failing remembers). */
int igd_metrics_write(const struct igd_metrics_src *s, bool *failing);
#endif
