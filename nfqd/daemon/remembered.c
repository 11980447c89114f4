/* The remembered protections in the daemon's life.  See remembered.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "remembered.h"
#include "spdsync.h"
#include "xfrm/xfrm_mirror.h"
#include "util/clock.h"

#define REM_SAVE_EVERY_S	600

/* STATE_DIR/TABLE.remembered: two daemons of different tables keep their own. */
static void rem_path(const struct igd_daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s" IGD_MEMORY_SUFFIX, d->opts.state_dir, d->opts.table);
}

/* mkdir -p, each new level 0750. */
static int rem_mkdirs(const char *path)
{
	char buf[IGD_OPT_PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* --remember-from: the other daemon's file taken in when it is new or changed.  At
 * start (@starting) the sets are not made yet: the first sync makes them. */
static void rem_from_read(struct igd_daemon *d, bool starting)
{
	struct igd_remember_from *f = &d->mem_from;
	const char *path = d->opts.remember_from;
	unsigned int bad = 0, added, aged = 0;
	struct igd_memory got;
	struct stat st;
	uint64_t mtime_ns;
	int e;

	if (!path[0] || !d->opts.remember || d->opts.no_hooks)
		return;
	if (stat(path, &st) < 0) {
		if (f->present || !f->said)
			fprintf(stderr, "ipsecguardd: remember-from %s: %s; taken in when it "
				"comes\n", path, strerror(errno));
		f->present = false;
		f->said = true;
		return;
	}
	mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	if (f->present && f->size == (uint64_t)st.st_size && f->mtime_ns == mtime_ns &&
	    f->ino == (uint64_t)st.st_ino)
		return;
	f->present = true;
	f->size = (uint64_t)st.st_size;
	f->mtime_ns = mtime_ns;
	f->ino = (uint64_t)st.st_ino;
	f->reads++;
	igd_memory_init(&got, d->memory.hold_s);
	e = S_ISREG(st.st_mode) ? igd_memory_load(&got, path, (uint64_t)time(NULL), &bad) :
				  -EINVAL;
	if (e) {
		f->failures++;
		fprintf(stderr, "ipsecguardd: remember-from %s: %s; nothing taken from it\n",
			path, e == -EINVAL ? "not a regular file" : strerror(-e));
		igd_memory_free(&got);
		return;
	}
	f->said = false;
	f->bad_lines += bad;
	f->entries = (unsigned int)got.n;
	if (bad)
		fprintf(stderr, "ipsecguardd: remember-from %s: %u lines that do not parse "
			"were left out\n", path, bad);
	added = igd_memory_merge(&d->memory, &got, &aged);
	igd_memory_free(&got);
	f->added += added;
	if (!added || starting)
		return;
	/* the new selectors held, but where this SPD has their SPs */
	if (d->mirror)
		igd_memory_sync(&d->memory, igd_xfrm_mirror_spd(d->mirror), d->tunnels,
				(uint64_t)time(NULL));
	igd_spdsync_update(d);
}

int igd_remembered_open(struct igd_daemon *d, bool chown_it, uid_t uid, gid_t gid,
			char *err, size_t errlen)
{
	char path[IGD_OPT_PATH_MAX + 96];
	unsigned int bad = 0;
	int e;

	igd_memory_init(&d->memory, d->opts.remember);
	d->judge.out.memory = &d->memory;
	if (!d->opts.remember || d->opts.no_hooks)
		return 0;
	e = rem_mkdirs(d->opts.state_dir);
	if (!e && chown_it && chown(d->opts.state_dir, uid, gid) < 0)
		e = -errno;
	if (e) {
		snprintf(err, errlen, "state directory %s: %s", d->opts.state_dir, strerror(-e));
		return e;
	}
	rem_path(d, path, sizeof(path));
	e = igd_memory_load(&d->memory, path, (uint64_t)time(NULL), &bad);
	if (e)
		fprintf(stderr, "ipsecguardd: %s: %s; starting with nothing remembered\n", path,
			strerror(-e));
	if (bad)
		fprintf(stderr, "ipsecguardd: %s: %u lines that do not parse were left out\n",
			path, bad);
	d->mem_saved_ms = igd_now_ms();
	rem_from_read(d, true);
	return 0;
}

static void rem_save(struct igd_daemon *d)
{
	char path[IGD_OPT_PATH_MAX + 96];
	int e;

	rem_path(d, path, sizeof(path));
	e = igd_memory_save(&d->memory, path, (uint64_t)time(NULL));
	d->mem_saved_ms = igd_now_ms();
	if (e && !d->mem_failing)
		fprintf(stderr, "ipsecguardd: write %s: %s (said once)\n", path, strerror(-e));
	d->mem_failing = e != 0;
	if (e)
		d->mem_save_failures++;
}

void igd_remembered_tick(struct igd_daemon *d)
{
	if (!d->opts.remember || d->opts.no_hooks)
		return;
	if (d->memory.full_said == false && d->memory.dropped) {
		fprintf(stderr, "ipsecguardd: remembered protections: %d kept at most; further "
			"SPs are not remembered\n", IGD_MEMORY_MAX);
		d->memory.full_said = true;
	}
	rem_from_read(d, false);
	if (d->memory.dirty || igd_now_ms() - d->mem_saved_ms >= REM_SAVE_EVERY_S * 1000u)
		rem_save(d);
}

int igd_remembered_forget(struct igd_daemon *d, const char *dst)
{
	struct igd_prefix p;
	unsigned int n;
	int fam;

	if (strcmp(dst, "all")) {
		fam = igd_prefix_parse(dst, &p.addr, &p.plen);
		if (!fam)
			return -EINVAL;
		p.family = (uint8_t)fam;
	}
	n = igd_memory_forget(&d->memory, strcmp(dst, "all") ? &p : NULL);
	if (n) {
		/* the live ones come back from the SPD at once */
		if (d->mirror)
			igd_memory_sync(&d->memory, igd_xfrm_mirror_spd(d->mirror),
					d->tunnels, (uint64_t)time(NULL));
		igd_spdsync_update(d);
		if (d->opts.remember)
			rem_save(d);
	}
	return (int)n;
}

void igd_remembered_close(struct igd_daemon *d)
{
	if (d->opts.remember && !d->opts.no_hooks && d->hooks_installed)
		rem_save(d);
	igd_memory_free(&d->memory);
}
