/* Netlink requests and their answers, the one loop every part of the library uses:
 * a fresh sequence number, replies read until the ack, the end of a dump or an error
 * for that sequence and port id, interrupted dumps (NLM_F_DUMP_INTR) told apart. */
#ifndef IGD_NL_TALK_H
#define IGD_NL_TALK_H
#include <stdint.h>
#include <libmnl/libmnl.h>

/* A sequence number no other request of this process uses. */
uint32_t igd_nl_seq(void);

/* Sends @nlh (sequence 0: a fresh one is filled in) and runs @cb on each message of
 * the answer, read into @buf (@len bytes): until the ack or NLMSG_DONE when @nlh asks
 * for one (NLM_F_ACK, NLM_F_DUMP), else the first reply.  Datagrams of another
 * sequence (unasked ones, the rest of an abandoned exchange) are skipped.  Returns 0,
 * -EINTR when the kernel flagged a dump as interrupted, or -errno (the kernel's error,
 * or @cb's errno when it returned MNL_CB_ERROR). */
int igd_nl_exchange(struct mnl_socket *nl, struct nlmsghdr *nlh, void *buf, size_t len,
		    mnl_cb_t cb, void *data);

/* Sends @nlh on @nl and waits for its ack.  0, or -errno (the kernel's error). */
int igd_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh);

/* Runs the nfnetlink dump request @nlh (NLM_F_DUMP set by the caller; the sequence
 * number is filled in here) on a socket of its own; @cb sees each message.  When the
 * kernel flags the dump as interrupted (NLM_F_DUMP_INTR: the table changed under it)
 * @reset(@data) is called and the dump runs again, a bounded number of times.
 * Returns 0, -EINTR when every try was interrupted, or -errno. */
int igd_nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, void (*reset)(void *data));
#endif
