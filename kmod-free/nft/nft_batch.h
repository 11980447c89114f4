/* One nf_tables transaction: messages collected in a caller-owned batch object, sent
 * between NFNL_MSG_BATCH_BEGIN and NFNL_MSG_BATCH_END in one sendmsg(), every message
 * acknowledged, every ack read, extended acks turned into the error text.
 *
 * Each message carries a short description ("add rule ip ipsecguard postrouting") so
 * that an error names what failed.  A batch may also be sent as a check only (no
 * BATCH_END): the kernel validates every message and then aborts the transaction, so
 * nothing is left behind; this is what `nft --check` does. */
#ifndef IGD_NFT_BATCH_H
#define IGD_NFT_BATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

struct nftnl_table;
struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;

struct igd_nft_batch;

/* Largest single message a caller may build after igd_nft_batch_put() (libnftnl writes
 * attributes unchecked; this much room is always reserved). */
#define IGD_NFT_MSG_MAX		(32 * 1024)
#define IGD_NFT_WHAT_MAX	96

struct igd_nft_batch *igd_nft_batch_alloc(void);
/* NULL-safe. */
void igd_nft_batch_free(struct igd_nft_batch *b);

/* Starts a message of nf_tables @type (NFT_MSG_*) for @family; NLM_F_REQUEST and
 * NLM_F_ACK are always added to @flags.  @fmt describes the message for errors.  The
 * caller builds the payload into the returned header before the next call; it must
 * stay below IGD_NFT_MSG_MAX.  Returns NULL with errno set on failure. */
struct nlmsghdr *igd_nft_batch_put(struct igd_nft_batch *b, uint16_t type,
				   uint16_t family, uint16_t flags,
				   const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Object messages: the description is derived from the object ("add chain ip t c").
 * @type is NFT_MSG_NEW* or NFT_MSG_DEL*.  Objects are not consumed (libnftnl's
 * payload builders for rules and sets take non-const objects, hence no const there).
 * Return 0 or -errno. */
int igd_nft_batch_table(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
			const struct nftnl_table *t);
int igd_nft_batch_chain(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
			const struct nftnl_chain *c);
int igd_nft_batch_rule(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
		       struct nftnl_rule *r);
int igd_nft_batch_set(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
		      struct nftnl_set *s);
/* The elements of @s (NFT_MSG_NEWSETELEM / DELSETELEM), all in one message: keep it
 * below IGD_NFT_MSG_MAX (a few hundred elements). */
int igd_nft_batch_setelems(struct igd_nft_batch *b, uint16_t type, uint16_t flags,
			   struct nftnl_set *s);

/* Number of messages put so far, and the description and kernel verdict (0 or -errno;
 * 1 while not acknowledged) of message @i, in put order. */
unsigned int igd_nft_batch_count(const struct igd_nft_batch *b);
const char *igd_nft_batch_what(const struct igd_nft_batch *b, unsigned int i);
int igd_nft_batch_result(const struct igd_nft_batch *b, unsigned int i);

/* Appends BATCH_BEGIN/END around the messages and returns the wire image (for tests
 * and for igd_nft_batch_send); @commit false leaves out BATCH_END.  NULL on ENOMEM. */
const void *igd_nft_batch_wire(struct igd_nft_batch *b, bool commit, size_t *len);

/* Sends the batch over a fresh NETLINK_NETFILTER socket and reads every ack.  Returns
 * 0 when the kernel accepted all messages (and committed, if @commit), else the first
 * -errno, with "nft: <what>: <strerror>[ (<kernel message>)]" in @err. */
int igd_nft_batch_send(struct igd_nft_batch *b, bool commit, char *err, size_t errlen);
/* The same over @nl, a socket the caller keeps (igd_nft_socket_open): a table created
 * with NFT_TABLE_F_OWNER belongs to the socket that created it, and only that socket
 * may change it. */
struct mnl_socket;
int igd_nft_batch_send_on(struct igd_nft_batch *b, struct mnl_socket *nl, bool commit,
			  char *err, size_t errlen);
/* A NETLINK_NETFILTER socket, bound, with extended acks; NULL with errno set. */
struct mnl_socket *igd_nft_socket_open(void);

/* Reads the acks in @buf (@len bytes) for a batch sent from @portid.  Split out of
 * igd_nft_batch_send so that it can be tested on synthetic replies.  Returns the
 * number of acks consumed or -errno on a malformed buffer. */
int igd_nft_batch_parse_acks(struct igd_nft_batch *b, const void *buf, size_t len,
			     uint32_t portid);
/* Formats the first failure recorded by igd_nft_batch_parse_acks() into @err and
 * returns it (0 when none). */
int igd_nft_batch_error(const struct igd_nft_batch *b, char *err, size_t errlen);
#endif
