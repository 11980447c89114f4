/* The judgement of one queued packet: parse it, decide accept or drop, name the
 * reason.  Counters per reason and verdict are kept here, exactly. */
#ifndef IGD_JUDGE_H
#define IGD_JUDGE_H
#include <stdint.h>
#include "mss.h"
#include "localaddr.h"
#include "natguard.h"
#include "nft/prefix_set.h"
#include "opts.h"
#include "nft/prenat_map.h"
#include "packet/pkt.h"
#include "queue.h"
#include "outer/outer_nat.h"
#include "route/noxfrm.h"
#include "route/tunnels.h"
#include "xfrm/spd.h"
#include "judge/outbound.h"
#include "judge/reason.h"

struct igd_judgement {
	enum igd_reason reason;
	uint32_t verdict;	/* NF_ACCEPT / NF_DROP */
	int parse_err;		/* igd_pkt_err when malformed */
	uint16_t mss_from, mss_to;
	const struct igd_sp *sp;	/* the SP involved (for NAT: the pre-NAT one) */
	const struct igd_sp *nat_sp;	/* the SP the translated tuple matched */
	const char *sa_conn, *sa_child;	/* the IKE daemon's names of sa, or NULL */
	const struct igd_sa *sa;	/* the SA serving sp (decapsulated: the one that
					 * decrypted the packet), when known */
	uint32_t in_reqid;		/* reqid of the decrypting SA, 0: unknown */
	const struct igd_sp *rev_sp;	/* out SP of the reverse tuple (tmpl-mismatch) */
	const struct igd_remembered *held;	/* tunnel-down: the remembered selector */
	const struct igd_flow *pre;	/* the pre-NAT tuple, at postrouting */
	struct igd_flow pre_flow;	/* ... its storage */
	struct igd_sp pre_sp;		/* the pre-NAT tap's SP (a copy) */
	struct igd_flow flow;		/* the packet's own tuple */
	bool set_mark;
	uint32_t mark;
	bool want_fix;			/* fix mode: exempt sp's selector from NAT */
	int tap;			/* enum igd_tap_role of the queue, -1: none */
};

/* What the judge takes of the daemon's options. */
struct igd_judge_cfg {
	enum igd_mode mode;
	bool no_hooks;			/* the user's rules feed the queues */
	int scope;			/* enum igd_scope */
	uint32_t queue_lo, queue_hi;
	uint32_t mark_mask;		/* the ct mark field of tokens and flags */
	/* the prenat map's lookup (nft/prenat_map.h), NULL without the map: 0 and
	 * *@out, or -errno */
	int (*prenat_lookup)(void *arg, int family, const uint8_t *key,
			     struct igd_prenat *out);
	void *prenat_arg;
};

/* Verdicts per SP (the SP the judgement named), for the metrics: the first
 * IGD_JUDGE_SP_MAX SPs seen, then "other". */
#define IGD_JUDGE_SP_MAX	128

struct igd_judge_sp_count {
	uint32_t index;
	uint8_t dir;
	uint64_t verdicts[IGD_R_MAX][2];	/* [reason][0 accept, 1 drop] */
};

struct igd_judge {
	struct igd_judge_cfg cfg;
	const struct igd_spd *spd;	/* refreshed by the daemon after SPD changes */
	const struct igd_sad *sad;
	struct igd_mss *mss;		/* NULL or mode off: no clamping */
	/* what the SPD and the guard's own protections say of a flow in clear
	 * (judge/outbound.h); the daemon keeps it pointed at the SPD, --protect and
	 * the remembered protections */
	struct igd_out_ctx out;
	const struct igd_localaddr *local;
	const struct igd_noxfrm *noxfrm;	/* interfaces that skip the SPD (IPv4) */
	const struct igd_outer_ports *ike_ports;	/* 500, 4500, --ike-port: this
							 * machine's own packets on them
							 * are key exchange (NULL: only
							 * what the parser names so) */
	const struct igd_tunnels *tunnels;	/* tunnel interfaces: their if_id, keys */
	uint32_t tap_width;		/* --no-hooks with 5 role blocks: their width */
	uint64_t mss_no_option;		/* SYNs without an MSS option (RFC 9293 default) */
	struct igd_natguard guard;
	uint64_t count[IGD_R_MAX][2];		/* [reason][0 accept, 1 drop] */
	uint64_t malformed[IGD_PKT_ERR_MAX];	/* by parse error */
	uint64_t hooks[5];			/* packets per NF_INET hook */
	uint64_t copies_unread;			/* clamp copies we could not parse */
	uint64_t prenat_missed;			/* translated suspects the map lacked */
	uint64_t sp_unapplied;			/* cleartext an SP the daemon still had
						 * covers: the kernel no longer had it */
	struct igd_judge_sp_count sp[IGD_JUDGE_SP_MAX];
	unsigned int nsp;
	uint64_t sp_other[IGD_R_MAX][2];	/* verdicts of SPs beyond the table */
};

int igd_judge_init(struct igd_judge *j, const struct igd_judge_cfg *cfg);
/* Judges @qp; fills @p (the parsed packet) and @jd. */
void igd_judge_packet(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		      struct igd_judgement *jd);
/* A copy of a SYN or SYN/ACK the kernel's rule clamped to @to: names its SP and the
 * values for the mss-clamp line. */
void igd_judge_mss_copy(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			uint16_t to, struct igd_judgement *jd);
/* A copy of the head of a new flow the kernel sent through its tunnel (--log-healthy):
 * a pass, naming its SP and SA. */
void igd_judge_pass_copy(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			 struct igd_judgement *jd);
/* A copy of the first packet of a cleartext flow towards a destination the SPs protect
 * (the uncovered rule): what the SPD decided of it (bypass, sp-miss-out reported, or
 * nothing: clear by design).  Never a verdict. */
void igd_judge_uncovered_copy(struct igd_judge *j, const struct igd_qpkt *qp,
			      struct igd_pkt *p, struct igd_judgement *jd);
const char *igd_hook_name(unsigned int hook);
/* Zeroes @j's counters (a queue thread's copy of the judge starts from none). */
void igd_judge_clear_counts(struct igd_judge *j);
/* Adds @from's counters to @to's; @from may be judging on another thread meanwhile
 * (each counter is read whole, the sum is as of some moment during the call). */
void igd_judge_add_counts(struct igd_judge *to, const struct igd_judge *from);
#endif
