/* The daemon's own nf_tables tables: one `ip` and one `ip6` table of the same name,
 * each with four base chains that send flow heads (or every packet) to NFQUEUE:
 *
 *   prerouting   filter hook prerouting  priority mangle (-150)
 *   forward      filter hook forward     priority filter (0)
 *   output       filter hook output      priority filter (0)
 *   postrouting  filter hook postrouting priority srcnat + 1 (101)
 *
 * each holding `[ct state new] counter queue num N[-M] [bypass][,fanout]`.  The queue
 * is the native nft `queue` expression where the kernel has it, else the xt NFQUEUE
 * target (rev 3) through nft_compat, which the kernel accepts in ip/ip6 tables only —
 * hence two tables rather than one inet table.  Install and remove are each one
 * transaction; a stale table of the same name is replaced inside it.
 *
 * Later rules (sets kept in step with the SPD, ct mark bypass, MSS clamping) go into
 * the same transaction through the igd_hooks_put_*() steps and nft_batch.h. */
#ifndef IGD_NFT_HOOKS_H
#define IGD_NFT_HOOKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct igd_nft_batch;

#define IGD_HOOKS_TABLE		"ipsecguard"

/* How the queue rule is expressed. */
enum igd_hooks_queue {
	IGD_HOOKS_QUEUE_AUTO = 0,	/* igd_hooks_probe() decides */
	IGD_HOOKS_QUEUE_NATIVE,		/* nft `queue` (nft_queue) */
	IGD_HOOKS_QUEUE_XT,		/* xt NFQUEUE v3 via nft_compat */
};

struct igd_hooks_cfg {
	const char *table;		/* NULL: IGD_HOOKS_TABLE */
	uint16_t queue_num;
	uint16_t queue_total;		/* 0 or 1: a single queue */
	bool bypass;			/* fail open when no listener */
	bool fanout;			/* pick the queue by CPU, not by flow hash */
	bool all_packets;		/* queue every packet, not only ct state new */
	uint32_t skip_hooks;		/* 1 << IGD_HOOK_*: base chains not created (an
					 * empty base chain still costs every packet) */
	enum igd_hooks_queue queue;	/* 0: probe */
	uint32_t table_flags;		/* NFT_TABLE_F_OWNER, _PERSIST (table_hold.h) */
	uint32_t flags_now[2];		/* the tables' flags as they are (ip, ip6), for
					 * the add before the delete that replaces them:
					 * igd_hooks_read_flags() */
	struct mnl_socket *nl;		/* the socket that owns the tables: every
					 * change goes through it; NULL: a fresh one */
};

/* The base chains, in the order they are created. */
enum igd_hook {
	IGD_HOOK_PREROUTING,
	IGD_HOOK_FORWARD,
	IGD_HOOK_OUTPUT,
	IGD_HOOK_POSTROUTING,
	IGD_HOOK_MAX,
};

struct igd_hook_spec {
	const char *chain;
	uint32_t hooknum;		/* NF_INET_* */
	int32_t priority;
};

/* The chain layout above; NULL when @h is out of range. */
const struct igd_hook_spec *igd_hook_spec_get(enum igd_hook h);

/* Which queue expression the running kernel takes: 1 native, 0 the xt target only,
 * -errno when neither (or when nf_tables cannot be reached).  Sends a check-only
 * transaction (no commit), so nothing is created, not even for an instant. */
int igd_hooks_probe(void);
/* The same kind of check-only transaction for any rules: a throw-away ip table with
 * one regular chain, rule i built into @r by @build(r, i, @arg) for i < @n; each
 * rule's answer in @results[i] (0 taken, or the kernel's -errno: -ENOENT or
 * -EOPNOTSUPP for an expression or key it lacks).  Returns 0, or -errno when the probe
 * itself could not run (then every result is that error). */
struct nftnl_rule;
typedef int (*igd_hooks_probe_build)(struct nftnl_rule *r, unsigned int i, void *arg);
int igd_hooks_probe_rules(igd_hooks_probe_build build, unsigned int n, void *arg,
			  int *results);

/* Removes both tables (with @flags) in one transaction, over @nl when the tables are
 * owned by it (NULL: a fresh socket); absent tables are not an error. */
struct mnl_socket;
int igd_hooks_remove(const char *table, uint32_t flags, struct mnl_socket *nl, char *err,
		     size_t errlen);
/* Reads cfg->flags_now from the kernel (cfg->table_flags for a table not there). */
void igd_hooks_read_flags(struct igd_hooks_cfg *cfg);

/* Steps of the transactions above, for callers that add their own messages between
 * them (sets before the rules that look them up, bypass rules before the queue rule).
 * @queue must be NATIVE or XT here.  All return 0 or -errno. */
int igd_hooks_cfg_check(const struct igd_hooks_cfg *cfg);
const char *igd_hooks_table(const struct igd_hooks_cfg *cfg);
/* add table; delete table; add table; add the four base chains — per family */
int igd_hooks_put_tables(struct igd_nft_batch *b, const struct igd_hooks_cfg *cfg);
/* counter, then the queue expression (native or xt) with cfg's numbers and flags */
struct nftnl_rule;
int igd_hooks_put_queue(struct nftnl_rule *r, const struct igd_hooks_cfg *cfg,
			enum igd_hooks_queue queue);
/* add table (@flags: as it is); delete table — per family */
int igd_hooks_put_remove(struct igd_nft_batch *b, const char *table, uint32_t flags);
/* add table (@now: as it is); delete table; add table (@flags) */
int igd_hooks_put_table_fresh(struct igd_nft_batch *b, uint32_t family, const char *table,
			      uint32_t now, uint32_t flags);
#endif
