/* systemd's readiness and watchdog protocol (sd_notify), without libsystemd: one
 * datagram to $NOTIFY_SOCKET.  A no-op when not started by systemd. */
#ifndef IGD_SDNOTIFY_H
#define IGD_SDNOTIFY_H
void igd_sdnotify(const char *state);
#endif
