#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/num.h"

int igd_num_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int igd_num_range(const char *s, uint32_t min, uint32_t max, uint32_t *lo, uint32_t *hi)
{
	char a[32];
	const char *sep = strpbrk(s, "-:");
	size_t n;
	int err;

	if (!sep)
		return (err = igd_num_u32(s, min, max, lo)) ? err : (*hi = *lo, 0);
	n = (size_t)(sep - s);
	if (n == 0 || n >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, n);
	a[n] = '\0';
	err = igd_num_u32(a, min, max, lo);
	if (!err)
		err = igd_num_u32(sep + 1, min, max, hi);
	if (!err && *hi < *lo)
		err = -ERANGE;
	return err;
}
