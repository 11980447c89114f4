/* Where verdict lines go: standard output, an appended file (reopened on SIGHUP) or
 * syslog.  Lines are buffered and written whole at the end of each burst, so a line
 * is never split between writes. */
#ifndef IGD_LOG_DEST_H
#define IGD_LOG_DEST_H
#include <stddef.h>

struct igd_logdest;

/* @dest: "-", "syslog" or a path.  Returns -errno with a message in @err. */
int igd_logdest_open(struct igd_logdest **l, const char *dest, char *err, size_t errlen);
/* Appends one line (without its newline). */
void igd_logdest_line(struct igd_logdest *l, const char *line, size_t len);
void igd_logdest_flush(struct igd_logdest *l);
/* Reopens a file destination; a no-op for the others.  Returns 0 or -errno. */
int igd_logdest_reopen(struct igd_logdest *l);
/* Lets a later reopen create the file as @uid/@gid (after privileges are dropped). */
int igd_logdest_chown(struct igd_logdest *l, unsigned int uid, unsigned int gid);
unsigned long long igd_logdest_write_errors(const struct igd_logdest *l);
void igd_logdest_close(struct igd_logdest *l);
#endif
