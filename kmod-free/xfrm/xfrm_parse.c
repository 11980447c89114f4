/* XFRM netlink messages, validated and converted; see xfrm_parse.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include "xfrm/xfrm_parse.h"

/* --- attribute validation ------------------------------------------------------------ */

static int attr_min(const struct nlattr *attr, size_t len)
{
	if (mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0)
		return -1;
	if (mnl_attr_get_payload_len(attr) < len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* xfrm_algo* carry the key after a fixed header: check the declared key length fits,
 * without ever reading the key. */
static int attr_alg(const struct nlattr *attr, size_t hdr, size_t key_len_off)
{
	uint32_t bits;

	if (attr_min(attr, hdr) < 0)
		return -1;
	memcpy(&bits, (const char *)mnl_attr_get_payload(attr) + key_len_off, sizeof(bits));
	if (mnl_attr_get_payload_len(attr) < hdr + (bits + 7) / 8) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

static int xfrm_attr_check(const struct nlattr *attr, int type)
{
	switch (type) {
	case XFRMA_MARK:
		return mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(struct xfrm_mark));
	case XFRMA_IF_ID:
	case XFRMA_TFCPAD:
	case XFRMA_SA_EXTRA_FLAGS:
	case XFRMA_SET_MARK:
	case XFRMA_SET_MARK_MASK:
		return mnl_attr_validate(attr, MNL_TYPE_U32);
	case XFRMA_POLICY_TYPE:
		return mnl_attr_validate2(attr, MNL_TYPE_UNSPEC,
					  sizeof(struct xfrm_userpolicy_type));
	case XFRMA_ENCAP:
		return mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(struct xfrm_encap_tmpl));
	case XFRMA_LTIME_VAL:
		return mnl_attr_validate2(attr, MNL_TYPE_UNSPEC,
					  sizeof(struct xfrm_lifetime_cur));
	case XFRMA_POLICY:
		return attr_min(attr, sizeof(struct xfrm_userpolicy_info));
	case XFRMA_SA:
		return attr_min(attr, sizeof(struct xfrm_usersa_info));
	case XFRMA_TMPL:
		if (mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0)
			return -1;
		if (mnl_attr_get_payload_len(attr) % sizeof(struct xfrm_user_tmpl) ||
		    mnl_attr_get_payload_len(attr) >
		    IGD_SP_MAX_TMPL * sizeof(struct xfrm_user_tmpl)) {
			errno = ERANGE;
			return -1;
		}
		return 0;
	case XFRMA_ALG_AUTH:
	case XFRMA_ALG_CRYPT:
	case XFRMA_ALG_COMP:
		return attr_alg(attr, sizeof(struct xfrm_algo),
				offsetof(struct xfrm_algo, alg_key_len));
	case XFRMA_ALG_AUTH_TRUNC:
		return attr_alg(attr, sizeof(struct xfrm_algo_auth),
				offsetof(struct xfrm_algo_auth, alg_key_len));
	case XFRMA_ALG_AEAD:
		return attr_alg(attr, sizeof(struct xfrm_algo_aead),
				offsetof(struct xfrm_algo_aead, alg_key_len));
	default:
		return mnl_attr_validate(attr, MNL_TYPE_BINARY);
	}
}

static int xfrm_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, XFRMA_MAX) < 0)
		return MNL_CB_OK;	/* newer than our headers: skip */
	if (xfrm_attr_check(attr, type) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int xfrm_attrs_parse(const struct nlmsghdr *nlh, size_t hdrlen,
			    const struct nlattr **tb)
{
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	int i;

	memset(tb, 0, sizeof(*tb) * (XFRMA_MAX + 1));
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return -EBADMSG;
	if (mnl_nlmsg_get_payload_len(nlh) <= MNL_ALIGN(hdrlen))
		return 0;
	if (mnl_attr_parse(nlh, (unsigned int)hdrlen, xfrm_attr_cb, tb) != MNL_CB_OK)
		return -EBADMSG;
	/* libmnl walks up to the length rounded up to 4: an attribute ending in that
	 * padding was not written by the sender */
	for (i = 0; i <= XFRMA_MAX; i++)
		if (tb[i] && (const uint8_t *)tb[i] + tb[i]->nla_len > end)
			return -EBADMSG;
	return 0;
}

static const void *nl_body(const struct nlmsghdr *nlh, size_t len)
{
	if (mnl_nlmsg_get_payload_len(nlh) < len)
		return NULL;
	return mnl_nlmsg_get_payload(nlh);
}

/* --- conversions ---------------------------------------------------------------- */

static int family_of(uint16_t af)
{
	return af == AF_INET ? 4 : af == AF_INET6 ? 6 : 0;
}

static void addr_from(union igd_addr *a, const xfrm_address_t *x, int family)
{
	memset(a, 0, sizeof(*a));
	if (family == 4)
		a->a4 = x->a4;
	else if (family == 6)
		memcpy(a->a6, x->a6, sizeof(a->a6));
}

static int sel_from(struct igd_sel *s, const struct xfrm_selector *x)
{
	int family = family_of(x->family);

	memset(s, 0, sizeof(*s));
	if (!family || x->prefixlen_d > (family == 4 ? 32 : 128) ||
	    x->prefixlen_s > (family == 4 ? 32 : 128))
		return -EBADMSG;
	s->family = (uint8_t)family;
	addr_from(&s->saddr, &x->saddr, family);
	addr_from(&s->daddr, &x->daddr, family);
	s->sport = ntohs(x->sport);
	s->sport_mask = ntohs(x->sport_mask);
	s->dport = ntohs(x->dport);
	s->dport_mask = ntohs(x->dport_mask);
	s->plen_s = x->prefixlen_s;
	s->plen_d = x->prefixlen_d;
	s->proto = x->proto;
	s->ifindex = x->ifindex;
	s->user = x->user;
	return 0;
}

static void lft_from(struct igd_lifetime *l, struct igd_curlft *c,
		     const struct xfrm_lifetime_cfg *xl, const struct xfrm_lifetime_cur *xc)
{
	l->soft_bytes = xl->soft_byte_limit;
	l->hard_bytes = xl->hard_byte_limit;
	l->soft_packets = xl->soft_packet_limit;
	l->hard_packets = xl->hard_packet_limit;
	l->soft_add_s = xl->soft_add_expires_seconds;
	l->hard_add_s = xl->hard_add_expires_seconds;
	l->soft_use_s = xl->soft_use_expires_seconds;
	l->hard_use_s = xl->hard_use_expires_seconds;
	c->bytes = xc->bytes;
	c->packets = xc->packets;
	c->add_time = xc->add_time;
	c->use_time = xc->use_time;
}

static int sp_from_info(struct igd_sp *sp, const struct xfrm_userpolicy_info *p)
{
	memset(sp, 0, sizeof(*sp));
	if (sel_from(&sp->sel, &p->sel))
		return -EBADMSG;
	lft_from(&sp->lft, &sp->cur, &p->lft, &p->curlft);
	sp->index = p->index;
	sp->priority = p->priority;
	sp->dir = p->dir;
	sp->action = p->action;
	sp->flags = p->flags;
	sp->share = p->share;
	return 0;
}

static void tmpl_from(struct igd_tmpl *t, const struct xfrm_user_tmpl *x)
{
	int family = family_of(x->family);

	memset(t, 0, sizeof(*t));
	t->family = (uint8_t)family;
	addr_from(&t->daddr, &x->id.daddr, family);
	addr_from(&t->saddr, &x->saddr, family);
	t->spi = ntohl(x->id.spi);
	t->proto = x->id.proto;
	t->reqid = x->reqid;
	t->mode = x->mode;
	t->share = x->share;
	t->optional = x->optional;
	t->aalgos = x->aalgos;
	t->ealgos = x->ealgos;
	t->calgos = x->calgos;
}

static void sp_attrs(struct igd_sp *sp, const struct nlattr **tb)
{
	if (tb[XFRMA_TMPL]) {
		const struct xfrm_user_tmpl *ut = mnl_attr_get_payload(tb[XFRMA_TMPL]);
		unsigned int i, n = mnl_attr_get_payload_len(tb[XFRMA_TMPL]) / sizeof(*ut);

		for (i = 0; i < n; i++) {
			struct xfrm_user_tmpl x;

			memcpy(&x, &ut[i], sizeof(x));
			tmpl_from(&sp->tmpl[i], &x);
		}
		sp->ntmpl = (uint8_t)n;
	}
	if (tb[XFRMA_POLICY_TYPE]) {
		struct xfrm_userpolicy_type upt;

		memcpy(&upt, mnl_attr_get_payload(tb[XFRMA_POLICY_TYPE]), sizeof(upt));
		sp->type = upt.type;
	}
	if (tb[XFRMA_MARK]) {
		struct xfrm_mark mk;

		memcpy(&mk, mnl_attr_get_payload(tb[XFRMA_MARK]), sizeof(mk));
		sp->mark_v = mk.v;
		sp->mark_m = mk.m;
	}
	if (tb[XFRMA_IF_ID])
		sp->if_id = mnl_attr_get_u32(tb[XFRMA_IF_ID]);
}

int igd_xfrm_parse_policy(const struct nlmsghdr *nlh, struct igd_sp *sp, bool *hard)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_userpolicy_info info;
	size_t hdr;
	const void *body;

	if (hard)
		*hard = false;
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		hdr = sizeof(struct xfrm_userpolicy_info);
		break;
	case XFRM_MSG_DELPOLICY:
		hdr = sizeof(struct xfrm_userpolicy_id);
		break;
	case XFRM_MSG_POLEXPIRE:
		hdr = sizeof(struct xfrm_user_polexpire);
		break;
	default:
		return -EPROTO;
	}
	body = nl_body(nlh, hdr);
	if (!body || xfrm_attrs_parse(nlh, hdr, tb))
		return -EBADMSG;
	if (nlh->nlmsg_type == XFRM_MSG_DELPOLICY) {
		/* the full policy travels in XFRMA_POLICY */
		if (!tb[XFRMA_POLICY])
			return -EBADMSG;
		memcpy(&info, mnl_attr_get_payload(tb[XFRMA_POLICY]), sizeof(info));
	} else if (nlh->nlmsg_type == XFRM_MSG_POLEXPIRE) {
		struct xfrm_user_polexpire pe;

		memcpy(&pe, body, sizeof(pe));
		info = pe.pol;
		if (hard)
			*hard = pe.hard;
	} else {
		memcpy(&info, body, sizeof(info));
	}
	if (sp_from_info(sp, &info))
		return -EBADMSG;
	sp_attrs(sp, tb);
	return 0;
}

