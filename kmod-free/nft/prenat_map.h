/* The pre-NAT tuple of translated suspects, for kernels that attach no conntrack
 * entry to queued packets (no NFQA_CT).  At postrouting, after source NAT, the rule
 * before the "suspect: translated" one adds to a map of the guard's table
 *
 *   prenat  { ip saddr . ip daddr . meta l4proto . th sport . th dport   (post-NAT)
 *             : ct original ip saddr . ct original proto-src }           (pre-NAT)
 *
 * (dynamic, elements time out after IGD_PRENAT_TIMEOUT_MS), and the suspect goes to
 * the queue with a marker in the mark field.  The daemon reads the element of the
 * packet it got back from the kernel (NFT_MSG_GETSETELEM): the pre-NAT source; the
 * destination is the packet's, source NAT leaves it alone.  No flow head needs a
 * queue trip before NAT for this.  A full map or an element not found makes the
 * suspect one the daemon cannot judge (dropped when enforcing).
 *
 * The key and data are laid out as nf_tables concatenations: each part in its own
 * 32-bit registers, shorter parts zero-padded to 4 bytes, in network byte order. */
#ifndef IGD_PRENAT_MAP_H
#define IGD_PRENAT_MAP_H
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "packet/addr.h"

#define IGD_PRENAT_MAP		"prenat"
#define IGD_PRENAT_SIZE		65536
#define IGD_PRENAT_TIMEOUT_MS	10000
#define IGD_PRENAT_KEY_MAX	44	/* IPv6: 16 + 16 + 4 + 4 + 4 */
#define IGD_PRENAT_DATA_MAX	20	/* IPv6: 16 + 4 */

/* Key and data lengths for @family (4 or 6). */
size_t igd_prenat_key_len(int family);
size_t igd_prenat_data_len(int family);

/* The key of a post-NAT packet: addresses, protocol and the first 4 bytes of its
 * transport header (@th: ports, or ICMP type, code and checksum).  Returns the
 * length written to @k (IGD_PRENAT_KEY_MAX bytes). */
size_t igd_prenat_key(uint8_t *k, int family, const union igd_addr *src,
		      const union igd_addr *dst, uint8_t proto, const uint8_t th[4]);

struct igd_prenat {
	union igd_addr saddr;	/* before source NAT */
	uint16_t sport;		/* host order (ICMP: the echo id) */
};

/* Parses the kernel's answer (NFT_MSG_NEWSETELEM with one element) into @out: 0,
 * -ENOENT when it holds no element with data, -EINVAL when malformed. */
int igd_prenat_reply_parse(const struct nlmsghdr *nlh, int family, struct igd_prenat *out);

/* Asks the kernel for the element of @key in table @table's map (family @family) on
 * @nl, answer read into @buf (@len bytes, MNL_SOCKET_BUFFER_SIZE will do).  0, -ENOENT
 * when there is none (timed out, never added), or -errno. */
int igd_prenat_lookup(struct mnl_socket *nl, void *buf, size_t len, const char *table,
		      int family, const uint8_t *key, struct igd_prenat *out);
#endif
