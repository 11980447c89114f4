/* /proc/net/xfrm_stat: the kernel's per-namespace XFRM drop counters, read, compared and
 * explained.
 *
 * A snapshot holds every "Name value" line of the file, whatever the names: counters this
 * build does not know are kept like the others (igd_xstat_info() returns NULL for them),
 * so a newer kernel never makes the parser fail.  Lines that are not "Name value" are
 * skipped and counted.  Values are unsigned 64-bit.
 *
 * Daemon wiring (a timer, every few seconds; nothing here is on the packet path):
 *
 *	struct igd_xstat_snap base, cur;	(one pair per namespace watched)
 *	struct igd_xstat_delta d[IGD_XSTAT_MAX];
 *	igd_xstat_read(&base, NULL);			at start: the baseline
 *	on each tick:
 *		if (igd_xstat_read(&cur, NULL) == 0) {
 *			n = igd_xstat_diff(&base, &cur, d, IGD_XSTAT_MAX);
 *			for each of the n deltas: igd_xstat_json_delta(buf, len, ts, &d[i]);
 *			base = cur;
 *		}
 *
 * The deltas point into @cur: copy @cur into @base only after using them.
 * Not thread-safe; no allocation.
 */
#ifndef IGD_XFRM_STAT_H
#define IGD_XFRM_STAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGD_XSTAT_PATH		"/proc/net/xfrm_stat"
#define IGD_XSTAT_MAX		64	/* counters kept per snapshot (the kernel has 32) */
#define IGD_XSTAT_NAME_MAX	48	/* longest name kept, with its NUL */
#define IGD_XSTAT_FILE_MAX	16384	/* bytes of the file read */

struct igd_xstat_counter {
	char name[IGD_XSTAT_NAME_MAX];
	uint64_t value;
};

struct igd_xstat_snap {
	unsigned int n;
	unsigned int junk;		/* lines skipped as not "Name value" */
	bool truncated;			/* more counters than IGD_XSTAT_MAX, or file too long */
	struct igd_xstat_counter c[IGD_XSTAT_MAX];
};

/* What a counter means, in an operator's terms. */
struct igd_xstat_info {
	const char *name;	/* "XfrmInTmplMismatch" */
	const char *dir;	/* "in", "out" or "fwd": which path counts it */
	const char *meaning;	/* what the kernel counted */
	const char *cause;	/* the usual cause on a gateway, and where to look */
	const char *reason;	/* the ipsecguard verdict reason tied to it, or NULL */
};

struct igd_xstat_delta {
	const char *name;			/* points into the newer snapshot */
	uint64_t delta, total;
	bool reset;				/* went backwards: delta is the new total */
	const struct igd_xstat_info *info;	/* NULL for a counter this build lacks */
};

/* Parses the text of the file.  Always succeeds for any input (0); @snap->n may be 0. */
int igd_xstat_parse(struct igd_xstat_snap *snap, const char *text, size_t len);
/* Reads @path (NULL: IGD_XSTAT_PATH).  0, or -errno: -ENOENT when the file is absent (a
 * kernel without CONFIG_XFRM_STATISTICS), -EACCES... */
int igd_xstat_read(struct igd_xstat_snap *snap, const char *path);
/* The counter named @name, or NULL. */
const struct igd_xstat_counter *igd_xstat_find(const struct igd_xstat_snap *snap,
					       const char *name);
/* The counters of @cur that grew since @old (absent from @old counts as 0).  Writes at
 * most @max of them to @out in @cur's order and returns how many grew (may exceed @max). */
unsigned int igd_xstat_diff(const struct igd_xstat_snap *old, const struct igd_xstat_snap *cur,
			    struct igd_xstat_delta *out, unsigned int max);

/* The explanation of counter @name, or NULL when this build does not know it. */
const struct igd_xstat_info *igd_xstat_info(const char *name);
/* The table, in the kernel's order: @i from 0 until NULL. */
const struct igd_xstat_info *igd_xstat_info_at(unsigned int i);

/* One JSON line (no newline) for a delta:
 * {"ts":@ts,"event":"xfrm_stat","counter":..,"delta":..,"total":..,"dir":..,
 *  "meaning":..,"cause":..,"reason":..|null}; "reset":true when the counter went back.
 * Unknown counters get a generic meaning and null dir/cause/reason.
 * Returns the length, or -ENOSPC when @size is too small. */
int igd_xstat_json_delta(char *buf, size_t size, const char *ts,
			 const struct igd_xstat_delta *d);
#endif
