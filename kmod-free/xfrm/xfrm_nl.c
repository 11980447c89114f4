/* XFRM netlink client over libmnl: parsers and the SPD/SAD mirror. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include "xfrm/xfrm_nl.h"
#include "nl/nl_talk.h"

#define MIRROR_BUF		(64 * 1024)
#define RCVBUF_DEFAULT		(1u << 20)
#define RCVBUF_MAX_DEFAULT	(64u << 20)
#define RECV_BATCH		512	/* messages per process() before yielding */
#define RETRY_MS		20

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

/* --- the mirror ---------------------------------------------------------------------- */

struct igd_xfrm_mirror {
	struct mnl_socket *ev, *dump;
	struct igd_spd *spd;
	struct igd_sad *sad;
	struct igd_xfrm_mirror_cfg cfg;
	struct igd_xfrm_mirror_stats st;
	uint32_t rcvbuf;
	bool need_dump;		/* a loss or an inconsistency: dump again */
	bool more;		/* events left unread after a batch */
	bool apply;		/* events change the tables (false while discarding) */
	char *buf;
	/* dump collection: the kernel dumps newest first, tables want oldest first */
	struct igd_sp *dsp;
	size_t dsp_n, dsp_cap;
	struct igd_sa *dsa;
	size_t dsa_n, dsa_cap;
	uint8_t hthresh[2][2];	/* [family][l/r] */
	bool have_hthresh;
	/* igd_xfrm_mirror_sa_walk() */
	igd_xfrm_sa_walk_cb walk_cb;
	void *walk_data;
};

static void emit(struct igd_xfrm_mirror *m, enum igd_xfrm_event_type type,
		 const struct igd_sp *sp, const struct igd_sa *sa,
		 const struct igd_xfrm_acquire *acq, bool hard)
{
	struct igd_xfrm_event ev = {
		.type = type, .sp = sp, .sa = sa, .acq = acq, .hard = hard,
	};

	if (m->cfg.cb)
		m->cfg.cb(&ev, m->cfg.cb_data);
}

static void ev_policy(struct igd_xfrm_mirror *m, const struct nlmsghdr *nlh)
{
	struct igd_sp sp;
	bool hard;

	if (igd_xfrm_parse_policy(nlh, &sp, &hard)) {
		m->st.bad_msgs++;
		return;
	}
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		if (m->apply && igd_spd_add(m->spd, &sp))
			m->need_dump = true;
		emit(m, IGD_XFRM_EV_SP_NEW, &sp, NULL, NULL, false);
		break;
	case XFRM_MSG_POLEXPIRE:
		if (!hard) {
			emit(m, IGD_XFRM_EV_SP_EXPIRE, &sp, NULL, NULL, false);
			break;
		}
		/* a hard expiry deleted it, with no DELPOLICY */
		__attribute__((fallthrough));
	default:
		if (m->apply)
			igd_spd_del(m->spd, sp.index);
		emit(m, IGD_XFRM_EV_SP_DEL, &sp, NULL, NULL, hard);
	}
}

static void ev_sa(struct igd_xfrm_mirror *m, const struct nlmsghdr *nlh)
{
	struct igd_sa sa;
	bool hard;

	if (igd_xfrm_parse_sa(nlh, &sa, &hard)) {
		m->st.bad_msgs++;
		return;
	}
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		/* larval (acquire) states have no SPI and no events: not mirrored */
		if (m->apply && sa.spi && igd_sad_add(m->sad, &sa))
			m->need_dump = true;
		emit(m, IGD_XFRM_EV_SA_NEW, NULL, &sa, NULL, false);
		break;
	case XFRM_MSG_EXPIRE:
		if (!hard) {
			emit(m, IGD_XFRM_EV_SA_EXPIRE, NULL, &sa, NULL, false);
			break;
		}
		__attribute__((fallthrough));
	default:
		if (m->apply)
			igd_sad_del(m->sad, sa.family, &sa.daddr, sa.spi, sa.proto, sa.mark_v,
				    sa.mark_m);
		emit(m, IGD_XFRM_EV_SA_DEL, NULL, &sa, NULL, hard);
	}
}

static void ev_flush_policy(struct igd_xfrm_mirror *m, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	int type = IGD_PTYPE_MAIN;

	if (xfrm_attrs_parse(nlh, 0, tb)) {
		m->st.bad_msgs++;
		m->need_dump = true;
		return;
	}
	if (tb[XFRMA_POLICY_TYPE]) {
		struct xfrm_userpolicy_type upt;

		memcpy(&upt, mnl_attr_get_payload(tb[XFRMA_POLICY_TYPE]), sizeof(upt));
		type = upt.type;
	}
	if (m->apply)
		igd_spd_flush(m->spd, type);
	emit(m, IGD_XFRM_EV_SP_FLUSH, NULL, NULL, NULL, false);
}

