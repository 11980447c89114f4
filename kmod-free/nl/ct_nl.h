/* Conntrack over netlink (nf_conntrack_netlink): drop the entries of the flows a
 * selector covers, so that they are looked up again and bind NAT anew.
 *
 * After a NAT exemption is inserted, flows that already have a NAT binding keep it:
 * the nat table is consulted only for a connection's first packet.  Deleting their
 * conntrack entries makes the next packet a new connection that meets the exemption.
 * The entries are found with one IPCTNL_MSG_CT_GET dump per family and deleted one by
 * one by their original tuple (plus zone and id, so that an entry re-created between
 * dump and delete is left alone). */
#ifndef IGD_CT_NL_H
#define IGD_CT_NL_H
#include <stdbool.h>
#include <stddef.h>
#include "packet/ct_attr.h"
#include "xfrm/spd.h"

/* Deletes every conntrack entry whose ORIGINAL tuple has its source in sel->saddr/
 * plen_s and its destination in sel->daddr/plen_d (and protocol and ports when the
 * selector has them; ICMP type/code are the selector's sport/dport as in XFRM).
 * *@deleted (may be NULL) gets how many were deleted; entries that vanished on their
 * own meanwhile are not counted and are no error.  Returns 0 or -errno with the
 * failing step in @err. */
int igd_ct_flush_selector(const struct igd_sel *sel, unsigned int *deleted,
			  char *err, size_t errlen);

/* Clears the bits @mask of the mark of every entry whose mark & @mask is @value (both
 * families): a dump the kernel filters by mark, then one update per entry (CTA_MARK 0
 * under CTA_MARK_MASK @mask: the other bits stay).  *@cleared (may be NULL) gets how
 * many; entries gone meanwhile are no error.  0 or -errno with @err. */
int igd_ct_mark_clear(uint32_t value, uint32_t mask, unsigned int *cleared, char *err,
		      size_t errlen);

/* The entry with @t as its reply tuple (@reply) or original one: one IPCTNL_MSG_CT_GET
 * on @nl (the caller's socket, bound; its receive timeout bounds the wait).  0 with
 * *@out filled, -ENOENT when there is none, or -errno. */
struct mnl_socket;
int igd_ct_get(struct mnl_socket *nl, int family, const struct igd_ct_tuple *t, bool reply,
	       struct igd_ct *out);

/* Whether an original tuple of @family (4 or 6) falls under @sel. */
bool igd_ct_sel_match(const struct igd_sel *sel, int family,
		      const struct igd_ct_tuple *orig);
#endif
