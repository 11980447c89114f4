/* One base chain walked the way the kernel runs it, for the packets of one flow
 * (struct igd_nat_ctx): each rule answered by nat_eval.h, `jump` and `goto` followed
 * into their chains (iptables' -j CHAIN and -g CHAIN too), `return`, a verdict map
 * whose key the flow decides, the packet mark as rules earlier in the walk set it,
 * and the end of each chain.  What the walk looks for — a translation in nat chains,
 * a drop in filter chains — is reported as the first rule that does it: the chain it
 * is in, the chains the walk went through, and whether every packet of the flow gets
 * there (ALWAYS) or only some may (MAYBE: a condition left open on the way or in it,
 * named in `why`).  Nothing that cannot be decided is taken for "no". */
#ifndef IGD_CHAIN_WALK_H
#define IGD_CHAIN_WALK_H
#include <stdbool.h>
#include <stdint.h>
#include "ruleset/nat_eval.h"
#include "natfix/natfix.h"

/* The kernel's NFT_JUMP_STACK_SIZE; iptables allows no deeper recursion either. */
#define IGD_WALK_DEPTH	16

enum igd_walk_end {
	IGD_WALK_FALL,		/* the base chain ended or returned: its policy decides */
	IGD_WALK_ACCEPT,
	IGD_WALK_DROP,
	IGD_WALK_TRANSLATE,
};

struct igd_walk_hit {
	enum igd_tri outcome;		/* NEVER: no rule does it */
	char chain[IGD_NATFIX_NAME_MAX];	/* the rule's own chain */
	char path[512];			/* "base > chain > ... > chain" */
	uint64_t handle;		/* nft: the rule's handle; legacy: its number */
	char rule[256];			/* legacy: the rule as -S prints it */
	char why[96];			/* MAYBE: what was left open */
	bool exempt_maybe;		/* an accept or return before it may take part */
	bool masquerade, has_to;	/* a translation: as struct igd_nat_eval */
	union igd_addr to;
	bool to_unknown;		/* translated, to a source that depends on the
					 * packet (rules of different translations) */
};

struct igd_walk {
	/* what to walk */
	const struct igd_nat_ctx *c;
	uint32_t nfproto;		/* nf_tables: the table's family (NFPROTO_*) */
	const char *table;
	int legacy;			/* 4 or 6: iptables-legacy's @table; 0: nf_tables */
	enum igd_nat_act want;		/* IGD_NAT_ACT_TRANSLATE or IGD_NAT_ACT_DROP */
	/* what it found */
	struct igd_walk_hit hit;
	enum igd_walk_end end;		/* how the base chain ends for the flow */
	bool end_sure;			/* no packet of it reaches the chain's end other-
					 * wise (an earlier verdict may have taken some) */
	bool policy_drop;		/* legacy: the built-in base chain's policy is DROP */
	/* the walk's own */
	bool maybe_ended;		/* a rule may have ended the walk for some packets */
	bool maybe_escaped;		/* ... with another verdict than the one wanted */
	char open_why[96];		/* the first condition that left the walk open */
	bool hits_differ;		/* rules that translate differently were met */
	char err[160];			/* legacy: what iptables said when it failed */
	bool mark_known;		/* the packet mark at this point of the walk */
	uint32_t mark;
};

/* Walks base chain @base.  0 or -errno (a chain's rules could not be read). */
int igd_walk_base(struct igd_walk *w, const char *base);
#endif
