/* The tunnel's own packets (IKE, NAT-T, ESP) that this gateway's NAT translated, that
 * arrive fragmented or without their first fragment, or that leave larger than the
 * path to the peer carries, from the outer rules' copies (kmod-free/outer/outer_rules.c):
 * outer-nat and outer-frag events.  No packet of theirs is queued; a copy is read
 * after the packet went on. */
#ifndef IGD_OUTER_H
#define IGD_OUTER_H
#include <stdint.h>
#include <stdbool.h>
#include "log_dest.h"
#include "mtu/route_mtu.h"
#include "guard/guard_rules.h"
#include "nl/nflog.h"
#include "outer/outer_nat.h"
#include "util/ratelimit.h"
#include "xfrm/oneway.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

struct mnl_socket;

/* Per peer (the tunnel's far end, or the other side of the translated flow): the
 * most recent IGD_OUTER_PEERS, the oldest forgotten first. */
#define IGD_OUTER_PEERS	32

struct igd_outer_peer {
	union igd_addr addr;
	uint8_t family;
	uint64_t nat_events, frag_datagrams;
	uint64_t frag_out;		/* packets to it copied leaving too big */
	uint64_t orphans;		/* later fragments from it without a first */
	uint16_t frag_bytes_min;	/* the smallest first fragment seen */
	uint64_t last_ms;
};

struct igd_outer_stats {
	uint64_t nat_copies;		/* translated IKE/NAT-T/ESP flows seen (one
					 * without reply again every 10 s) */
	uint64_t nat_events;		/* ... of them an outer-nat event */
	uint64_t frag_copies, frag_events;
	uint64_t frag_out_copies, frag_out_events;
	uint64_t orphan_copies, orphan_events;
	uint64_t orphan_reordered;	/* ... whose first fragment came after all */
	uint64_t orphan_other;		/* ... not from a tunnel's endpoint: no event */
	uint64_t unread;		/* copies that did not parse, entries not found */
	uint64_t overflow;		/* copies beyond IGD_OUTER_PENDING in one tick */
	struct igd_outer_peer peers[IGD_OUTER_PEERS];
	unsigned int npeers;
};

/* A translated flow's copy waits here for its conntrack entry: the copy is made at
 * postrouting, before the kernel confirms the entry (at the end of that hook). */
#define IGD_OUTER_PENDING	64

struct igd_outer_pending {
	struct igd_ct_tuple reply;	/* the inverse of the translated packet */
	uint64_t since_ms;
	uint8_t family;
};

/* A later fragment that came without its first: its first may yet come (reordered);
 * judged a second later against the kernel's frag_first set. */
#define IGD_OUTER_ORPHANS	32

struct igd_outer_orphan {
	union igd_addr src, dst;
	uint64_t since_ms;
	uint32_t frag_id;
	uint16_t offset, frag_len;
	uint8_t family;
	uint8_t kind;			/* enum igd_outer_frag_kind */
};

struct igd_outer {
	struct igd_logdest *log;
	struct igd_outer_pending pending[IGD_OUTER_PENDING];
	unsigned int npending;
	const struct igd_outer_ports *ports;
	struct mnl_socket *ct_nl;	/* conntrack lookups, bounded wait */
	struct igd_outer_orphan orphans[IGD_OUTER_ORPHANS];
	unsigned int norphans;
	const char *table;		/* the guard's table (frag_first): set by the
					 * daemon once it is known */
	/* the frag_out chain's rules as last installed, and route lookups for them */
	struct igd_fragout_rule fragout[IGD_MAX_FRAGOUT_RULES];
	size_t nfragout;
	bool fragout_full;		/* the last list filled every rule */
	bool fragout_full_said;		/* ... said once */
	struct igd_rtnl rtnl;
	bool rtnl_ok;
	_Alignas(8) uint8_t rtbuf[IGD_RTNL_BUF_SIZE];	/* netlink messages: aligned */
	struct igd_rl *rl;		/* one line per flow and kind per 10 s */
	struct igd_outer_stats st;
	_Alignas(8) uint8_t buf[8192];	/* netlink messages: aligned */
	char line[2048];
};

/* 0 or -errno.  @log and @ports must outlive @o. */
int igd_outer_init(struct igd_outer *o, struct igd_logdest *log,
		   const struct igd_outer_ports *ports);
void igd_outer_free(struct igd_outer *o);
/* A copy with the outer-nat or outer-frag prefix; @sad names the SAs concerned. */
void igd_outer_on_copy(struct igd_outer *o, const struct igd_nflog_pkt *c,
		       const struct igd_sad *sad);
/* On the daemon's tick: the waiting translated flows' entries looked up and judged
 * (an entry not there yet waits one more tick, up to a second); later fragments
 * whose first did not come within a second judged. */
void igd_outer_tick(struct igd_outer *o, const struct igd_sad *sad);
/* Whether igd_outer_tick() has something to do. */
bool igd_outer_busy(const struct igd_outer *o);
/* The frag_out rules the SPD and SAD call for: every tunnel endpoint this
 * gateway sends to (out SPs' tunnel templates, SAs from a local address) with the
 * path MTU towards it; at most @max into @out, sorted; returns how many. */
struct igd_localaddr;
size_t igd_outer_fragout_rules(struct igd_outer *o, const struct igd_spd *spd,
			       const struct igd_sad *sad, const struct igd_localaddr *local,
			       struct igd_fragout_rule *out, size_t max);
/* What this gateway sees of a one-way tunnel's cause (struct igd_diag_cfg's
 * oneway_seen; @arg: the struct igd_outer, which may be unused — no conntrack
 * then): an IKE/NAT-T conntrack entry between the endpoints, and whether its own
 * input filter drops the tunnel's inbound packets, naming the rule. */
void igd_outer_oneway_seen(void *arg, const struct igd_ow_event *ev, struct igd_ow_seen *s);
#endif
