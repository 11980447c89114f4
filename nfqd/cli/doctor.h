/* ipsecguard doctor's findings and its checks, one file per concern:
 *   doctor_nat.c       nat-before-ipsec, nat-may-translate
 *   doctor_kernel.c    ip-forward-off, xfrm-disabled, rp-filter-strict, larval-drop
 *   doctor_policy.c    reply-reqid-mismatch, sa-missing, in-without-fwd, sa-unused,
 *                      tunnel-mtu
 *   doctor_counters.c  xfrm-counter (what /proc/net/xfrm_stat counted while sampled)
 *   doctor_tunnel.c    tunnel-blocked, tunnel-may-be-blocked (IKE, NAT-T, ESP)
 * The command itself (options, output, exit status) is cmd_doctor.c. */
#ifndef IGD_CLI_DOCTOR_H
#define IGD_CLI_DOCTOR_H
#include "cli.h"

#define DOCTOR_MAX	256

enum doctor_sev { DOCTOR_INFO, DOCTOR_WARNING, DOCTOR_CRITICAL };

struct doctor_finding {
	enum doctor_sev sev;
	const char *id;
	const struct igd_sp *sp;	/* NULL when not about one SP */
	char evidence[512];
	char effect[320];
	char fix[512];
};

struct doctor {
	struct doctor_finding f[DOCTOR_MAX];
	unsigned int n, dropped;
	const struct igd_spd *spd;
	const struct igd_sad *sad;
};

/* A new finding, or NULL when the list is full (counted in dropped). */
struct doctor_finding *doctor_add(struct doctor *d, enum doctor_sev sev, const char *id,
				  const struct igd_sp *sp);
/* "out SP 1 10.0.2.0/24 -> 192.168.0.0/16 reqid 1" */
const char *doctor_sp_str(const struct igd_sp *sp, char *buf, size_t len);
/* Whether an SA exists for template @t. */
bool doctor_sa_for_tmpl(const struct igd_sad *sad, const struct igd_tmpl *t);

/* The checks; 0, or CLI_EXIT_FAIL after saying why on stderr. */
int doctor_check_nat(struct doctor *d);
int doctor_check_kernel(struct doctor *d);
int doctor_check_policy(struct doctor *d);
int doctor_check_counters(struct doctor *d, unsigned int sample_s);
int doctor_check_tunnel(struct doctor *d);
#endif
