#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "log_dest.h"

#define LOGDEST_BUF_SIZE (256 * 1024)

enum logdest_kind { LOGDEST_FD, LOGDEST_FILE, LOGDEST_SYSLOG };

struct igd_logdest {
	enum logdest_kind kind;
	int fd;
	char path[4096];
	char *buf;
	size_t len;
	unsigned long long write_errors;
};

static int logdest_open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

int igd_logdest_open(struct igd_logdest **lp, const char *dest, char *err, size_t errlen)
{
	struct igd_logdest *l = calloc(1, sizeof(*l));

	*lp = NULL;
	if (!l || !(l->buf = malloc(LOGDEST_BUF_SIZE))) {
		free(l);
		snprintf(err, errlen, "log: out of memory");
		return -ENOMEM;
	}
	if (strcmp(dest, "-") == 0) {
		l->kind = LOGDEST_FD;
		l->fd = STDOUT_FILENO;
	} else if (strcmp(dest, "syslog") == 0) {
		l->kind = LOGDEST_SYSLOG;
		l->fd = -1;
		openlog("ipsecguardd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	} else {
		l->kind = LOGDEST_FILE;
		snprintf(l->path, sizeof(l->path), "%s", dest);
		l->fd = logdest_open_file(dest);
		if (l->fd < 0) {
			int e = errno;

			snprintf(err, errlen, "log file %s: %s", dest, strerror(e));
			free(l->buf);
			free(l);
			return -e;
		}
	}
	*lp = l;
	return 0;
}

static void logdest_write_all(struct igd_logdest *l, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(l->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			l->write_errors++;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void igd_logdest_flush(struct igd_logdest *l)
{
	if (!l->len)
		return;
	if (l->kind != LOGDEST_SYSLOG)
		logdest_write_all(l, l->buf, l->len);
	l->len = 0;
}

void igd_logdest_line(struct igd_logdest *l, const char *line, size_t len)
{
	if (l->kind == LOGDEST_SYSLOG) {
		syslog(LOG_INFO, "%.*s", (int)len, line);
		return;
	}
	if (l->len + len + 1 > LOGDEST_BUF_SIZE)
		igd_logdest_flush(l);
	if (len + 1 > LOGDEST_BUF_SIZE) {
		l->write_errors++;
		return;
	}
	memcpy(l->buf + l->len, line, len);
	l->buf[l->len + len] = '\n';
	l->len += len + 1;
}

int igd_logdest_reopen(struct igd_logdest *l)
{
	int fd;

	igd_logdest_flush(l);
	if (l->kind != LOGDEST_FILE)
		return 0;
	fd = logdest_open_file(l->path);
	if (fd < 0)
		return -errno;	/* keep writing to the old file */
	close(l->fd);
	l->fd = fd;
	return 0;
}

int igd_logdest_chown(struct igd_logdest *l, unsigned int uid, unsigned int gid)
{
	if (l->kind != LOGDEST_FILE)
		return 0;
	return fchown(l->fd, uid, gid) < 0 ? -errno : 0;
}

unsigned long long igd_logdest_write_errors(const struct igd_logdest *l)
{
	return l->write_errors;
}

void igd_logdest_close(struct igd_logdest *l)
{
	if (!l)
		return;
	igd_logdest_flush(l);
	if (l->kind == LOGDEST_FILE)
		close(l->fd);
	else if (l->kind == LOGDEST_SYSLOG)
		closelog();
	free(l->buf);
	free(l);
}
