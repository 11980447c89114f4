/* /proc/net/xfrm_stat: parsing of real and hostile texts, deltas, the explanation
 * table, and the JSON event line. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "tap.h"
#include "xfrm/xfrm_stat.h"

/* The file as kernel 6.18 prints it: name padded with spaces, then a tab. */
static const char sample_618[] =
	"XfrmInError             \t0\n"
	"XfrmInBufferError       \t0\n"
	"XfrmInHdrError          \t0\n"
	"XfrmInNoStates          \t0\n"
	"XfrmInStateProtoError   \t0\n"
	"XfrmInStateModeError    \t0\n"
	"XfrmInStateSeqError     \t0\n"
	"XfrmInStateExpired      \t0\n"
	"XfrmInStateMismatch     \t0\n"
	"XfrmInStateInvalid      \t0\n"
	"XfrmInTmplMismatch      \t7\n"
	"XfrmInNoPols            \t0\n"
	"XfrmInPolBlock          \t0\n"
	"XfrmInPolError          \t0\n"
	"XfrmOutError            \t0\n"
	"XfrmOutBundleGenError   \t0\n"
	"XfrmOutBundleCheckError \t0\n"
	"XfrmOutNoStates         \t3\n"
	"XfrmOutStateProtoError  \t0\n"
	"XfrmOutStateModeError   \t0\n"
	"XfrmOutStateSeqError    \t0\n"
	"XfrmOutStateExpired     \t0\n"
	"XfrmOutPolBlock         \t0\n"
	"XfrmOutPolDead          \t0\n"
	"XfrmOutPolError         \t0\n"
	"XfrmFwdHdrError         \t0\n"
	"XfrmOutStateInvalid     \t0\n"
	"XfrmAcquireError        \t0\n"
	"XfrmOutStateDirError    \t0\n"
	"XfrmInStateDirError     \t0\n"
	"XfrmInIptfsError        \t0\n"
	"XfrmOutNoQueueSpace     \t0\n";

static uint64_t value_of(const struct igd_xstat_snap *s, const char *name)
{
	const struct igd_xstat_counter *c = igd_xstat_find(s, name);

	return c ? c->value : (uint64_t)-1;
}

static void test_parse_kernel(void)
{
	struct igd_xstat_snap s;
	unsigned int i, known = 0;

	is_int(igd_xstat_parse(&s, sample_618, sizeof(sample_618) - 1), 0, "6.18 text parses");
	is_int(s.n, 32, "all 32 counters");
	is_int(s.junk, 0, "no junk");
	ok(!s.truncated, "not truncated");
	is_int(value_of(&s, "XfrmInTmplMismatch"), 7, "XfrmInTmplMismatch value");
	is_int(value_of(&s, "XfrmOutNoStates"), 3, "XfrmOutNoStates value");
	is_str(s.c[0].name, "XfrmInError", "kernel order kept");
	for (i = 0; i < s.n; i++)
		known += igd_xstat_info(s.c[i].name) != NULL;
	is_int(known, 32, "every counter of 6.18 has an explanation");
}

static void test_parse_hostile(void)
{
	static const char text[] =
		"\n"
		"   XfrmInNoPols   42   \r\n"		/* leading/trailing blanks, CRLF */
		"XfrmOutNoStates\t\t\t18446744073709551615\n"	/* UINT64_MAX */
		"XfrmInError 18446744073709551616\n"		/* overflow: junk */
		"XfrmInHdrError -1\n"				/* sign: junk */
		"XfrmInBufferError 12abc\n"			/* trailing junk */
		"just words here\n"
		"XfrmInPolBlock\n"				/* no value */
		"12345\n"					/* no name */
		"XfrmFutureCounter 9\n"				/* unknown name: kept */
		"XfrmInNoPols 1\n"				/* repeat: first stands */
		"Xfrm\xff\xfe 3\n"				/* bytes outside names */
		"XfrmInStateSeqError\v5";			/* no final newline */
	struct igd_xstat_snap s;

	is_int(igd_xstat_parse(&s, text, sizeof(text) - 1), 0, "hostile text parses");
	is_int(s.n, 4, "four good lines");
	is_int(s.junk, 8, "eight junk lines counted");
	is_int(value_of(&s, "XfrmInNoPols"), 42, "blanks and CRLF tolerated; repeat ignored");
	ok(value_of(&s, "XfrmOutNoStates") == UINT64_MAX, "UINT64_MAX kept");
	is_int(value_of(&s, "XfrmFutureCounter"), 9, "unknown counter kept");
	ok(igd_xstat_info("XfrmFutureCounter") == NULL, "unknown counter has no info");
	is_int(value_of(&s, "XfrmInStateSeqError"), 5, "last line without newline");
	ok(!igd_xstat_find(&s, "XfrmInError"), "overflowing value rejected");

	is_int(igd_xstat_parse(&s, "", 0), 0, "empty text");
	is_int(s.n, 0, "no counters");
}

