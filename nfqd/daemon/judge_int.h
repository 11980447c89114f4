/* Between the parts of the judge (judge.c, judge_out.c, judge_in.c). */
#ifndef IGD_JUDGE_INT_H
#define IGD_JUDGE_INT_H
#include "judge.h"

void igd_judge_pre_nat(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		       struct igd_judgement *jd);
/* @p is NULL for a packet that did not parse (its flow then comes from conntrack);
 * @raw is what the parser read of it all the same (addresses, the transport header's
 * place), for the prenat map's key. */
void igd_judge_post_nat(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
			const struct igd_pkt *raw, struct igd_judgement *jd);
void igd_flow_from_ct(const struct igd_ct *ct, const struct igd_ct_tuple *t, bool reply,
		      struct igd_flow *f);
void igd_judge_inbound(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_pkt *p,
		       struct igd_judgement *jd);
/* The out SP of a clamped SYN's flow (a SYN/ACK's: of the reverse flow). */
void igd_judge_mss_sp(struct igd_judge *j, const struct igd_pkt *p, struct igd_judgement *jd);
void igd_flow_reverse(const struct igd_flow *f, struct igd_flow *r);
/* A flow no protecting SP covers before NAT (jd->pre), seen leaving in clear (or
 * translated): the SPD and the guard's own protections decide (judge/outbound.h):
 * a bypass SP (accepted, reason bypass), a tunnel that is down (tunnel-down), a
 * destination held by --protect or an SP that does not cover this source
 * (sp-miss-out: flagged, or reported only), or nothing (healthy).  @p is NULL for a
 * packet our parser distrusted. */
void igd_judge_clear(struct igd_judge *j, const struct igd_qpkt *qp, const struct igd_pkt *p,
		     struct igd_judgement *jd);
/* The verdict for a flagged packet in the configured mode (audit tags it). */
void igd_judge_flag(struct igd_judge *j, const struct igd_qpkt *qp, struct igd_judgement *jd,
		    enum igd_reason reason);
#endif
