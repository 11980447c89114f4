/* Diagnostics off the packet path: /proc/net/xfrm_stat deltas as events with their
 * meaning, ACQUIREs as no-sa events naming the SP that raised them, and the
 * rate limiter that keeps repeated verdicts of one flow from flooding the log. */
#ifndef IGD_DIAG_H
#define IGD_DIAG_H
#include <stdbool.h>
#include <stdint.h>
#include "xfrm/xfrm_nl.h"

#define IGD_OW_SAMPLE_S 5	/* seconds between SA counter samples */

struct igd_daemon;
struct igd_judgement;

int igd_diag_init(struct igd_daemon *d);
void igd_diag_free(struct igd_daemon *d);
/* Once a second. */
void igd_diag_tick(struct igd_daemon *d);
/* The mirror's event callback. */
void igd_diag_on_xfrm(const struct igd_xfrm_event *ev, void *arg);
/* Whether the verdict line of @jd should be written; sets *suppressed. */
bool igd_diag_log_ok(struct igd_daemon *d, unsigned int hook, const struct igd_judgement *jd,
		     uint64_t *suppressed);
#endif
