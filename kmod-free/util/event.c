#include <stdio.h>
#include "util/event.h"

static char ev_host[65], ev_instance[65];

void igd_event_identity(const char *host, const char *instance)
{
	snprintf(ev_host, sizeof(ev_host), "%s", host ? host : "");
	snprintf(ev_instance, sizeof(ev_instance), "%s", instance ? instance : "");
}

void igd_event_open(struct igd_json *j, const char *ts, const char *event)
{
	igd_json_obj_open(j, NULL);
	if (ts)
		igd_json_str(j, "ts", ts);
	if (ev_host[0])
		igd_json_str(j, "host", ev_host);
	if (ev_instance[0])
		igd_json_str(j, "instance", ev_instance);
	igd_json_str(j, "event", event);
}
