/* Shared by natfix/ and doctor/: the nf_tables side and the iptables-legacy side. */
#ifndef IGD_NATFIX_INT_H
#define IGD_NATFIX_INT_H
#include "natfix/natfix.h"

/* A nat-type postrouting base chain. */
struct natfix_chain {
	uint32_t family;			/* NFPROTO_* */
	enum igd_natfix_kind kind;		/* IGD_NATFIX_NFT, _IPT_NFT, or _OWN: the
						 * daemon's exempt chain, left alone */
	int32_t prio;				/* the base chain's priority */
	char table[IGD_NATFIX_NAME_MAX];
	char chain[IGD_NATFIX_NAME_MAX];
};

/* What the nf_tables dump found: the chains and the tagged rules in them. */
struct natfix_scan {
	struct natfix_chain *chains;
	unsigned int nchains, chains_cap;
	struct igd_natfix_rule *rules;
	unsigned int nrules, rules_cap;
};

int natfix_scan_nft(struct natfix_scan *s, char *err, size_t errlen);
/* Calls @fn with every rule of chain @c in order (a negative return stops the walk
 * and is returned); @reset(@data) before each try of the dump.  0 or -errno. */
struct nftnl_rule;
typedef int (*natfix_rule_fn)(const struct nftnl_rule *r, void *data);
int natfix_chain_rules(const struct natfix_chain *c, natfix_rule_fn fn,
		       void (*reset)(void *data), void *data);
void natfix_scan_free(struct natfix_scan *s);
/* Whether chain @c can see traffic of selector family @family (4 or 6). */
bool natfix_chain_covers(const struct natfix_chain *c, int family);

/* nf_tables: insert for @sel where missing (returns how many), delete tagged rules
 * (all or of sp *@sp; adds to *@count), walk tagged rules (returns how many). */
int natfix_nft_apply(const struct igd_sel *sel, uint32_t sp_index,
		     struct igd_natfix_result *res, char *err, size_t errlen);
int natfix_nft_revert(const uint32_t *sp, unsigned int *count, char *err, size_t errlen);
int natfix_nft_list(igd_natfix_cb cb, void *data, char *err, size_t errlen);

/* iptables-legacy, the same three: see natfix_legacy.c. */
int natfix_legacy_apply(const struct igd_sel *sel, uint32_t sp_index,
			struct igd_natfix_result *res, char *err, size_t errlen);
int natfix_legacy_list(igd_natfix_cb cb, void *data, char *err, size_t errlen);
int natfix_legacy_revert(const uint32_t *sp, unsigned int *count,
			 char *err, size_t errlen);

/* Appends @r to @res->rules when there is room (res->n). */
void natfix_res_add(struct igd_natfix_result *res, const struct igd_natfix_rule *r);
#endif
