/* The control socket.  See control.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "control.h"
#include "daemon.h"
#include "remembered.h"
#include "guard/table_hold.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/num.h"

#define CONTROL_WAIT_MS		2000
#define CONTROL_SNDBUF		(4 << 20)

static void control_drop(struct igd_daemon *d, struct igd_control_client *c)
{
	igd_loop_del_fd(d->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* One JSON line to the client (non-blocking: what does not fit is cut). */
static bool control_send(struct igd_control_client *c, struct igd_json *j)
{
	const char *s = igd_json_finish(j);
	size_t len = igd_json_len(j);

	if (!s)
		return false;
	return send(c->fd, s, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len &&
	       send(c->fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1;
}

static void control_error(struct igd_daemon *d, struct igd_control_client *c, const char *what)
{
	struct igd_json j;

	igd_json_init(&j, d->line, sizeof(d->line));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "error", what);
	igd_json_obj_close(&j);
	control_send(c, &j);
}

static void control_remembered(struct igd_daemon *d, struct igd_control_client *c)
{
	struct igd_json j;
	size_t i;

	for (i = 0; i < d->memory.n; i++) {
		igd_json_init(&j, d->line, sizeof(d->line));
		igd_memory_json(&j, NULL, &d->memory.v[i], d->memory.hold_s);
		if (!control_send(c, &j))
			return;
	}
}

static void control_forget(struct igd_daemon *d, struct igd_control_client *c, const char *arg)
{
	struct igd_json j;
	int n = igd_remembered_forget(d, arg);

	if (n < 0) {
		control_error(d, c, "forget: expected a prefix (ADDRESS[/LENGTH]) or all");
		return;
	}
	igd_json_init(&j, d->line, sizeof(d->line));
	igd_json_obj_open(&j, NULL);
	igd_json_uint(&j, "forgotten", (uint64_t)n);
	igd_json_obj_close(&j);
	control_send(c, &j);
}

/* Fix mode's exemptions in the daemon's own chain, one a line, as the CLI's fixes
 * list writes the others: {"sp":N,"family":4,"src":...,"dst":...[,"proto",...]}. */
static void control_fixes(struct igd_daemon *d, struct igd_control_client *c)
{
	size_t i, n = d->fixes.worker ? igd_fixes_exemptions(&d->fixes, d->exempt,
							      IGD_MAX_FIXES) : 0;
	char pb[IGD_ADDRSTRLEN + 8];
	struct igd_json j;

	for (i = 0; i < n; i++) {
		const struct igd_sel *s = &d->exempt[i].sel;

		igd_json_init(&j, d->line, sizeof(d->line));
		igd_json_obj_open(&j, NULL);
		igd_json_uint(&j, "sp", d->exempt[i].sp_index);
		igd_json_uint(&j, "family", s->family);
		igd_json_str(&j, "src", igd_prefix_str(s->family, &s->saddr, s->plen_s, pb,
						       sizeof(pb)));
		igd_json_str(&j, "dst", igd_prefix_str(s->family, &s->daddr, s->plen_d, pb,
						       sizeof(pb)));
		if (s->proto)
			igd_json_uint(&j, "proto", s->proto);
		if (s->sport_mask)
			igd_json_uint(&j, "sport", s->sport);
		if (s->dport_mask)
			igd_json_uint(&j, "dport", s->dport);
		igd_json_obj_close(&j);
		if (!control_send(c, &j))
			return;
	}
}

static void control_revert(struct igd_daemon *d, struct igd_control_client *c, const char *arg)
{
	struct igd_json j;
	uint32_t sp;
	int n;

	if (arg && igd_num_u32(arg, 0, UINT32_MAX, &sp)) {
		control_error(d, c, "revert: expected an SP index");
		return;
	}
	n = d->fixes.worker ? igd_fixes_revert(&d->fixes, arg ? &sp : NULL) : 0;
	if (n < 0) {
		control_error(d, c, "revert: the exempt chain could not be rewritten");
		return;
	}
	igd_json_init(&j, d->line, sizeof(d->line));
	igd_json_obj_open(&j, NULL);
	igd_json_uint(&j, "reverted", (uint64_t)n);
	igd_json_obj_close(&j);
	control_send(c, &j);
}

static void control_status(struct igd_daemon *d, struct igd_control_client *c)
{
	struct igd_json j;
	size_t i, gone = 0;

	for (i = 0; i < d->memory.n; i++)
		gone += !d->memory.v[i].live;
	igd_json_init(&j, d->line, sizeof(d->line));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "mode", igd_mode_name(d->opts.mode));
	igd_json_str(&j, "table", d->opts.table);
	igd_json_str(&j, "hold", igd_hold_name((enum igd_hold)d->hold));
	igd_json_bool(&j, "backstop", d->guard.backstop);
	igd_json_uint(&j, "verdict_gen", d->judge.guard.gen);
	igd_json_uint(&j, "remember_s", d->opts.remember);
	igd_json_uint(&j, "remembered", d->memory.n);
	igd_json_uint(&j, "tunnels_down", gone);
	if (d->opts.remember_from[0]) {
		const struct igd_remember_from *f = &d->mem_from;

		igd_json_obj_open(&j, "remember_from");
		igd_json_str(&j, "file", d->opts.remember_from);
		igd_json_bool(&j, "present", f->present);
		igd_json_uint(&j, "reads", f->reads);
		igd_json_uint(&j, "failures", f->failures);
		igd_json_uint(&j, "entries", f->entries);
		igd_json_uint(&j, "added", f->added);
		igd_json_uint(&j, "bad_lines", f->bad_lines);
		igd_json_obj_close(&j);
	}
	igd_json_uint(&j, "tables_restored", d->tables.restored);
	igd_json_obj_close(&j);
	control_send(c, &j);
}

