/* Private to natfix/: the text side of iptables-legacy rules.  A line of
 * `iptables -S POSTROUTING` split into words, recognised as one of our exemptions
 * (tagged comment, RETURN, nothing we would not write), and the words of the rule
 * natfix_legacy.c inserts.  No process is run here: these are pure functions. */
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
#endif
