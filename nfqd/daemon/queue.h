/* One NFQUEUE queue over libnetfilter_queue's libmnl API: bind and configure
 * (GSO, fail-open, conntrack, header-only copy), receive in bursts with recvmmsg,
 * hand each packet to a handler and answer every one.  Accept verdicts are batched
 * (NFQNL_MSG_VERDICT_BATCH); a drop, a mark or a mangled packet first flushes the
 * accepts before it, so verdicts always reach the kernel in packet order. */
#ifndef IGD_QUEUE_H
#define IGD_QUEUE_H
#include <stdbool.h>
#include <stdint.h>
#include "packet/ct_attr.h"

struct igd_queue;

struct igd_queue_cfg {
	uint16_t num;
	uint32_t maxlen;	/* kernel queue length (NFQA_CFG_QUEUE_MAXLEN) */
	uint32_t copy_range;	/* bytes of each packet copied to us */
	uint32_t rcvbuf;	/* socket receive buffer, bytes */
	bool fail_open;		/* NFQA_CFG_F_FAIL_OPEN: accept when the queue is full */
	/* called with the handler's argument after each read of queued packets, before
	 * any of them is judged (NULL: none) */
	void (*before_batch)(void *arg);
};

/* What the kernel told us about one queued packet.  Valid during the handler only. */
struct igd_qpkt {
	uint32_t id;
	uint16_t hw_proto;	/* host order: ETH_P_IP / ETH_P_IPV6 */
	uint8_t hook;		/* NF_INET_* */
	uint16_t queue;
	uint8_t *data;		/* writable copy of the packet head */
	uint32_t len;		/* bytes at data */
	uint32_t orig_len;	/* the whole packet's length (NFQA_CAP_LEN, else len) */
	uint32_t skbinfo;	/* NFQA_SKB_* */
	uint32_t mark;
	uint32_t indev, outdev;
	bool has_ct;
	struct igd_ct ct;
	uint32_t ctinfo;
	bool copy;		/* an asynchronous copy (nfnetlink_log group in queue),
				 * not a queued packet: no verdict */
};

/* The handler's answer.  A mangle is honoured only when the whole packet was copied. */
struct igd_qverdict {
	uint32_t verdict;	/* NF_ACCEPT, NF_DROP, or NF_REPEAT (the hook's chain
				 * runs again, e.g. to act on a mark we set) */
	bool mangled;		/* data[0..len) was changed in place */
	bool set_mark;		/* give the packet this mark (skb->mark) */
	uint32_t mark;
};

typedef void (*igd_queue_handler)(const struct igd_qpkt *p, struct igd_qverdict *v,
				  void *arg);

struct igd_queue_stats {
	uint64_t packets, accepted, dropped, mangled, batches, verdict_msgs;
	uint64_t bad_msgs;	/* netlink messages we could not parse: answered if possible */
	uint64_t send_errors;
};

/* Opens, binds and configures queue cfg->num.  On failure returns -errno and writes
 * a message naming what failed to @err. */
int igd_queue_open(struct igd_queue **q, const struct igd_queue_cfg *cfg,
		   igd_queue_handler h, void *arg, char *err, size_t errlen);
int igd_queue_fd(const struct igd_queue *q);
/* Drains the socket (a bounded number of bursts), answers every packet received.
 * Returns 0, or -errno on a fatal socket error. */
int igd_queue_process(struct igd_queue *q);
/* The counters as of now: written by the thread that answers @q, read from any
 * (each counter whole; the set not taken at one instant). */
void igd_queue_stats(const struct igd_queue *q, struct igd_queue_stats *out);
uint16_t igd_queue_num(const struct igd_queue *q);
/* Turns NFQA_CFG_F_FAIL_OPEN on or off on a bound queue (reload).  0 or -errno. */
int igd_queue_set_fail_open(struct igd_queue *q, bool on);
/* The handler's argument given at open. */
void *igd_queue_arg(const struct igd_queue *q);
/* Whether the kernel attaches the conntrack entry to queued packets (NFQA_CT). */
bool igd_queue_has_ct(const struct igd_queue *q);
/* Unbinds and closes; NULL-safe. */
void igd_queue_close(struct igd_queue *q);

/* The kernel's own per-queue counters from /proc/net/netfilter/nfnetlink_queue. */
struct igd_queue_kstats {
	uint32_t waiting, queue_dropped, user_dropped, id_seq;
	bool found;
};
int igd_queue_kstats_read(uint16_t num, struct igd_queue_kstats *ks);
#endif
