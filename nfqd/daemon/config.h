/* ipsecguardd.conf: the daemon's long options, one `name = value` a line.
 *
 *   # comments start with # (at the start of a line or after blanks)
 *   mode = enforce
 *   protect = 192.168.0.0/16
 *   protect = fd00:168::/64          (list options repeat)
 *   fail-closed = yes                (options without a value: yes or no)
 *
 * Blanks around the name and the value are ignored; a value runs to the end of the
 * line.  The file must be a regular file; a line longer than IGD_CONFIG_LINE_MAX, an
 * unknown name or a bad value is an error naming the file and line. */
#ifndef IGD_CONFIG_H
#define IGD_CONFIG_H
#include "opts.h"

#define IGD_CONFIG_LINE_MAX	1024

/* Applies @path over what @o holds.  0, or 2 after printing "FILE:LINE: why". */
int igd_config_read(struct igd_opts *o, const char *path);
#endif
