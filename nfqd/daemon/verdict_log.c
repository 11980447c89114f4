#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <stdio.h>
#include <time.h>
#include "judge/sp_json.h"
#include "util/json.h"
#include "packet/tap_role.h"
#include "verdict_log.h"
#include "tables.h"
#include "verdict_gen.h"
#include "outer.h"
#include "util/clock.h"
#include "util/proto.h"

void igd_event_begin(struct igd_json *j, char *buf, size_t size, const char *event)
{
	char ts[40];

	igd_utc_stamp(ts, sizeof(ts));
	igd_json_init(j, buf, size);
	igd_event_open(j, ts, event);
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

/* Asymmetric tunnels: the packet came through the SA of one tunnel, the SP it needs belongs to
 * another; name what the reverse direction uses, and the usual cures. */
static void vl_asymmetry(struct igd_json *j, const struct igd_judgement *jd)
{
	if (jd->rev_sp)
		igd_json_sp(j, "reverse_sp", jd->rev_sp, IGD_JSON_BRIEF);
	igd_json_str(j, "hint", "decrypted by an SA of another reqid than this SP's "
		     "templates require: make one SP cover both subnets, or make the "
		     "selectors of both tunnels symmetric");
}

/* Pre-NAT tuple from the pre-NAT tap, post-NAT tuple from the packet itself. */
static void vl_nat_flows(struct igd_json *j, const struct igd_flow *pre,
			 const struct igd_flow *post, bool ports)
{
	vl_addr(j, "src", pre->family, &pre->saddr);
	vl_addr(j, "dst", pre->family, &pre->daddr);
	if (ports) {
		igd_json_uint(j, "sport", pre->sport);
		igd_json_uint(j, "dport", pre->dport);
	}
	if (!igd_flow_translated(pre, post))
		return;
	vl_addr(j, "nat_src", post->family, &post->saddr);
	vl_addr(j, "nat_dst", post->family, &post->daddr);
	if (ports) {
		igd_json_uint(j, "nat_sport", post->sport);
		igd_json_uint(j, "nat_dport", post->dport);
	}
}

/* The original (pre-NAT) tuple when conntrack knows it and the packet travels in the
 * original direction, else the packet's own (a SYN/ACK keeps its own ports). */
static void vl_ct_flows(struct igd_json *j, const struct igd_qpkt *qp, const struct igd_pkt *p)
{
	bool ct = qp->has_ct && qp->ct.family == p->family && qp->ctinfo < IP_CT_IS_REPLY;

	vl_addr(j, "src", p->family, ct ? &qp->ct.orig.src : &p->src);
	vl_addr(j, "dst", p->family, ct ? &qp->ct.orig.dst : &p->dst);
	if (p->flags & IGD_PKT_F_PORTS) {
		bool orig = ct && qp->ct.orig.has_ports;

		igd_json_uint(j, "sport", orig ? qp->ct.orig.sport : p->sport);
		igd_json_uint(j, "dport", orig ? qp->ct.orig.dport : p->dport);
	}
	if (qp->has_ct)
		vl_nat(j, &qp->ct);
}

static void vl_tuple(struct igd_json *j, const struct igd_qpkt *qp, const struct igd_pkt *p,
		     const struct igd_judgement *jd)
{
	char pn[8];

	igd_json_uint(j, "family", p->family);
	igd_json_str(j, "proto", igd_proto_name(p->proto, pn, sizeof(pn)));
	if (jd->pre)
		vl_nat_flows(j, jd->pre, &jd->flow, p->flags & IGD_PKT_F_PORTS);
	else
		vl_ct_flows(j, qp, p);
	if (p->flags & IGD_PKT_F_ICMP) {
		igd_json_uint(j, "icmp_type", p->icmp_type);
		igd_json_uint(j, "icmp_code", p->icmp_code);
	}
	if (p->flags & (IGD_PKT_F_ESP | IGD_PKT_F_UDP_ESP))
		igd_json_hex32(j, "spi", p->spi);
	if (jd->sp)
		igd_json_sp(j, "sp", jd->sp, IGD_JSON_BRIEF);
	if (jd->nat_sp)
		igd_json_sp(j, "nat_sp", jd->nat_sp, IGD_JSON_BRIEF);
	if (jd->held)
		igd_memory_json(j, "remembered", jd->held, 0);
	if (jd->sa) {
		igd_json_sa(j, "sa", jd->sa, jd->sa_conn, jd->sa_child, IGD_JSON_BRIEF);
	} else if (jd->in_reqid) {	/* the decrypting SA's reqid, the SA gone */
		igd_json_obj_open(j, "sa");
		igd_json_uint(j, "reqid", jd->in_reqid);
		igd_json_obj_close(j);
	}
	if (jd->in_reqid)
		vl_asymmetry(j, jd);
}

int igd_verdict_line(char *buf, size_t size, const struct igd_qpkt *qp,
		     const struct igd_pkt *p, const struct igd_judgement *jd, uint64_t suppressed)
{
	struct igd_json j;

	igd_event_begin(&j, buf, size, "verdict");
	igd_json_str(&j, "hook", igd_hook_name(qp->hook));
	igd_json_str(&j, "verdict", jd->verdict == NF_DROP ? "drop" : "accept");
	igd_json_str(&j, "reason", igd_reason_name(jd->reason));
	if (jd->reason == IGD_R_MALFORMED) {
		igd_json_str(&j, "error", igd_pkt_strerror(jd->parse_err));
		igd_json_uint(&j, "len", qp->orig_len);
	}
	if (p->family == 4 || p->family == 6)
		vl_tuple(&j, qp, p, jd);
	if (jd->mss_to) {
		igd_json_obj_open(&j, "mss");
		igd_json_uint(&j, "from", jd->mss_from);
		igd_json_uint(&j, "to", jd->mss_to);
		igd_json_obj_close(&j);
	}
	igd_json_uint(&j, qp->copy ? "nflog" : "queue", qp->queue);
	if (jd->tap >= 0)
		igd_json_str(&j, "tap", igd_tap_role_names[jd->tap]);
	if (suppressed)
		igd_json_uint(&j, "suppressed", suppressed);
	return vl_end(&j);
}

static void vl_queue_stats(struct igd_json *j, struct igd_queue *q)
{
	struct igd_queue_stats qs, *st = &qs;
	struct igd_queue_kstats ks;

	igd_queue_stats(q, &qs);
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
		   struct igd_queue *const *q, unsigned int nq, const struct igd_nflog *nflog,
		   const struct igd_guard_counters *kc, const struct igd_outer_stats *outer,
		   const struct igd_tables_state *tables, const struct igd_gen *gen,
		   uint64_t suppressed, uint64_t lost)
{
	struct igd_json j;
	unsigned int i;

	igd_event_begin(&j, buf, size, "stats");
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
	igd_json_uint(&j, "log_suppressed", suppressed);
	igd_json_uint(&j, "log_lines_lost", lost);
	igd_json_uint(&j, "tokens_stale", jg->guard.stale);
	igd_json_uint(&j, "prenat_missed", jg->prenat_missed);
	igd_json_uint(&j, "sp_unapplied", jg->sp_unapplied);
	igd_json_arr_open(&j, "queues");
	for (i = 0; i < nq; i++)
		vl_queue_stats(&j, q[i]);
	igd_json_arr_close(&j);
	if (kc)
		igd_guard_counters_json(&j, kc);
	if (nflog) {
		const struct igd_nflog_stats *ls = igd_nflog_stats(nflog);

		igd_json_obj_open(&j, "nflog");
		igd_json_uint(&j, "copies", ls->packets);
		igd_json_uint(&j, "unread", jg->copies_unread + ls->bad_msgs);
		igd_json_uint(&j, "overruns", ls->overruns);
		igd_json_obj_close(&j);
	}
	if (tables) {
		igd_json_obj_open(&j, "tables");
		igd_json_uint(&j, "restored", tables->restored);
		igd_json_uint(&j, "restore_failures", tables->restore_failures);
		igd_json_uint(&j, "reloads_kept", tables->reloads_kept);
		igd_json_uint(&j, "overruns", tables->overruns);
		igd_json_obj_close(&j);
	}
	if (jg->tunnels) {
		size_t up = 0;

		for (i = 0; i < jg->tunnels->nifs; i++)
			up += jg->tunnels->ifs[i].up;
		igd_json_obj_open(&j, "tunnels");
		igd_json_uint(&j, "interfaces", jg->tunnels->nifs);
		igd_json_uint(&j, "up", up);
		igd_json_uint(&j, "routes", jg->tunnels->nroutes);
		igd_json_uint(&j, "dumps", jg->tunnels->dumps);
		igd_json_uint(&j, "overruns", jg->tunnels->overruns);
		igd_json_uint(&j, "overflow", jg->tunnels->overflow);
		igd_json_uint(&j, "bad_msgs", jg->tunnels->bad_msgs);
		igd_json_obj_close(&j);
	}
	if (gen && gen->active) {
		igd_json_obj_open(&j, "verdict_gen");
		igd_json_uint(&j, "gen", jg->guard.gen);
		igd_json_uint(&j, "switches", gen->switches);
		igd_json_uint(&j, "sweeps", gen->sweeps);
		igd_json_uint(&j, "cleared", gen->entries_cleared);
		igd_json_uint(&j, "sweep_failures", gen->sweep_failures);
		igd_json_bool(&j, "due", gen->due);
		igd_json_obj_close(&j);
	}
	if (outer) {
		igd_json_obj_open(&j, "outer");
		igd_json_uint(&j, "nat_flows", outer->nat_copies);
		igd_json_uint(&j, "nat_events", outer->nat_events);
		igd_json_uint(&j, "frag_datagrams", outer->frag_copies);
		igd_json_uint(&j, "frag_events", outer->frag_events);
		igd_json_uint(&j, "frag_out_packets", outer->frag_out_copies);
		igd_json_uint(&j, "frag_out_events", outer->frag_out_events);
		igd_json_uint(&j, "orphan_fragments", outer->orphan_copies);
		igd_json_uint(&j, "orphan_events", outer->orphan_events);
		igd_json_uint(&j, "orphan_reordered", outer->orphan_reordered);
		igd_json_uint(&j, "orphan_other", outer->orphan_other);
		igd_json_uint(&j, "unread", outer->unread);
		igd_json_uint(&j, "overflow", outer->overflow);
		igd_json_arr_open(&j, "peers");
		for (i = 0; i < outer->npeers; i++) {
			const struct igd_outer_peer *p = &outer->peers[i];
			char a[IGD_ADDRSTRLEN];

			igd_json_obj_open(&j, NULL);
			igd_json_str(&j, "peer", igd_addr_str(p->family, &p->addr, a, sizeof(a)));
			igd_json_uint(&j, "nat_events", p->nat_events);
			igd_json_uint(&j, "frag_datagrams", p->frag_datagrams);
			if (p->frag_bytes_min)
				igd_json_uint(&j, "frag_bytes_min", p->frag_bytes_min);
			igd_json_uint(&j, "frag_out", p->frag_out);
			igd_json_uint(&j, "orphans", p->orphans);
			igd_json_obj_close(&j);
		}
		igd_json_arr_close(&j);
		igd_json_obj_close(&j);
	}
	return vl_end(&j);
}
