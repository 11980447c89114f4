#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "nl/nl_talk.h"
#include "queue.h"
#include "util/counter.h"

#define QUEUE_BURST		32	/* messages per recvmmsg */
#define QUEUE_MAX_BURSTS	8	/* bursts per process call before yielding */
#define QUEUE_MSG_OVERHEAD	1024	/* attributes around the copied packet */
#define QUEUE_VBUF_SIZE		(64 * 1024)

/* The counters: written by the thread that answers the queue (util/counter.h). */
#define QST_INC(q, f)	igd_counter_inc(&(q)->st.f)
#define QST_RD(q, f)	igd_counter_read(&(q)->st.f)

struct igd_queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t num;
	uint32_t slot_size;
	igd_queue_handler handler;
	void (*before_batch)(void *arg);
	void *arg;
	/* receive side: QUEUE_BURST slots of slot_size bytes */
	uint8_t *rbuf;
	struct mmsghdr msgs[QUEUE_BURST];
	struct iovec iov[QUEUE_BURST];
	/* verdict side: messages are appended here and sent in one sendmsg */
	uint8_t *vbuf;
	size_t vlen;
	uint32_t pending_id;	/* highest id whose accept is not yet sent */
	bool pending;
	bool no_ct;		/* the kernel cannot attach conntrack entries */
	struct igd_queue_stats st;
};

static int queue_err(char *err, size_t errlen, int e, const char *fmt, uint16_t num)
{
	char what[128];

	snprintf(what, sizeof(what), fmt, num);
	snprintf(err, errlen, "queue %u: %s: %s", num, what, strerror(e));
	return -e;
}

static int queue_cfg_talk(struct igd_queue *q, struct nlmsghdr *nlh)
{
	return igd_nl_talk(q->nl, nlh);
}

static int queue_cfg_flags(struct igd_queue *q, uint8_t *buf, const struct igd_queue_cfg *cfg,
			   uint32_t flags, char *err, size_t errlen);

int igd_queue_set_fail_open(struct igd_queue *q, bool on)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_CONFIG, q->num);

	/* no ack asked: packets share the socket and must not be read past while
	 * waiting; an error comes back as a message the packet loop skips */
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(on ? NFQA_CFG_F_FAIL_OPEN : 0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	return mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

static int queue_bind(struct igd_queue *q, const struct igd_queue_cfg *cfg,
		      char *err, size_t errlen)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags = NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK;
	int e;

	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	e = queue_cfg_talk(q, nlh);
	if (e == -EBUSY) {
		snprintf(err, errlen, "queue %u is already bound by another process", q->num);
		return e;
	}
	if (e)
		return queue_err(err, errlen, -e, "bind", q->num);

	if (cfg->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	return queue_cfg_flags(q, buf, cfg, flags, err, errlen);
}

static int queue_cfg_flags(struct igd_queue *q, uint8_t *buf, const struct igd_queue_cfg *cfg,
			   uint32_t flags, char *err, size_t errlen)
{
	struct nlmsghdr *nlh;
	int e;

	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)cfg->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, cfg->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	e = queue_cfg_talk(q, nlh);
	if (e == -EOPNOTSUPP) {
		/* kernels without CONFIG_NETFILTER_NETLINK_GLUE_CT: no conntrack entry
		 * with the packet; everything else still works */
		q->no_ct = true;
		return queue_cfg_flags(q, buf, cfg, flags & ~NFQA_CFG_F_CONNTRACK, err, errlen);
	}
	if (e)
		return queue_err(err, errlen, -e,
				 "set copy range, length and flags (GSO, conntrack, fail-open)",
				 q->num);
	return 0;
}

static int queue_socket(struct igd_queue *q, const struct igd_queue_cfg *cfg,
			char *err, size_t errlen)
{
	int one = 1, fd, sz = (int)cfg->rcvbuf;

	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl)
		return queue_err(err, errlen, errno, "netlink socket", q->num);
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return queue_err(err, errlen, errno, "netlink bind", q->num);
	q->portid = mnl_socket_get_portid(q->nl);
	fd = mnl_socket_get_fd(q->nl);
	/* nfqueue cannot resync: losing a notification is better than an error storm */
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
		return queue_err(err, errlen, errno, "receive buffer", q->num);
	return 0;
}

