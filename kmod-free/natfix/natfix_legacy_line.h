/* The text side of iptables-legacy rules, for natfix/ and doctor/.  A line of
 * `iptables -S POSTROUTING` split into words, recognised as one of our exemptions
 * (tagged comment, RETURN, nothing we would not write), and the words of the rule
 * natfix_legacy.c inserts: pure functions.  And the walk over the lines of the legacy
 * nat table's POSTROUTING chain, which runs iptables-legacy. */
#ifndef IGD_NATFIX_LEGACY_LINE_H
#define IGD_NATFIX_LEGACY_LINE_H
#include "natfix.h"

#define NATFIX_LEGACY_ARGV_MAX	40
#define NATFIX_LEGACY_CHAIN	"POSTROUTING"

struct natfix_legacy_line {
	char *tok[NATFIX_LEGACY_ARGV_MAX];
	unsigned int n;
	char buf[1024];
};

/* Splits one -S line the way a shell splits what iptables quoted ("..." with
 * backslash escapes).  0, -E2BIG (more words or bytes than any rule of ours), or
 * -EINVAL (an unterminated quote). */
int natfix_legacy_split(const char *line, struct natfix_legacy_line *l);
/* The words of @l joined into @buf the way -S prints them (words with spaces quoted),
 * cut to @len; returns @buf. */
char *natfix_legacy_join(const struct natfix_legacy_line *l, char *buf, size_t len);
/* "ADDRESS/LENGTH" as -S prints -s and -d, of @family (4 or 6).  0 or -EINVAL. */
int natfix_legacy_prefix(int family, const char *s, union igd_addr *a, uint8_t *plen);
/* 0 when @l ("-A POSTROUTING ...") is one of our exemptions for @family (4 or 6),
 * with @r filled in; -ENOENT for any other rule. */
int natfix_legacy_decode(const struct natfix_legacy_line *l, int family,
			 struct igd_natfix_rule *r);

/* The arguments after "iptables -t nat" that insert the exemption of @sel for SP
 * @sp_index at the top of POSTROUTING ("-I POSTROUTING 1 ... -j RETURN"). */
struct natfix_legacy_args {
	const char *argv[NATFIX_LEGACY_ARGV_MAX];
	unsigned int argc;
	char src[IGD_ADDRSTRLEN + 8], dst[IGD_ADDRSTRLEN + 8];
	char proto[8], sport[8], dport[8], tag[IGD_NATFIX_COMMENT_MAX];
};

void natfix_legacy_args(struct natfix_legacy_args *a, const struct igd_sel *sel,
			uint32_t sp_index);

/* Whether the legacy table @table (or nat) of @family (4 or 6) exists in this network
 * namespace (listing never creates it). */
bool natfix_legacy_table_exists(int family, const char *table);
bool natfix_legacy_nat_exists(int family);
/* Runs "ip[6]tables-legacy -w 5 -t nat -S POSTROUTING" and calls @fn with every
 * "-A" line and its number; a non-zero return stops the walk and is returned.
 * *@nrules gets the number of rules seen.  -errno with the tool's words in @err. */
typedef int (*natfix_legacy_line_fn)(const struct natfix_legacy_line *l, unsigned int num,
				     void *data);
int natfix_legacy_walk(int family, natfix_legacy_line_fn fn, void *data, unsigned int *nrules,
		       char *err, size_t errlen);
/* The same over any chain of any legacy table ("-t TABLE -S CHAIN"); *@policy_drop
 * (when given) tells whether a built-in chain's policy is DROP.  @nrules may be NULL. */
int natfix_legacy_walk_chain(int family, const char *table, const char *chain,
			     natfix_legacy_line_fn fn, void *data, unsigned int *nrules,
			     bool *policy_drop, char *err, size_t errlen);
#endif
