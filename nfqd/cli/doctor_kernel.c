/* ipsecguard doctor: kernel settings that break tunnels. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <linux/xfrm.h>
#include "doctor.h"
#include "xfrm/xfrm_default.h"
#include "mtu/route_mtu.h"
#include "natfix/natfix.h"

static int read_int(const char *path, int *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static void check_forward(struct doctor *d)
{
	static const char *const paths[] = {
		"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding",
	};
	const struct igd_sp *sp;
	bool fwd[2] = { false, false };
	struct doctor_finding *f;
	int i, v;

	igd_spd_for_each(d->spd, sp, IGD_DIR_FWD)
		fwd[sp->sel.family == 6] = true;
	for (i = 0; i < 2; i++) {
		if (!fwd[i] || read_int(paths[i], &v) || v)
			continue;
		f = doctor_add(d, DOCTOR_CRITICAL, "ip-forward-off", NULL);
		if (!f)
			return;
		snprintf(f->evidence, sizeof(f->evidence), "%s = 0 with IPv%d fwd policies present",
			 paths[i], i ? 6 : 4);
		snprintf(f->effect, sizeof(f->effect),
			 "the gateway forwards nothing of that family: decapsulated packets "
			 "never reach the protected network, nothing reaches the tunnel");
		snprintf(f->fix, sizeof(f->fix), "sysctl -w %s=1", i ?
			 "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward");
	}
}

#define KERNEL_TUNNEL_IFS 16

/* The interfaces the tunnels' packets leave by: the route to each out SP's peer
 * (tunnel mode) or destination (transport mode). */
static unsigned int tunnel_ifaces(struct doctor *d, char names[][IF_NAMESIZE], unsigned int max)
{
	const struct igd_sp *sp;
	char name[IF_NAMESIZE];
	struct igd_rtnl rt;
	unsigned int n = 0, i;
	bool seen;

	if (igd_rtnl_open(&rt))
		return 0;
	igd_spd_for_each(d->spd, sp, IGD_DIR_OUT) {
		const struct igd_tmpl *t = sp->ntmpl ? &sp->tmpl[0] : NULL;
		bool tunnel = t && t->mode == XFRM_MODE_TUNNEL && t->family;

		if (!t || !doctor_route_dev(&rt, tunnel ? t->family : sp->sel.family,
				     tunnel ? &t->daddr : &sp->sel.daddr, name))
			continue;
		for (i = 0, seen = false; i < n; i++)
			seen = seen || !strcmp(names[i], name);
		if (!seen && n < max)
			snprintf(names[n++], IF_NAMESIZE, "%s", name);
	}
	igd_rtnl_close(&rt);
	return n;
}

/* disable_xfrm / disable_policy: a warning on an interface tunnels use, information
 * on the others. */
static void check_xfrm_disabled(struct doctor *d)
{
	static const char *const keys[] = { "disable_xfrm", "disable_policy" };
	char tifs[KERNEL_TUNNEL_IFS][IF_NAMESIZE];
	unsigned int ntifs = tunnel_ifaces(d, tifs, KERNEL_TUNNEL_IFS), i;
	bool tunnel_if;
	char path[320];
	struct dirent *e;
	DIR *dir = opendir("/proc/sys/net/ipv4/conf");
	struct doctor_finding *f;
	unsigned int k;
	int v;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo") ||
		    !strcmp(e->d_name, "default"))
			continue;
		for (i = 0, tunnel_if = false; i < ntifs; i++)
			tunnel_if = tunnel_if || !strcmp(tifs[i], e->d_name);
		for (k = 0; k < 2; k++) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", e->d_name,
				 keys[k]);
			if (read_int(path, &v) || !v)
				continue;
			f = doctor_add(d, tunnel_if ? DOCTOR_WARNING : DOCTOR_INFO, "xfrm-disabled",
				       NULL);
			if (!f)
				break;
			snprintf(f->evidence, sizeof(f->evidence), "%s = %d%s", path, v,
				 tunnel_if ? " (a tunnel's packets use it)" : "");
			snprintf(f->effect, sizeof(f->effect), k ?
				 "packets arriving on %s skip the inbound policy check" :
				 "packets leaving through %s are never transformed", e->d_name);
			snprintf(f->fix, sizeof(f->fix), "sysctl -w net.ipv4.conf.%s.%s=0",
				 e->d_name, keys[k]);
		}
	}
	closedir(dir);
}

/* Strict reverse-path filtering on the interface where a tunnel's ESP arrives:
 * decapsulated packets are checked as if they had arrived there, and are dropped
 * when the route back to their inner source leaves by another interface. */
