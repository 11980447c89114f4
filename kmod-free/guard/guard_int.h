/* Steps shared by the files that build the guard's tables (guard_rules.c,
 * outer/outer_rules.c); not part of the library's interface. */
#ifndef IGD_GUARD_INT_H
#define IGD_GUARD_INT_H
#include <stdint.h>
#include "guard/guard_rules.h"

struct igd_nft_batch;
struct nftnl_rule;

#define GUARD_NO_HOOK	UINT32_MAX

/* Adds @r (when @ret is 0) and frees it; returns the first error. */
int guard_put_rule(struct igd_nft_batch *b, struct nftnl_rule *r, int ret);
/* A chain of our table: a base chain on @hook at @prio, or a regular one (only
 * reached by a jump) when @hook is GUARD_NO_HOOK. */
int guard_put_chain(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		    uint32_t nfproto, const char *name, uint32_t hook, int32_t prio);
/* The exempt chain of one family (created unless @flush, else flushed) with the rules
 * of sets->exempt of that family. */
int guard_put_exempt(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		     uint32_t nfproto, const struct igd_guard_sets *sets, bool flush);
/* Flushes @chain of one family (one message of @b). */
int guard_flush(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg, uint32_t nfproto,
		const char *chain);
/* Sends @b when @ret is 0 (else names @what's build error in @err) and frees it; over
 * the socket that owns the tables when there is one. */
int guard_send(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg, int ret,
	       const char *what, char *err, size_t errlen);
/* A new rule for the postrouting chain of @nfproto's table; NULL on ENOMEM. */
struct nftnl_rule *guard_post_rule(const struct igd_guard_cfg *cfg, uint32_t nfproto);

int guard_fam(uint32_t nfproto);		/* 4 or 6 */
uint32_t guard_alen(uint32_t nfproto);		/* 4 or 16 */
/* The set @set of @nfproto's table, created and filled from @sets. */
int guard_put_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		  uint32_t nfproto, enum igd_guard_set set, const struct igd_guard_sets *sets);
/* Flushes (when @flush) and fills one set of one family. */
int guard_put_set_content(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			  uint32_t nfproto, enum igd_guard_set set,
			  const struct igd_guard_sets *sets, int flush);
/* ct mark & MASK == @value */
int guard_match_ct_field(struct nftnl_rule *r, uint32_t mask, uint32_t value);
/* ct direction original, ct original ip daddr @set */
int guard_match_orig_dst(struct nftnl_rule *r, const struct igd_guard_cfg *cfg, uint32_t nfproto,
			 enum igd_guard_set set);
/* ct status snat */
int guard_match_snat(struct nftnl_rule *r);

int guard_put_tunnel_accept(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			    uint32_t nfproto, const char *chain, bool out);

/* guard_backstop.c: the backstop table (cfg->backstop), its sets in step. */
int guard_put_backstop(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		       const struct igd_guard_sets *sets);
int guard_put_backstop_sets(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			    const struct igd_guard_sets *sets);
/* ... its exempt chain emptied and filled again. */
int guard_put_backstop_exempt(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			      const struct igd_guard_sets *sets);
/* ... its postrouting chain for the generation in cfg. */
int guard_put_backstop_gen(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			   const struct igd_guard_sets *sets);

/* guard_pair_sets.c: the sets keyed by a pair of address ranges. */
enum guard_pair_set {
	GUARD_PAIR_DECAP,	/* decap_ok: source . destination . reqid */
	GUARD_PAIR_TUNNELLED,	/* tunnelled: source . destination */
	GUARD_PAIR_NSETS,
};
const char *guard_pair_name(enum guard_pair_set which);
uint32_t guard_pair_id(enum guard_pair_set which, uint32_t nfproto);
/* The set @which of one family: created (or, with @flush, emptied) and filled from
 * @sets. */
int guard_put_pair_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		       uint32_t nfproto, enum guard_pair_set which,
		       const struct igd_guard_sets *sets, bool flush);

/* ct state != new  (@cleartext: meta secpath missing)  accept, into @chain: what the
 * rules after it look at is a connection's first packet (and decapsulated ones). */
int guard_put_not_new_accept(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			     uint32_t nfproto, const char *chain, bool cleartext);

/* outer/outer_rules.c: the outer_ports set, the outer_out chain (outer-nat copies,
 * frag_peers), the fragments chain's rules and the empty frag_out chain. */
int guard_put_outer(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		    uint32_t nfproto);
/* ip daddr != @frag_peers, with the outer rules; nothing without them. */
int guard_match_no_peer(struct nftnl_rule *r, const struct igd_guard_cfg *cfg,
			uint32_t nfproto);
#endif
