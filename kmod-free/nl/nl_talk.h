/* One netlink request and its acknowledgement, for the configuration messages of
 * nfnetlink subsystems (queue, log): sent with NLM_F_ACK and a fresh sequence
 * number, replies read until the ack (or an error) for that sequence and port id. */
#ifndef IGD_NL_TALK_H
#define IGD_NL_TALK_H
#include <stdint.h>
#include <libmnl/libmnl.h>

/* Sends @nlh on @nl and waits for its ack.  0, or -errno (the kernel's error). */
int igd_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh);

/* Runs the nfnetlink dump request @nlh (NLM_F_DUMP set by the caller; the sequence
 * number is filled in here) on a socket of its own; @cb sees each message.  When the
 * kernel flags the dump as interrupted (NLM_F_DUMP_INTR: the table changed under it)
 * @reset(@data) is called and the dump runs again, a bounded number of times.
 * Returns 0, -EINTR when every try was interrupted, or -errno. */
int igd_nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, void (*reset)(void *data));
#endif
