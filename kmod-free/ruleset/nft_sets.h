/* The sets of one nf_tables table with their elements, for evaluating `lookup`
 * expressions against a selector (nat_eval.h): addresses, ports, protocols, as
 * single elements or intervals.  Concatenations and maps are kept but not evaluated. */
#ifndef IGD_NFT_SETS_H
#define IGD_NFT_SETS_H
#include <stdbool.h>
#include <stdint.h>

#define IGD_NFT_SET_KEY_MAX 16

struct igd_nft_set_elem {
	uint8_t key[IGD_NFT_SET_KEY_MAX];
	bool end;			/* NFT_SET_ELEM_INTERVAL_END */
	bool verdict;			/* a verdict map's element: */
	int32_t code;			/* NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_GOTO... */
	char *chain;			/* NFT_JUMP, NFT_GOTO: the chain (owned) */
};

struct igd_nft_set {
	char name[256];
	uint32_t flags;			/* NFT_SET_* */
	uint32_t key_len;
	bool concat;			/* several fields: not evaluated */
	struct igd_nft_set_elem *e;	/* sorted by key */
	unsigned int n, cap;
	bool has_catchall;		/* a map's "*" element: what no key holds */
	struct igd_nft_set_elem catchall;
};

struct igd_nft_sets {
	struct igd_nft_set *s;
	unsigned int n, cap;
};

/* The sets of table @table (family NFPROTO_*), their elements sorted.  0 or -errno. */
int igd_nft_sets_load(struct igd_nft_sets *sets, uint32_t family, const char *table);
void igd_nft_sets_free(struct igd_nft_sets *sets);
const struct igd_nft_set *igd_nft_sets_find(const struct igd_nft_sets *sets, const char *name);

/* Whether the values [@lo, @hi] (big-endian, @len bytes each) all lie in @set, none
 * of them does, or some do: 2 always, 0 never, 1 some (enum igd_tri's order).  With
 * 2, *@elem (when given) is the element that holds them all (an interval's start),
 * or NULL when no one element does. */
int igd_nft_set_covers(const struct igd_nft_set *set, const uint8_t *lo, const uint8_t *hi,
		       unsigned int len, const struct igd_nft_set_elem **elem);
#endif