static void check_rp_filter(struct doctor *d)
{
	char esp_if[IF_NAMESIZE], back_if[IF_NAMESIZE], path[96], sb[IGD_NATFIX_SEL_MAX + 64];
	const struct igd_sp *sp;
	struct doctor_finding *f;
	struct igd_rtnl rt;
	int all = 0, one = 0, v;

	if (igd_rtnl_open(&rt))
		return;
	read_int("/proc/sys/net/ipv4/conf/all/rp_filter", &all);
	igd_spd_for_each(d->spd, sp, IGD_DIR_FWD) {
		const struct igd_tmpl *t = sp->ntmpl ? &sp->tmpl[0] : NULL;

		if (!t || t->mode != XFRM_MODE_TUNNEL || t->family != 4 || sp->sel.family != 4 ||
		    !doctor_route_dev(&rt, 4, &t->saddr, esp_if) ||
		    !doctor_route_dev(&rt, 4, &sp->sel.saddr, back_if) || !strcmp(esp_if, back_if))
			continue;
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", esp_if);
		one = read_int(path, &v) ? 0 : v;
		/* the kernel uses the larger of "all" and the interface's value */
		if ((all > one ? all : one) != 1 || !(f = doctor_add(d, DOCTOR_WARNING,
								   "rp-filter-strict", sp)))
			continue;
		snprintf(f->evidence, sizeof(f->evidence),
			 "%s: ESP from the peer arrives on %s (rp_filter %d, all %d) but the route "
			 "back to the inner source leaves by %s", doctor_sp_str(sp, sb, sizeof(sb)),
			 esp_if, one, all, back_if);
		snprintf(f->effect, sizeof(f->effect),
			 "strict reverse-path filtering drops the decapsulated packets: the "
			 "tunnel is up, nothing comes through");
		snprintf(f->fix, sizeof(f->fix),
			 "sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.%s.rp_filter=2 "
			 "(loose), or route the peer's network where its ESP arrives", esp_if);
	}
	igd_rtnl_close(&rt);
}

/* xfrm_larval_drop: the packets of a flow whose SA IKE is still negotiating are
 * dropped, not held; worth knowing where a required template has no SA yet. */
static void check_larval(struct doctor *d)
{
	const struct igd_sp *sp;
	struct doctor_finding *f;
	unsigned int i;
	bool waiting = false;
	int v;

	if (read_int("/proc/sys/net/core/xfrm_larval_drop", &v) || !v)
		return;
	igd_spd_for_each(d->spd, sp, IGD_DIR_OUT)
		for (i = 0; i < sp->ntmpl; i++)
			waiting = waiting || (!sp->tmpl[i].optional &&
					      !doctor_sa_of(d->sad, &sp->tmpl[i], NULL));
	if (!waiting || !(f = doctor_add(d, DOCTOR_INFO, "larval-drop", NULL)))
		return;
	snprintf(f->evidence, sizeof(f->evidence),
		 "/proc/sys/net/core/xfrm_larval_drop = %d with templates still without SA", v);
	snprintf(f->effect, sizeof(f->effect),
		 "the first packets of a flow are dropped while IKE negotiates its SA; "
		 "applications retry (TCP) or lose them (UDP, a first ping)");
	snprintf(f->fix, sizeof(f->fix),
		 "expected with on-demand tunnels; bring tunnels up at start (auto=start / "
		 "start_action=start) so no flow waits");
}

/* The kernel's default policies (ip xfrm policy setdefault): a blocked direction
 * drops what no SP covers, which is meant on a locked-down gateway and a surprise
 * anywhere else. */
static void check_xfrm_default(struct doctor *d)
{
	struct igd_xfrm_default x;
	struct doctor_finding *f;
	int i;

	if (igd_xfrm_default_get(&x))
		return;		/* a kernel without default policies: accept */
	for (i = 0; i < IGD_DIR_MAX; i++) {
		if (!x.block[i] || !(f = doctor_add(d, DOCTOR_INFO, "xfrm-default-block", NULL)))
			continue;
		snprintf(f->evidence, sizeof(f->evidence), "the default %s policy is block "
			 "(ip xfrm policy getdefault)", igd_dir_str(i));
		snprintf(f->effect, sizeof(f->effect), i == IGD_DIR_OUT ?
			 "packets no out SP covers are refused (EPERM for local senders, dropped "
			 "when forwarded), IKE too unless its daemon sets socket bypass policies; "
			 "a NAT rule that takes a flow out of its SP makes it dropped, not leaked" :
			 "packets arriving in clear that no %s SP covers are dropped "
			 "(XfrmInNoPols), except on interfaces with disable_policy", igd_dir_str(i));
		snprintf(f->fix, sizeof(f->fix), "when not meant: ip xfrm policy setdefault %s "
			 "accept; else an SP without templates (action allow) for each flow that "
			 "must pass in clear", igd_dir_str(i));
	}
}

int doctor_check_kernel(struct doctor *d)
{
	check_forward(d);
	check_xfrm_default(d);
	check_larval(d);
	check_xfrm_disabled(d);
	check_rp_filter(d);
	return 0;
}
