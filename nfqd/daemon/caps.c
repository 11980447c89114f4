#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "caps.h"

int igd_caps_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;

	if (!user)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user %s: %s", user, errno ? strerror(errno) : "no such user");
		return errno ? -errno : -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int caps_bounding_clear(uint32_t keep)
{
	unsigned long c;

	for (c = 0; c <= 63; c++) {
		if (c < 32 && (keep & (1u << c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

static int caps_set(uint32_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	/* not inheritable: the programs the daemon runs (the IKE daemon's tools for
	 * tunnel names) get none of it */
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = keep;
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static int caps_switch_user(uid_t uid, gid_t gid)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ? -errno : 0;
}

int igd_caps_drop(int user_set, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uint32_t keep = 1u << CAP_NET_ADMIN;
	int e;

	e = caps_bounding_clear(keep);
	if (e) {
		snprintf(err, errlen, "clear capability bounding set: %s", strerror(-e));
		return e;
	}
	if (user_set) {
		e = caps_switch_user(uid, gid);
		if (e) {
			snprintf(err, errlen, "switch to uid %u: %s", (unsigned int)uid,
				 strerror(-e));
			return e;
		}
	}
	e = caps_set(keep);
	if (!e && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		e = -errno;
	if (e)
		snprintf(err, errlen, "keep only CAP_NET_ADMIN: %s", strerror(-e));
	return e;
}
