/* Other processes' nf_tables transactions, from the notifications the kernel sends to
 * NFNLGRP_NFTABLES.  The messages of one committed transaction arrive in order and end
 * with NFT_MSG_NEWGEN, which names the process (NFTA_GEN_PROC_PID, _NAME); every
 * object message carries its table's name as attribute 1 (NFTA_TABLE_NAME,
 * NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE,
 * NFTA_OBJ_TABLE, NFTA_FLOWTABLE_TABLE) and its family in the nfgenmsg header.  So each
 * transaction is summed up at its NEWGEN: which of the watched tables it touched, how
 * many tables it deleted (a `flush ruleset` deletes every one it may), and who ran it.
 *
 * Messages sent by the watcher's own port ids (the socket that owns the daemon's
 * tables) and by the kernel itself (port id 0: elements the packet path adds) are not
 * other processes' changes.  The socket never sets NETLINK_NO_ENOBUFS: notifications
 * lost to a full buffer are reported as an overrun, after which the caller must assume
 * that anything changed. */
#ifndef IGD_NFT_WATCH_H
#define IGD_NFT_WATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGD_NFT_WATCH_MAX	8	/* watched tables */
#define IGD_NFT_WATCH_COMM	32

struct igd_nft_watch_table {
	uint8_t nfproto;		/* NFPROTO_IPV4 ... */
	char name[128];
};

/* One transaction of another process (or the notifications lost to an overrun). */
struct igd_nft_txn {
	uint32_t pid;			/* NFTA_GEN_PROC_PID, 0 when not told */
	char comm[IGD_NFT_WATCH_COMM];	/* NFTA_GEN_PROC_NAME (sanitised), "" */
	uint32_t genid;			/* the ruleset generation it made */
	unsigned int touched;		/* bit i: watched table i was changed */
	unsigned int deleted;		/* bit i: ... deleted */
	unsigned int tables_deleted;	/* tables of any name it deleted */
	bool overrun;			/* notifications were lost: assume anything */
};

typedef void (*igd_nft_watch_cb)(const struct igd_nft_txn *t, void *arg);

struct igd_nft_watch;

/* Subscribes to NFNLGRP_NFTABLES with a receive buffer of @rcvbuf bytes.  0 or -errno. */
int igd_nft_watch_open(struct igd_nft_watch **w, uint32_t rcvbuf, igd_nft_watch_cb cb,
		       void *arg);
int igd_nft_watch_fd(const struct igd_nft_watch *w);
/* The tables to watch (replaces the list; at most IGD_NFT_WATCH_MAX). */
void igd_nft_watch_tables(struct igd_nft_watch *w, const struct igd_nft_watch_table *t,
			  unsigned int n);
/* Messages from @portid are our own (at most 4 such ports). */
void igd_nft_watch_ignore(struct igd_nft_watch *w, uint32_t portid);
/* Reads what the socket holds and calls back once per finished transaction of another
 * process that touched a watched table or deleted any table, and once per overrun.
 * Returns 0 or -errno (a fatal socket error). */
int igd_nft_watch_process(struct igd_nft_watch *w);
/* NULL-safe. */
void igd_nft_watch_close(struct igd_nft_watch *w);

/* The summing up, on messages already read (split out for the unit tests): feeds one
 * datagram of @len bytes; calls back as igd_nft_watch_process does.  Returns the
 * number of transactions it finished. */
int igd_nft_watch_feed(struct igd_nft_watch *w, const void *buf, size_t len);
/* A watcher without a socket, for igd_nft_watch_feed (the tests). */
int igd_nft_watch_new(struct igd_nft_watch **w, igd_nft_watch_cb cb, void *arg);
#endif
