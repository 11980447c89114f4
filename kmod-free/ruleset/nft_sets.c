#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include "ruleset/nft_sets.h"
#include "nl/nl_talk.h"

static int sets_add(struct igd_nft_sets *sets, const struct nftnl_set *ns)
{
	struct igd_nft_set *s;
	const char *name = nftnl_set_get_str(ns, NFTNL_SET_NAME);

	if (!name)
		return 0;
	if (sets->n == sets->cap) {
		unsigned int cap = sets->cap ? 2 * sets->cap : 8;

		s = realloc(sets->s, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		sets->s = s;
		sets->cap = cap;
	}
	s = &sets->s[sets->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->flags = nftnl_set_get_u32(ns, NFTNL_SET_FLAGS);
	s->key_len = nftnl_set_get_u32(ns, NFTNL_SET_KEY_LEN);
	s->concat = (s->flags & NFT_SET_CONCAT) || s->key_len > IGD_NFT_SET_KEY_MAX ||
		    nftnl_set_get_u32(ns, NFTNL_SET_KEY_TYPE) >= 1u << 6;
	return 0;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *ns = nftnl_set_alloc();
	int ret;

	if (!ns) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	ret = nftnl_set_nlmsg_parse(nlh, ns) < 0 ? -EBADMSG : sets_add(data, ns);
	nftnl_set_free(ns);
	if (ret < 0)
		errno = -ret;
	return ret < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static void sets_reset(void *data)
{
	struct igd_nft_sets *sets = data;

	igd_nft_sets_free(sets);
}

/* A verdict map element's verdict (and chain, owned). */
static int elem_data(struct nftnl_set_elem *e, struct igd_nft_set_elem *n)
{
	if (!nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT))
		return 0;
	n->verdict = true;
	n->code = (int32_t)nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN)) {
		n->chain = strdup(nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
		if (!n->chain)
			return -1;
	}
	return 0;
}

static int elem_add(struct nftnl_set_elem *e, void *data)
{
	struct igd_nft_set *s = data;
	struct igd_nft_set_elem *n;
	uint32_t len = 0;
	const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

	if (!key && nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
	    (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_CATCHALL)) {
		n = &s->catchall;	/* "*": no key */
		free(n->chain);
		memset(n, 0, sizeof(*n));
		s->has_catchall = true;
		return elem_data(e, n);
	}
	if (!key || len > IGD_NFT_SET_KEY_MAX)
		return 0;
	if (s->n == s->cap) {
		unsigned int cap = s->cap ? 2 * s->cap : 16;

		n = realloc(s->e, cap * sizeof(*n));
		if (!n)
			return -1;
		s->e = n;
		s->cap = cap;
	}
	n = &s->e[s->n++];
	memset(n, 0, sizeof(*n));
	memcpy(n->key, key, len);
	n->end = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
		 (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
	return elem_data(e, n);
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *ns = nftnl_set_alloc();
	int ret = MNL_CB_OK;

	if (!ns) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_set_elems_nlmsg_parse(nlh, ns) < 0 ||
	    nftnl_set_elem_foreach(ns, elem_add, data) < 0) {
		errno = EBADMSG;
		ret = MNL_CB_ERROR;
	}
	nftnl_set_free(ns);
	return ret;
}

static void elems_free(struct igd_nft_set *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		free(s->e[i].chain);
	s->n = 0;
	free(s->catchall.chain);
	memset(&s->catchall, 0, sizeof(s->catchall));
	s->has_catchall = false;
}

static void elems_reset(void *data)
{
	elems_free(data);
}

static unsigned int sort_len;

static int elem_cmp(const void *a, const void *b)
{
	const struct igd_nft_set_elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, sort_len);

	/* at one key, an interval's end sorts before the next one's start */
	return c ? c : (int)y->end - (int)x->end;
}

int igd_nft_sets_load(struct igd_nft_sets *sets, uint32_t family, const char *table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *ns;
	struct nlmsghdr *nlh;
	unsigned int i;
	int ret;

	memset(sets, 0, sizeof(*sets));
	ns = nftnl_set_alloc();
	if (!ns)
		return -ENOMEM;
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, table);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, (uint16_t)family, NLM_F_DUMP, 0);
	nftnl_set_nlmsg_build_payload(nlh, ns);
	ret = igd_nl_dump(nlh, set_cb, sets, sets_reset);
	for (i = 0; !ret && i < sets->n; i++) {
		struct igd_nft_set *s = &sets->s[i];

		if (s->concat)
			continue;
		nftnl_set_set_str(ns, NFTNL_SET_NAME, s->name);
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)family,
					    NLM_F_DUMP, 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, ns);
		ret = igd_nl_dump(nlh, elem_cb, s, elems_reset);
		sort_len = s->key_len;
		if (!ret && s->n)
			qsort(s->e, s->n, sizeof(*s->e), elem_cmp);
	}
	nftnl_set_free(ns);
	if (ret)
		igd_nft_sets_free(sets);
	return ret;
}

void igd_nft_sets_free(struct igd_nft_sets *sets)
{
	unsigned int i;

	for (i = 0; i < sets->n; i++) {
		elems_free(&sets->s[i]);
		free(sets->s[i].e);
	}
	free(sets->s);
	memset(sets, 0, sizeof(*sets));
}

const struct igd_nft_set *igd_nft_sets_find(const struct igd_nft_sets *sets, const char *name)
{
	unsigned int i;

	for (i = 0; sets && i < sets->n; i++)
		if (!strcmp(sets->s[i].name, name))
			return &sets->s[i];
	return NULL;
}

int igd_nft_set_covers(const struct igd_nft_set *set, const uint8_t *lo, const uint8_t *hi,
		       unsigned int len, const struct igd_nft_set_elem **elem)
{
	const struct igd_nft_set_elem *dummy;
	unsigned int i;
	bool some = false;

	if (!elem)
		elem = &dummy;
	*elem = NULL;
	if (set->concat || len != set->key_len)
		return 1;
	if (!(set->flags & NFT_SET_INTERVAL)) {
		for (i = 0; i < set->n; i++)
			if (memcmp(set->e[i].key, lo, len) >= 0 && memcmp(set->e[i].key, hi, len) <= 0) {
				if (!memcmp(lo, hi, len)) {
					*elem = &set->e[i];
					return 2;
				}
				some = true;
			}
		return some ? 1 : 0;
	}
	/* intervals: a start element runs until the next end element (or to the top) */
	for (i = 0; i < set->n; i++) {
		const uint8_t *start, *end = NULL;	/* [start, end) */

		if (set->e[i].end)
			continue;
		start = set->e[i].key;
		if (i + 1 < set->n && set->e[i + 1].end)
			end = set->e[i + 1].key;
		if (memcmp(hi, start, len) < 0 || (end && memcmp(lo, end, len) >= 0))
			continue;		/* apart */
		if (memcmp(lo, start, len) >= 0 && (!end || memcmp(hi, end, len) < 0)) {
			*elem = &set->e[i];
			return 2;		/* inside */
		}
		some = true;
	}
	return some ? 1 : 0;
}
