/* A live mirror of the kernel's SPD and SAD over XFRM netlink (the messages are read
 * by xfrm_parse.h).
 *
 * The mirror subscribes to the XFRM policy, SA, ACQUIRE and EXPIRE groups first, then
 * dumps policies and SAs on a second socket.  Events that arrive while the dump runs
 * stay queued on the event socket and are applied after it, in order (re-applying a
 * change the dump already shows is harmless: adds replace by index, deletes of absent
 * entries are no-ops).  The event socket never sets NETLINK_NO_ENOBUFS: when the kernel
 * reports a lost event (ENOBUFS) the receive buffer is doubled up to a cap, the overrun
 * counted, and everything is dumped again until a dump completes without loss.
 *
 * Daemon wiring:
 *
 *	struct igd_xfrm_mirror_cfg cfg = { .cb = on_xfrm_event, .cb_data = ctx };
 *	err = igd_xfrm_mirror_open(&m, &cfg);		(blocking initial dump)
 *	poll on igd_xfrm_mirror_fd(m) for POLLIN, with a timeout no longer than
 *	igd_xfrm_mirror_timeout_ms(m) (-1: none needed);
 *	on POLLIN or timeout: igd_xfrm_mirror_process(m);	(never blocks on events;
 *		a re-dump it starts is read to completion)
 *	look up with igd_spd_lookup(igd_xfrm_mirror_spd(m), ...).
 *
 * Ownership: the mirror owns its sockets and tables.  The tables returned by
 * igd_xfrm_mirror_spd()/_sad() are replaced by a re-dump: fetch them again after every
 * igd_xfrm_mirror_process() call rather than keeping the pointers; entries are valid
 * until the next process() call.  Event structures passed to the callback are valid
 * only during the call.  Key material is never copied out of the netlink buffer.
 */
#ifndef IGD_XFRM_MIRROR_H
#define IGD_XFRM_MIRROR_H
#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#include "xfrm/xfrm_parse.h"

/* --- the mirror ---------------------------------------------------------------------- */

enum igd_xfrm_event_type {
	IGD_XFRM_EV_SP_NEW,		/* sp: the new or updated policy */
	IGD_XFRM_EV_SP_DEL,		/* sp: the deleted policy (also hard POLEXPIRE) */
	IGD_XFRM_EV_SP_FLUSH,
	IGD_XFRM_EV_SP_EXPIRE,		/* soft POLEXPIRE */
	IGD_XFRM_EV_SA_NEW,
	IGD_XFRM_EV_SA_DEL,		/* also hard EXPIRE */
	IGD_XFRM_EV_SA_FLUSH,
	IGD_XFRM_EV_SA_EXPIRE,		/* soft EXPIRE */
	IGD_XFRM_EV_ACQUIRE,
	IGD_XFRM_EV_RESYNC,		/* tables were rebuilt from a dump */
};

struct igd_xfrm_event {
	enum igd_xfrm_event_type type;
	const struct igd_sp *sp;
	const struct igd_sa *sa;
	const struct igd_xfrm_acquire *acq;
	bool hard;
};

typedef void (*igd_xfrm_event_cb)(const struct igd_xfrm_event *ev, void *data);

struct igd_xfrm_mirror_cfg {
	uint32_t rcvbuf;	/* initial event socket buffer, bytes; 0: 1 MiB */
	uint32_t rcvbuf_max;	/* growth cap on ENOBUFS; 0: 64 MiB */
	unsigned int max_dumps;	/* dumps per process() call before yielding; 0: 4 */
	bool no_events;		/* dump once, subscribe to nothing (one-shot tools) */
	igd_xfrm_event_cb cb;	/* optional */
	void *cb_data;
};

struct igd_xfrm_mirror_stats {
	uint64_t events;	/* event messages handled */
	uint64_t overruns;	/* ENOBUFS seen on the event socket */
	uint64_t dumps;		/* full dumps completed */
	uint64_t dump_retries;	/* dumps restarted (NLM_F_DUMP_INTR, loss during dump) */
	uint64_t bad_msgs;	/* messages that failed validation, skipped */
	uint64_t foreign;	/* messages not from the kernel, ignored */
	uint32_t rcvbuf;	/* current receive buffer as the kernel reports it */
};

struct igd_xfrm_mirror;

/* Opens the sockets, subscribes, dumps.  Returns 0 or -errno (-EPERM without
 * CAP_NET_ADMIN).  On error *m is untouched. */
int igd_xfrm_mirror_open(struct igd_xfrm_mirror **m, const struct igd_xfrm_mirror_cfg *cfg);
void igd_xfrm_mirror_close(struct igd_xfrm_mirror *m);
/* The event socket, for poll(); -1 with no_events. */
int igd_xfrm_mirror_fd(const struct igd_xfrm_mirror *m);
/* Drains pending events and re-dumps when needed.  Returns 0 or -errno (a socket
 * error the mirror cannot recover from). */
int igd_xfrm_mirror_process(struct igd_xfrm_mirror *m);
/* -1: nothing pending; otherwise call process() again within this many ms. */
int igd_xfrm_mirror_timeout_ms(const struct igd_xfrm_mirror *m);
/* A fresh SA dump, for counters (the SA events do not carry traffic counts): calls @cb
 * for every SA, parsed without keys, valid during the call only.  The mirror's tables
 * are not touched.  Blocks for the dump.  Returns 0 or -errno (-EINTR: interrupted
 * dump, try again later). */
typedef void (*igd_xfrm_sa_walk_cb)(const struct igd_sa *sa, void *data);
int igd_xfrm_mirror_sa_walk(struct igd_xfrm_mirror *m, igd_xfrm_sa_walk_cb cb, void *data);

/* Whether the tables reflect a complete dump plus every event since. */
bool igd_xfrm_mirror_synced(const struct igd_xfrm_mirror *m);
const struct igd_spd *igd_xfrm_mirror_spd(const struct igd_xfrm_mirror *m);
const struct igd_sad *igd_xfrm_mirror_sad(const struct igd_xfrm_mirror *m);
void igd_xfrm_mirror_get_stats(const struct igd_xfrm_mirror *m,
			       struct igd_xfrm_mirror_stats *st);
#endif
