/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tap roles shared by the IPSECGUARD iptables target and the daemon.
 *
 * An IPSECGUARD rule is stored in the kernel as a plain NFQUEUE rule, so
 * the only place a role can live is the queue number.  A tap with base
 * queue B and W queues (W = 1 for --queue-num, B:B+W-1 for
 * --queue-balance) and role R sends packets to queues
 *
 *	B + R * W  ..  B + R * W + W - 1
 *
 * Role 0 ("auto") is the base block itself, so a daemon that listens on
 * B..B+W-1 only sees auto taps; one that listens on B..B+5*W-1 decodes
 * the role of every packet with igd_tap_role_of_queue().
 *
 * The roles state what the rule matched that the kernel does not tell a
 * queue reader (NFQUEUE carries the hook and the conntrack entry, not the
 * secpath nor the route's transform):
 *	auto       nothing; the daemon works from the hook and conntrack.
 *	in-ipsec   the packet was decapsulated (-m policy --dir in --pol ipsec)
 *	in-clear   it arrived without IPsec    (-m policy --dir in --pol none)
 *	out-ipsec  it will be transformed      (-m policy --dir out --pol ipsec)
 *	out-clear  it will leave in clear      (-m policy --dir out --pol none)
 */
#ifndef IPSECGUARD_TAP_H
#define IPSECGUARD_TAP_H

#include <stdint.h>
#include <string.h>

enum igd_tap_role {
	IGD_TAP_AUTO = 0,
	IGD_TAP_IN_IPSEC,
	IGD_TAP_IN_CLEAR,
	IGD_TAP_OUT_IPSEC,
	IGD_TAP_OUT_CLEAR,
	IGD_TAP_ROLES,		/* number of roles */
};

static const char *const igd_tap_role_names[IGD_TAP_ROLES] = {
	[IGD_TAP_AUTO]		= "auto",
	[IGD_TAP_IN_IPSEC]	= "in-ipsec",
	[IGD_TAP_IN_CLEAR]	= "in-clear",
	[IGD_TAP_OUT_IPSEC]	= "out-ipsec",
	[IGD_TAP_OUT_CLEAR]	= "out-clear",
};

/* Returns the role called @name, or -1. */
static inline int igd_tap_role_parse(const char *name)
{
	int i;

	for (i = 0; i < IGD_TAP_ROLES; i++)
		if (strcmp(name, igd_tap_role_names[i]) == 0)
			return i;
	return -1;
}

/* First queue of role @role for base @base and width @width. */
static inline uint32_t igd_tap_role_queue(uint32_t base, uint32_t width,
					  unsigned int role)
{
	return base + role * width;
}

/*
 * Role of a packet that arrived on queue @queue, for a daemon whose base
 * block is @base..@base+@width-1; -1 if @queue is outside every role block.
 */
static inline int igd_tap_role_of_queue(uint32_t base, uint32_t width,
					uint32_t queue)
{
	uint32_t role;

	if (width == 0 || queue < base)
		return -1;
	role = (queue - base) / width;
	return role < IGD_TAP_ROLES ? (int)role : -1;
}

#endif /* IPSECGUARD_TAP_H */
