/* Running a program for its output; see run.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "util/clock.h"
#include "util/run.h"

bool igd_run_find(const char *name, char *path, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin",
					    "/usr/local/sbin", NULL };
	unsigned int i;

	for (i = 0; dirs[i]; i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

int igd_run_capture(char *const argv[], int timeout_ms, char *buf, size_t len)
{
	static char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				      (char *)"LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	uint64_t deadline = igd_now_ms() + (uint64_t)timeout_ms;
	size_t got = 0;
	int fds[2], st = 0, e;
	bool killed = false;
	pid_t pid;

	if (len)
		buf[0] = '\0';
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* the child starts with default dispositions (the daemon ignores SIGPIPE) and
	 * nothing blocked */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	e = posix_spawn(&pid, argv[0], &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e) {
		close(fds[0]);
		return -e;
	}
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		uint64_t now = igd_now_ms();
		char tmp[4096];
		ssize_t n;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
		if (!p.revents)
			continue;
		n = read(fds[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got + 1 < len) {
			size_t k = (size_t)n < len - 1 - got ? (size_t)n : len - 1 - got;

			memcpy(buf + got, tmp, k);
			got += k;
			buf[got] = '\0';
		}
	}
	close(fds[0]);
	/* a child that closed its output may still hang: the same deadline */
	for (;;) {
		pid_t w = waitpid(pid, &st, killed ? 0 : WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w == 0 && igd_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			killed = true;
		} else if (w == 0) {
			struct timespec t = { .tv_nsec = 10 * 1000 * 1000 };

			nanosleep(&t, NULL);
		}
	}
	if (killed)
		return -ETIMEDOUT;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return -ECHILD;
	return (int)got;
}
