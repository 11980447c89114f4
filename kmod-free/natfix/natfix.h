/* NAT exemptions for IPsec selectors (the "fix" of NAT-before-IPsec).
 *
 * When SNAT/MASQUERADE runs in postrouting before the kernel hands a packet to IPsec,
 * the translated tuple no longer matches the out SP and the packet leaves in clear.
 * The fix operators apply by hand is a rule at the top of the NAT chain:
 *
 *   iptables -t nat -I POSTROUTING 1 -s 10.0.2.0/24 -d 192.168.0.0/16 -j RETURN
 *
 * igd_natfix_apply() puts that rule, for one selector, at the top of every nat-type
 * postrouting chain that could translate the selector's traffic:
 *
 *   native nft     every base chain "type nat hook postrouting" of a table of family
 *                  ip, ip6 (the selector's) or inet (plus "meta nfproto"); tagged with
 *                  a rule comment (userdata NFTNL_UDATA_RULE_COMMENT)
 *   iptables-nft   the chain POSTROUTING of table nat (families ip/ip6) is built as
 *                  iptables-nft 1.8.9 builds "-s A -d B [-p P [-m tcp --sport S
 *                  --dport D]] -m comment --comment TAG -j RETURN": meta l4proto,
 *                  payload/cmp (bitwise when the prefix is not byte aligned), the xt
 *                  "comment" match, a counter, return; NFTA_RULE_COMPAT set.  So
 *                  `iptables-nft -t nat -S` shows it as such and deletes it by spec.
 *   iptables-legacy  when the legacy nat table exists in this namespace and its
 *                  POSTROUTING chain has rules, through the iptables-legacy (or
 *                  ip6tables-legacy) binary: "-I POSTROUTING 1 ... -j RETURN"
 *
 * The tag is the comment "ipsecguard-fix sp=<index>".  Rules are recognised by that tag
 * and their selector is read back from their expressions (or from the -S line), so a
 * second apply for the same selector finds the rule and adds none: one rule per selector
 * and chain, whatever the sp index.  All nf_tables inserts go in one transaction
 * (a rule without NLM_F_APPEND and position is inserted at the head of its chain).
 * iptables-legacy changes follow that transaction; they cannot join it.
 *
 * igd_natfix_revert() deletes the tagged rules (all, or those of one sp index) and
 * nothing else: nf_tables ones by handle in one transaction, legacy ones by their exact
 * spec (-D), which restores the ruleset as it was before apply.
 *
 * A ruleset change between the dump and the transaction (another tool committing in
 * between) can make a delete fail with ENOENT; the transaction is then refused whole
 * and the call can be repeated.
 *
 * Not thread-safe; each call opens its own netlink sockets.  Needs CAP_NET_ADMIN. */
#ifndef IGD_NATFIX_H
#define IGD_NATFIX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xfrm/spd.h"

#define IGD_NATFIX_TAG		"ipsecguard-fix"
#define IGD_NATFIX_COMMENT_MAX	64	/* "ipsecguard-fix sp=4294967295" fits */
#define IGD_NATFIX_NAME_MAX	256	/* NFT_NAME_MAXLEN */
#define IGD_NATFIX_SEL_MAX	160	/* igd_natfix_sel_str() output */
#define IGD_NATFIX_RES_MAX	32	/* rules reported by one apply */

/* Where a tagged rule lives. */
enum igd_natfix_kind {
	IGD_NATFIX_NFT = 0,		/* native nf_tables chain */
	IGD_NATFIX_IPT_NFT,		/* iptables-nft's nat POSTROUTING */
	IGD_NATFIX_IPT_LEGACY,		/* iptables-legacy / ip6tables-legacy */
	IGD_NATFIX_OWN,			/* the daemon's own exempt chain: not a RETURN
					 * but source NAT to the packet's own source
					 * (built here, kept by the daemon) */
};
/* The daemon's own nat chain of exemptions (guard_rules.h): left alone by apply,
 * list and revert, which work on other tools' chains. */
#define IGD_NATFIX_OWN_CHAIN	"igd_exempt"