static void ev_flush_sa(struct igd_xfrm_mirror *m, const struct nlmsghdr *nlh)
{
	const struct xfrm_usersa_flush *f = nl_body(nlh, sizeof(*f));

	if (!f) {
		m->st.bad_msgs++;
		m->need_dump = true;
		return;
	}
	if (m->apply)
		igd_sad_flush(m->sad, f->proto);
	emit(m, IGD_XFRM_EV_SA_FLUSH, NULL, NULL, NULL, false);
}

static void ev_acquire(struct igd_xfrm_mirror *m, const struct nlmsghdr *nlh)
{
	struct igd_xfrm_acquire acq;

	if (igd_xfrm_parse_acquire(nlh, &acq)) {
		m->st.bad_msgs++;
		return;
	}
	emit(m, IGD_XFRM_EV_ACQUIRE, NULL, NULL, &acq, false);
}

static int ev_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_xfrm_mirror *m = data;

	m->st.events++;
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
	case XFRM_MSG_DELPOLICY:
	case XFRM_MSG_POLEXPIRE:
		ev_policy(m, nlh);
		break;
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
	case XFRM_MSG_EXPIRE:
		ev_sa(m, nlh);
		break;
	case XFRM_MSG_FLUSHPOLICY:
		ev_flush_policy(m, nlh);
		break;
	case XFRM_MSG_FLUSHSA:
		ev_flush_sa(m, nlh);
		break;
	case XFRM_MSG_ACQUIRE:
		ev_acquire(m, nlh);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* --- receive buffer ------------------------------------------------------------------ */

static void rcvbuf_set(struct igd_xfrm_mirror *m, uint32_t bytes)
{
	int fd = mnl_socket_get_fd(m->ev), v = (int)bytes;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	m->rcvbuf = bytes;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
		m->st.rcvbuf = (uint32_t)v;
}

static void on_overrun(struct igd_xfrm_mirror *m)
{
	uint32_t cap = m->cfg.rcvbuf_max ? m->cfg.rcvbuf_max : RCVBUF_MAX_DEFAULT;

	m->st.overruns++;
	m->need_dump = true;
	if (m->rcvbuf < cap)
		rcvbuf_set(m, m->rcvbuf > cap / 2 ? cap : m->rcvbuf * 2);
}

/* Reads what is queued on the event socket, at most RECV_BATCH messages.
 * Returns 0 or -errno for a fatal socket error. */
static int ev_drain(struct igd_xfrm_mirror *m)
{
	int fd = mnl_socket_get_fd(m->ev), i;

	m->more = false;
	for (i = 0; i < RECV_BATCH; i++) {
		struct sockaddr_nl sa;
		struct iovec iov = { m->buf, MIRROR_BUF };
		struct msghdr msg = {
			.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				on_overrun(m);
				continue;
			}
			return -errno;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			m->st.bad_msgs++;
			m->need_dump = true;
			continue;
		}
		if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0) {
			m->st.foreign++;
			continue;
		}
		if (mnl_cb_run(m->buf, (size_t)n, 0, 0, ev_msg_cb, m) < 0)
			m->st.bad_msgs++;
	}
	m->more = true;
	return 0;
}

/* --- dumps ---------------------------------------------------------------------------- */

static int dump_policy_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_xfrm_mirror *m = data;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return MNL_CB_OK;
	if (m->dsp_n == m->dsp_cap) {
		size_t cap = m->dsp_cap ? m->dsp_cap * 2 : 256;
		struct igd_sp *n = realloc(m->dsp, cap * sizeof(*n));

		if (!n)
			return MNL_CB_ERROR;
		m->dsp = n;
		m->dsp_cap = cap;
	}
	if (igd_xfrm_parse_policy(nlh, &m->dsp[m->dsp_n], NULL)) {
		m->st.bad_msgs++;
		return MNL_CB_OK;
	}
	m->dsp_n++;
	return MNL_CB_OK;
}

static int dump_sa_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_xfrm_mirror *m = data;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return MNL_CB_OK;
	if (m->dsa_n == m->dsa_cap) {
		size_t cap = m->dsa_cap ? m->dsa_cap * 2 : 64;
		struct igd_sa *n = realloc(m->dsa, cap * sizeof(*n));

		if (!n)
			return MNL_CB_ERROR;
		m->dsa = n;
		m->dsa_cap = cap;
	}
	if (igd_xfrm_parse_sa(nlh, &m->dsa[m->dsa_n], NULL)) {
		m->st.bad_msgs++;
		return MNL_CB_OK;
	}
	if (m->dsa[m->dsa_n].spi)	/* larval states are not mirrored */
		m->dsa_n++;
	return MNL_CB_OK;
}

