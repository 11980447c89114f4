/* Security association table, without key material. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/xfrm.h>
#include "xfrm/sad.h"

#define SAD_BUCKETS_MIN 64

struct sad_ent {
	struct igd_sa sa;		/* first: an igd_sa pointer is an entry pointer */
	struct sad_ent *newer, *older;
	struct sad_ent *key_next, *reqid_next;
};

struct igd_sad {
	struct sad_ent *newest, *oldest;
	struct sad_ent **bykey, **byreqid;
	unsigned int size, count;
	uint64_t generation;
};

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

static unsigned int key_bucket(const struct igd_sad *sad, const union igd_addr *d,
			       uint32_t spi, uint8_t proto)
{
	uint32_t h = spi ^ proto;
	int i;

	for (i = 0; i < 4; i++)
		h = mix32(h ^ d->a6[i]);
	return h & (sad->size - 1);
}

static unsigned int reqid_bucket(const struct igd_sad *sad, uint32_t reqid)
{
	return mix32(reqid) & (sad->size - 1);
}

static bool ent_is(const struct sad_ent *e, int family, const union igd_addr *d, uint32_t spi,
		   uint8_t proto)
{
	return e->sa.spi == spi && e->sa.proto == proto && e->sa.family == family &&
	       !memcmp(&e->sa.daddr, d, sizeof(*d));
}

static void chains_link(struct igd_sad *sad, struct sad_ent *e)
{
	unsigned int k = key_bucket(sad, &e->sa.daddr, e->sa.spi, e->sa.proto);
	unsigned int r = reqid_bucket(sad, e->sa.reqid);

	e->key_next = sad->bykey[k];
	sad->bykey[k] = e;
	e->reqid_next = sad->byreqid[r];
	sad->byreqid[r] = e;
}

static int sad_resize(struct igd_sad *sad, unsigned int size)
{
	struct sad_ent **k = calloc(size, sizeof(*k)), **r = calloc(size, sizeof(*r));
	struct sad_ent *e;

	if (!k || !r) {
		free(k);
		free(r);
		return -ENOMEM;
	}
	free(sad->bykey);
	free(sad->byreqid);
	sad->bykey = k;
	sad->byreqid = r;
	sad->size = size;
	/* relink oldest first so chains keep newest-first order */
	for (e = sad->oldest; e; e = e->newer)
		chains_link(sad, e);
	return 0;
}

int igd_sad_new(struct igd_sad **sadp)
{
	struct igd_sad *sad = calloc(1, sizeof(*sad));
	int err;

	if (!sad)
		return -ENOMEM;
	err = sad_resize(sad, SAD_BUCKETS_MIN);
	if (err) {
		free(sad);
		return err;
	}
	*sadp = sad;
	return 0;
}

static void chain_unlink(struct sad_ent **pp, struct sad_ent *e, bool by_key)
{
	while (*pp && *pp != e)
		pp = by_key ? &(*pp)->key_next : &(*pp)->reqid_next;
	if (*pp)
		*pp = by_key ? e->key_next : e->reqid_next;
}

static void ent_destroy(struct igd_sad *sad, struct sad_ent *e)
{
	chain_unlink(&sad->bykey[key_bucket(sad, &e->sa.daddr, e->sa.spi, e->sa.proto)], e,
		     true);
	chain_unlink(&sad->byreqid[reqid_bucket(sad, e->sa.reqid)], e, false);
	if (e->newer)
		e->newer->older = e->older;
	else
		sad->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		sad->oldest = e->newer;
	sad->count--;
	free(e);
}

void igd_sad_free(struct igd_sad *sad)
{
	if (!sad)
		return;
	while (sad->newest)
		ent_destroy(sad, sad->newest);
	free(sad->bykey);
	free(sad->byreqid);
	free(sad);
}

static struct sad_ent *ent_find(const struct igd_sad *sad, int family,
				const union igd_addr *d, uint32_t spi, uint8_t proto,
				uint32_t mark_v, uint32_t mark_m)
{
	struct sad_ent *e;

	for (e = sad->bykey[key_bucket(sad, d, spi, proto)]; e; e = e->key_next)
		if (ent_is(e, family, d, spi, proto) && e->sa.mark_v == mark_v &&
		    e->sa.mark_m == mark_m)
			return e;
	return NULL;
}

