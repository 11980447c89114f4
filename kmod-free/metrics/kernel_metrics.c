/* Kernel-side metrics; see kernel_metrics.h. */
#include <stdio.h>
#include "metrics/kernel_metrics.h"

void igd_prom_xfrm_stat(struct igd_prom *p, const struct igd_xstat_snap *s)
{
	unsigned int i;

	igd_prom_family(p, "ipsecguard_xfrm_stat_total", "counter",
			"Each /proc/net/xfrm_stat counter of the daemon's network namespace "
			"(packets the XFRM layer dropped or errored, by cause)");
	for (i = 0; i < s->n; i++)
		igd_prom_sample_u64(p, s->c[i].value, "counter", s->c[i].name, NULL);
}

void igd_prom_guard(struct igd_prom *p, const struct igd_guard_counters *c)
{
	char idx[16];
	unsigned int i;

	igd_prom_family(p, "ipsecguard_kernel_rule_packets_total", "counter",
			"Packets the daemon's own nf_tables rules counted in the kernel: "
			"suspects queued, flagged packets, healthy decapsulated packets, MSS "
			"clamps, the tunnel's translated flows, fragments of ESP and IKE ports");
	for (i = 0; i < IGD_CTR_MAX; i++)
		igd_prom_sample_u64(p, c->v[i], "rule", igd_guard_ctr_name(i), NULL);
	igd_prom_family(p, "ipsecguard_sp_tunnelled_flows_total", "counter",
			"New flows each protecting out SP sent through its tunnel, counted "
			"by the kernel");
	for (i = 0; i < c->nsp; i++) {
		snprintf(idx, sizeof(idx), "%u", c->sp[i].index);
		igd_prom_sample_u64(p, c->sp[i].flows, "sp", idx, NULL);
	}
}

void igd_prom_xfrm_sizes(struct igd_prom *p, unsigned int policies, unsigned int states)
{
	igd_prom_family(p, "ipsecguard_spd_policies", "gauge",
			"Security policies in the kernel's SPD (all directions)");
	igd_prom_sample_u64(p, policies, NULL);
	igd_prom_family(p, "ipsecguard_sad_states", "gauge",
			"Security associations in the kernel's SAD");
	igd_prom_sample_u64(p, states, NULL);
}
