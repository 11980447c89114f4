/* The control socket: a local stream socket (mode 0600, owned by the daemon's user)
 * on which `ipsecguard` asks the running daemon what only it knows or may change — its
 * tables are owned by it, so nothing else can.  One request a connection, one line:
 *
 *   remembered          the remembered protections, one JSON object a line
 *   forget PREFIX|all   forgets those whose destination lies within PREFIX
 *   fixes               fix mode's exemptions in the daemon's own chain
 *   revert [SP]         takes them out (those of SP index SP, or all)
 *   status              mode, table hold, verdict generation, counts
 *
 * The answer is JSON lines; then the daemon closes the connection.  Nothing here
 * waits: a client that has not sent its line within two seconds is dropped, and an
 * answer that does not fit the socket's buffer is cut. */
#ifndef IGD_CONTROL_H
#define IGD_CONTROL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IGD_CONTROL_CLIENTS	4
#define IGD_CONTROL_LINE	512

struct igd_daemon;

struct igd_control_client {
	int fd;				/* -1: free */
	uint64_t deadline_ms;
	size_t len;
	char buf[IGD_CONTROL_LINE];
};

struct igd_control {
	bool open;
	int fd;				/* the listening socket */
	struct igd_control_client c[IGD_CONTROL_CLIENTS];
	uint64_t requests, refused;
};

/* Binds the socket at --control (its directory made), owned by @uid/@gid when
 * @chown_it.  0 or -errno with @err. */
int igd_control_open(struct igd_daemon *d, bool chown_it, uid_t uid, gid_t gid,
		     char *err, size_t errlen);
/* Clients past their deadline dropped. */
void igd_control_tick(struct igd_daemon *d);
void igd_control_close(struct igd_daemon *d);
#endif
