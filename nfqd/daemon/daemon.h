/* ipsecguardd's state: one context passed everywhere, no hidden globals. */
#ifndef IGD_DAEMON_H
#define IGD_DAEMON_H
#include <stdbool.h>
#include "judge.h"
#include "loop.h"
#include "opts.h"
#include "queue.h"
#include "verdict_log.h"
#include "vlog.h"

struct igd_daemon {
	struct igd_opts opts;
	struct igd_loop *loop;
	struct igd_queue *queues[IGD_MAX_QUEUES];
	unsigned int nqueues;
	struct igd_vlog *log;
	struct igd_judge judge;
	bool hooks_installed;
	unsigned int ticks;
	char line[IGD_LINE_MAX];
};

int igd_daemon_setup(struct igd_daemon *d, char *err, size_t errlen);
int igd_daemon_run(struct igd_daemon *d);
void igd_daemon_teardown(struct igd_daemon *d);
void igd_daemon_log_stats(struct igd_daemon *d);
#endif
