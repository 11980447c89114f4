/* Runs a program and captures its standard output: no shell, standard input and
 * error on /dev/null, a bounded wait (the child is killed after @timeout_ms), at most
 * @len - 1 bytes kept (the rest read and dropped).  Thread-safe (posix_spawn). */
#ifndef IGD_RUN_H
#define IGD_RUN_H
#include <stdbool.h>
#include <stddef.h>

/* The bytes captured (NUL-terminated in @buf), or -errno: -ENOENT when the program is
 * not there, -ETIMEDOUT when it was killed, -ECHILD when it exited non-zero. */
int igd_run_capture(char *const argv[], int timeout_ms, char *buf, size_t len);
/* The first of /usr/sbin, /sbin, /usr/bin, /bin, /usr/local/sbin holding an
 * executable @name, into @path; false when none. */
bool igd_run_find(const char *name, char *path, size_t len);
#endif
