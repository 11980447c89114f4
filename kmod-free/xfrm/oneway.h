/* One-way tunnel detector: the outbound SA of a tunnel keeps counting packets while the
 * inbound SA stays flat — ESP (IP protocol 50) or UDP 4500 blocked or translated in one
 * direction on the path, or the two ends disagreeing on the SA.
 *
 * Pure logic: fed periodic samples of the SAD's counters, it reports events through a
 * callback.  It knows nothing of sockets or clocks.
 *
 * Input.  Every SA of a sample comes with a direction the caller decided: outbound
 * (this host encrypts with it: its source is a local address, or an out policy's
 * template names its reqid and destination) or inbound (its destination is local).
 * SAs of unknown direction are ignored.
 *
 * Pairing.  An SA's tunnel endpoints are (local, remote): (saddr, daddr) outbound,
 * (daddr, saddr) inbound; SAs of one tunnel thus have the same endpoints with source
 * and destination swapped per direction.  Within the SAs of one family, protocol and
 * endpoint pair:
 *   1. SAs whose reqid is non-zero and found in both directions form one tunnel per
 *      reqid.  This is what IKE daemons install (strongSwan and libreswan give both
 *      SAs of a CHILD_SA the same reqid and keep it across rekeys), so several child
 *      SAs between the same gateways are watched separately.
 *   2. All the other SAs of the endpoint pair (reqid 0, or a reqid present in one
 *      direction only, as in hand-written static SAs) form one fallback tunnel.
 * A tunnel with no inbound SA (or no outbound SA) is never reported: that is an
 * incomplete negotiation, not a one-way path.
 *
 * Counting.  Per SA, growth is the packet counter's increase since the previous sample
 * (an SA new in this sample counts all its packets; a counter that went back counts its
 * new value); the very first sample is the baseline.  A tunnel's outbound (inbound)
 * side grew when any of its outbound (inbound) SAs grew, so a rekey — new SPIs
 * replacing old ones, old and new coexisting for a while — changes nothing: traffic on
 * the old inbound SA still counts as inbound traffic of the tunnel.
 *
 * Episode.  A tunnel is one-way when its outbound side has grown over at least
 * @hold_ms (from the first outbound growth to the current one, with no gap between
 * outbound growths longer than @hold_ms: a gap restarts the clock) while its inbound
 * side did not grow at all.  IGD_OW_ONEWAY is reported once per episode; the next
 * inbound growth ends it with IGD_OW_RECOVERED.  Idle tunnels (nothing either way)
 * never alarm.  Known false alarm: traffic that is one-way by nature (e.g. syslog
 * over UDP through the tunnel, nothing ever answering); raise @hold_ms or ignore.
 *
 * Daemon wiring: a timer every few seconds (hold_ms / 6 is a good period: the
 * default 30 s hold with a 5 s timer), after igd_xfrm_mirror_process():
 *
 *	igd_ow_begin(ow, now_ms);			(CLOCK_MONOTONIC, ms)
 *	for (sa = igd_sad_next(sad, NULL); sa; sa = igd_sad_next(sad, sa))
 *		igd_ow_add_sa(ow, sa, dir_of(sa));	(the caller's direction rule)
 *	igd_ow_end(ow, on_event, ctx);
 *
 * The SAD's counters come from a dump (XFRM_MSG_GETSA): re-dump the SAD, or fetch each
 * SA, before the sample; events do not carry counters.
 *
 * Memory: igd_ow_new() allocates fixed tables for @max_sas SAs; a sample never
 * allocates.  SAs beyond @max_sas in one sample are ignored and counted.
 * Not thread-safe.
 */
#ifndef IGD_ONEWAY_H
#define IGD_ONEWAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "packet/addr.h"
#include "xfrm/sad.h"

#define IGD_OW_DEFAULT_HOLD_MS	30000
#define IGD_OW_DEFAULT_MAX_SAS	4096

enum igd_ow_dir {
	IGD_OW_DIR_UNKNOWN = 0,
	IGD_OW_DIR_OUT,
	IGD_OW_DIR_IN,
};

/* One SA as the detector sees it. */
struct igd_ow_sa {
	union igd_addr saddr, daddr;	/* outer (tunnel) addresses */
	uint32_t spi;			/* host order */
	uint32_t reqid;
	uint64_t packets, bytes;	/* the SA's current lifetime counters */
	uint16_t encap_sport, encap_dport;	/* NAT-T ports, 0 without UDP encapsulation */
	uint8_t family;			/* 4 or 6 */
	uint8_t proto;			/* IPPROTO_ESP, ... */
	uint8_t dir;			/* enum igd_ow_dir */
};

