/* MSS remediation: the largest TCP MSS the tunnel of an SP really carries, from its
 * SA's algorithms and mode and the outer path MTU (route and PMTU cache), by the
 * kernel's own ESP arithmetic (esp_mtu.h).  Without an SA yet, the documented worst
 * case (AES-CBC + HMAC-SHA512, NAT-T) is assumed.  Results are cached per SP for a
 * few seconds so that a burst of SYNs costs one route lookup. */
#ifndef IGD_MSS_H
#define IGD_MSS_H
#include <stdint.h>
#include "opts.h"
#include "mtu/route_mtu.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#include "guard/guard_rules.h"

#define IGD_MSS_CACHE 64
#define IGD_MSS_CACHE_MS 5000

struct igd_mss_entry {
	uint32_t sp_index;
	uint16_t mss;
	uint64_t expires_ms;
};

struct igd_mss {
	enum igd_mss_mode mode;
	uint16_t fixed;
	struct igd_rtnl rtnl;
	_Alignas(8) uint8_t buf[IGD_RTNL_BUF_SIZE];	/* netlink messages: aligned */
	struct igd_mss_entry cache[IGD_MSS_CACHE];
	unsigned int next;
	uint64_t route_errors;
};

int igd_mss_init(struct igd_mss *m, enum igd_mss_mode mode, uint32_t fixed);
void igd_mss_close(struct igd_mss *m);
/* The MSS limit for a flow of @family covered by @sp (0: leave it alone). */
uint16_t igd_mss_limit(struct igd_mss *m, const struct igd_sp *sp, const struct igd_sad *sad,
		       const struct igd_flow *f);
struct igd_mss_rule;
struct igd_tunnels;
/* The SYN/ACK clamp of every protecting out SP (the far side's replies), and for each
 * tunnel interface of @t that is up the clamp of its out SPs (if_id, or the VTI's key
 * as mark) by interface, at most @max into @out; returns how many. */
size_t igd_mss_rules(struct igd_mss *m, const struct igd_spd *spd, const struct igd_sad *sad,
		     const struct igd_tunnels *t, struct igd_mss_rule *out, size_t max);
/* The path MTU towards the SP's outer destination (tunnel) or @f's destination. */
unsigned int igd_mss_path_mtu(struct igd_mss *m, const struct igd_sp *sp,
			      const struct igd_flow *f);
#endif
