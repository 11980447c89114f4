/* One netlink request and its acknowledgement, for the configuration messages of
 * nfnetlink subsystems (queue, log): sent with NLM_F_ACK and a fresh sequence
 * number, replies read until the ack (or an error) for that sequence and port id. */
#ifndef IGD_NL_TALK_H
#define IGD_NL_TALK_H
#include <stdint.h>
#include <libmnl/libmnl.h>

/* Sends @nlh on @nl and waits for its ack.  0, or -errno (the kernel's error). */
int igd_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh);
#endif
