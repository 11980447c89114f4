/* One element of a set of our tables asked of the kernel (NFT_MSG_GETSETELEM): the
 * answer is the element (a NEWSETELEM message) or ENOENT. */
#ifndef IGD_SETELEM_GET_H
#define IGD_SETELEM_GET_H
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

/* Asks for @key (@klen bytes) in @set of table @table (family 4 or 6) on @nl, the
 * answer read into @buf (@len bytes, at least MNL_SOCKET_BUFFER_SIZE) and handed to
 * @cb (may be NULL: only whether it is there).  0, -ENOENT when there is none, or
 * -errno. */
int igd_nft_setelem_get(struct mnl_socket *nl, void *buf, size_t len, const char *table,
			int family, const char *set, const void *key, uint16_t klen,
			mnl_cb_t cb, void *data);
#endif
