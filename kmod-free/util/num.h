/* Strict number parsing for options and configs: the whole string must be a number
 * in range; no sign tricks, no trailing junk, no silent wrap. */
#ifndef IGD_NUM_H
#define IGD_NUM_H
#include <stdint.h>

/* Decimal, or hex with 0x.  Returns 0, or -EINVAL (not a number) / -ERANGE. */
int igd_num_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* "A" or "A-B" or "A:B" with min <= A <= B <= max. */
int igd_num_range(const char *s, uint32_t min, uint32_t max, uint32_t *lo, uint32_t *hi);
#endif
