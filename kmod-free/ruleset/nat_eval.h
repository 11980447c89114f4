/* Will source NAT translate the traffic of a security policy?  The rules of the nat
 * postrouting chains (nf_tables: native nft and iptables-nft; iptables-legacy: its -S
 * lines) evaluated against an out SP's selector, as its packets look there: the
 * pre-NAT source and destination of the selector, its protocol and ports, the output
 * interface the route gives them, no secpath, and (for an out SP with a template) a
 * route that is transformed when the tunnel is up.
 *
 * Each condition of a rule is answered for every packet of the selector at once:
 * always true, never true, or "it depends" (part of the selector, or a condition we
 * cannot evaluate: a set lookup, a mark, a limit...).  A rule matches as the least of
 * its conditions.  Unknown is never taken for "no": a rule that may match stays in
 * the answer as such. */
#ifndef IGD_NAT_EVAL_H
#define IGD_NAT_EVAL_H
#include <stdbool.h>
#include <stdint.h>
#include "xfrm/spd.h"

struct nftnl_rule;
struct natfix_legacy_line;
struct igd_nft_sets;

enum igd_tri { IGD_TRI_NEVER, IGD_TRI_MAYBE, IGD_TRI_ALWAYS };

/* What a rule does to a packet it matches. */
enum igd_nat_act {
	IGD_NAT_ACT_NONE,	/* nothing that ends the chain (counter, log, ...) */
	IGD_NAT_ACT_EXEMPT,	/* accept: no NAT from this chain */
	IGD_NAT_ACT_RETURN,	/* return: the base chain's policy (accept in nat) */
	IGD_NAT_ACT_TRANSLATE,	/* masquerade or snat */
	IGD_NAT_ACT_DROP,
	IGD_NAT_ACT_OTHER,	/* a jump, or a target we do not know */
};

/* The SP's traffic at nat postrouting. */
struct igd_nat_ctx {
	const struct igd_sel *sel;
	const char *oifname;	/* the route's output interface, "" when unknown */
	uint32_t oif;		/* its ifindex, 0 when unknown */
	bool transformed;	/* the SP has templates: rt ipsec exists (tunnel up) */
	const char *iifname;	/* input interface (input hook), "" or NULL: unknown */
	const struct igd_nft_sets *sets;	/* the rule's table's sets, NULL: none read */
	bool nft_only;		/* leave iptables-legacy out (it runs a program) */
	bool mark_known;	/* the packet's mark when it reaches the hook */
	uint32_t mark;
};

struct igd_nat_eval {
	enum igd_tri match;
	enum igd_nat_act act;
	char why[96];		/* the first condition that was not "always" */
	bool masquerade;	/* TRANSLATE: to the output interface's address */
	bool has_to;		/* TRANSLATE: snat to this address (the range's first) */
	union igd_addr to;
	char jump[256];		/* OTHER: the chain of a jump or goto, "" for others */
	bool go;		/* ... a goto: the walk does not come back to this chain */
	/* The packet mark, left to the walk that knows it (chain_walk.h): a condition
	 * "(mark & mark_mask) == mark_value" (!= with mark_neq), not part of @match... */
	bool mark_cond, mark_neq;
	uint32_t mark_mask, mark_value;
	/* ... and a mark set by the rule: (mark & mark_and) ^ mark_xor, or to a value
	 * not known (mark_set without mark_set_known) */
	bool mark_set, mark_set_known;
	uint32_t mark_and, mark_xor;
};

/* One nf_tables rule of table family @nfproto (NFPROTO_*). */
void igd_nat_eval_nft(const struct nftnl_rule *r, uint32_t nfproto, const struct igd_nat_ctx *c,
		      struct igd_nat_eval *out);
/* One "-A CHAIN ..." line of iptables-legacy -S. */
void igd_nat_eval_legacy(const struct natfix_legacy_line *l, const struct igd_nat_ctx *c,
			 struct igd_nat_eval *out);

/* A prefix condition "address within @rv/@rlen" against the selector's @sv/@slen. */
enum igd_tri igd_tri_prefix(const union igd_addr *rv, unsigned int rlen,
			    const union igd_addr *sv, unsigned int slen);
#endif
