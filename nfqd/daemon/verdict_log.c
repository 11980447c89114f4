#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <time.h>
#include "json.h"
#include "verdict_log.h"

/* RFC 3339 UTC with microseconds: 2026-11-22T11:31:14.123456Z */
static void vl_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%.19s.%06dZ", base, (int)(ts.tv_nsec / 1000));
}

/* Opens the line's object with its timestamp and event name. */
static void vl_begin(struct igd_json *j, char *buf, size_t size, const char *event)
{
	char ts[40];

	vl_now(ts, sizeof(ts));
	igd_json_init(j, buf, size);
	igd_json_obj_open(j, NULL);
	igd_json_str(j, "ts", ts);
	igd_json_str(j, "event", event);
}

static int vl_end(struct igd_json *j)
{
	igd_json_obj_close(j);
	return igd_json_finish(j) ? (int)igd_json_len(j) : -1;
}

static void vl_addr(struct igd_json *j, const char *key, int family, const union igd_addr *a)
{
	char s[IGD_ADDRSTRLEN];

	igd_json_str(j, key, igd_addr_str(family, a, s, sizeof(s)));
}

/* The translated tuple, when conntrack says the packet's flow was NATed: the reply
 * tuple inverted is what the packet looks like after translation. */
static void vl_nat(struct igd_json *j, const struct igd_ct *ct)
{
	bool snat = igd_ct_snat(ct), dnat = igd_ct_dnat(ct);

	if (!snat && !dnat)
		return;
	vl_addr(j, "nat_src", ct->family, &ct->reply.dst);
	vl_addr(j, "nat_dst", ct->family, &ct->reply.src);
	if (ct->reply.has_ports && ct->orig.proto != IPPROTO_ICMP &&
	    ct->orig.proto != IPPROTO_ICMPV6) {
		igd_json_uint(j, "nat_sport", ct->reply.dport);
		igd_json_uint(j, "nat_dport", ct->reply.sport);
	}
}

static void vl_tuple(struct igd_json *j, const struct igd_qpkt *qp, const struct igd_pkt *p)
{
	char pn[8];

	igd_json_uint(j, "family", p->family);
	igd_json_str(j, "proto", igd_proto_name(p->proto, pn, sizeof(pn)));
	/* the original (pre-NAT) tuple when conntrack knows it, else the packet's own */
	if (qp->has_ct && qp->ct.family == p->family) {
		vl_addr(j, "src", p->family, &qp->ct.orig.src);
		vl_addr(j, "dst", p->family, &qp->ct.orig.dst);
	} else {
		vl_addr(j, "src", p->family, &p->src);
		vl_addr(j, "dst", p->family, &p->dst);
	}
	if (p->flags & IGD_PKT_F_PORTS) {
		bool orig = qp->has_ct && qp->ct.family == p->family && qp->ct.orig.has_ports;

		igd_json_uint(j, "sport", orig ? qp->ct.orig.sport : p->sport);
		igd_json_uint(j, "dport", orig ? qp->ct.orig.dport : p->dport);
	}
	if (p->flags & IGD_PKT_F_ICMP) {
		igd_json_uint(j, "icmp_type", p->icmp_type);
		igd_json_uint(j, "icmp_code", p->icmp_code);
	}
	if (p->flags & (IGD_PKT_F_ESP | IGD_PKT_F_UDP_ESP))
		igd_json_hex32(j, "spi", p->spi);
	if (qp->has_ct)
		vl_nat(j, &qp->ct);
}

int igd_verdict_line(char *buf, size_t size, const struct igd_qpkt *qp,
		     const struct igd_pkt *p, const struct igd_judgement *jd)
{
	struct igd_json j;

	vl_begin(&j, buf, size, "verdict");
	igd_json_str(&j, "hook", igd_hook_name(qp->hook));
	igd_json_str(&j, "verdict", jd->verdict == NF_DROP ? "drop" : "accept");
	igd_json_str(&j, "reason", igd_reason_name(jd->reason));
	if (jd->reason == IGD_R_MALFORMED) {
		igd_json_str(&j, "error", igd_pkt_strerror(jd->parse_err));
		igd_json_uint(&j, "len", qp->orig_len);
	}
	if (p->family == 4 || p->family == 6)
		vl_tuple(&j, qp, p);
	if (jd->mss_to) {
		igd_json_obj_open(&j, "mss");
		igd_json_uint(&j, "from", jd->mss_from);
		igd_json_uint(&j, "to", jd->mss_to);
		igd_json_obj_close(&j);
	}
	igd_json_uint(&j, "queue", qp->queue);
	return vl_end(&j);
}

static void vl_queue_stats(struct igd_json *j, struct igd_queue *q)
{
	const struct igd_queue_stats *st = igd_queue_stats(q);
	struct igd_queue_kstats ks;

	igd_json_obj_open(j, NULL);
	igd_json_uint(j, "queue", igd_queue_num(q));
	igd_json_uint(j, "packets", st->packets);
	igd_json_uint(j, "accepted", st->accepted);
	igd_json_uint(j, "dropped", st->dropped);
	igd_json_uint(j, "mangled", st->mangled);
	igd_json_uint(j, "verdict_batches", st->batches);
	igd_json_uint(j, "verdict_msgs", st->verdict_msgs);
	igd_json_uint(j, "bad_msgs", st->bad_msgs);
	igd_json_uint(j, "send_errors", st->send_errors);
	if (igd_queue_kstats_read(igd_queue_num(q), &ks) == 0 && ks.found) {
		igd_json_uint(j, "kernel_waiting", ks.waiting);
		igd_json_uint(j, "kernel_queue_dropped", ks.queue_dropped);
		igd_json_uint(j, "kernel_user_dropped", ks.user_dropped);
	}
	igd_json_obj_close(j);
}

int igd_stats_line(char *buf, size_t size, const struct igd_judge *jg,
		   struct igd_queue *const *q, unsigned int nq)
{
	struct igd_json j;
	unsigned int i;

	vl_begin(&j, buf, size, "stats");
	igd_json_obj_open(&j, "reasons");
	for (i = 0; i < IGD_R_MAX; i++) {
		if (!jg->count[i][0] && !jg->count[i][1])
			continue;
		igd_json_obj_open(&j, igd_reason_name(i));
		igd_json_uint(&j, "accept", jg->count[i][0]);
		igd_json_uint(&j, "drop", jg->count[i][1]);
		igd_json_obj_close(&j);
	}
	igd_json_obj_close(&j);
	igd_json_obj_open(&j, "malformed");
	for (i = 1; i < IGD_PKT_ERR_MAX; i++)
		if (jg->malformed[i])
			igd_json_uint(&j, igd_pkt_strerror(i), jg->malformed[i]);
	igd_json_obj_close(&j);
	igd_json_obj_open(&j, "hooks");
	for (i = 0; i < 5; i++)
		igd_json_uint(&j, igd_hook_name(i), jg->hooks[i]);
	igd_json_obj_close(&j);
	igd_json_arr_open(&j, "queues");
	for (i = 0; i < nq; i++)
		vl_queue_stats(&j, q[i]);
	igd_json_arr_close(&j);
	return vl_end(&j);
}