static int walk_sa_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_xfrm_mirror *m = data;
	struct igd_sa sa;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return MNL_CB_OK;
	if (igd_xfrm_parse_sa(nlh, &sa, NULL)) {
		m->st.bad_msgs++;
		return MNL_CB_OK;
	}
	if (sa.spi)
		m->walk_cb(&sa, m->walk_data);
	return MNL_CB_OK;
}

static int spd_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, XFRMA_SPD_MAX) < 0)
		return MNL_CB_OK;
	if (type == XFRMA_SPD_IPV4_HTHRESH || type == XFRMA_SPD_IPV6_HTHRESH) {
		if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC,
				       sizeof(struct xfrmu_spdhthresh)) < 0)
			return MNL_CB_ERROR;
	} else if (mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0) {
		return MNL_CB_ERROR;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int spdinfo_cb(const struct nlmsghdr *nlh, void *data)
{
	struct igd_xfrm_mirror *m = data;
	const struct nlattr *tb[XFRMA_SPD_MAX + 1] = { NULL };
	int f;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSPDINFO)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(uint32_t), spd_attr_cb, tb) != MNL_CB_OK)
		return MNL_CB_ERROR;
	for (f = 0; f < 2; f++) {
		const struct nlattr *a = tb[f ? XFRMA_SPD_IPV6_HTHRESH : XFRMA_SPD_IPV4_HTHRESH];
		struct xfrmu_spdhthresh th;

		if (!a)
			continue;
		memcpy(&th, mnl_attr_get_payload(a), sizeof(th));
		m->hthresh[f][0] = th.lbits;
		m->hthresh[f][1] = th.rbits;
		m->have_hthresh = true;
	}
	return MNL_CB_OK;
}

/* One request on the dump socket, read to its end.  Returns 0, -EINTR when the kernel
 * flagged the dump as interrupted, or -errno. */
static int dump_run(struct igd_xfrm_mirror *m, uint16_t type, uint16_t flags,
		    const void *body, size_t blen, mnl_cb_t cb)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if (blen)
		memcpy(mnl_nlmsg_put_extra_header(nlh, blen), body, blen);
	return igd_nl_exchange(m->dump, nlh, m->buf, MIRROR_BUF, cb, m);
}

static int tables_build(struct igd_xfrm_mirror *m, struct igd_spd **spdp,
			struct igd_sad **sadp)
{
	struct igd_spd *spd = NULL;
	struct igd_sad *sad = NULL;
	size_t i;
	int err;

	err = igd_spd_new(&spd);
	if (!err)
		err = igd_sad_new(&sad);
	if (err)
		goto cleanup;
	if (m->have_hthresh) {
		igd_spd_set_hthresh(spd, 4, m->hthresh[0][0], m->hthresh[0][1]);
		igd_spd_set_hthresh(spd, 6, m->hthresh[1][0], m->hthresh[1][1]);
	}
	for (i = m->dsp_n; i-- > 0;) {
		err = igd_spd_add(spd, &m->dsp[i]);
		if (err && err != -EINVAL)
			goto cleanup;
	}
	for (i = m->dsa_n; i-- > 0;) {
		err = igd_sad_add(sad, &m->dsa[i]);
		if (err && err != -EINVAL)
			goto cleanup;
	}
	*spdp = spd;
	*sadp = sad;
	return 0;
cleanup:
	igd_spd_free(spd);
	igd_sad_free(sad);
	return err;
}

static int dump_once(struct igd_xfrm_mirror *m)
{
	uint32_t zero = 0;
	struct igd_spd *spd;
	struct igd_sad *sad;
	int err;

	m->dsp_n = m->dsa_n = 0;
	/* hash thresholds decide the kernel's list categories; older kernels lack them */
	if (dump_run(m, XFRM_MSG_GETSPDINFO, 0, &zero, sizeof(zero), spdinfo_cb) == -EINTR)
		return -EINTR;
	err = dump_run(m, XFRM_MSG_GETPOLICY, NLM_F_DUMP, NULL, 0, dump_policy_cb);
	if (!err)
		err = dump_run(m, XFRM_MSG_GETSA, NLM_F_DUMP, NULL, 0, dump_sa_cb);
	if (err)
		return err;
	err = tables_build(m, &spd, &sad);
	if (err)
		return err;
	igd_spd_free(m->spd);
	igd_sad_free(m->sad);
	m->spd = spd;
	m->sad = sad;
	m->st.dumps++;
	return 0;
}

/* Discard-then-dump: what is queued before the dump is reflected by it (table events are
 * dropped, ACQUIRE/EXPIRE still reach the callback); what arrives during the dump stays
 * queued and is applied afterwards. */
