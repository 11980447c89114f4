/* The JSON of an SP and of an SA, one writer for the daemon's log lines and the
 * command line's answers.  BRIEF is what a log line carries (the contract of
 * ipsecguardd(8)): an SP's index, dir, priority, src, dst, proto when it has one and
 * reqid; an SA's spi, reqid, src, dst and its IKE names.  FULL adds what `ipsecguard`
 * shows (an SP's type, ports, mark, if_id, action and templates; an SA's mode,
 * algorithms, encapsulation, overhead and lifetime counters).  No key material, ever. */
#ifndef IGD_SP_JSON_H
#define IGD_SP_JSON_H
#include "util/json.h"
#include "xfrm/spd.h"
#include "xfrm/sad.h"

enum igd_json_detail { IGD_JSON_BRIEF, IGD_JSON_FULL };

void igd_json_sp(struct igd_json *j, const char *key, const struct igd_sp *sp,
		 enum igd_json_detail d);
/* @conn, @child: the IKE daemon's names of the SA, NULL or "" when unknown. */
void igd_json_sa(struct igd_json *j, const char *key, const struct igd_sa *sa,
		 const char *conn, const char *child, enum igd_json_detail d);
#endif
