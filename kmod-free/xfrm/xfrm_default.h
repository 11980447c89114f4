/* The kernel's default XFRM policy per direction (`ip xfrm policy setdefault`, Linux
 * 5.17): what happens to a packet that no SP covers.  With "block" the kernel drops
 * it — in and fwd: __xfrm_policy_check() counts XfrmInNoPols (interfaces with
 * disable_policy are not checked at all); out: xfrm_lookup() refuses the route with
 * EPERM (not for a loopback route), forwarded packets too.  "accept", the default,
 * lets it through. */
#ifndef IGD_XFRM_DEFAULT_H
#define IGD_XFRM_DEFAULT_H
#include <stdbool.h>
#include <stdint.h>
#include "xfrm/spd.h"

struct igd_xfrm_default {
	bool known;			/* the kernel answered (older ones have none) */
	bool block[IGD_DIR_MAX];	/* by enum igd_dir */
};

/* Asks the kernel (XFRM_MSG_GETDEFAULT).  0 (@d->known), or -errno: @d says accept
 * everywhere, which is what a kernel without default policies does. */
int igd_xfrm_default_get(struct igd_xfrm_default *d);
/* Parses the answer's struct xfrm_userpolicy_default (@len bytes at @p).  0 or
 * -EINVAL. */
int igd_xfrm_default_parse(const void *p, size_t len, struct igd_xfrm_default *d);
/* "in, fwd" of the blocked directions into @buf; "" when none.  Returns @buf. */
const char *igd_xfrm_default_str(const struct igd_xfrm_default *d, char *buf, size_t len);
#endif
