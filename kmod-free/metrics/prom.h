/* The Prometheus text exposition format (version 0.0.4), written into a caller's
 * buffer: each family's # HELP and # TYPE, then its samples with labels.  Label values
 * and help texts are escaped (backslash, double quote, newline), so no value can break
 * a line or forge a series.  Names are the caller's constants and must already be
 * valid ([a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total).  Nothing is allocated. */
#ifndef IGD_PROM_H
#define IGD_PROM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct igd_prom {
	char *buf;
	size_t size, len;
	bool overflow;
	char family[96];	/* the family being written */
};

void igd_prom_init(struct igd_prom *p, char *buf, size_t size);
/* Starts a family: @type "counter" or "gauge". */
void igd_prom_family(struct igd_prom *p, const char *name, const char *type, const char *help);
/* One sample of the current family; labels as name, value pairs ending in NULL. */
void igd_prom_sample(struct igd_prom *p, double value, ...);
/* The same with the sample's value an exact integer. */
void igd_prom_sample_u64(struct igd_prom *p, uint64_t value, ...);
/* Whether everything fit. */
bool igd_prom_ok(const struct igd_prom *p);
#endif