static int queue_alloc(struct igd_queue *q, const struct igd_queue_cfg *cfg)
{
	unsigned int i;

	q->slot_size = cfg->copy_range + QUEUE_MSG_OVERHEAD;
	q->rbuf = malloc((size_t)q->slot_size * QUEUE_BURST);
	q->vbuf = malloc(QUEUE_VBUF_SIZE);
	if (!q->rbuf || !q->vbuf)
		return -ENOMEM;
	for (i = 0; i < QUEUE_BURST; i++) {
		q->iov[i].iov_base = q->rbuf + (size_t)i * q->slot_size;
		q->iov[i].iov_len = q->slot_size;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

int igd_queue_open(struct igd_queue **qp, const struct igd_queue_cfg *cfg,
		   igd_queue_handler h, void *arg, char *err, size_t errlen)
{
	struct igd_queue *q;
	int e;

	*qp = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return queue_err(err, errlen, ENOMEM, "allocate", cfg->num);
	q->num = cfg->num;
	q->handler = h;
	q->before_batch = cfg->before_batch;
	q->arg = arg;
	e = queue_alloc(q, cfg);
	if (e)
		e = queue_err(err, errlen, -e, "allocate buffers", cfg->num);
	e = e ?: queue_socket(q, cfg, err, errlen) ?: queue_bind(q, cfg, err, errlen);
	if (e) {
		igd_queue_close(q);
		return e;
	}
	*qp = q;
	return 0;
}

int igd_queue_fd(const struct igd_queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

bool igd_queue_has_ct(const struct igd_queue *q)
{
	return !q->no_ct;
}

void *igd_queue_arg(const struct igd_queue *q)
{
	return q->arg;
}

uint16_t igd_queue_num(const struct igd_queue *q)
{
	return q->num;
}

void igd_queue_stats(const struct igd_queue *q, struct igd_queue_stats *out)
{
	out->packets = QST_RD(q, packets);
	out->accepted = QST_RD(q, accepted);
	out->dropped = QST_RD(q, dropped);
	out->mangled = QST_RD(q, mangled);
	out->batches = QST_RD(q, batches);
	out->verdict_msgs = QST_RD(q, verdict_msgs);
	out->bad_msgs = QST_RD(q, bad_msgs);
	out->send_errors = QST_RD(q, send_errors);
}

static int queue_vflush(struct igd_queue *q)
{
	ssize_t n;

	if (!q->vlen)
		return 0;
	n = mnl_socket_sendto(q->nl, q->vbuf, q->vlen);
	q->vlen = 0;
	if (n < 0) {
		QST_INC(q, send_errors);
		return -errno;
	}
	return 0;
}

/* Room for one more verdict message of @payload bytes, flushing if needed. */
static struct nlmsghdr *queue_vmsg(struct igd_queue *q, int type, size_t payload)
{
	size_t need = MNL_ALIGN(payload) + 256;

	if (q->vlen + need > QUEUE_VBUF_SIZE)
		queue_vflush(q);
	QST_INC(q, verdict_msgs);
	return nfq_nlmsg_put((char *)q->vbuf + q->vlen, type, q->num);
}

static void queue_vcommit(struct igd_queue *q, struct nlmsghdr *nlh)
{
	q->vlen += MNL_ALIGN(nlh->nlmsg_len);
}

/* Emits the batched accepts: every packet up to pending_id. */
static void queue_batch_emit(struct igd_queue *q)
{
	struct nlmsghdr *nlh;

	if (!q->pending)
		return;
	nlh = queue_vmsg(q, NFQNL_MSG_VERDICT_BATCH, 0);
	nfq_nlmsg_verdict_put(nlh, (int)q->pending_id, NF_ACCEPT);
	queue_vcommit(q, nlh);
	q->pending = false;
	QST_INC(q, batches);
}

static void queue_answer(struct igd_queue *q, const struct igd_qpkt *p,
			 const struct igd_qverdict *v)
{
	bool mangle = v->mangled && p->len == p->orig_len;
	bool pass = v->verdict == NF_ACCEPT || v->verdict == NF_REPEAT;
	bool mark = v->set_mark && v->mark != p->mark && pass;
	struct nlmsghdr *nlh;

	if (pass) {
		QST_INC(q, accepted);
		if (v->verdict == NF_ACCEPT && !mangle && !mark) {
			q->pending_id = p->id;
			q->pending = true;
			return;
		}
	} else {
		QST_INC(q, dropped);
	}
	queue_batch_emit(q);
	nlh = queue_vmsg(q, NFQNL_MSG_VERDICT, mangle ? p->len : 0);
	nfq_nlmsg_verdict_put(nlh, (int)p->id, (int)v->verdict);
	if (mangle) {
		nfq_nlmsg_verdict_put_pkt(nlh, p->data, p->len);
		QST_INC(q, mangled);
	}
	if (mark)
		nfq_nlmsg_verdict_put_mark(nlh, v->mark);
	queue_vcommit(q, nlh);
}

static int queue_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFQA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int queue_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -1;
	*v = ntohl(mnl_attr_get_u32(a));
	return 0;
}

static int queue_parse(const struct nlmsghdr *nlh, struct igd_qpkt *p)
{
	const struct nlattr *tb[NFQA_MAX + 1] = { NULL };
	const struct nfqnl_msg_packet_hdr *ph;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), queue_attr_cb, tb) < 0)
		return -1;
	if (!tb[NFQA_PACKET_HDR] ||
	    mnl_attr_validate2(tb[NFQA_PACKET_HDR], MNL_TYPE_UNSPEC, sizeof(*ph)) < 0)
		return -1;
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->hw_proto = ntohs(ph->hw_protocol);
	p->hook = ph->hook;
	if (!tb[NFQA_PAYLOAD])
		return -1;
	p->data = mnl_attr_get_payload(tb[NFQA_PAYLOAD]);
	p->len = mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]);
	p->orig_len = p->len;
	if (queue_u32(tb[NFQA_CAP_LEN], &p->orig_len) || queue_u32(tb[NFQA_SKB_INFO], &p->skbinfo) ||
	    queue_u32(tb[NFQA_MARK], &p->mark) || queue_u32(tb[NFQA_IFINDEX_INDEV], &p->indev) ||
	    queue_u32(tb[NFQA_IFINDEX_OUTDEV], &p->outdev) || queue_u32(tb[NFQA_CT_INFO], &p->ctinfo))
		return -1;
	if (tb[NFQA_CT])
		p->has_ct = igd_ct_parse(tb[NFQA_CT], &p->ct) == 0;
	return 0;
}