static void control_request(struct igd_daemon *d, struct igd_control_client *c, char *line)
{
	d->control.requests++;
	if (!strcmp(line, "remembered"))
		control_remembered(d, c);
	else if (!strncmp(line, "forget ", 7))
		control_forget(d, c, line + 7);
	else if (!strcmp(line, "status"))
		control_status(d, c);
	else if (!strcmp(line, "fixes"))
		control_fixes(d, c);
	else if (!strcmp(line, "revert") || !strncmp(line, "revert ", 7))
		control_revert(d, c, line[6] ? line + 7 : NULL);
	else
		control_error(d, c, "unknown request: expected remembered, forget PREFIX|all, "
			      "fixes, revert [SP] or status");
}

static int control_on_client(int fd, void *arg)
{
	struct igd_daemon *d = arg;
	struct igd_control_client *c = NULL;
	char *nl;
	ssize_t n;
	int i;

	for (i = 0; i < IGD_CONTROL_CLIENTS; i++)
		if (d->control.c[i].fd == fd)
			c = &d->control.c[i];
	if (!c)
		return 0;
	n = recv(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		control_drop(d, c);
		return 0;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	nl = memchr(c->buf, '\n', c->len);
	if (!nl && c->len < sizeof(c->buf) - 1)
		return 0;		/* the rest of the line comes later */
	if (!nl || memchr(c->buf, '\0', (size_t)(nl - c->buf))) {
		control_error(d, c, "a request is one line of text");
		control_drop(d, c);
		return 0;
	}
	*nl = '\0';
	control_request(d, c, c->buf);
	control_drop(d, c);
	return 0;
}

static int control_on_listen(int fd, void *arg)
{
	struct igd_daemon *d = arg;
	int cfd, i, sz = CONTROL_SNDBUF;

	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		for (i = 0; i < IGD_CONTROL_CLIENTS && d->control.c[i].fd >= 0; i++)
			;
		if (i == IGD_CONTROL_CLIENTS ||
		    igd_loop_add_fd(d->loop, cfd, control_on_client, d)) {
			d->control.refused++;
			close(cfd);
			continue;
		}
		if (setsockopt(cfd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		d->control.c[i].fd = cfd;
		d->control.c[i].len = 0;
		d->control.c[i].deadline_ms = igd_now_ms() + CONTROL_WAIT_MS;
	}
	return 0;
}

/* The socket's directory, made when missing (0755: the socket itself is 0600). */
static int control_dir(const char *path, bool chown_it, uid_t uid, gid_t gid)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0) {
		if (errno != EEXIST)
			return -errno;
		return 0;
	}
	return chown_it && chown(dir, uid, gid) < 0 ? -errno : 0;
}

int igd_control_open(struct igd_daemon *d, bool chown_it, uid_t uid, gid_t gid,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct igd_control *ctl = &d->control;
	mode_t old;
	int i, e;

	ctl->fd = -1;
	for (i = 0; i < IGD_CONTROL_CLIENTS; i++)
		ctl->c[i].fd = -1;
	if (d->opts.no_hooks)
		return 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->opts.control);
	e = control_dir(d->opts.control, chown_it, uid, gid);
	if (e) {
		snprintf(err, errlen, "control socket %s: directory: %s", d->opts.control,
			 strerror(-e));
		return e;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->fd < 0)
		goto fail;
	unlink(sa.sun_path);	/* one left by a daemon that was killed */
	old = umask(0177);
	e = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (e < 0 || (chown_it && chown(sa.sun_path, uid, gid) < 0) || listen(ctl->fd, 8) < 0)
		goto fail;
	e = igd_loop_add_fd(d->loop, ctl->fd, control_on_listen, d);
	if (e) {
		errno = -e;
		goto fail;
	}
	ctl->open = true;
	return 0;
fail:
	e = -errno;
	snprintf(err, errlen, "control socket %s: %s", d->opts.control, strerror(errno));
	if (ctl->fd >= 0)
		close(ctl->fd);
	ctl->fd = -1;
	return e;
}

void igd_control_tick(struct igd_daemon *d)
{
	uint64_t now = igd_now_ms();
	int i;

	if (!d->control.open)
		return;
	for (i = 0; i < IGD_CONTROL_CLIENTS; i++)
		if (d->control.c[i].fd >= 0 && now >= d->control.c[i].deadline_ms)
			control_drop(d, &d->control.c[i]);
}

void igd_control_close(struct igd_daemon *d)
{
	int i;

	if (!d->control.open)
		return;
	d->control.open = false;
	for (i = 0; i < IGD_CONTROL_CLIENTS; i++)
		if (d->control.c[i].fd >= 0)
			control_drop(d, &d->control.c[i]);
	close(d->control.fd);
	d->control.fd = -1;
	unlink(d->opts.control);
}
