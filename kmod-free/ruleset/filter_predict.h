/* Will the filter rules let a packet through?  The nf_tables filter base chains of
 * one hook (input or output; native nft and iptables-nft) and the iptables-legacy
 * filter table's INPUT or OUTPUT chain walked rule by rule for a flow of one host each
 * way (nat_eval.h), jumps followed into their chains (and nf_tables gotos), and each
 * base chain's policy at its end.  Every base chain of the hook
 * must accept the packet.  One finding per base chain that drops or may drop it. */
#ifndef IGD_FILTER_PREDICT_H
#define IGD_FILTER_PREDICT_H
#include <stdint.h>
#include "ruleset/nat_eval.h"
#include "natfix/natfix.h"

struct igd_filter_finding {
	enum igd_tri blocked;		/* ALWAYS: dropped; MAYBE: may be dropped */
	const char *backend;		/* "nft" (and iptables-nft), "iptables-legacy" */
	const char *family;		/* "ip", "ip6", "inet" */
	char table[IGD_NATFIX_NAME_MAX], chain[IGD_NATFIX_NAME_MAX];	/* base chain */
	char rule_chain[IGD_NATFIX_NAME_MAX];	/* the dropping rule's own chain */
	char path[512];			/* base > ... > rule_chain, "" when the same */
	uint64_t handle;		/* the dropping rule (legacy: its number in its
					 * chain); 0: the chain's policy */
	char rule[256];			/* legacy: the dropping rule as -S prints it */
	char why[96];			/* MAYBE: the condition left open */
};

/* Where the finding's rule is: the chains the walk took to it, or its base chain. */
static inline const char *igd_filter_where(const struct igd_filter_finding *f)
{
	return f->path[0] ? f->path : f->chain;
}

/* @hook NF_INET_LOCAL_IN or NF_INET_LOCAL_OUT.  Fills up to @max findings; returns
 * how many, or -errno with @err. */
int igd_filter_predict(const struct igd_nat_ctx *c, unsigned int hook,
		       struct igd_filter_finding *f, int max, char *err, size_t errlen);
#endif
