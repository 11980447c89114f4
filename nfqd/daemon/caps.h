/* Privilege reduction after setup: keep only CAP_NET_ADMIN (the daemon still has to
 * answer queues, edit its own tables, read the SPD and delete conntrack entries);
 * clear the bounding set, forbid new privileges, optionally run as another user.
 * Capabilities are per thread: threads started afterwards inherit the reduced set;
 * programs it runs inherit none. */
#ifndef IGD_CAPS_H
#define IGD_CAPS_H
#include <stddef.h>
#include <sys/types.h>

/* Looks @user up (NULL: stay root).  Returns 0 or -errno with a message in @err. */
int igd_caps_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);
/* Drops everything but CAP_NET_ADMIN; switches to @uid/@gid when @user_set. */
int igd_caps_drop(int user_set, uid_t uid, gid_t gid, char *err, size_t errlen);
#endif
