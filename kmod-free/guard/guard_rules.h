/* The daemon's nf_tables tables with the guard's rules, per family (ip, ip6).  The
 * kernel picks out suspects; only those meet the queue (scope "protected"):
 *
 *   sets protected, required, held   see enum igd_guard_set; decap_ok, tunnelled
 *                                    (guard_pair_sets.c)
 *   prerouting  -150  meta secpath missing  ct state != new  accept
 *                     meta mark & MASK == DECAP_OK  ct mark set ... | DECAP_OK,
 *                         field cleared, accept     (back from the daemon)
 *                     meta iifkind xfrm / vti*  accept   (tunnel interfaces)
 *                     meta secpath exists  saddr . daddr . ipsec in reqid @decap_ok
 *                         accept
 *                     meta secpath exists  ct mark & MASK != DECAP_OK
 *                         ip saddr @protected  meta mark 0
 *                         meta mark set ipsec in reqid & ~MASK | SECREQ  queue
 *                     meta secpath exists  ct mark & MASK != DECAP_OK
 *                         ip saddr @protected  meta mark set ... | SECPATH  queue
 *                     ct state new  meta secpath missing  ip saddr @protected  queue
 *   forward        0  ct state new  ip daddr @protected  queue    (pre-NAT tap, only
 *   output         0  ct state new  ip daddr @protected  queue     with pre_nat_tap)
 *   mss            1  per protecting out SP, the SYN and the far side's SYN/ACK:
 *                     ip saddr SRC ip daddr DST tcp flags syn (and the reverse
 *                     with syn,ack)  tcp option maxseg size > V  counter
 *                     log group G prefix "ipsecguard mss-clamp V"
 *                     tcp option maxseg size set V
 *   postrouting  101  jump judged_ok: ct mark & MASK == OK  ct state != new  accept
 *                                     rt ipsec exists  not new  not snat  not FLAG
 *                                         accept
 *                                     ct direction reply  not new  not FLAG  accept
 *                     jump outer_out (outer/outer_rules.c)
 *                     jump judged:  ct mark & MASK == OK  accept
 *                                   meta mark & MASK == FLAG | OK  ct mark set ...,
 *                                       field cleared (OK: accept; back from the daemon)
 *                                   ct mark & MASK == FLAG  drop (enforce) | accept
 *                     meta oifkind xfrm / vti*  accept   (tunnel interfaces)
 *                     ct direction original  ct status snat
 *                         ct original ip daddr @protected        queue (suspect)
 *                     ct direction original  rt ipsec missing
 *                         ct original ip daddr @held             queue (suspect)
 *                     ct direction original  rt ipsec missing  no NAT  not loopback
 *                         ip saddr . ip daddr @tunnelled         queue, bypass always
 *                     ct direction original  rt ipsec missing  not snat
 *                         ip daddr @required       copy to the log group (uncovered)
 *                     ct state new  rt ipsec exists  jump count   (per SP counters)
 *                     jump healthy: rt ipsec missing  ct mark set ... | OK
 *                     (the held one has a twin before it for flows without NAT that
 *                     carries the plain marker in the mark field, as the tunnelled one
 *                     does; with the prenat map, the translated suspect is preceded
 *                     by the rule that adds the pre-NAT source to the map and carries
 *                     a marker too)
 *
 * The suspects' queue has no bypass when enforcing: a suspect no daemon judges is
 * dropped; but not the tunnelled rule's, which also takes cleartext the SPD lets out
 * (a bypass SP).  The pre-NAT tap (bypass always) hands flow heads back with a token in
 * the packet mark field (MASK) that brings their pre-NAT tuple to postrouting, for
 * kernels that attach no conntrack entry to queued packets.  Where the daemon wants
 * something remembered in the conntrack mark it answers NF_REPEAT with the value in
 * the field: the chain runs again and its first rules do the rest.  Every
 * decapsulated packet of a connection is judged until one passes.  Scopes "heads"
 * and "all" queue every flow head or every packet at every hook instead (diagnosis).
 * Everything is one transaction. */
#ifndef IGD_GUARD_RULES_H
#define IGD_GUARD_RULES_H
#include <stddef.h>
#include <stdint.h>
#include "nft/nft_hooks.h"
#include "nft/decap_set.h"
#include "outer/outer_nat.h"
#include "nft/prefix_set.h"
#include "natfix/natfix.h"

enum igd_scope {
	IGD_SCOPE_PROTECTED,	/* flow heads of traffic touching a protected prefix */
	IGD_SCOPE_HEADS,	/* every flow head */
	IGD_SCOPE_ALL,		/* every packet */
};