struct igd_natfix_rule {
	enum igd_natfix_kind kind;
	uint8_t family;			/* NFPROTO_IPV4 / _IPV6 / _INET */
	char table[IGD_NATFIX_NAME_MAX];
	char chain[IGD_NATFIX_NAME_MAX];
	uint64_t handle;		/* nft handle; legacy: rule number, from 1 */
	uint32_t sp_index;
	struct igd_sel sel;		/* read back from the rule */
	char sel_str[IGD_NATFIX_SEL_MAX];	/* igd_natfix_sel_str(&sel) */
};

struct igd_natfix_result {
	unsigned int inserted;		/* rules added by this call */
	unsigned int present;		/* chains that already had the rule */
	unsigned int n;			/* entries in rules[]: the inserted ones */
	struct igd_natfix_rule rules[IGD_NATFIX_RES_MAX];
};

/* Inserts the exemption for @sel (family 4 or 6; prefixes; proto; ports only for
 * tcp/udp with exact port masks) tagged with @sp_index, see above.  @res may be NULL.
 * Returns the number of rules inserted (0 when every chain had it already, or when
 * there is no NAT chain at all) or -errno with the failing step in @err:
 * -EINVAL a selector that cannot be expressed (family, prefix length, port masks),
 * -EOPNOTSUPP ports on a protocol other than tcp/udp, netlink and exec errors. */
int igd_natfix_apply(const struct igd_sel *sel, uint32_t sp_index,
		     struct igd_natfix_result *res, char *err, size_t errlen);

/* Called once per tagged rule; a non-zero return stops the walk and is returned. */
typedef int (*igd_natfix_cb)(const struct igd_natfix_rule *rule, void *data);

/* Every tagged rule: nf_tables ones first (native and iptables-nft, in dump order,
 * each chain top to bottom), then iptables-legacy ones.  Returns the number of rules
 * seen, -errno (message in @err), or the callback's non-zero return. */
int igd_natfix_list(igd_natfix_cb cb, void *data, char *err, size_t errlen);

/* Deletes every tagged rule, or only those of sp index *@sp when @sp is not NULL.
 * *@count (may be NULL) gets the number deleted.  Returns 0 or -errno. */
int igd_natfix_revert(const uint32_t *sp, unsigned int *count, char *err, size_t errlen);

/* ---- pieces, exported for the tests and the CLI ---- */

/* "ipsecguard-fix sp=5" into @buf; returns @buf. */
const char *igd_natfix_tag_format(uint32_t sp_index, char *buf, size_t len);
/* Parses a tag as written by igd_natfix_tag_format(): 0 and *@sp_index, or -EINVAL
 * for any other text (other comments, trailing garbage, out of range numbers). */
int igd_natfix_tag_parse(const char *s, uint32_t *sp_index);

/* "10.0.2.0/24 -> 192.168.0.0/16[ proto tcp][ sport 22][ dport 80]"; returns @buf. */
const char *igd_natfix_sel_str(const struct igd_sel *sel, char *buf, size_t len);
/* Checks that the exemption can express @sel and returns a copy with the addresses
 * masked to their prefixes (host bits cleared) in @out.  0 or -EINVAL/-EOPNOTSUPP with
 * the reason in @err. */
int igd_natfix_sel_norm(const struct igd_sel *sel, struct igd_sel *out,
			char *err, size_t errlen);
/* Whether two normalised selectors describe the same traffic. */
bool igd_natfix_sel_equal(const struct igd_sel *a, const struct igd_sel *b);

/* The network-order mask of @plen bits over @len bytes (4 or 16) into @mask. */
void igd_natfix_prefix_mask(unsigned int plen, uint8_t *mask, unsigned int len);

struct nftnl_rule;

/* Builds the exemption rule (not sent) for chain @table/@chain of nf_tables @family
 * (NFPROTO_*), in the layout of @kind (IGD_NATFIX_NFT or IGD_NATFIX_IPT_NFT) for the
 * normalised selector @sel.  NULL with errno set on failure. */
struct nftnl_rule *igd_natfix_rule_build(enum igd_natfix_kind kind, uint32_t family,
					 const char *table, const char *chain,
					 const struct igd_sel *sel, uint32_t sp_index);
/* Reads a rule back: 0 when @r carries an ipsecguard tag and a selector in the layout
 * the builder writes (kind, sp index, selector filled in @out, table/chain/handle/
 * family from the rule), -ENOENT when it is not one of ours. */
int igd_natfix_rule_decode(const struct nftnl_rule *r, struct igd_natfix_rule *out);
#endif
