/* Fix mode: NAT exemptions for SPs whose traffic source NAT pushed out of the
 * tunnel, applied outside the packet path (after the burst that asked for them). */
#include <stdio.h>
#include "daemon.h"

void igd_daemon_apply_fixes(struct igd_daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->nfix_pending; i++) {
		if (d->nfix_done < IGD_MAX_FIXES)
			d->fix_done[d->nfix_done++] = d->fix_pending[i].index;
	}
	d->nfix_pending = 0;
}
