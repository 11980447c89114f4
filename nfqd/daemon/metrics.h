/* --metrics-file: the daemon's counters in the Prometheus text format, for
 * node_exporter's textfile collector, written every --metrics-interval seconds to a
 * temporary file in the same directory and renamed over the old one, so a reader never
 * sees half a file.  The names follow Prometheus conventions (counters end in _total,
 * times in seconds); the counters are the stats event's. */
#ifndef IGD_METRICS_H
#define IGD_METRICS_H

struct igd_daemon;

/* Formats every metric into @buf (@size bytes); its length, or -ENOSPC. */
int igd_metrics_format(struct igd_daemon *d, char *buf, size_t size);
/* Writes the file; 0 or -errno (said once on stderr until it works again). */
int igd_metrics_write(struct igd_daemon *d);
#endif
