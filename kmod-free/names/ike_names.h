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
/* The entry of an SA: by SPI first, else by reqid; NULL when none. */
const struct igd_name_ent *igd_names_find(const struct igd_names *n, uint32_t spi,
					  uint32_t reqid);
#endif
