/* NAT before IPsec, predicted: for an out SP's traffic (struct igd_nat_ctx), every
 * nat postrouting chain of nf_tables (native nft and iptables-nft) and the
 * iptables-legacy nat table walked rule by rule (nat_eval.h) until the traffic is
 * surely exempted, surely translated, or the chain ends.  The nat chains are
 * consulted one after the other until one translates, so an exemption counts only in
 * its own chain.  One finding per chain that translates or may translate. */
#ifndef IGD_NAT_PREDICT_H
#define IGD_NAT_PREDICT_H
#include <stddef.h>
#include <stdint.h>
#include "doctor/nat_eval.h"
#include "natfix/natfix.h"

struct igd_nat_finding {
	enum igd_tri outcome;		/* ALWAYS: translates; MAYBE: may translate */
	const char *backend;		/* "nft", "iptables-nft", "iptables-legacy" */
	const char *family;		/* "ip", "ip6", "inet" */
	char table[IGD_NATFIX_NAME_MAX], chain[IGD_NATFIX_NAME_MAX];
	uint64_t handle;		/* the rule's handle (legacy: its number) */
	char rule[256];			/* legacy: the rule as -S prints it */
	char why[96];			/* MAYBE: the condition left open */
	bool exempt_maybe;		/* an earlier exemption may cover part of it */
	bool masquerade, has_to;	/* the translation: as struct igd_nat_eval */
	union igd_addr to;
};

/* Fills up to @max findings for @c; returns how many, or -errno with @err. */
int igd_nat_predict(const struct igd_nat_ctx *c, struct igd_nat_finding *f, int max,
		    char *err, size_t errlen);
#endif
