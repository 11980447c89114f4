/* What the kernel counts, as metrics (prom.h), shared by the daemon's metrics file and
 * `ipsecguard stats --prometheus`: every /proc/net/xfrm_stat counter, the daemon's own
 * rule counters (guard_counters.h) and the sizes of the SPD and SAD. */
#ifndef IGD_KERNEL_METRICS_H
#define IGD_KERNEL_METRICS_H
#include "metrics/prom.h"
#include "guard/guard_counters.h"
#include "xfrm/xfrm_stat.h"

/* ipsecguard_xfrm_stat_total{counter="XfrmInNoStates"} ... */
void igd_prom_xfrm_stat(struct igd_prom *p, const struct igd_xstat_snap *s);
/* ipsecguard_kernel_rule_packets_total{rule=...}, ipsecguard_sp_tunnelled_flows_total */
void igd_prom_guard(struct igd_prom *p, const struct igd_guard_counters *c);
/* ipsecguard_spd_policies, ipsecguard_sad_states */
void igd_prom_xfrm_sizes(struct igd_prom *p, unsigned int policies, unsigned int states);
#endif