static int resync(struct igd_xfrm_mirror *m)
{
	unsigned int tries = m->cfg.max_dumps ? m->cfg.max_dumps : 4;
	int err = 0;

	while (m->need_dump && tries--) {
		m->need_dump = false;
		if (m->ev) {
			m->apply = false;
			do {
				err = ev_drain(m);
			} while (!err && m->more);
			m->apply = true;
			if (err)
				return err;
			m->need_dump = false;
		}
		err = dump_once(m);
		if (err == -EINTR || err == -EBUSY) {
			m->st.dump_retries++;
			m->need_dump = true;
			continue;
		}
		if (err)
			return err;
		emit(m, IGD_XFRM_EV_RESYNC, NULL, NULL, NULL, false);
		if (!m->ev)
			break;
		/* apply what raced the dump; a loss meanwhile means another round */
		do {
			err = ev_drain(m);
		} while (!err && m->more && !m->need_dump);
		if (err)
			return err;
		if (m->need_dump)
			m->st.dump_retries++;
	}
	return 0;
}

static int sockets_open(struct igd_xfrm_mirror *m)
{
	unsigned int groups[] = {
		XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, XFRMNLGRP_SA, XFRMNLGRP_POLICY,
	};
	unsigned int i;

	m->dump = mnl_socket_open(NETLINK_XFRM);
	if (!m->dump || mnl_socket_bind(m->dump, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	if (m->cfg.no_events)
		return 0;
	m->ev = mnl_socket_open2(NETLINK_XFRM, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->ev || mnl_socket_bind(m->ev, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int g = (int)groups[i];

		if (mnl_socket_setsockopt(m->ev, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
			return -errno;
	}
	rcvbuf_set(m, m->cfg.rcvbuf ? m->cfg.rcvbuf : RCVBUF_DEFAULT);
	return 0;
}

int igd_xfrm_mirror_open(struct igd_xfrm_mirror **mp, const struct igd_xfrm_mirror_cfg *cfg)
{
	struct igd_xfrm_mirror *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	if (cfg)
		m->cfg = *cfg;
	m->apply = true;
	m->buf = malloc(MIRROR_BUF);
	err = m->buf ? 0 : -ENOMEM;
	if (!err)
		err = igd_spd_new(&m->spd);
	if (!err)
		err = igd_sad_new(&m->sad);
	if (!err)
		err = sockets_open(m);
	if (!err) {
		m->need_dump = true;
		err = resync(m);
	}
	if (!err && m->need_dump)
		err = -EAGAIN;
	if (err) {
		igd_xfrm_mirror_close(m);
		return err;
	}
	*mp = m;
	return 0;
}

void igd_xfrm_mirror_close(struct igd_xfrm_mirror *m)
{
	if (!m)
		return;
	if (m->ev)
		mnl_socket_close(m->ev);
	if (m->dump)
		mnl_socket_close(m->dump);
	igd_spd_free(m->spd);
	igd_sad_free(m->sad);
	free(m->dsp);
	free(m->dsa);
	free(m->buf);
	free(m);
}

int igd_xfrm_mirror_fd(const struct igd_xfrm_mirror *m)
{
	return m->ev ? mnl_socket_get_fd(m->ev) : -1;
}

int igd_xfrm_mirror_process(struct igd_xfrm_mirror *m)
{
	int err = 0;

	if (m->ev && !m->need_dump)
		err = ev_drain(m);
	if (!err && m->need_dump)
		err = resync(m);
	return err;
}

int igd_xfrm_mirror_timeout_ms(const struct igd_xfrm_mirror *m)
{
	if (m->need_dump)
		return RETRY_MS;
	if (m->more)
		return 0;
	return -1;
}

int igd_xfrm_mirror_sa_walk(struct igd_xfrm_mirror *m, igd_xfrm_sa_walk_cb cb, void *data)
{
	int ret;

	m->walk_cb = cb;
	m->walk_data = data;
	ret = dump_run(m, XFRM_MSG_GETSA, NLM_F_DUMP, NULL, 0, walk_sa_cb);
	m->walk_cb = NULL;
	return ret;
}

bool igd_xfrm_mirror_synced(const struct igd_xfrm_mirror *m)
{
	return !m->need_dump;
}

const struct igd_spd *igd_xfrm_mirror_spd(const struct igd_xfrm_mirror *m)
{
	return m->spd;
}

const struct igd_sad *igd_xfrm_mirror_sad(const struct igd_xfrm_mirror *m)
{
	return m->sad;
}

void igd_xfrm_mirror_get_stats(const struct igd_xfrm_mirror *m,
			       struct igd_xfrm_mirror_stats *st)
{
	*st = m->st;
	st->rcvbuf = m->st.rcvbuf;
}
