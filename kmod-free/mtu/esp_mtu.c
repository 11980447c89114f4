/* ESP overhead and inner MTU/MSS: see esp_mtu.h for the formula and its sources. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include "mtu/esp_mtu.h"
#include "xfrm/sad.h"

#define ESP_HDR_LEN	8	/* SPI + sequence number */
#define ESP_TRAILER_LEN	2	/* pad length + next header */
#define IP4_HDR_LEN	20
#define IP6_HDR_LEN	40
#define TCP_HDR_LEN	20

#define AEAD(n, iv, blk, icv)	{ n, IGD_ESP_ALG_AEAD, iv, blk, icv }
#define CRYPT(n, iv, blk)	{ n, IGD_ESP_ALG_CRYPT, iv, blk, 0 }
#define AUTH(n, icv)		{ n, IGD_ESP_ALG_AUTH, 0, 0, icv }

/* net/xfrm/xfrm_algo.c: IV sizes and block sizes of the ESP-capable transforms, with
 * stream ciphers and AEAD modes (block 1) aligned to 4 as esp does; the ICV of an auth
 * algorithm is its icv_truncbits, used when the SA was added without a truncation. */
static const struct igd_esp_alg esp_algs[] = {
	AEAD("rfc4106(gcm(aes))", 8, 4, 16),
	AEAD("rfc4309(ccm(aes))", 8, 4, 16),
	AEAD("rfc4543(gcm(aes))", 8, 4, 16),
	AEAD("rfc7539esp(chacha20,poly1305)", 8, 4, 16),
	AEAD("rfc8998(gcm(sm4))", 8, 4, 16),
	CRYPT("ecb(cipher_null)", 0, 4),
	CRYPT("cbc(aes)", 16, 16),
	CRYPT("rfc3686(ctr(aes))", 8, 4),
	CRYPT("cbc(des3_ede)", 8, 8),
	CRYPT("cbc(des)", 8, 8),
	CRYPT("cbc(cast5)", 8, 8),
	CRYPT("cbc(blowfish)", 8, 8),
	CRYPT("cbc(serpent)", 16, 16),
	CRYPT("cbc(twofish)", 16, 16),
	CRYPT("cbc(camellia)", 16, 16),
	CRYPT("cbc(sm4)", 16, 16),
	AUTH("digest_null", 0),
	AUTH("hmac(md5)", 12),
	AUTH("hmac(sha1)", 12),
	AUTH("hmac(sha256)", 12),
	AUTH("hmac(sha384)", 24),
	AUTH("hmac(sha512)", 32),
	AUTH("hmac(rmd160)", 12),
	AUTH("xcbc(aes)", 12),
	AUTH("cmac(aes)", 12),
	AUTH("hmac(sm3)", 32),
};

#define N_ALGS (sizeof(esp_algs) / sizeof(esp_algs[0]))

const struct igd_esp_alg *igd_esp_alg_table(unsigned int *n)
{
	if (n)
		*n = N_ALGS;
	return esp_algs;
}

const struct igd_esp_alg *igd_esp_alg_find(const char *name)
{
	size_t i;

	if (!name || !name[0])
		return NULL;
	for (i = 0; i < N_ALGS; i++)
		if (!strcmp(esp_algs[i].name, name))
			return &esp_algs[i];
	return NULL;
}

static const struct igd_esp_alg *esp_alg_find_kind(const char *name,
						   enum igd_esp_alg_kind kind)
{
	const struct igd_esp_alg *a = igd_esp_alg_find(name);

	return a && a->kind == kind ? a : NULL;
}

/* The ICV length an SA's algorithm entry implies: its truncation when given. */
static unsigned int esp_icv_len(const struct igd_sa_alg *alg, const struct igd_esp_alg *a)
{
	return alg->trunc_bits ? alg->trunc_bits / 8 : a->icv;
}

static int esp_params_from_aead(const struct igd_sa *sa, struct igd_esp_params *p)
{
	const struct igd_esp_alg *a = esp_alg_find_kind(sa->aead.name, IGD_ESP_ALG_AEAD);

	if (!a)
		return -ENOENT;
	p->iv = a->iv;
	p->block = a->block;
	p->icv = esp_icv_len(&sa->aead, a);
	return 0;
}

/* authenc(auth, crypt): the cipher gives IV and block, the hash the ICV; no auth
 * algorithm (encryption only) means no ICV. */
static int esp_params_from_authenc(const struct igd_sa *sa, struct igd_esp_params *p)
{
	const struct igd_esp_alg *c = esp_alg_find_kind(sa->crypt.name, IGD_ESP_ALG_CRYPT);
	const struct igd_esp_alg *a = NULL;

	if (!c)
		return -ENOENT;
	p->iv = c->iv;
	p->block = c->block;
	p->icv = 0;
	if (!sa->auth.name[0])
		return 0;
	a = esp_alg_find_kind(sa->auth.name, IGD_ESP_ALG_AUTH);
	if (a)
		p->icv = esp_icv_len(&sa->auth, a);
	else if (sa->auth.trunc_bits)
		p->icv = sa->auth.trunc_bits / 8;
	else
		return -ENOENT;
	return 0;
}