static void alg_from(struct igd_sa_alg *a, const struct nlattr *attr, size_t trunc_off)
{
	const char *p = mnl_attr_get_payload(attr);
	size_t n = strnlen(p, sizeof(a->name) - 1);

	/* name and lengths only: the key that follows is never touched */
	memcpy(a->name, p, n);
	a->name[n] = '\0';
	memcpy(&a->key_bits, p + IGD_ALG_NAME_MAX, sizeof(a->key_bits));
	if (trunc_off)
		memcpy(&a->trunc_bits, p + trunc_off, sizeof(a->trunc_bits));
}

static void sa_attrs(struct igd_sa *sa, const struct nlattr **tb)
{
	if (tb[XFRMA_ALG_AEAD])
		alg_from(&sa->aead, tb[XFRMA_ALG_AEAD], offsetof(struct xfrm_algo_aead, alg_icv_len));
	if (tb[XFRMA_ALG_CRYPT])
		alg_from(&sa->crypt, tb[XFRMA_ALG_CRYPT], 0);
	if (tb[XFRMA_ALG_AUTH_TRUNC])
		alg_from(&sa->auth, tb[XFRMA_ALG_AUTH_TRUNC],
			 offsetof(struct xfrm_algo_auth, alg_trunc_len));
	else if (tb[XFRMA_ALG_AUTH])
		alg_from(&sa->auth, tb[XFRMA_ALG_AUTH], 0);
	if (tb[XFRMA_ALG_COMP])
		alg_from(&sa->comp, tb[XFRMA_ALG_COMP], 0);
	if (tb[XFRMA_ENCAP]) {
		struct xfrm_encap_tmpl et;

		memcpy(&et, mnl_attr_get_payload(tb[XFRMA_ENCAP]), sizeof(et));
		sa->encap_type = et.encap_type;
		sa->encap_sport = ntohs(et.encap_sport);
		sa->encap_dport = ntohs(et.encap_dport);
		addr_from(&sa->encap_oa, &et.encap_oa, sa->family);
	}
	if (tb[XFRMA_MARK]) {
		struct xfrm_mark mk;

		memcpy(&mk, mnl_attr_get_payload(tb[XFRMA_MARK]), sizeof(mk));
		sa->mark_v = mk.v;
		sa->mark_m = mk.m;
	}
	if (tb[XFRMA_IF_ID])
		sa->if_id = mnl_attr_get_u32(tb[XFRMA_IF_ID]);
	if (tb[XFRMA_LTIME_VAL]) {
		struct xfrm_lifetime_cur c;

		memcpy(&c, mnl_attr_get_payload(tb[XFRMA_LTIME_VAL]), sizeof(c));
		sa->cur.bytes = c.bytes;
		sa->cur.packets = c.packets;
		if (c.add_time)
			sa->cur.add_time = c.add_time;
		if (c.use_time)
			sa->cur.use_time = c.use_time;
	}
}

