/* What the SPD, and what the guard protects besides, decide about a flow leaving in
 * clear: the one classification the daemon's judgement, `ipsecguard trace` and
 * `doctor` share.  The SPD is the source of truth: an SP that covers the flow decides
 * it.  Only where none does do the protections the SPD does not state apply:
 *
 *   bypass     an out SP with action allow and no template covers it: clear on
 *              purpose (strongSwan's passthrough shunt, a LAN beside a 0/0 tunnel)
 *   block      an out SP with action block covers it: the kernel drops it
 *   protected  a protecting out SP covers it (whether it leaves through the tunnel is
 *              the caller's to say: an optional template without SA lets it out)
 *   held       no SP, but a remembered one (remember.h) covered it: its tunnel is down
 *   protect    no SP, but a destination given with --protect
 *   uncovered  no SP, but a protecting out SP covers all traffic to the destination
 *              (no protocol, port, mark or if_id narrows it), only not from this source
 *   clear      nothing claims it: SPs narrowed to a protocol or port (L2TP/IPsec's
 *              udp 1701, a TCP-only tunnel) leave the rest in clear by design
 *
 * Enforce drops held and protect; uncovered only when asked to (--drop-uncovered):
 * the SPs say this destination is protected, but not for this source, which may be on
 * purpose (a second LAN that talks to the peer in clear). */
#ifndef IGD_OUTBOUND_H
#define IGD_OUTBOUND_H
#include <stdbool.h>
#include <stddef.h>
#include "judge/remember.h"
#include "nft/prefix_set.h"
#include "xfrm/spd.h"

enum igd_out_class {
	IGD_OUT_CLEAR,
	IGD_OUT_BYPASS,
	IGD_OUT_BLOCK,
	IGD_OUT_PROTECTED,
	IGD_OUT_HELD,
	IGD_OUT_PROTECT,
	IGD_OUT_UNCOVERED,
	IGD_OUT_MAX,
};

struct igd_out_ctx {
	const struct igd_spd *spd;
	const struct igd_memory *memory;	/* NULL: nothing remembered */
	const struct igd_prefix *protect;	/* --protect */
	size_t nprotect;
	bool drop_uncovered;
};

struct igd_out_decision {
	enum igd_out_class cls;
	const struct igd_sp *sp;		/* the deciding SP; for uncovered, the one
						 * that covers the destination */
	const struct igd_remembered *held;	/* held: the remembered selector */
	bool drop;				/* what enforce drops */
};

/* "clear", "bypass", "block", "protected", "held", "protect", "uncovered". */
const char *igd_out_class_name(enum igd_out_class c);
/* Classifies @flow (the tuple the kernel's out lookup sees). */
void igd_out_classify(const struct igd_out_ctx *c, const struct igd_flow *flow,
		      struct igd_out_decision *o);
/* An SP that protects all traffic to its destination: allow, templates, no protocol,
 * port, mark or if_id that narrows it. */
bool igd_sp_covers_all(const struct igd_sp *sp);
#endif
