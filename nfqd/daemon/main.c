/* ipsecguardd: the NFQUEUE daemon.  See `ipsecguardd --help`. */
#include <stdio.h>
#include <string.h>
#include "daemon.h"

int main(int argc, char **argv)
{
	struct igd_daemon d;
	char err[512] = "";
	int rc;

	memset(&d, 0, sizeof(d));
	d.workers_fd = -1;
	rc = igd_opts_parse(&d.opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (d.opts.check_config) {
		printf("ipsecguardd: %s%s options are valid\n", d.opts.config[0] ? d.opts.config : "",
		       d.opts.config[0] ? " and the command line:" : "command line:");
		return 0;
	}
	d.argc = argc;
	d.argv = argv;
	d.cfg_scope = d.opts.scope;
	d.cfg_no_outer = d.opts.no_outer;
	rc = igd_daemon_setup(&d, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ipsecguardd: %s\n", err);
		if (d.bad_option)
			fprintf(stderr, "Try 'ipsecguardd --help'.\n");
		igd_daemon_teardown(&d);
		return d.bad_option ? 2 : 1;
	}
	rc = igd_daemon_run(&d);
	if (rc)
		fprintf(stderr, "ipsecguardd: event loop: %s\n", strerror(-rc));
	igd_daemon_teardown(&d);
	return rc ? 1 : 0;
}
