/* Security policy table: a copy of the kernel's SPD with the lookup the kernel does.
 *
 * igd_spd_lookup() answers what xfrm_policy_lookup() answers (net/xfrm/xfrm_policy.c):
 * policies of type sub are consulted before type main; within a type a policy is a
 * candidate when family, if_id, mark ((flow mark & mark_m) == mark_v) and selector
 * match; the lowest priority value wins and a tie goes by the kernel's pos.
 *
 * From Linux 6.12 "pos" is age: every policy linked into the SPD gets the next
 * position; an update that replaces a policy links a new one (before 6.12 see enum
 * igd_spd_order).  The kernel
 * keeps policies in lists (one exact hash chain, four inexact candidate lists) ordered by
 * priority and insertion, and compares the head matches of those lists by pos.  An update
 * that keeps the priority takes the old policy's place in its list while getting a new
 * pos; the table models that too (see igd_spd_add()).  What it cannot know: after a full
 * re-dump, list places inherited through such updates are gone (a dump does not carry
 * them), and the kernel also renumbers them when inexact tree nodes merge; before 6.12
 * likewise the numbers a delete left stale, and the pos an exact policy kept from
 * being inexact before a hash threshold change (taken as 0).
 *
 * Ownership: the table owns its policies.  igd_spd_add() copies the caller's struct.
 * Pointers returned by lookup/get/iteration stay valid until the next change to the
 * table (add, del, flush, set_hthresh, free).  Not thread-safe; one writer, readers in
 * the same thread.
 */
#ifndef IGD_SPD_H
#define IGD_SPD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "packet/addr.h"

enum igd_dir {			/* values of XFRM_POLICY_IN/OUT/FWD */
	IGD_DIR_IN = 0,
	IGD_DIR_OUT = 1,
	IGD_DIR_FWD = 2,
	IGD_DIR_MAX = 3,
};

enum igd_ptype {		/* values of XFRM_POLICY_TYPE_MAIN/SUB */
	IGD_PTYPE_MAIN = 0,
	IGD_PTYPE_SUB = 1,
	IGD_PTYPE_MAX = 2,
};

enum igd_sp_action {		/* values of XFRM_POLICY_ALLOW/BLOCK */
	IGD_SP_ALLOW = 0,
	IGD_SP_BLOCK = 1,
};

#define IGD_SP_MAX_TMPL	6	/* XFRM_MAX_DEPTH */

/* A selector as the kernel stores it; ports in host order.  For ICMP and ICMPv6 the
 * kernel keeps the type in sport and the code in dport; for mobility headers the type
 * in sport; for GRE the key's high and low halves in sport and dport. */
struct igd_sel {
	union igd_addr saddr, daddr;
	uint16_t sport, sport_mask;
	uint16_t dport, dport_mask;
	uint8_t family;		/* 4 or 6 */
	uint8_t plen_s, plen_d;
	uint8_t proto;		/* 0: any */
	int32_t ifindex;	/* 0: any */
	uint32_t user;
};

struct igd_tmpl {
	union igd_addr saddr, daddr;	/* tunnel endpoints; zero in transport mode */
	uint32_t spi;			/* host order; 0: any */
	uint32_t reqid;
	uint32_t aalgos, ealgos, calgos;
	uint8_t family;			/* of saddr/daddr (4 or 6) */
	uint8_t proto;			/* IPPROTO_ESP, _AH, _COMP... */
	uint8_t mode;			/* XFRM_MODE_* */
	uint8_t share;
	uint8_t optional;		/* 1: "level use" */
};

struct igd_lifetime {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_add_s, hard_add_s;
	uint64_t soft_use_s, hard_use_s;
};

struct igd_curlft {
	uint64_t bytes, packets;
	uint64_t add_time, use_time;	/* seconds since the epoch; 0: never */
};

struct igd_sp {
	struct igd_sel sel;
	struct igd_lifetime lft;
	struct igd_curlft cur;
	uint32_t index;
	uint32_t priority;
	uint32_t mark_v, mark_m;
	uint32_t if_id;
	uint8_t dir;		/* enum igd_dir; 3..5 are socket policies */
	uint8_t type;		/* enum igd_ptype */
	uint8_t action;		/* enum igd_sp_action */
	uint8_t flags;
	uint8_t share;
	uint8_t ntmpl;
	struct igd_tmpl tmpl[IGD_SP_MAX_TMPL];
};

/* A flow as the kernel's struct flowi describes it to the policy lookup.  sport/dport
 * in host order; for ICMP/ICMPv6 put the type in sport and the code in dport (see
 * igd_flow_set_icmp()); for GRE the key halves.  For protocols without ports the
 * lookup ignores them, as the kernel does. */
