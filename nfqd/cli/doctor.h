/* ipsecguard doctor's findings and its checks, one file per concern:
 *   doctor_nat.c       nat-before-ipsec, nat-may-translate
 *   doctor_kernel.c    ip-forward-off, xfrm-default-block, xfrm-disabled,
 *                      rp-filter-strict, larval-drop
 *   doctor_policy.c    reply-reqid-mismatch, sa-missing, in-without-fwd, sa-unused,
 *                      tunnel-mtu
 *   doctor_counters.c  xfrm-counter (what /proc/net/xfrm_stat counted while sampled)
 *   doctor_tunnel.c    tunnel-blocked, tunnel-may-be-blocked (IKE, NAT-T, ESP)
 *   doctor_routed.c    tunnel-if-no-sp, tunnel-if-no-sa, tunnel-if-down, tunnel-if-mtu,
 *                      vti-policy (xfrm interfaces, VTIs)
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
/* The SA template @t asks for: its protocol, reqid and SPI where set, its tunnel's
 * peer (tunnel mode) or @dst (transport mode, when given).  NULL when there is none. */
const struct igd_sa *doctor_sa_of(const struct igd_sad *sad, const struct igd_tmpl *t,
				  const union igd_addr *dst);
/* Whether the SP's packets are transformed when they flow: a required template
 * without SA holds them back (no leak); only templates that are all optional and
 * without SA let them leave untransformed. */
bool doctor_sp_transformed(const struct igd_sp *sp, const struct igd_sad *sad);
/* The interface the kernel's route to @a leaves by, into @name (IF_NAMESIZE, "" when
 * none); its index, 0 when none. */
struct igd_rtnl;
uint32_t doctor_route_dev(struct igd_rtnl *rt, int family, const union igd_addr *a, char *name);

/* The checks; 0, or CLI_EXIT_FAIL after saying why on stderr. */
int doctor_check_nat(struct doctor *d);
int doctor_check_kernel(struct doctor *d);
int doctor_check_policy(struct doctor *d);
int doctor_check_counters(struct doctor *d, unsigned int sample_s);
int doctor_check_tunnel(struct doctor *d);
int doctor_check_routed(struct doctor *d);
#endif