static int sa_from_info(struct igd_sa *sa, const struct xfrm_usersa_info *p)
{
	int family = family_of(p->family);

	memset(sa, 0, sizeof(*sa));
	if (!family)
		return -EBADMSG;
	/* the selector of an SA may be unset (family 0): keep it zero then */
	if (p->sel.family && sel_from(&sa->sel, &p->sel))
		return -EBADMSG;
	sa->family = (uint8_t)family;
	addr_from(&sa->daddr, &p->id.daddr, family);
	addr_from(&sa->saddr, &p->saddr, family);
	sa->spi = ntohl(p->id.spi);
	sa->proto = p->id.proto;
	lft_from(&sa->lft, &sa->cur, &p->lft, &p->curlft);
	sa->seq = p->seq;
	sa->reqid = p->reqid;
	sa->mode = p->mode;
	sa->replay_window = p->replay_window;
	sa->flags = p->flags;
	sa->stats_replay_window = p->stats.replay_window;
	sa->stats_replay = p->stats.replay;
	sa->stats_integrity_failed = p->stats.integrity_failed;
	return 0;
}

int igd_xfrm_parse_sa(const struct nlmsghdr *nlh, struct igd_sa *sa, bool *hard)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_usersa_info info;
	const void *body;
	size_t hdr;

	if (hard)
		*hard = false;
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		hdr = sizeof(struct xfrm_usersa_info);
		break;
	case XFRM_MSG_DELSA:
		hdr = sizeof(struct xfrm_usersa_id);
		break;
	case XFRM_MSG_EXPIRE:
		hdr = sizeof(struct xfrm_user_expire);
		break;
	default:
		return -EPROTO;
	}
	body = nl_body(nlh, hdr);
	if (!body || xfrm_attrs_parse(nlh, hdr, tb))
		return -EBADMSG;
	if (nlh->nlmsg_type == XFRM_MSG_DELSA) {
		if (!tb[XFRMA_SA])
			return -EBADMSG;
		memcpy(&info, mnl_attr_get_payload(tb[XFRMA_SA]), sizeof(info));
	} else if (nlh->nlmsg_type == XFRM_MSG_EXPIRE) {
		struct xfrm_user_expire ue;

		memcpy(&ue, body, sizeof(ue));
		info = ue.state;
		if (hard)
			*hard = ue.hard;
	} else {
		memcpy(&info, body, sizeof(info));
	}
	if (sa_from_info(sa, &info))
		return -EBADMSG;
	sa_attrs(sa, tb);
	igd_sa_derive_overhead(sa);
	return 0;
}