/* The sets, per family: "protected" holds the remote selectors of protecting SPs
 * (out: destination, in/fwd: source), --protect and the destinations of remembered
 * SPs whose tunnel is down (a translated flow towards them is a suspect); "held" the
 * destinations whose cleartext enforce drops: --protect, remembered SPs' whose tunnel
 * is down (and with --drop-uncovered those of "required"); "required" the
 * destinations of protecting out SPs with a required template that cover all traffic
 * to them (judge/outbound.h): cleartext towards them is copied to the daemon, which
 * reports it, and never waits for it.  Beside them, keyed by address pairs
 * (guard_pair_sets.c): "decap_ok" and "tunnelled", the selectors of out SPs that
 * require IPsec of all traffic between their addresses and the networks routed into
 * tunnel interfaces, whose untranslated cleartext is queued (an SP the kernel no
 * longer applies) without waiting for a dead daemon. */
enum igd_guard_set {
	IGD_GUARD_PROTECTED,
	IGD_GUARD_REQUIRED,
	IGD_GUARD_HELD,
	IGD_GUARD_NSETS,
};

/* One protecting out SP whose new tunnelled flows the count chain counts. */
struct igd_guard_count {
	union igd_addr src, dst;
	uint8_t plen_s, plen_d;
	uint8_t family;
	uint32_t index;
};

/* A NAT exemption of fix mode: the selector (normalised: igd_natfix_sel_norm) whose
 * flows the exempt chain binds to their own source. */
struct igd_guard_exempt {
	struct igd_sel sel;
	uint32_t sp_index;
};

struct igd_guard_sets {
	struct igd_prefix *v[IGD_GUARD_NSETS];	/* reordered when written */
	size_t n[IGD_GUARD_NSETS];
	const struct igd_decap_elem *decap;	/* the decap_ok set (both families) */
	size_t ndecap;
	const struct igd_decap_elem *tunnelled;	/* the tunnelled set (both families;
						 * the reqids unused) */
	size_t ntunnelled;
	const struct igd_guard_count *count;	/* the count chain, in lookup order */
	size_t ncount;
	const struct igd_guard_exempt *exempt;	/* fix mode's exemptions */
	size_t nexempt;
};
#define IGD_GUARD_MSS_CHAIN "mss"
/* The log prefix of the MSS rules: this, then the value they clamp to. */
#define IGD_GUARD_MSS_PREFIX "ipsecguard mss-clamp "
/* ... of the copies of the first packet of cleartext flows towards "required" that no
 * rule before queued (judge/outbound.h: bypass, uncovered, clear by design). */
#define IGD_GUARD_UNCOVERED_PREFIX "ipsecguard uncovered"
/* The log prefix of the copies of healthy protected flow heads (--log-healthy). */
#define IGD_GUARD_PASS_PREFIX "ipsecguard pass"
/* ... of the tunnel's own packets: a translated IKE/NAT-T/ESP flow's first packet, an
 * arriving ESP or IKE-port datagram's first fragment (outer/outer_rules.c). */
#define IGD_GUARD_OUTER_NAT_PREFIX "ipsecguard outer-nat"
#define IGD_GUARD_OUTER_FRAG_PREFIX "ipsecguard outer-frag"
#define IGD_GUARD_FRAG_CHAIN "fragments"
/* ... an ESP or IKE-port datagram leaving larger than the path to its peer carries
 * (the kernel fragments it after the hook), and a later fragment of an arriving ESP
 * or UDP datagram whose first fragment did not come before it. */