static void test_parse_limits(void)
{
	static char big[IGD_XSTAT_MAX * 40 + 200];
	char longname[IGD_XSTAT_NAME_MAX + 8];
	struct igd_xstat_snap s;
	size_t len = 0;
	int i;

	for (i = 0; i < IGD_XSTAT_MAX + 5; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "C%d %d\n", i, i);
	is_int(igd_xstat_parse(&s, big, len), 0, "%d counters parse", IGD_XSTAT_MAX + 5);
	is_int(s.n, IGD_XSTAT_MAX, "table holds IGD_XSTAT_MAX counters");
	ok(s.truncated, "the rest flagged as truncated");

	memset(longname, 'A', sizeof(longname));
	memcpy(longname + IGD_XSTAT_NAME_MAX, " 1\n", 3);
	is_int(igd_xstat_parse(&s, longname, IGD_XSTAT_NAME_MAX + 3), 0, "a name too long parses");
	is_int(s.n, 0, "a name too long to keep is junk");
	is_int(s.junk, 1, "and counted");
	memcpy(longname + IGD_XSTAT_NAME_MAX - 1, " 1\n", 3);
	is_int(igd_xstat_parse(&s, longname, IGD_XSTAT_NAME_MAX + 2), 0, "the longest name parses");
	is_int(s.n, 1, "the longest name that fits is kept");
}

static void test_read(void)
{
	char path[] = "/tmp/igd-xstat-XXXXXX";
	struct igd_xstat_snap s;
	int fd;

	is_int(igd_xstat_read(&s, "/nonexistent/xfrm_stat"), -ENOENT, "missing file: -ENOENT");
	fd = mkstemp(path);
	ok(fd >= 0, "temp file");
	if (fd < 0)
		return;
	ok(write(fd, sample_618, sizeof(sample_618) - 1) == (ssize_t)sizeof(sample_618) - 1,
	   "sample written");
	close(fd);
	is_int(igd_xstat_read(&s, path), 0, "file read");
	is_int(s.n, 32, "32 counters from the file");
	unlink(path);
	if (access(IGD_XSTAT_PATH, R_OK) == 0) {
		is_int(igd_xstat_read(&s, NULL), 0, "this kernel's file reads");
		ok(igd_xstat_find(&s, "XfrmOutNoStates") != NULL, "and has XfrmOutNoStates");
	}
}

