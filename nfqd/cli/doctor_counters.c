/* ipsecguard doctor: what /proc/net/xfrm_stat counts while doctor watches. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "doctor.h"
#include "xfrm/xfrm_stat.h"

int doctor_check_counters(struct doctor *d, unsigned int sample_s)
{
	static struct igd_xstat_snap a, b;
	struct igd_xstat_delta dl[IGD_XSTAT_MAX];
	struct doctor_finding *f;
	unsigned int n, i;

	if (!sample_s || igd_xstat_read(&a, NULL))
		return 0;	/* a kernel without CONFIG_XFRM_STATISTICS: nothing to watch */
	sleep(sample_s);
	if (igd_xstat_read(&b, NULL))
		return 0;
	n = igd_xstat_diff(&a, &b, dl, IGD_XSTAT_MAX);
	for (i = 0; i < n && i < IGD_XSTAT_MAX; i++) {
		if (!dl[i].delta || !(f = doctor_add(d, DOCTOR_WARNING, "xfrm-counter", NULL)))
			continue;
		snprintf(f->evidence, sizeof(f->evidence), "%s +%llu in %u s (total %llu)",
			 dl[i].name, (unsigned long long)dl[i].delta, sample_s,
			 (unsigned long long)dl[i].total);
		snprintf(f->effect, sizeof(f->effect), "%s",
			 dl[i].info ? dl[i].info->meaning : "a counter this build does not know");
		snprintf(f->fix, sizeof(f->fix), "%s",
			 dl[i].info ? dl[i].info->cause : "see the kernel's xfrm_proc.c");
	}
	return 0;
}
