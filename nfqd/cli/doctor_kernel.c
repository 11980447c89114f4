/* ipsecguard doctor: kernel settings that break tunnels. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "doctor.h"

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

static void check_xfrm_disabled(struct doctor *d)
{
	static const char *const keys[] = { "disable_xfrm", "disable_policy" };
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
		for (k = 0; k < 2; k++) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", e->d_name,
				 keys[k]);
			if (read_int(path, &v) || !v)
				continue;
			f = doctor_add(d, DOCTOR_WARNING, "xfrm-disabled", NULL);
			if (!f)
				break;
			snprintf(f->evidence, sizeof(f->evidence), "%s = %d", path, v);
			snprintf(f->effect, sizeof(f->effect), k ?
				 "packets arriving on %s skip the inbound policy check" :
				 "packets leaving through %s are never transformed", e->d_name);
			snprintf(f->fix, sizeof(f->fix), "sysctl -w net.ipv4.conf.%s.%s=0",
				 e->d_name, keys[k]);
		}
	}
	closedir(dir);
}

int doctor_check_kernel(struct doctor *d)
{
	check_forward(d);
	check_xfrm_disabled(d);
	return 0;
}
