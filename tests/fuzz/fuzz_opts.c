/* libFuzzer harness for the daemon's command line (opts.c): the input, split at NUL
 * bytes, is argv after the program name.  Whatever the words, the parser answers
 * 0 (run), 1 (--help/--version) or 2 (a bad option, named on stderr), and a run
 * always gets options the daemon can use. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <unistd.h>
#include "opts.h"
#include "fuzz.h"

#define FUZZ_ARGS_MAX 64

/* The messages of millions of bad command lines are not worth reading: stderr goes
 * to /dev/null during each parse only (libFuzzer reports through it), unless
 * IGD_FUZZ_VERBOSE is set, to read the message of one input. */
static int quiet_fd = -1, stderr_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!freopen("/dev/null", "w", stdout))
		return 0;
	if (!getenv("IGD_FUZZ_VERBOSE")) {
		quiet_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		stderr_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	}
	return 0;
}

static void quiet(bool on)
{
	if (quiet_fd < 0 || stderr_fd < 0)
		return;
	fflush(stderr);
	dup2(on ? quiet_fd : stderr_fd, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096];
	char *argv[FUZZ_ARGS_MAX + 2];
	struct igd_opts o;
	size_t i, start = 0;
	int argc = 0, ret;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"ipsecguardd";
	for (i = 0; i <= size && argc <= FUZZ_ARGS_MAX; i++)
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	argv[argc] = NULL;
	optind = 0;		/* glibc: start over, forgetting the last call's state */
	quiet(true);
	ret = igd_opts_parse(&o, argc, argv);
	quiet(false);
	FUZZ_CHECK(ret == 0 || ret == 1 || ret == 2);
	if (ret)
		return 0;
	FUZZ_CHECK(o.mode == IGD_MODE_AUDIT || o.mode == IGD_MODE_ENFORCE ||
		   o.mode == IGD_MODE_FIX);
	FUZZ_CHECK(o.queue_lo <= o.queue_hi && o.queue_hi <= 65535);
	FUZZ_CHECK(o.log[0] && o.table[0] && strlen(o.table) <= 64);
	FUZZ_CHECK(o.nprotect <= IGD_MAX_PROTECT);
	for (i = 0; i < o.nprotect; i++)
		FUZZ_CHECK((o.protect[i].family == 4 && o.protect[i].plen <= 32) ||
			   (o.protect[i].family == 6 && o.protect[i].plen <= 128));
	FUZZ_CHECK(o.maxlen >= 1 && o.copy_range >= 128 && o.log_group >= 1 &&
		   o.log_group <= 65535);
	FUZZ_CHECK(o.mss_mode != IGD_MSS_FIXED || (o.mss > 0 && o.mss <= 65535));
	return 0;
}
