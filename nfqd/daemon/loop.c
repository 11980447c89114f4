#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "loop.h"
#include "util/clock.h"

#define IGD_LOOP_MAX_SIGS 8

struct igd_loop_fd {
	int fd;
	igd_loop_fd_cb cb;
	void *arg;
};

struct igd_loop_sig {
	int signo;
	igd_loop_sig_cb cb;
	void *arg;
};

struct igd_loop {
	struct pollfd pfd[IGD_LOOP_MAX_FDS + 1];
	struct igd_loop_fd fds[IGD_LOOP_MAX_FDS];
	unsigned int nfds;
	struct igd_loop_sig sigs[IGD_LOOP_MAX_SIGS];
	unsigned int nsigs;
	unsigned int tick_ms;
	igd_loop_tick_cb tick_cb;
	void *tick_arg;
	igd_loop_tick_cb after_cb;
	void *after_arg;
	uint64_t progress;
	bool stop;
};

/* The self-pipe is process-wide by nature: a signal handler has no context. */
static int loop_sigpipe[2] = { -1, -1 };

static void loop_sig_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;

	if (write(loop_sigpipe[1], &b, 1) < 0) {
		/* pipe full: signals of this kind are already pending */
	}
	errno = saved;
}

static int loop_fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? -errno : 0;
}

struct igd_loop *igd_loop_new(void)
{
	struct igd_loop *l;

	if (loop_sigpipe[0] < 0) {
		if (pipe(loop_sigpipe) < 0)
			return NULL;
		if (loop_fd_nonblock(loop_sigpipe[0]) || loop_fd_nonblock(loop_sigpipe[1]))
			return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->pfd[0].fd = loop_sigpipe[0];
	l->pfd[0].events = POLLIN;
	signal(SIGPIPE, SIG_IGN);
	return l;
}

struct igd_loop *igd_loop_new_nosig(void)
{
	struct igd_loop *l = calloc(1, sizeof(*l));

	if (l)
		l->pfd[0].fd = -1;	/* poll() skips it */
	return l;
}

void igd_loop_set_after(struct igd_loop *l, igd_loop_tick_cb cb, void *arg)
{
	l->after_cb = cb;
	l->after_arg = arg;
}

void igd_loop_free(struct igd_loop *l)
{
	unsigned int i;

	if (!l)
		return;
	for (i = 0; i < l->nsigs; i++)
		signal(l->sigs[i].signo, SIG_DFL);
	free(l);
}

int igd_loop_add_fd(struct igd_loop *l, int fd, igd_loop_fd_cb cb, void *arg)
{
	unsigned int i;
	int err;

	for (i = 0; i < l->nfds && l->fds[i].fd >= 0; i++)
		;		/* a slot given back by igd_loop_del_fd, else a new one */
	if (i >= IGD_LOOP_MAX_FDS)
		return -ENOSPC;
	err = loop_fd_nonblock(fd);
	if (err)
		return err;
	l->fds[i] = (struct igd_loop_fd){ .fd = fd, .cb = cb, .arg = arg };
	l->pfd[i + 1] = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (i == l->nfds)
		l->nfds++;
	return 0;
}

void igd_loop_del_fd(struct igd_loop *l, int fd)
{
	unsigned int i;

	for (i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd) {
			/* poll skips a negative fd; the slot is taken again by an add */
			l->fds[i].fd = -1;
			l->pfd[i + 1].fd = -1;
			l->pfd[i + 1].revents = 0;
		}
}

int igd_loop_add_signal(struct igd_loop *l, int signo, igd_loop_sig_cb cb, void *arg)
{
	struct sigaction sa;

	if (l->nsigs >= IGD_LOOP_MAX_SIGS)
		return -ENOSPC;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop_sig_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, &sa, NULL) < 0)
		return -errno;
	l->sigs[l->nsigs++] = (struct igd_loop_sig){ .signo = signo, .cb = cb, .arg = arg };
	return 0;
}

void igd_loop_set_tick(struct igd_loop *l, unsigned int tick_ms, igd_loop_tick_cb cb,
		       void *arg)
{
	l->tick_ms = tick_ms;
	l->tick_cb = cb;
	l->tick_arg = arg;
}

void igd_loop_stop(struct igd_loop *l)
{
	l->stop = true;
}

uint64_t igd_loop_progress(const struct igd_loop *l)
{
	return l->progress;
}

static void loop_drain_signals(struct igd_loop *l)
{
	unsigned char buf[64];
	ssize_t n, i;
	unsigned int j;

	while ((n = read(loop_sigpipe[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			for (j = 0; j < l->nsigs; j++)
				if (l->sigs[j].signo == buf[i])
					l->sigs[j].cb(buf[i], l->sigs[j].arg);
	}
}

static int loop_dispatch(struct igd_loop *l)
{
	unsigned int i;
	int err;

	if (l->pfd[0].revents)
		loop_drain_signals(l);
	for (i = 0; i < l->nfds && !l->stop; i++) {
		if (l->fds[i].fd < 0 || !(l->pfd[i + 1].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		err = l->fds[i].cb(l->fds[i].fd, l->fds[i].arg);
		if (err)
			return err;
	}
	return 0;
}

int igd_loop_run(struct igd_loop *l)
{
	uint64_t next_tick = igd_now_ms() + l->tick_ms, now;
	int n, timeout, err;

	l->stop = false;
	while (!l->stop) {
		timeout = -1;
		if (l->tick_cb) {
			now = igd_now_ms();
			timeout = next_tick > now ? (int)(next_tick - now) : 0;
		}
		n = poll(l->pfd, l->nfds + 1, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			err = loop_dispatch(l);
			if (err)
				return err;
			l->progress++;
		}
		if (l->tick_cb && igd_now_ms() >= next_tick) {
			l->tick_cb(l->tick_arg);
			next_tick = igd_now_ms() + l->tick_ms;
		} else if (n <= 0) {
			continue;
		}
		if (l->after_cb)
			l->after_cb(l->after_arg);
	}
	return 0;
}