int igd_sad_add(struct igd_sad *sad, const struct igd_sa *sa)
{
	struct sad_ent *e, *old;
	int err;

	if (sa->family != 4 && sa->family != 6)
		return -EINVAL;
	old = ent_find(sad, sa->family, &sa->daddr, sa->spi, sa->proto, sa->mark_v,
		       sa->mark_m);
	if (old)
		ent_destroy(sad, old);
	if (sad->count >= sad->size && (err = sad_resize(sad, sad->size * 2)))
		return err;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->sa = *sa;
	e->older = sad->newest;
	if (sad->newest)
		sad->newest->newer = e;
	else
		sad->oldest = e;
	sad->newest = e;
	chains_link(sad, e);
	sad->count++;
	sad->generation++;
	return 0;
}

int igd_sad_del(struct igd_sad *sad, int family, const union igd_addr *daddr, uint32_t spi,
		uint8_t proto, uint32_t mark_v, uint32_t mark_m)
{
	struct sad_ent *e = ent_find(sad, family, daddr, spi, proto, mark_v, mark_m);

	if (!e)
		return -ENOENT;
	ent_destroy(sad, e);
	sad->generation++;
	return 0;
}

static bool proto_flushed(uint8_t proto, uint8_t what)
{
	/* the kernel's xfrm_id_proto_match() */
	return !what || proto == what ||
	       (what == 255 && (proto == IPPROTO_AH || proto == IPPROTO_ESP ||
				proto == IPPROTO_COMP));
}

void igd_sad_flush(struct igd_sad *sad, uint8_t proto)
{
	struct sad_ent *e, *older;

	for (e = sad->newest; e; e = older) {
		older = e->older;
		if (proto_flushed(e->sa.proto, proto))
			ent_destroy(sad, e);
	}
	sad->generation++;
}

const struct igd_sa *igd_sad_get(const struct igd_sad *sad, int family,
				 const union igd_addr *daddr, uint32_t spi, uint8_t proto,
				 uint32_t mark)
{
	const struct sad_ent *e;

	for (e = sad->bykey[key_bucket(sad, daddr, spi, proto)]; e; e = e->key_next)
		if (ent_is(e, family, daddr, spi, proto) &&
		    (mark & e->sa.mark_m) == e->sa.mark_v)
			return &e->sa;
	return NULL;
}

const struct igd_sa *igd_sad_next_by_reqid(const struct igd_sad *sad, uint32_t reqid,
					   const struct igd_sa *prev)
{
	const struct sad_ent *e;

	e = prev ? ((const struct sad_ent *)prev)->reqid_next :
		   sad->byreqid[reqid_bucket(sad, reqid)];
	while (e && e->sa.reqid != reqid)
		e = e->reqid_next;
	return e ? &e->sa : NULL;
}

const struct igd_sa *igd_sad_next(const struct igd_sad *sad, const struct igd_sa *prev)
{
	const struct sad_ent *e = prev ? ((const struct sad_ent *)prev)->older : sad->newest;

	return e ? &e->sa : NULL;
}

unsigned int igd_sad_count(const struct igd_sad *sad)
{
	return sad->count;
}

uint64_t igd_sad_generation(const struct igd_sad *sad)
{
	return sad->generation;
}

/* --- ESP overhead from algorithm names -------------------------------------------- */

struct alg_info {
	const char *name;
	uint8_t iv, block;
	uint16_t icv_bits;		/* default for AEAD / untruncated auth */
};

static const struct alg_info aead_algs[] = {
	{ "rfc4106(gcm(aes))", 8, 4, 128 },
	{ "rfc4309(ccm(aes))", 8, 4, 128 },
	{ "rfc4543(gcm(aes))", 8, 4, 128 },
	{ "rfc7539esp(chacha20,poly1305)", 8, 4, 128 },
	{ "rfc8998(gcm(sm4))", 8, 4, 128 },
};

