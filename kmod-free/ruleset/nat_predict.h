/* NAT before IPsec, predicted: for an out SP's traffic (struct igd_nat_ctx), every
 * nat postrouting base chain of nf_tables (native nft and iptables-nft, all tables,
 * in priority order) and the iptables-legacy nat table walked as the kernel runs them
 * (chain_walk.h: jumps, gotos, returns, verdict maps, marks) until the traffic is
 * surely exempted, surely translated, or the chain ends.  The nat chains are
 * consulted one after the other until one translates (the first binding wins), so an
 * exemption counts only in its own chain.  One finding per base chain that
 * translates or may translate. */
#ifndef IGD_NAT_PREDICT_H
#define IGD_NAT_PREDICT_H
#include <stddef.h>
#include <stdint.h>
#include "ruleset/nat_eval.h"
#include "natfix/natfix.h"

struct igd_nat_finding {
	enum igd_tri outcome;		/* ALWAYS: translates; MAYBE: may translate */
	const char *backend;		/* "nft", "iptables-nft", "iptables-legacy" */
	const char *family;		/* "ip", "ip6", "inet" */
	char table[IGD_NATFIX_NAME_MAX];
	char chain[IGD_NATFIX_NAME_MAX];	/* the base chain */
	char rule_chain[IGD_NATFIX_NAME_MAX];	/* the rule's own chain */
	char path[512];			/* base > ... > rule_chain, "" when the same */
	uint64_t handle;		/* the rule's handle (legacy: its number) */
	char rule[256];			/* legacy: the rule as -S prints it */
	char why[96];			/* MAYBE: the condition left open */
	bool exempt_maybe;		/* an earlier exemption may cover part of it */
	bool masquerade, has_to;	/* the translation: as struct igd_nat_eval */
	union igd_addr to;
	bool to_unknown;		/* translated to a source that depends on the
					 * packet: neither masquerade nor one address */
	int32_t prio;			/* the base chain's priority (legacy: 100) */
};

/* Where the finding's rule is: the chains the walk took to it, or its base chain. */
static inline const char *igd_nat_where(const struct igd_nat_finding *f)
{
	return f->path[0] ? f->path : f->chain;
}

/* Fills up to @max findings for @c; returns how many, or -errno with @err. */
int igd_nat_predict(const struct igd_nat_ctx *c, struct igd_nat_finding *f, int max,
		    char *err, size_t errlen);
#endif