#define IGD_GUARD_OUTER_FRAG_OUT_PREFIX "ipsecguard outer-frag-out"
#define IGD_GUARD_OUTER_ORPHAN_PREFIX "ipsecguard outer-frag-orphan"
#define IGD_GUARD_FRAG_OUT_CHAIN "frag_out"
#define IGD_GUARD_FRAG_FIRST_SET "frag_first"
#define IGD_GUARD_FRAG_FIRST_MS	3000	/* a reordered first fragment comes within 1 s */
#define IGD_GUARD_OUTER_SEEN_SET "outer_seen"
#define IGD_GUARD_OUTER_IN_CHAIN "outer_in"
#define IGD_GUARD_OUTER_OUT_CHAIN "outer_out"
#define IGD_GUARD_LOG_SNAPLEN 128	/* IPv6 header and TCP with every option */
/* The comments that name the rules whose counters the stats event reports. */
#define IGD_GUARD_CTR_SUSPECT_NAT	"suspect: translated"
#define IGD_GUARD_CTR_SUSPECT_CLEAR	"suspect: untransformed"
#define IGD_GUARD_CTR_SUSPECT_UNAPPLIED	"suspect: sp not applied"
#define IGD_GUARD_CTR_UNCOVERED		"uncovered: copied"
#define IGD_GUARD_CTR_FLAGGED		"judged: flagged"
#define IGD_GUARD_CTR_DECAP_OK		"decap ok"
#define IGD_GUARD_CTR_MSS		"mss clamp"
#define IGD_GUARD_CTR_OUTER_NAT		"outer: nat"
#define IGD_GUARD_CTR_FRAG_ESP		"frag: first esp"
#define IGD_GUARD_CTR_FRAG_UDP		"frag: first ike-port udp"
#define IGD_GUARD_CTR_FRAG_LATER_ESP	"frag: later esp"
#define IGD_GUARD_CTR_FRAG_LATER_UDP	"frag: later udp"
#define IGD_GUARD_CTR_FRAG_ORPHAN_ESP	"frag: orphan esp"
#define IGD_GUARD_CTR_FRAG_ORPHAN_UDP	"frag: orphan udp"
#define IGD_GUARD_CTR_FRAG_OUT_ESP	"frag: out esp"
#define IGD_GUARD_CTR_FRAG_OUT_UDP	"frag: out ike-port udp"
#define IGD_GUARD_CTR_SP		"sp "	/* then the SP's index */
#define IGD_GUARD_COUNT_CHAIN		"count"
#define IGD_GUARD_JUDGED_CHAIN		"judged"
#define IGD_GUARD_JUDGED_OK_CHAIN	"judged_ok"
#define IGD_GUARD_HEALTHY_CHAIN		"healthy"

/* One SYN/ACK clamp: replies from @dst/@plen_d to @src/@plen_s (an out SP's
 * selector, seen from the far side) get at most @mss. */
struct igd_mss_rule {
	union igd_addr src, dst;
	uint8_t plen_s, plen_d;
	uint8_t family;
	uint16_t mss;
	uint32_t ifindex;	/* a tunnel interface's: SYNs leaving by it and SYN/ACKs
				 * arriving through it, whatever their addresses */
};

/* One tunnel endpoint this gateway sends ESP or IKE to and the path MTU to it: the
 * frag_out chain of its family copies the tunnel's packets to it that are larger. */
struct igd_fragout_rule {
	union igd_addr peer;
	union igd_addr local;		/* the source it is sent from (route lookup) */
	uint8_t family;			/* 4 or 6 */
	uint8_t source;			/* enum igd_mtu_source: where the MTU is from */
	uint16_t mtu;
};
#define IGD_MAX_FRAGOUT_RULES	256

struct igd_guard_cfg {
	struct igd_hooks_cfg hooks;	/* table, queue numbers, bypass, fanout */
	enum igd_scope scope;
	uint32_t mark_mask;		/* the field in packet and conntrack marks */
	uint32_t mark_flag;		/* value (within mark_mask) of a flagged flow,
					 * in the generation in force */
	uint32_t mark_secpath;		/* value given to decapsulated packets */
	uint32_t mark_secreq;		/* ... whose mark field holds the SA's reqid */
	uint32_t mark_decap_ok;		/* ct mark: this connection's decapsulated
					 * packets passed the policy check */
	uint32_t mark_ok;		/* ct mark: the daemon judged this connection
					 * healthy (scope protected), in the generation
					 * in force */
	bool mss_chain;			/* the mss chain: SYN and SYN/ACK clamps */
	uint16_t log_group;		/* nfnetlink_log group of the clamps' copies,
					 * 0: none */
	bool outer;			/* the outer rules (outer/outer_rules.c), in log_group */
	struct igd_outer_ports outer_ports;
	bool log_healthy;		/* scope protected: copy the head of every new
					 * flow the route transforms to log_group */
	bool pre_nat_tap;		/* scope protected: queue protected flow heads
					 * at forward and output too (kernels that do
					 * not attach conntrack to queued packets; the
					 * SYN's MSS clamp) */
	bool prenat_map;		/* scope protected, kernels without NFQA_CT
					 * and without the tap: translated suspects'
					 * pre-NAT source in the prenat map (see
					 * prenat_map.h); suspects carry a marker */
	uint32_t mark_translated;	/* marker: the pre-NAT tuple is in the map */
	uint32_t mark_plain;		/* marker: not translated, the packet's own
					 * tuple is the pre-NAT one */
	bool enforce;			/* flagged connections are dropped */
	bool suspects_bypass;		/* a suspect passes when no daemon listens */
	bool backstop;			/* hold "owner", enforce and fix: the backstop
					 * table beside the owned one (table_hold.h) */
	bool is_backstop;		/* this cfg describes the backstop table */
	bool exempt_chain;		/* fix mode: the exempt chain (nat, postrouting,
					 * before every other tool's nat chain) */
};
/* Fix mode's exemptions live in a nat chain of the daemon's own tables, at a priority
 * before the nat chains of other tools (srcnat is 100; iptables' nat, firewalld's,
 * fw4's and Docker's are at 100 or later): a flow it matches is bound to its own
 * source, so no later nat chain is consulted — the kernel binds a connection's
 * source once — and the tuple the SP lookup saw is kept.  Nothing another tool
 * reloads can remove it. */