static const struct alg_info crypt_algs[] = {
	{ "ecb(cipher_null)", 0, 4, 0 },
	{ "cbc(aes)", 16, 16, 0 },
	{ "cbc(des3_ede)", 8, 8, 0 },
	{ "cbc(des)", 8, 8, 0 },
	{ "cbc(cast5)", 8, 8, 0 },
	{ "cbc(blowfish)", 8, 8, 0 },
	{ "cbc(serpent)", 16, 16, 0 },
	{ "cbc(twofish)", 16, 16, 0 },
	{ "cbc(camellia)", 16, 16, 0 },
	{ "cbc(sm4)", 16, 16, 0 },
	{ "rfc3686(ctr(aes))", 8, 4, 0 },
	{ "ctr(aes)", 8, 4, 0 },
};

/* ICV bits the kernel uses when a plain XFRMA_ALG_AUTH gives no truncation
 * (net/xfrm/xfrm_algo.c icv_truncbits). */
static const struct alg_info auth_algs[] = {
	{ "digest_null", 0, 0, 0 },
	{ "hmac(md5)", 0, 0, 96 },
	{ "hmac(sha1)", 0, 0, 96 },
	{ "hmac(sha256)", 0, 0, 96 },
	{ "hmac(sha384)", 0, 0, 192 },
	{ "hmac(sha512)", 0, 0, 256 },
	{ "hmac(rmd160)", 0, 0, 96 },
	{ "xcbc(aes)", 0, 0, 96 },
	{ "cmac(aes)", 0, 0, 96 },
	{ "hmac(sm3)", 0, 0, 256 },
};

static const struct alg_info *alg_find(const struct alg_info *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

#define ALG_FIND(t, name) alg_find((t), sizeof(t) / sizeof((t)[0]), (name))

static bool derive_aead(struct igd_sa *sa)
{
	const struct alg_info *a = ALG_FIND(aead_algs, sa->aead.name);

	if (!a)
		return false;
	sa->iv_len = a->iv;
	sa->block = a->block;
	sa->icv_len = sa->aead.trunc_bits ? sa->aead.trunc_bits / 8 : a->icv_bits / 8;
	return true;
}

static bool derive_crypt_auth(struct igd_sa *sa)
{
	const struct alg_info *c = ALG_FIND(crypt_algs, sa->crypt.name);
	const struct alg_info *a = NULL;

	if (!c)
		return false;
	sa->iv_len = c->iv;
	sa->block = c->block;
	sa->icv_len = 0;
	if (!sa->auth.name[0])
		return true;
	if (sa->auth.trunc_bits) {
		sa->icv_len = sa->auth.trunc_bits / 8;
		return true;
	}
	a = ALG_FIND(auth_algs, sa->auth.name);
	if (!a)
		return false;
	sa->icv_len = a->icv_bits / 8;
	return true;
}

void igd_sa_derive_overhead(struct igd_sa *sa)
{
	sa->iv_len = sa->icv_len = sa->block = 0;
	sa->overhead_known = false;
	if (sa->proto != IPPROTO_ESP)
		return;
	if (sa->aead.name[0])
		sa->overhead_known = derive_aead(sa);
	else if (sa->crypt.name[0])
		sa->overhead_known = derive_crypt_auth(sa);
	if (!sa->overhead_known)
		sa->iv_len = sa->icv_len = sa->block = 0;
}

const char *igd_xfrm_proto_str(uint8_t proto)
{
	static const char *const names[256] = {
		[IPPROTO_ESP] = "esp", [IPPROTO_AH] = "ah", [IPPROTO_COMP] = "comp",
		[IPPROTO_ROUTING] = "route2", [IPPROTO_DSTOPTS] = "hao",
		[255] = "ipsec-any",
	};

	return names[proto] ? names[proto] : "other";
}

const char *igd_xfrm_mode_str(uint8_t mode)
{
	static const char *const names[] = {
		[XFRM_MODE_TRANSPORT] = "transport", [XFRM_MODE_TUNNEL] = "tunnel",
		[XFRM_MODE_ROUTEOPTIMIZATION] = "ro", [XFRM_MODE_IN_TRIGGER] = "in_trigger",
		[XFRM_MODE_BEET] = "beet",
	};

	if (mode < sizeof(names) / sizeof(names[0]) && names[mode])
		return names[mode];
	return "unknown";
}
