#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/utsname.h>
#include "route/noxfrm.h"

#define NOXFRM_CONF_DIR "/proc/sys/net/ipv4/conf"

/* The value of @dir/@ifname/disable_xfrm: 1, 0, or -1 when unreadable. */
static int noxfrm_conf(const char *dir, const char *ifname)
{
	char path[256];
	FILE *f;
	int v = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/disable_xfrm", dir, ifname) >=
	    sizeof(path))
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v > 0 ? 1 : v;
}

/* conf/all/disable_xfrm counts for every interface from Linux 5.11 on; before, only
 * each interface's own setting did. */
static bool noxfrm_all_counts(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return true;
	return major > 5 || (major == 5 && minor >= 11);
}

int igd_noxfrm_read(struct igd_noxfrm *nx)
{
	const char *dir = NOXFRM_CONF_DIR;
	struct igd_noxfrm cur = { 0 };
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint32_t ifindex;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "default") ||
		    noxfrm_conf(dir, de->d_name) != 1)
			continue;
		if (!strcmp(de->d_name, "all")) {
			cur.all = noxfrm_all_counts();
			continue;
		}
		ifindex = if_nametoindex(de->d_name);
		if (!ifindex)
			continue;	/* gone meanwhile */
		if (cur.n == IGD_NOXFRM_MAX)
			cur.overflow = true;
		else
			cur.ifindex[cur.n++] = ifindex;
	}
	closedir(d);
	*nx = cur;
	return 0;
}

bool igd_noxfrm_has(const struct igd_noxfrm *nx, uint32_t ifindex)
{
	size_t i;

	if (!ifindex)
		return false;
	if (nx->all || nx->overflow)
		return true;
	for (i = 0; i < nx->n; i++)
		if (nx->ifindex[i] == ifindex)
			return true;
	return false;
}
