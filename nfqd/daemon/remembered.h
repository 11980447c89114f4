/* The remembered protections (judge/remember.h) in the daemon's life: read from the
 * state directory at start, written there when they change (and every ten minutes,
 * so that a kill -9 loses little of their ages), forgotten on request over the
 * control socket. */
#ifndef IGD_REMEMBERED_H
#define IGD_REMEMBERED_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct igd_daemon;

/* Makes the state directory (owned by @uid/@gid when @chown) and reads the file.
 * 0, or -errno with @err (a directory that cannot be made). */
int igd_remembered_open(struct igd_daemon *d, bool chown_it, uid_t uid, gid_t gid,
			char *err, size_t errlen);
/* Once a second: the file written when due. */
void igd_remembered_tick(struct igd_daemon *d);
/* Forgets what lies within @dst ("all": everything); the sets and the verdicts follow.
 * Returns how many entries went, or -EINVAL for a @dst that is no prefix. */
int igd_remembered_forget(struct igd_daemon *d, const char *dst);
/* Written once more, and freed. */
void igd_remembered_close(struct igd_daemon *d);
#endif