struct igd_ow_cfg {
	unsigned int max_sas;		/* 0: IGD_OW_DEFAULT_MAX_SAS */
	uint32_t hold_ms;		/* 0: IGD_OW_DEFAULT_HOLD_MS */
};

enum igd_ow_event_type {
	IGD_OW_ONEWAY,			/* outbound grows, inbound flat for hold_ms */
	IGD_OW_RECOVERED,		/* inbound grows again after IGD_OW_ONEWAY */
};

/* What the gateway itself can see of a one-way tunnel's cause (filled by the caller
 * before the event is written; see igd_ow_json). */
struct igd_ow_seen {
	bool ike_checked, ike_alive;	/* an IKE/NAT-T conntrack entry between the
					 * endpoints */
	uint16_t ike_sport, ike_dport;	/* its original ports */
	bool filter_checked;
	bool dropped, may_drop;		/* this gateway's input filter drops (may drop)
					 * the tunnel's inbound packets */
	char dropped_by[160];		/* "nft inet fw input handle 4", "... policy" */
	bool legacy_unread;		/* an iptables-legacy filter table is loaded and
					 * was not read (doctor reads it) */
	char cause[320];		/* one sentence: what is most likely */
};

struct igd_ow_event {
	enum igd_ow_event_type type;
	const struct igd_ow_seen *seen;	/* NULL: nothing looked at */
	uint8_t family, proto;
	union igd_addr local, remote;	/* tunnel endpoints */
	uint32_t reqid;			/* the tunnel's reqid; 0 for the fallback pairing */
	bool by_reqid;			/* paired by reqid (rule 1) or by endpoints (rule 2) */
	uint32_t out_spi;		/* the outbound SA that grew last */
	uint32_t in_spi;		/* the newest inbound SA of the tunnel */
	uint16_t encap_sport, encap_dport;	/* of the outbound SA: NAT-T when non-zero */
	uint64_t since_ms;		/* first outbound growth of the episode */
	uint64_t duration_ms;		/* episode length up to this event */
	uint64_t out_packets, out_bytes;	/* sent during the episode */
	uint64_t in_packets;		/* inbound SA's counter (flat) / growth (recovered) */
};

typedef void (*igd_ow_cb)(const struct igd_ow_event *ev, void *data);

struct igd_ow_stats {
	uint64_t samples;
	uint64_t sas_dropped;		/* beyond max_sas, or of unknown direction */
	unsigned int tunnels;		/* in the last sample */
	unsigned int oneway;		/* of which in a one-way episode */
};

struct igd_ow;

int igd_ow_new(struct igd_ow **ow, const struct igd_ow_cfg *cfg);
void igd_ow_free(struct igd_ow *ow);

/* A sample: begin, add every SA, end.  end() compares with the previous sample and
 * calls @cb (may be NULL) for each event.  add() returns -ENOSPC when the table is
 * full, -EINVAL for an SA of unknown direction or family (the SA is then skipped). */
void igd_ow_begin(struct igd_ow *ow, uint64_t now_ms);
int igd_ow_add(struct igd_ow *ow, const struct igd_ow_sa *sa);
/* Adds a SAD entry with the direction the caller determined. */
int igd_ow_add_sa(struct igd_ow *ow, const struct igd_sa *sa, enum igd_ow_dir dir);
void igd_ow_end(struct igd_ow *ow, igd_ow_cb cb, void *data);
/* begin + add each of @n + end. */
void igd_ow_sample(struct igd_ow *ow, uint64_t now_ms, const struct igd_ow_sa *sas,
		   unsigned int n, igd_ow_cb cb, void *data);
const struct igd_ow_stats *igd_ow_stats(const struct igd_ow *ow);

/* The likely causes, for the log: a constant sentence, depending on whether the
 * outbound SA is UDP-encapsulated (NAT-T) or plain ESP/AH. */
const char *igd_ow_causes(const struct igd_ow_event *ev);
/* One JSON line (no newline): {"ts","event":"oneway"|"oneway_recovered","family",
 * "proto","local","remote","reqid","paired_by","out_spi","in_spi","encap"?,
 * "duration_ms","out_packets","out_bytes","in_packets","causes"}.
 * Returns the length or -ENOSPC. */
int igd_ow_json(char *buf, size_t size, const char *ts, const struct igd_ow_event *ev);

/* The tunnels of the last complete sample and whether each is one-way now. */
struct igd_ow_tunnel {
	uint8_t family, proto;
	union igd_addr local, remote;
	uint32_t reqid, out_spi, in_spi;
	bool oneway;
};
void igd_ow_foreach(const struct igd_ow *ow, void (*cb)(const struct igd_ow_tunnel *t, void *data),
		    void *data);
#endif
