/* The IKE daemon's names of the tunnels, matched to the kernel's SAs by SPI and
 * reqid: strongSwan's `swanctl --list-sas --raw` (the VICI list-sa events: IKE SA
 * name, CHILD_SA name, reqid, spi-in, spi-out) and libreswan's `ipsec whack
 * --status` (the connection name and each SA's esp./ah. SPI).  Only names, SPIs and
 * reqids are taken: the texts carry no keys, and nothing else of them is kept.
 * Parsing is pure and bounded: any text gives a table, garbage gives fewer entries. */
#ifndef IGD_IKE_NAMES_H
#define IGD_IKE_NAMES_H
#include <stddef.h>
#include <stdint.h>

#define IGD_NAMES_MAX	1024
#define IGD_NAME_LEN	64

struct igd_name_ent {
	uint32_t spi;			/* host order; 0: by reqid only */
	uint32_t reqid;			/* 0: unknown (libreswan) */
	char conn[IGD_NAME_LEN];	/* the IKE connection */
	char child[IGD_NAME_LEN];	/* strongSwan's CHILD_SA name, "" */
};

struct igd_names {
	struct igd_name_ent e[IGD_NAMES_MAX];
	unsigned int n;
};

/* Fill @out (emptied first) from the text of `swanctl --list-sas --raw`; returns the
 * number of entries. */
unsigned int igd_names_parse_swanctl(const char *text, struct igd_names *out);
/* ... from `ipsec whack --status` (libreswan). */
unsigned int igd_names_parse_whack(const char *text, struct igd_names *out);
enum igd_names_src { IGD_NAMES_AUTO, IGD_NAMES_STRONGSWAN, IGD_NAMES_LIBRESWAN, IGD_NAMES_OFF };

/* Runs the IKE daemon's status command once — swanctl --list-sas --raw [--uri @vici]
 * for strongSwan, ipsec whack --status for libreswan, auto: swanctl when installed,
 * else ipsec — with a bounded wait, and parses it into @out.  The number of entries,
 * or -errno (-ENOENT: no such program). */
int igd_names_fetch(int src, const char *vici, struct igd_names *out);
/* "auto", "strongswan", "libreswan", "off" into @src; -EINVAL for anything else. */
int igd_names_src_parse(const char *s, int *src);

/* The entry of an SA: by SPI first, else by reqid; NULL when none. */
const struct igd_name_ent *igd_names_find(const struct igd_names *n, uint32_t spi,
					  uint32_t reqid);
#endif