static void test_diff(void)
{
	static const char ta[] = "XfrmInTmplMismatch 5\nXfrmOutNoStates 2\nXfrmInNoPols 9\n"
				 "XfrmOutPolBlock 1\n";
	static const char tb[] = "XfrmInTmplMismatch 8\nXfrmOutNoStates 2\nXfrmNew 4\n"
				 "XfrmInNoPols 3\nXfrmOutPolBlock 1\n";
	struct igd_xstat_snap a, b;
	struct igd_xstat_delta d[4];
	unsigned int n;

	is_int(igd_xstat_parse(&a, ta, sizeof(ta) - 1), 0, "old text parses");
	is_int(igd_xstat_parse(&b, tb, sizeof(tb) - 1), 0, "new text parses");
	is_int(a.n, 4, "old snapshot");
	is_int(b.n, 5, "new snapshot");
	n = igd_xstat_diff(&a, &b, d, 4);
	is_int(n, 3, "three counters changed");
	is_str(d[0].name, "XfrmInTmplMismatch", "first delta");
	is_int(d[0].delta, 3, "its delta");
	is_int(d[0].total, 8, "its total");
	ok(d[0].info && !strcmp(d[0].info->reason, "tmpl-mismatch"), "tied to tmpl-mismatch");
	is_str(d[1].name, "XfrmNew", "a counter absent before counts from 0");
	is_int(d[1].delta, 4, "its delta is its value");
	ok(d[1].info == NULL, "unknown, no info");
	is_str(d[2].name, "XfrmInNoPols", "a counter that went back");
	ok(d[2].reset && d[2].delta == 3, "is a reset: delta = new total");
	is_int(igd_xstat_diff(&a, &b, d, 1), 3, "max 1: the count is still 3");
	is_int(igd_xstat_diff(&b, &b, d, 4), 0, "no change, no delta");
}

static void test_info(void)
{
	const struct igd_xstat_info *in;
	unsigned int i;
	int bad = 0;

	for (i = 0; (in = igd_xstat_info_at(i)); i++)
		if (!in->name || !in->meaning || !in->cause || !in->dir ||
		    strncmp(in->name, "Xfrm", 4))
			bad++;
	is_int(i, 32, "32 explanations");
	is_int(bad, 0, "each with name, dir, meaning and cause");
	is_str(igd_xstat_info("XfrmInTmplMismatch")->reason, "tmpl-mismatch",
	       "XfrmInTmplMismatch: tmpl-mismatch");
	is_str(igd_xstat_info("XfrmInNoPols")->reason, "sp-miss-in", "XfrmInNoPols: sp-miss-in");
	is_str(igd_xstat_info("XfrmOutNoStates")->reason, "no-sa", "XfrmOutNoStates: no-sa");
	is_str(igd_xstat_info("XfrmOutPolBlock")->reason, "sp-miss-out",
	       "XfrmOutPolBlock: sp-miss-out");
	ok(igd_xstat_info("XfrmInStateProtoError")->reason == NULL,
	   "XfrmInStateProtoError: no verdict of its own");
	is_str(igd_xstat_info("XfrmFwdHdrError")->dir, "fwd", "XfrmFwdHdrError on the fwd path");
}

static void test_json(void)
{
	struct igd_xstat_delta d = { .name = "XfrmOutNoStates", .delta = 2, .total = 5 };
	static const char head[] =
		"{\"ts\":\"2024-01-01T00:00:00.000000Z\",\"event\":\"xfrm_stat\","
		"\"counter\":\"XfrmOutNoStates\",\"delta\":2,\"total\":5,\"dir\":\"out\","
		"\"meaning\":\"";
	char buf[1024], small[64];
	int len;

	d.info = igd_xstat_info(d.name);
	len = igd_xstat_json_delta(buf, sizeof(buf), "2024-01-01T00:00:00.000000Z", &d);
	ok(len > 0 && (size_t)len == strlen(buf), "line written, length returned");
	ok(!strncmp(buf, head, strlen(head)), "fields in order");
	ok(strstr(buf, "\"reason\":\"no-sa\"}") != NULL, "reason last");
	ok(!strchr(buf, '\n'), "one line");
	is_int(igd_xstat_json_delta(small, sizeof(small), "t", &d), -ENOSPC,
	       "small buffer: -ENOSPC");

	d.name = "XfrmSomethingNew";
	d.info = NULL;
	d.reset = true;
	len = igd_xstat_json_delta(buf, sizeof(buf), "t", &d);
	ok(len > 0, "unknown counter line");
	ok(strstr(buf, "\"reset\":true") && strstr(buf, "\"reason\":null") &&
	   strstr(buf, "\"dir\":null"), "reset flagged, nulls for what is unknown");
}

int main(void)
{
	test_parse_kernel();
	test_parse_hostile();
	test_parse_limits();
	test_read();
	test_diff();
	test_info();
	test_json();
	return tap_done();
}
