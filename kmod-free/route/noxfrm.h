/* The IPv4 interfaces whose routes skip the SPD: with net.ipv4.conf.<if>.disable_xfrm
 * (or .all, from Linux 5.11) set, a route out of the interface carries DST_NOXFRM and
 * xfrm_lookup lets the packet go without looking an out SP up, so what leaves by it
 * is sent in clear whatever the SPs say (the loopback device has it by default:
 * traffic to the machine's own addresses).  IPv6 has no such setting.  Read from /proc/sys off the
 * packet path; looked up without allocation.  Not thread-safe. */
#ifndef IGD_NOXFRM_H
#define IGD_NOXFRM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGD_NOXFRM_MAX	256

struct igd_noxfrm {
	bool all;			/* conf/all/disable_xfrm (from 5.11) */
	bool overflow;			/* more such interfaces than fit: any may be one */
	size_t n;
	uint32_t ifindex[IGD_NOXFRM_MAX];
};

/* Reads the interfaces' settings under /proc/sys/net/ipv4/conf; 0 or -errno (then
 * @nx is left as it was). */
int igd_noxfrm_read(struct igd_noxfrm *nx);
/* Whether what leaves by @ifindex skips the SPD (an unknown interface, 0, does not). */
bool igd_noxfrm_has(const struct igd_noxfrm *nx, uint32_t ifindex);
#endif
