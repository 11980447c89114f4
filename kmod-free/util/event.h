/* The head of every event line the daemon writes, whoever builds the line (the
 * daemon's log, the library's xfrm_stat and one-way events): {"ts", "host",
 * "instance", "event", ...  The host and instance name the gateway and the daemon
 * (its table), so that many gateways' lines stay apart in one collector; a program
 * that never sets them (the command line tools) writes neither. */
#ifndef IGD_EVENT_H
#define IGD_EVENT_H
#include "util/json.h"

/* Set once, before any thread writes a line; read-only after. */
void igd_event_identity(const char *host, const char *instance);
/* Opens the line's object in @j (initialised): ts (left out when NULL), host and
 * instance (when set), event. */
void igd_event_open(struct igd_json *j, const char *ts, const char *event);
#endif
