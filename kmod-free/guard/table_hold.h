/* How the daemon's tables hold while other tools change the ruleset around them.
 *
 * nf_tables lets a process own a table (NFT_TABLE_F_OWNER, Linux 5.12): `flush
 * ruleset` skips it, and any other process's change to it or deletion of it is
 * refused (EPERM); the table goes when the owning netlink socket closes.  With
 * NFT_TABLE_F_PERSIST as well (Linux 6.9) it outlives that socket instead: the owner
 * flag is dropped, and the next process that asks for both flags adopts it.  So:
 *
 *   persist   one owned, persistent table per family.  Nothing else can remove it
 *             while the daemon runs; after SIGTERM (enforce, fix) or SIGKILL it stays
 *             and drops what it would have queued, until a daemon adopts it.
 *   owner     the owned table, and beside it an un-owned backstop table (enforce and
 *             fix) that drops suspects no judgement let through: while the daemon
 *             lives a reload cannot touch the owned table, and the backstop, which a
 *             reload can remove, is put back from the notifications; when the daemon
 *             dies the owned table goes and the backstop holds the line.
 *   restore   a kernel without the owner flag: the tables are put back from the
 *             notifications (nft_watch.h) in one transaction; a reload leaves a
 *             window of about a millisecond.
 *
 * The kernel is probed at start with a check-only transaction: nothing is created. */
#ifndef IGD_TABLE_HOLD_H
#define IGD_TABLE_HOLD_H
#include <stdint.h>

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST	0x4
#endif

enum igd_hold {
	IGD_HOLD_AUTO = 0,	/* the probe decides */
	IGD_HOLD_PERSIST,
	IGD_HOLD_OWNER,
	IGD_HOLD_RESTORE,
	IGD_HOLD_MAX,
};

/* "persist", "owner", "restore" ("auto" for IGD_HOLD_AUTO). */
const char *igd_hold_name(enum igd_hold h);
/* The value of a name above; -1 for anything else. */
int igd_hold_parse(const char *s);
/* The table flags of the daemon's main tables under @h. */
uint32_t igd_hold_table_flags(enum igd_hold h);
/* What the running kernel offers: IGD_HOLD_PERSIST, _OWNER or _RESTORE, or -errno
 * when nf_tables cannot be asked. */
int igd_hold_probe(void);
/* The flags (NFTA_TABLE_FLAGS) and owner port id (0: none) of table @name of nf_tables
 * family @nfproto.  0, -ENOENT when there is no such table, or -errno. */
int igd_nft_table_get(uint32_t nfproto, const char *name, uint32_t *flags, uint32_t *owner);
#endif
