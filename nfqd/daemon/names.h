/* Tunnel names from the IKE daemon (kmod-free/names/ike_names.h), kept fresh by a
 * thread of their own: every IGD_NAMESD_PERIOD_S seconds it runs strongSwan's swanctl
 * (--vici URI when the daemon's socket is elsewhere) or libreswan's whack, parses
 * the answer and swaps it in.  Nothing here runs a program on the thread that answers
 * the queue; a lookup takes a lock held only for a pointer swap.  Without an IKE
 * daemon, or with --tunnel-names off, lookups find nothing and lines stay as they are. */
#ifndef IGD_NAMES_H
#define IGD_NAMES_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "names/ike_names.h"

#define IGD_NAMESD_PERIOD_S	10

struct igd_namesd {
	pthread_t th;
	bool running, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct igd_names *cur, *next;	/* allocated at start */
	int src;			/* enum igd_names_src */
	char vici[256];			/* swanctl --uri, "" for its default */
};

/* Starts the thread (nothing for IGD_NAMES_OFF).  0 or -errno. */
int igd_namesd_start(struct igd_namesd *n, int src, const char *vici);
void igd_namesd_stop(struct igd_namesd *n);
/* The names of the SA @spi (else @reqid) into @conn/@child (IGD_NAME_LEN each, ""
 * when unknown); false when nothing is known. */
bool igd_namesd_lookup(struct igd_namesd *n, uint32_t spi, uint32_t reqid, char *conn,
		       char *child);
/* The names of @jd's SA (the one serving its SP, else the decrypting reqid), for its
 * line: into the caller's @conn/@child, which @jd then points at. */
struct igd_judgement;
void igd_namesd_name_sa(struct igd_namesd *n, struct igd_judgement *jd, char *conn,
			char *child);
#endif