struct igd_flow {
	union igd_addr saddr, daddr;
	uint8_t family;		/* 4 or 6 */
	uint8_t proto;
	uint16_t sport, dport;
	uint32_t mark;
	uint32_t if_id;
	int32_t oif;		/* output interface index; 0 when unknown */
};

struct igd_spd;

/* How the kernel breaks a tie between equal priorities (its policies' pos):
 * IGD_SPD_ORDER_INSERT (Linux 6.12 on): the policy linked first wins, an update counts
 * as linked anew.  IGD_SPD_ORDER_LIST (before): pos is a place in the one list of a
 * direction's inexact policies, renumbered at each inexact insert; exact policies
 * (full-length selectors) have 0, so the first inexact policy of that list beats an
 * exact one of its priority and every other inexact one loses to it (see spd.c). */
enum igd_spd_order {
	IGD_SPD_ORDER_INSERT,
	IGD_SPD_ORDER_LIST,
};
/* The order of a kernel by its release string ("6.1.0-57-cloud-amd64"); INSERT for
 * one it cannot read. */
enum igd_spd_order igd_spd_order_of_release(const char *release);
/* The running kernel's (uname), read once. */
enum igd_spd_order igd_spd_order_running(void);
const char *igd_spd_order_name(enum igd_spd_order order);

/* A new table follows the running kernel's order. */
int igd_spd_new(struct igd_spd **spd);
void igd_spd_set_order(struct igd_spd *spd, enum igd_spd_order order);
enum igd_spd_order igd_spd_get_order(const struct igd_spd *spd);
void igd_spd_free(struct igd_spd *spd);

/* Adds a copy of @sp as the newest policy.  When a policy with the same index exists it
 * is replaced, as XFRM_MSG_UPDPOLICY does in the kernel.  Policies of socket directions
 * (dir >= IGD_DIR_MAX) are kept for display and never returned by lookups.
 * Returns 0 or -EINVAL / -ENOMEM. */
int igd_spd_add(struct igd_spd *spd, const struct igd_sp *sp);
/* Removes the policy with @index; -ENOENT when there is none. */
int igd_spd_del(struct igd_spd *spd, uint32_t index);
/* Removes every policy of @type (enum igd_ptype), or all with -1. */
void igd_spd_flush(struct igd_spd *spd, int type);
/* The kernel's hash thresholds (XFRMA_SPD_IPV4/6_HTHRESH): which selectors live in its
 * exact hash.  Defaults: 32/32 and 128/128.  Changing them reorders ties the way the
 * kernel's rebuild does (by age). */
int igd_spd_set_hthresh(struct igd_spd *spd, int family, uint8_t lbits, uint8_t rbits);

/* The policy the kernel would pick for @flow in direction @dir, or NULL. */
const struct igd_sp *igd_spd_lookup(const struct igd_spd *spd, int dir,
				    const struct igd_flow *flow);
const struct igd_sp *igd_spd_get(const struct igd_spd *spd, uint32_t index);

/* Iteration, newest first (the kernel's dump order).  @dir -1 for every direction. */
const struct igd_sp *igd_spd_first(const struct igd_spd *spd, int dir);
const struct igd_sp *igd_spd_next(const struct igd_sp *sp, int dir);
#define igd_spd_for_each(spd, sp, dir) \
	for ((sp) = igd_spd_first((spd), (dir)); (sp); (sp) = igd_spd_next((sp), (dir)))

unsigned int igd_spd_count(const struct igd_spd *spd);
/* Bumped on every change: cheap "has the SPD changed since I last looked". */
uint64_t igd_spd_generation(const struct igd_spd *spd);

/* Whether the selector of @sp matches @flow (family, prefixes, proto, ports, ifindex). */
bool igd_sel_match(const struct igd_sel *sel, const struct igd_flow *flow);
/* A protecting policy: action allow with at least one template, whatever its level. */
bool igd_sp_protecting(const struct igd_sp *sp);
/* Whether cleartext fails the SP's templates: at least one is required (not level
 * use). */
bool igd_sp_requires_ipsec(const struct igd_sp *sp);
/* Fills the ICMP fields of @flow the way the kernel maps them onto ports. */
void igd_flow_set_icmp(struct igd_flow *flow, uint8_t type, uint8_t code);

const char *igd_dir_str(int dir);	/* "in", "out", "fwd", "in-sock"... */
int igd_dir_parse(const char *s);	/* -EINVAL when unknown */
#endif
