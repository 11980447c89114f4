/* Which tie-break the running kernel's policy lookup uses.
 *
 * Linux 6.12 gave every linked policy the next pos of one counter per namespace
 * (xfrm_gen_pos()); kernels before numbered the inexact list of each direction at every
 * insert instead.  The release string's version tells them apart.
 */
#include <stdio.h>
#include <sys/utsname.h>
#include "xfrm/spd.h"

enum igd_spd_order igd_spd_order_of_release(const char *release)
{
	unsigned int major, minor;

	if (!release || sscanf(release, "%u.%u", &major, &minor) != 2)
		return IGD_SPD_ORDER_INSERT;
	if (major < 6 || (major == 6 && minor < 12))
		return IGD_SPD_ORDER_LIST;
	return IGD_SPD_ORDER_INSERT;
}

enum igd_spd_order igd_spd_order_running(void)
{
	static int order = -1;
	struct utsname u;

	if (order < 0)
		order = uname(&u) ? IGD_SPD_ORDER_INSERT : igd_spd_order_of_release(u.release);
	return (enum igd_spd_order)order;
}

const char *igd_spd_order_name(enum igd_spd_order order)
{
	return order == IGD_SPD_ORDER_LIST ? "list" : "insert";
}
