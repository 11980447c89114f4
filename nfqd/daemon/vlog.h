/* Where verdict lines go: standard output, an appended file (reopened on SIGHUP) or
 * syslog.  Lines are buffered and written whole at the end of each burst, so a line
 * is never split between writes. */
#ifndef IGD_VLOG_H
#define IGD_VLOG_H
#include <stddef.h>

struct igd_vlog;

/* @dest: "-", "syslog" or a path.  Returns -errno with a message in @err. */
int igd_vlog_open(struct igd_vlog **l, const char *dest, char *err, size_t errlen);
/* Appends one line (without its newline). */
void igd_vlog_line(struct igd_vlog *l, const char *line, size_t len);
void igd_vlog_flush(struct igd_vlog *l);
/* Reopens a file destination; a no-op for the others.  Returns 0 or -errno. */
int igd_vlog_reopen(struct igd_vlog *l);
/* Lets a later reopen create the file as @uid/@gid (after privileges are dropped). */
int igd_vlog_chown(struct igd_vlog *l, unsigned int uid, unsigned int gid);
unsigned long long igd_vlog_write_errors(const struct igd_vlog *l);
void igd_vlog_close(struct igd_vlog *l);
#endif
