/* The configuration file; see config.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"

static char *config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Cuts a comment: # at the start or after a blank. */
static void config_uncomment(char *s)
{
	char *h;

	for (h = strchr(s, '#'); h; h = strchr(h + 1, '#'))
		if (h == s || h[-1] == ' ' || h[-1] == '\t') {
			*h = '\0';
			return;
		}
}

static int config_err(const char *path, unsigned int n, const char *why)
{
	char msg[IGD_OPT_PATH_MAX + 96];

	if (n)
		snprintf(msg, sizeof(msg), "%s:%u: %s", path, n, why);
	else
		snprintf(msg, sizeof(msg), "%s: %s", path, why);
	return igd_opts_report(msg);
}

int igd_config_read(struct igd_opts *o, const char *path)
{
	char where[IGD_OPT_PATH_MAX + 16], *line = NULL;
	unsigned int n = 0;
	size_t cap = 0;
	ssize_t got;
	struct stat st;
	int fd, rc = 0;
	FILE *f;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = config_err(path, 0, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	f = fdopen(fd, "r");
	if (!f) {
		rc = config_err(path, 0, strerror(errno));
		close(fd);
		return rc;
	}
	while (!rc && (got = getline(&line, &cap, f)) >= 0) {
		char *s, *eq, *name, *value;

		n++;
		if (got > IGD_CONFIG_LINE_MAX + 1) {
			rc = config_err(path, n, "line longer than 1024 bytes");
			break;
		}
		if ((size_t)got != strlen(line)) {
			rc = config_err(path, n, "a NUL byte in the line");
			break;
		}
		config_uncomment(line);
		s = config_trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			rc = config_err(path, n, "expected name = value");
			break;
		}
		*eq = '\0';
		name = config_trim(s);
		value = config_trim(eq + 1);
		if (!*name) {
			rc = config_err(path, n, "expected name = value");
			break;
		}
		snprintf(where, sizeof(where), "%s:%u", path, n);
		rc = igd_opts_set(o, name, value, where);
	}
	if (!rc && ferror(f))
		rc = config_err(path, n, strerror(errno));
	free(line);
	fclose(f);
	return rc;
}