/* The id alone, for a message whose other attributes are unusable. */
static int queue_parse_id(const struct nlmsghdr *nlh, uint32_t *id)
{
	const struct nlattr *tb[NFQA_MAX + 1] = { NULL };
	const struct nfqnl_msg_packet_hdr *ph;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), queue_attr_cb, tb) < 0 &&
	    !tb[NFQA_PACKET_HDR])
		return -1;
	if (!tb[NFQA_PACKET_HDR] ||
	    mnl_attr_validate2(tb[NFQA_PACKET_HDR], MNL_TYPE_UNSPEC, sizeof(*ph)) < 0)
		return -1;
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	*id = ntohl(ph->packet_id);
	return 0;
}

static void queue_handle_msg(struct igd_queue *q, const struct nlmsghdr *nlh)
{
	struct igd_qpkt p = { .queue = q->num };
	struct igd_qverdict v = { .verdict = NF_ACCEPT };

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
		return;
	QST_INC(q, packets);
	if (queue_parse(nlh, &p) < 0) {
		/* never leave a packet unanswered: accept it if its id is readable */
		QST_INC(q, bad_msgs);
		if (queue_parse_id(nlh, &p.id) == 0) {
			p.len = p.orig_len = 0;
			queue_answer(q, &p, &v);
		}
		return;
	}
	q->handler(&p, &v, q->arg);
	queue_answer(q, &p, &v);
}

static void queue_handle_buf(struct igd_queue *q, uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len;

	while (mnl_nlmsg_ok(nlh, rem)) {
		if (nlh->nlmsg_pid == 0 || nlh->nlmsg_pid == q->portid)
			queue_handle_msg(q, nlh);
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
}

int igd_queue_process(struct igd_queue *q)
{
	int fd = mnl_socket_get_fd(q->nl), n, i, bursts, err = 0;

	for (bursts = 0; bursts < QUEUE_MAX_BURSTS; bursts++) {
		n = recvmmsg(fd, q->msgs, QUEUE_BURST, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
				err = -errno;
			break;
		}
		if (n > 0 && q->before_batch)
			q->before_batch(q->arg);
		for (i = 0; i < n; i++) {
			if (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				QST_INC(q, bad_msgs);
			queue_handle_buf(q, q->iov[i].iov_base, q->msgs[i].msg_len);
		}
		if (n < QUEUE_BURST)
			break;
	}
	queue_batch_emit(q);
	return queue_vflush(q) ?: err;
}

void igd_queue_close(struct igd_queue *q)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	if (!q)
		return;
	if (q->nl) {
		queue_batch_emit(q);
		queue_vflush(q);
		nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_CONFIG, q->num);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(q->nl);
	}
	free(q->rbuf);
	free(q->vbuf);
	free(q);
}

int igd_queue_kstats_read(uint16_t num, struct igd_queue_kstats *ks)
{
	unsigned int qn, portid, total, mode, range, qd, ud, seq;
	char line[256];
	FILE *f;

	memset(ks, 0, sizeof(*ks));
	f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u %u %u %u %u %u %u", &qn, &portid, &total, &mode, &range,
			   &qd, &ud, &seq) != 8 || qn != num)
			continue;
		ks->waiting = total;
		ks->queue_dropped = qd;
		ks->user_dropped = ud;
		ks->id_seq = seq;
		ks->found = true;
	}
	fclose(f);
	return 0;
}
