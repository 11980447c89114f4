/* Running the IKE daemon's status command; see ike_names.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "names/ike_names.h"
#include "util/run.h"

#define NAMES_TIMEOUT_MS	3000
#define NAMES_OUT_MAX		(1 << 20)

int igd_names_fetch(int src, const char *vici, struct igd_names *out)
{
	char path[64], uri[300];
	char *argv[8];
	char *buf;
	int n, argc = 0;
	bool sw;

	out->n = 0;
	sw = src == IGD_NAMES_STRONGSWAN ||
	     (src == IGD_NAMES_AUTO && igd_run_find("swanctl", path, sizeof(path)));
	if (sw ? !igd_run_find("swanctl", path, sizeof(path)) :
		 !igd_run_find("ipsec", path, sizeof(path)))
		return -ENOENT;
	argv[argc++] = path;
	if (sw) {
		argv[argc++] = (char *)"--list-sas";
		argv[argc++] = (char *)"--raw";
		if (vici && vici[0]) {
			snprintf(uri, sizeof(uri), "%s", vici);
			argv[argc++] = (char *)"--uri";
			argv[argc++] = uri;
		}
	} else {
		argv[argc++] = (char *)"whack";
		argv[argc++] = (char *)"--status";
	}
	argv[argc] = NULL;
	buf = malloc(NAMES_OUT_MAX);
	if (!buf)
		return -ENOMEM;
	n = igd_run_capture(argv, NAMES_TIMEOUT_MS, buf, NAMES_OUT_MAX);
	if (n >= 0)
		n = (int)(sw ? igd_names_parse_swanctl(buf, out) : igd_names_parse_whack(buf, out));
	free(buf);
	return n;
}


int igd_names_src_parse(const char *s, int *src)
{
	static const char *const names[] = { "auto", "strongswan", "libreswan", "off" };
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*src = (int)i;	/* enum igd_names_src order */
			return 0;
		}
	return -EINVAL;
}
