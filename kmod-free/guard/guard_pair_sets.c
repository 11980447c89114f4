/* The guard's sets keyed by a pair of address ranges, each field an interval
 * (nft_set_pipapo):
 *   decap_ok   source . destination . reqid of the SA that decrypted the packet
 *              (decap_set.h)
 *   tunnelled  source . destination: the selectors of the out SPs that require IPsec
 *              (a template that is not optional) of all traffic between them (no
 *              protocol, port, interface, mark or if_id, not bound to a tunnel
 *              interface), so a packet of theirs that leaves untransformed has an SP
 *              the kernel no longer applies; and any source . a network routed into
 *              a tunnel interface, for what leaves by another interface */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/set.h>
#include "guard/guard_int.h"
#include "nft/nft_batch.h"
#include "nft/pair_ranges.h"

static const struct {
	const char *name;
	uint32_t id_base;	/* + nfproto: apart from every other set id */
	bool reqid;		/* a third field, the SA's reqid */
} pair_sets[GUARD_PAIR_NSETS] = {
	[GUARD_PAIR_DECAP] = { "decap_ok", 0x6780, true },
	[GUARD_PAIR_TUNNELLED] = { "tunnelled", 0x67d0, false },
};

const char *guard_pair_name(enum guard_pair_set which)
{
	return pair_sets[which].name;
}

uint32_t guard_pair_id(enum guard_pair_set which, uint32_t nfproto)
{
	return pair_sets[which].id_base + nfproto;
}

static uint32_t pair_key_len(enum guard_pair_set which, uint32_t nfproto)
{
	return 2 * guard_alen(nfproto) + (pair_sets[which].reqid ? 4 : 0);
}

static struct nftnl_set *pair_set_new(const struct igd_guard_cfg *cfg, uint32_t nfproto,
				      enum guard_pair_set which)
{
	uint32_t alen = guard_alen(nfproto);
	/* nft's datatypes: 7 ipv4_addr, 8 ipv6_addr, 19 mark (a 32-bit integer in host
	 * order, as the reqid is); a concatenation is their ids 6 bits apart */
	uint32_t t = nfproto == NFPROTO_IPV6 ? 8 : 7;
	uint8_t fields[3] = { (uint8_t)alen, (uint8_t)alen, 4 };
	bool reqid = pair_sets[which].reqid;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, nfproto);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, igd_hooks_table(&cfg->hooks));
	nftnl_set_set_str(s, NFTNL_SET_NAME, pair_sets[which].name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, guard_pair_id(which, nfproto));
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, reqid ? t << 12 | t << 6 | 19 : t << 6 | t);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, pair_key_len(which, nfproto));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT);
	nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, reqid ? 3 : 2);
	return s;
}

/* addr . addr [. reqid], in the layout of the registers the rules load */
static void pair_key(uint8_t *k, uint32_t alen, const union igd_addr *s,
		     const union igd_addr *d, const uint32_t *reqid)
{
	memcpy(k, s->b, alen);
	memcpy(k + alen, d->b, alen);
	if (reqid)
		memcpy(k + 2 * alen, reqid, 4);	/* ipsec in reqid: host order */
}

/* Elements per message: an IPv6 element of decap_ok takes about 100 bytes of the
 * batch's 32 KiB a message. */
#define PAIR_ELEMS_PER_MSG 128

static int pair_put_chunk(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			  uint32_t nfproto, enum guard_pair_set which,
			  const struct igd_decap_elem *v, size_t n)
{
	uint32_t alen = guard_alen(nfproto), klen = pair_key_len(which, nfproto);
	struct nftnl_set *s = pair_set_new(cfg, nfproto, which);
	bool reqid = pair_sets[which].reqid;
	struct nftnl_set_elem *se;
	uint8_t k[40];
	size_t i;
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		se = nftnl_set_elem_alloc();
		if (!se) {
			ret = -ENOMEM;
			break;
		}
		pair_key(k, alen, &v[i].s_lo, &v[i].d_lo, reqid ? &v[i].reqid_lo : NULL);
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, k, klen);
		pair_key(k, alen, &v[i].s_hi, &v[i].d_hi, reqid ? &v[i].reqid_hi : NULL);
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, k, klen);
		nftnl_set_elem_add(s, se);
	}
	if (!ret)
		ret = igd_nft_batch_setelems(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s);
	nftnl_set_free(s);
	return ret;
}

/* Room for the disjoint boxes of a family's elements: pieces of boxes that meet. */
#define PAIR_PIECES(n)	(4 * (n) + 64)

/* The elements of one family made disjoint (nft/pair_ranges.h): their exact union
 * where it fits; past that, or where boxes of decap_ok that meet disagree on the
 * reqids, decap_ok leaves out every element that meets another (it must hold nothing
 * the kernel would refuse) and tunnelled takes the smallest element holding both (it
 * may hold more than its SPs).  Returns how many are in @out, or -ENOMEM. */
static int pair_disjoint(const struct igd_decap_elem *fam, size_t n, uint32_t alen,
			 bool decap, struct igd_decap_elem *out, size_t cap)
{
	bool *meets;
	size_t k;
	int got = igd_pair_union(fam, n, alen, decap, out, cap);

	if (got >= 0)
		return got;
	memcpy(out, fam, n * sizeof(*fam));
	if (!decap)
		return (int)igd_pair_hull(out, n, alen);
	meets = calloc(n ? n : 1, sizeof(*meets));
	if (!meets)
		return -ENOMEM;
	k = igd_pair_drop_meeting(out, n, alen, true, meets);
	free(meets);
	return (int)k;
}

static int pair_put_elems(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
			  uint32_t nfproto, enum guard_pair_set which,
			  const struct igd_decap_elem *v, size_t n)
{
	struct igd_decap_elem *fam = calloc(n ? n : 1, sizeof(*fam));
	struct igd_decap_elem *out = calloc(PAIR_PIECES(n), sizeof(*out));
	size_t i, k = 0;
	int got, ret = 0;

	if (!fam || !out) {
		free(fam);
		free(out);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (v[i].family == guard_fam(nfproto))
			fam[k++] = v[i];
	got = pair_disjoint(fam, k, guard_alen(nfproto), pair_sets[which].reqid, out,
			    PAIR_PIECES(n));
	ret = got < 0 ? got : 0;
	for (i = 0; !ret && i < (size_t)got; i += PAIR_ELEMS_PER_MSG)
		ret = pair_put_chunk(b, cfg, nfproto, which, out + i,
				     (size_t)got - i < PAIR_ELEMS_PER_MSG ?
				     (size_t)got - i : PAIR_ELEMS_PER_MSG);
	free(fam);
	free(out);
	return ret;
}

int guard_put_pair_set(struct igd_nft_batch *b, const struct igd_guard_cfg *cfg,
		       uint32_t nfproto, enum guard_pair_set which,
		       const struct igd_guard_sets *sets, bool flush)
{
	struct nftnl_set *s = pair_set_new(cfg, nfproto, which);
	bool decap = which == GUARD_PAIR_DECAP;
	int ret;

	if (!s)
		return -ENOMEM;
	ret = flush ? igd_nft_batch_setelems(b, NFT_MSG_DELSETELEM, 0, s) :
		      igd_nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE, s);
	nftnl_set_free(s);
	return ret ?: pair_put_elems(b, cfg, nfproto, which,
				     decap ? sets->decap : sets->tunnelled,
				     decap ? sets->ndecap : sets->ntunnelled);
}
