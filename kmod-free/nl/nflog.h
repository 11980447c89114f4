/* A reader of one nfnetlink_log group: the asynchronous copies (nft `log group N`)
 * of packets the kernel already handled, e.g. the SYNs its MSS rules clamped.  No
 * packet waits for the reader; a copy it was too slow for is lost and counted
 * (ENOBUFS), never the packet itself. */
#ifndef IGD_NFLOG_H
#define IGD_NFLOG_H
#include <stdint.h>

struct igd_nflog;

/* One copy, valid during the callback only. */
struct igd_nflog_pkt {
	uint16_t hw_proto;	/* host order: ETH_P_IP / ETH_P_IPV6 */
	uint8_t hook;		/* NF_INET_* */
	const uint8_t *data;	/* the network header on */
	uint32_t len;
	uint32_t mark;
	uint32_t indev, outdev;
	const char *prefix;	/* the rule's prefix, "" when none */
};

/* One NFULNL_MSG_PACKET message into @p (pointing into the message): 0, -ENOENT for
 * another message type, -EINVAL when malformed (header or payload missing, an
 * attribute of the wrong size, a prefix without its NUL). */
struct nlmsghdr;
int igd_nflog_msg_parse(const struct nlmsghdr *nlh, struct igd_nflog_pkt *p);

typedef void (*igd_nflog_handler)(const struct igd_nflog_pkt *p, void *arg);

struct igd_nflog_stats {
	uint64_t packets;	/* copies handed to the handler */
	uint64_t bad_msgs;	/* messages that did not parse */
	uint64_t overruns;	/* ENOBUFS: copies the kernel could not deliver */
};

/* Binds @group (copies of up to @copy_range bytes, sent at once).  0, or -errno with
 * what failed in @err. */
int igd_nflog_open(struct igd_nflog **l, uint16_t group, uint32_t copy_range,
		   igd_nflog_handler h, void *arg, char *err, size_t errlen);
int igd_nflog_fd(const struct igd_nflog *l);
/* Reads what is there (non-blocking) and hands each copy to the handler. */
int igd_nflog_process(struct igd_nflog *l);
const struct igd_nflog_stats *igd_nflog_stats(const struct igd_nflog *l);
/* Unbinds and closes; NULL-safe. */
void igd_nflog_close(struct igd_nflog *l);
#endif