int igd_xfrm_parse_acquire(const struct nlmsghdr *nlh, struct igd_xfrm_acquire *acq)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_user_acquire ua;
	const void *body;

	if (nlh->nlmsg_type != XFRM_MSG_ACQUIRE)
		return -EPROTO;
	body = nl_body(nlh, sizeof(ua));
	if (!body || xfrm_attrs_parse(nlh, sizeof(ua), tb))
		return -EBADMSG;
	memcpy(&ua, body, sizeof(ua));
	memset(acq, 0, sizeof(*acq));
	if (sel_from(&acq->sel, &ua.sel) || sp_from_info(&acq->policy, &ua.policy))
		return -EBADMSG;
	acq->family = acq->sel.family;
	addr_from(&acq->daddr, &ua.id.daddr, acq->family);
	addr_from(&acq->saddr, &ua.saddr, acq->family);
	acq->proto = ua.id.proto;
	acq->seq = ua.seq;
	sp_attrs(&acq->policy, tb);
	return 0;
}

int igd_xfrm_parse_flush_policy(const struct nlmsghdr *nlh, int *type)
{
	const struct nlattr *tb[XFRMA_MAX + 1];

	*type = IGD_PTYPE_MAIN;
	if (xfrm_attrs_parse(nlh, 0, tb))
		return -EBADMSG;
	if (tb[XFRMA_POLICY_TYPE]) {
		struct xfrm_userpolicy_type upt;

		memcpy(&upt, mnl_attr_get_payload(tb[XFRMA_POLICY_TYPE]), sizeof(upt));
		*type = upt.type;
	}
	return 0;
}

int igd_xfrm_parse_flush_sa(const struct nlmsghdr *nlh, uint8_t *proto)
{
	const struct xfrm_usersa_flush *f = nl_body(nlh, sizeof(*f));

	if (!f)
		return -EBADMSG;
	*proto = f->proto;
	return 0;
}
