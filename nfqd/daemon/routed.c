/* Route-based tunnels in the daemon's life.  See routed.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "routed.h"
#include "spdsync.h"
#include "route/tunnels_nl.h"

void igd_routed_read(struct igd_daemon *d)
{
	int e;

	if (!d->tunnels_nl)
		return;
	e = igd_tunnels_nl_process(d->tunnels_nl);
	if (e < 0)
		fprintf(stderr, "ipsecguardd: tunnel interfaces and routes: %s\n", strerror(-e));
	else if (e)
		igd_spdsync_refresh(d);
}

static int routed_on_fd(int fd, void *arg)
{
	(void)fd;
	igd_routed_read(arg);
	return 0;
}

int igd_routed_open(struct igd_daemon *d)
{
	int e;

	d->tunnels = calloc(1, sizeof(*d->tunnels));
	if (!d->tunnels)
		return -ENOMEM;
	igd_tunnels_init(d->tunnels);
	d->judge.tunnels = d->tunnels;
	e = igd_tunnels_nl_open(&d->tunnels_nl, d->tunnels);
	if (!e)
		e = igd_loop_add_fd(d->loop, igd_tunnels_nl_fd(d->tunnels_nl), routed_on_fd, d);
	if (e) {
		fprintf(stderr, "ipsecguardd: tunnel interfaces and routes not watched: %s\n",
			strerror(-e));
		igd_tunnels_nl_close(d->tunnels_nl);
		d->tunnels_nl = NULL;
	}
	return 0;
}

void igd_routed_close(struct igd_daemon *d)
{
	igd_tunnels_nl_close(d->tunnels_nl);
	d->tunnels_nl = NULL;
	d->judge.tunnels = NULL;
	free(d->tunnels);
	d->tunnels = NULL;
}
