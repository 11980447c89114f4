/* The daemon's tables in a ruleset other tools reload (guard/table_hold.h): installing
 * them, and watching every other process's nf_tables transaction (nft/nft_watch.h).
 * One that removed or changed a table of ours that is not owned (the backstop; every
 * table under hold "restore") has it put back at once, in one transaction, and a
 * `tables` event says who did what and what was restored; one that deleted other
 * tables (a firewall reload) while ours held gets a `tables` event too. */
#ifndef IGD_TABLES_H
#define IGD_TABLES_H
#include <stdbool.h>
#include <stdint.h>

struct igd_daemon;
struct igd_nft_watch;

struct igd_tables_state {
	struct igd_nft_watch *watch;
	bool restore_due;		/* a restore failed: tried again at the tick */
	unsigned int restore_what;	/* the watched tables to restore (bits) */
	uint64_t retry_ms;		/* monotonic time of the next try */
	uint64_t restored;		/* restores done */
	uint64_t restore_failures;
	uint64_t reloads_kept;		/* other processes' transactions that deleted
					 * tables while ours stayed */
	uint64_t overruns;		/* notifications lost */
};

/* The guard's tables for the options in force, in one transaction, with the mss and
 * frag_out chains filled.  0 or -errno with @err. */
int igd_tables_install(struct igd_daemon *d, char *err, size_t errlen);
/* Starts watching (after the tables are in).  0 or -errno with @err. */
int igd_tables_watch_open(struct igd_daemon *d, char *err, size_t errlen);
/* The watched tables follow the configuration (a reload may add or drop the
 * backstop). */
void igd_tables_watch_update(struct igd_daemon *d);
/* A restore that failed, tried again (from the tick). */
void igd_tables_tick(struct igd_daemon *d);
void igd_tables_watch_close(struct igd_daemon *d);
#endif
