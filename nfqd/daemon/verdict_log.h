/* The JSON line of one verdict (the format the README documents) and of the stats event. */
#ifndef IGD_VERDICT_LOG_H
#define IGD_VERDICT_LOG_H
#include <stddef.h>
#include <stdint.h>
#include "util/event.h"
#include "judge.h"
#include "guard/guard_counters.h"
#include "nl/nflog.h"
#include "queue.h"
#include "util/clock.h"

#define IGD_LINE_MAX 16384	/* a stats line with every SP's counter */

/* Formats the verdict of @qp into @buf; returns the length or -1. */
struct igd_json;
/* Opens a log line's object with its timestamp ("ts", UTC) and "event". */
void igd_event_begin(struct igd_json *j, char *buf, size_t size, const char *event);
int igd_verdict_line(char *buf, size_t size, const struct igd_qpkt *qp,
		     const struct igd_pkt *p, const struct igd_judgement *jd, uint64_t suppressed);
struct igd_json;

struct igd_queue;
struct igd_outer_stats;
/* Formats a stats event: counters per reason, per hook, verdict lines the rate
 * limiter held back, each queue's own and the kernel's counters, and what the outer
 * events saw (@outer NULL: not watched). */
struct igd_tables_state;
struct igd_gen;
int igd_stats_line(char *buf, size_t size, const struct igd_judge *j,
		   struct igd_queue *const *q, unsigned int nq, const struct igd_nflog *nflog,
		   const struct igd_guard_counters *kernel, const struct igd_outer_stats *outer,
		   const struct igd_tables_state *tables, const struct igd_gen *gen,
		   uint64_t suppressed, uint64_t lost);
#endif