#define IGD_GUARD_EXEMPT_CHAIN		IGD_NATFIX_OWN_CHAIN
#define IGD_GUARD_EXEMPT_PRIO		(-100)
#define IGD_GUARD_BACKSTOP_SUFFIX	"_backstop"
#define IGD_GUARD_BACKSTOP_PRIO		102	/* after the owned table's postrouting */
#define IGD_GUARD_CTR_BACKSTOP		"backstop: dropped"
#define IGD_GUARD_TUNNEL_IF		"tunnel interface"
/* The backstop table's name for the guard's table @table. */
const char *igd_guard_backstop_name(const char *table, char *buf, size_t len);
/* Puts the backstop table back as cfg and @sets describe it (one transaction). */
int igd_guard_backstop_install(const struct igd_guard_cfg *cfg,
			       const struct igd_guard_sets *sets, char *err, size_t errlen);

/* What scope "protected" needs of the kernel, probed without creating anything
 * (guard_probe.c): IGD_GUARD_NEED_* bits of the expressions it refuses, in *@missing.
 * Returns 0, or -errno when nf_tables could not be asked.  A daemon that finds any
 * missing falls back to scope "heads" (flow heads queued at every hook). */
enum {
	IGD_GUARD_NEED_RT_IPSEC = 1 << 0,	/* nft_rt NFT_RT_XFRM (CONFIG_XFRM) */
	IGD_GUARD_NEED_CT_STATUS = 1 << 1,
	IGD_GUARD_NEED_CT_ORIGINAL = 1 << 2,	/* ct original ip saddr (4.17) */
	IGD_GUARD_NEED_SECPATH = 1 << 3,	/* meta secpath (CONFIG_XFRM) */
	IGD_GUARD_NEED_OIFKIND = 1 << 4,	/* meta oifkind, iifkind (5.1) */
};
#define IGD_GUARD_NEEDS	5		/* rules the probe asks about */
int igd_guard_probe(unsigned int *missing);
/* The bits of the probe's per-rule answers (0 taken, -errno refused), in probe order:
 * IGD_GUARD_NEEDS of them. */
unsigned int igd_guard_missing_of(const int *results);
/* "rt ipsec, meta secpath" into @buf; returns @buf. */
const char *igd_guard_missing_str(unsigned int missing, char *buf, size_t len);

/* Replaces the tables and installs everything with the sets holding @sets. */
int igd_guard_install(const struct igd_guard_cfg *cfg, const struct igd_guard_sets *sets,
		      char *err, size_t errlen);
/* Replaces the sets' contents (flush + add, one transaction), and the verdict chains
 * with the generation in cfg (igd_guard_gen_update). */
int igd_guard_set_update(const struct igd_guard_cfg *cfg, const struct igd_guard_sets *sets,
			 char *err, size_t errlen);
/* Replaces the frag_out chains' rules (both families) in one transaction (the outer
 * rules only). */
int igd_guard_fragout_update(const struct igd_guard_cfg *cfg, const struct igd_fragout_rule *f,
			     size_t n, char *err, size_t errlen);
/* A verdict kept in the conntrack mark holds for the SPD it was made under: each
 * generation has its own healthy and flagged values (cfg->mark_ok, mark_flag), and a
 * new one replaces the judged and healthy chains (and the backstop's verdict rules) in
 * one transaction, so connections judged before meet the suspect rules again at their
 * next packet.  Nothing else in the tables changes. */
int igd_guard_gen_update(const struct igd_guard_cfg *cfg, char *err, size_t errlen);
/* Replaces the exempt chain's rules (both families, and the backstop's) with
 * sets->exempt in one transaction. */
int igd_guard_exempt_update(const struct igd_guard_cfg *cfg, const struct igd_guard_sets *sets,
			    char *err, size_t errlen);
/* Replaces the mss chain's rules (both families) in one transaction. */
int igd_guard_mss_update(const struct igd_guard_cfg *cfg, const struct igd_mss_rule *m,
			 size_t n, char *err, size_t errlen);
#endif
