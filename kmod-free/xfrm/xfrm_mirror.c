/* The SPD/SAD mirror over libmnl; see xfrm_mirror.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include "xfrm/xfrm_mirror.h"
#include "nl/nl_talk.h"

#define MIRROR_BUF		(64 * 1024)
#define RCVBUF_DEFAULT		(1u << 20)
#define RCVBUF_MAX_DEFAULT	(64u << 20)
#define RECV_BATCH		512	/* messages per process() before yielding */
#define RETRY_MS		20

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
	int type;

	if (igd_xfrm_parse_flush_policy(nlh, &type)) {
		m->st.bad_msgs++;
		m->need_dump = true;
		return;
	}
	if (m->apply)
		igd_spd_flush(m->spd, type);
	emit(m, IGD_XFRM_EV_SP_FLUSH, NULL, NULL, NULL, false);
}

static void ev_flush_sa(struct igd_xfrm_mirror *m, const struct nlmsghdr *nlh)
{
	uint8_t proto;

	if (igd_xfrm_parse_flush_sa(nlh, &proto)) {
		m->st.bad_msgs++;
		m->need_dump = true;
		return;
	}
	if (m->apply)
		igd_sad_flush(m->sad, proto);
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