static int esp_params_algs(const struct igd_sa *sa, struct igd_esp_params *p)
{
	int ret = -ENOENT;

	if (sa->aead.name[0])
		ret = esp_params_from_aead(sa, p);
	else if (sa->crypt.name[0])
		ret = esp_params_from_authenc(sa, p);
	if (ret == -ENOENT && sa->overhead_known) {
		p->iv = sa->iv_len;
		p->icv = sa->icv_len;
		p->block = sa->block;
		ret = 0;
	}
	return ret;
}

static int esp_encap_len(uint16_t encap_type, unsigned int *len)
{
	switch (encap_type) {
	case 0:
		*len = IGD_ESP_ENCAP_NONE;
		return 0;
	case UDP_ENCAP_ESPINUDP:
		*len = IGD_ESP_ENCAP_UDP;
		return 0;
	case UDP_ENCAP_ESPINUDP_NON_IKE:
		*len = IGD_ESP_ENCAP_UDP_NON_IKE;
		return 0;
	case TCP_ENCAP_ESPINTCP:
		*len = IGD_ESP_ENCAP_TCP;
		return 0;
	}
	return -EOPNOTSUPP;
}

int igd_esp_params_from_sa(const struct igd_sa *sa, struct igd_esp_params *p)
{
	int ret;

	if (!sa || !p || (sa->family != 4 && sa->family != 6))
		return -EINVAL;
	if (sa->proto != IPPROTO_ESP)
		return -EPROTONOSUPPORT;
	if (sa->mode != XFRM_MODE_TUNNEL && sa->mode != XFRM_MODE_TRANSPORT)
		return -EOPNOTSUPP;
	memset(p, 0, sizeof(*p));
	p->tunnel = sa->mode == XFRM_MODE_TUNNEL;
	p->outer_family = sa->family;
	ret = esp_encap_len(sa->encap_type, &p->encap);
	if (ret < 0)
		return ret;
	return esp_params_algs(sa, p);
}

void igd_esp_worst_case(struct igd_esp_params *p, int outer_family)
{
	p->iv = 16;
	p->block = 16;
	p->icv = 32;
	p->encap = IGD_ESP_ENCAP_UDP;
	p->tunnel = true;
	p->outer_family = outer_family == 4 ? 4 : 6;
}

static unsigned int esp_ip_hdr_len(int family)
{
	return family == 6 ? IP6_HDR_LEN : IP4_HDR_LEN;
}

unsigned int igd_esp_header_len(const struct igd_esp_params *p)
{
	unsigned int len = ESP_HDR_LEN + p->iv + p->encap;

	if (p->tunnel)
		len += esp_ip_hdr_len(p->outer_family);
	return len;
}

/* ALIGN(blocksize, 4) as esp_init_state() does; a block is a power of two. */
static unsigned int esp_align(const struct igd_esp_params *p)
{
	return p->block < 4 ? 4 : (p->block + 3) & ~3u;
}

/* The IP header that stays outside ESP: the packet's own one in transport mode. */
static unsigned int esp_net_adj(const struct igd_esp_params *p)
{
	return p->tunnel ? 0 : esp_ip_hdr_len(p->outer_family);
}

unsigned int igd_esp_inner_mtu(const struct igd_esp_params *p, unsigned int path_mtu)
{
	unsigned int fixed = igd_esp_header_len(p) + p->icv;
	unsigned int adj = esp_net_adj(p);
	unsigned int mtu;

	if (path_mtu < fixed + adj)
		return 0;
	mtu = ((path_mtu - fixed - adj) & ~(esp_align(p) - 1)) + adj;
	if (mtu < ESP_TRAILER_LEN + (adj ? adj : IP4_HDR_LEN))
		return 0;
	return mtu - ESP_TRAILER_LEN;
}

unsigned int igd_esp_mss(const struct igd_esp_params *p, unsigned int path_mtu,
			 int inner_family)
{
	unsigned int mtu, hdrs;

	if (!p->tunnel && !inner_family)
		inner_family = p->outer_family;
	if ((inner_family != 4 && inner_family != 6) ||
	    (!p->tunnel && inner_family != p->outer_family))
		return 0;
	mtu = igd_esp_inner_mtu(p, path_mtu);
	hdrs = esp_ip_hdr_len(inner_family) + TCP_HDR_LEN;
	return mtu > hdrs ? mtu - hdrs : 0;
}

unsigned int igd_esp_outer_len(const struct igd_esp_params *p, unsigned int inner_len)
{
	unsigned int adj = esp_net_adj(p);
	unsigned int align = esp_align(p);
	unsigned int body;

	if (inner_len < adj)
		inner_len = adj;
	body = (inner_len - adj + ESP_TRAILER_LEN + align - 1) & ~(align - 1);
	return adj + igd_esp_header_len(p) + body + p->icv;
}
