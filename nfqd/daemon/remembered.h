/* The remembered protections (judge/remember.h) in the daemon's life: read from the
 * state directory at start, written there when they change (and every ten minutes,
 * so that a kill -9 loses little of their ages), forgotten on request over the
 * control socket.
 *
 * With --remember-from FILE, what another daemon remembers is held here too: FILE is
 * that daemon's TABLE.remembered, brought here by the operator's sync (the other
 * gateway of an HA pair), read at start and again once it changed (its size, time or
 * inode; looked at once a second), and merged into this daemon's own with its ages
 * (igd_memory_merge): a standby whose IKE daemon has installed no SP yet drops the
 * cleartext of the active's tunnels as tunnel-down.  What it took is written to its
 * own file like the rest.  A file missing, unreadable or with lines that do not parse
 * is said on standard error and counted (the control socket's status), never fatal. */
#ifndef IGD_REMEMBERED_H
#define IGD_REMEMBERED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct igd_daemon;

struct igd_remember_from {
	bool present;			/* FILE was there at the last look */
	bool said;			/* its absence or failure was said */
	uint64_t size, mtime_ns, ino;	/* what it was when last read */
	uint64_t reads, failures;	/* reads, and reads that failed */
	uint64_t bad_lines;		/* lines left out, over every read */
	uint64_t added;			/* entries it brought, over every read */
	unsigned int entries;		/* entries of the last read */
};

/* Makes the state directory (owned by @uid/@gid when @chown) and reads the file.
 * 0, or -errno with @err (a directory that cannot be made). */
int igd_remembered_open(struct igd_daemon *d, bool chown_it, uid_t uid, gid_t gid,
			char *err, size_t errlen);
/* Once a second: the file written when due; --remember-from's file read again when
 * it changed. */
void igd_remembered_tick(struct igd_daemon *d);
/* Forgets what lies within @dst ("all": everything); the sets and the verdicts follow.
 * Returns how many entries went, or -EINVAL for a @dst that is no prefix. */
int igd_remembered_forget(struct igd_daemon *d, const char *dst);
/* Written once more, and freed. */
void igd_remembered_close(struct igd_daemon *d);
#endif
