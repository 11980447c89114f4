/* NAT exemptions on hosts that run iptables-legacy: the kernel's x_tables have no
 * netlink interface and their blob format belongs to libiptc, so this side drives the
 * iptables-legacy / ip6tables-legacy binaries (found by absolute path, run without a
 * shell).  A family is touched only when its legacy nat table already exists in this
 * network namespace (/proc/net/ip{,6}_tables_names), so listing never instantiates it.
 * See natfix.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/netfilter.h>

#include "natfix_int.h"
#include "natfix_legacy_line.h"
#include "util/clock.h"
#include "util/proto.h"

#define LEGACY_OUT_MAX		(16 * 1024 * 1024)
#define LEGACY_ERR_MAX		512
#define LEGACY_LOCK_WAIT	"5"	/* seconds iptables waits for the xtables lock */
#define LEGACY_CHILD_MS		10000	/* then the child is killed */

static const char *const legacy_dirs[] = {
	"/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", NULL,
};

struct legacy_out {
	char *buf;			/* stdout, NUL-terminated */
	size_t len, cap;
	char err[LEGACY_ERR_MAX];	/* the first bytes of stderr */
	size_t errlen;
};

static void legacy_out_free(struct legacy_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

static const char *legacy_bin_name(int family)
{
	return family == 6 ? "ip6tables-legacy" : "iptables-legacy";
}

static int legacy_bin_find(int family, char *path, size_t len)
{
	unsigned int i;

	for (i = 0; legacy_dirs[i]; i++) {
		snprintf(path, len, "%s/%s", legacy_dirs[i], legacy_bin_name(family));
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Whether the legacy nat table of @family exists in this namespace. */
bool natfix_legacy_table_exists(int family, const char *table)
{
	const char *p = family == 6 ? "/proc/net/ip6_tables_names" :
				      "/proc/net/ip_tables_names";
	char line[64];
	bool found = false;
	FILE *f = fopen(p, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = !strcmp(line, table);
	}
	fclose(f);
	return found;
}

bool natfix_legacy_nat_exists(int family)
{
	return natfix_legacy_table_exists(family, "nat");
}

static int legacy_out_put(struct legacy_out *o, const char *data, size_t n)
{
	char *nb;
	size_t cap;

	if (o->len + n + 1 > o->cap) {
		cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n + 1)
			cap *= 2;
		if (cap > LEGACY_OUT_MAX)
			return -EFBIG;
		nb = realloc(o->buf, cap);
		if (!nb)
			return -ENOMEM;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static void legacy_err_put(struct legacy_out *o, const char *data, size_t n)
{
	size_t room = sizeof(o->err) - 1 - o->errlen;

	if (n > room)
		n = room;
	memcpy(o->err + o->errlen, data, n);
	o->errlen += n;
	o->err[o->errlen] = '\0';
}

/* Reads both pipes until both are closed, or -ETIMEDOUT after LEGACY_CHILD_MS. */
static int legacy_collect(int fdout, int fderr, struct legacy_out *o)
{
	struct pollfd p[2] = { { fdout, POLLIN, 0 }, { fderr, POLLIN, 0 } };
	int64_t deadline = (int64_t)igd_now_ms() + LEGACY_CHILD_MS;
	char buf[4096];
	int open = 2, ret = 0, i, r;
	ssize_t n;

	while (open > 0) {
		int64_t left = deadline - (int64_t)igd_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, 2, (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				open--;
			} else if (i == 0 && !ret) {
				ret = legacy_out_put(o, buf, (size_t)n);
			} else if (i == 1) {
				legacy_err_put(o, buf, (size_t)n);
			}
		}
	}
	return ret;
}

static void legacy_child(const char *path, char *const argv[], int out[2], int err[2])
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;

	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(out[1], STDOUT_FILENO);
	dup2(err[1], STDERR_FILENO);
	/* the mask and ignored signals survive exec: iptables' -w times out by SIGALRM,
	 * which a thread that blocks every signal would pass on blocked */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	_exit(127);
}

/* Runs @path with @argv; returns its exit status (0..255) or -errno. */
static int legacy_run(const char *path, char *const argv[], struct legacy_out *o)
{
	int out[2], err[2], status, ret;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		ret = -errno;
		close(out[0]);
		close(out[1]);
		return ret;
	}
	pid = fork();
	if (pid == 0)
		legacy_child(path, argv, out, err);
	close(out[1]);
	close(err[1]);
	ret = pid < 0 ? -errno : legacy_collect(out[0], err[0], o);
	close(out[0]);
	close(err[0]);
	if (pid < 0)
		return ret;
	if (ret == -ETIMEDOUT)
		kill(pid, SIGKILL);	/* a tool that hangs does not hang the fixer */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (ret < 0)
		return ret;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs "<bin> -w 5 -t nat <args...>"; 0, or -errno with the tool's stderr in @err. */
static int legacy_exec_table(int family, const char *table, const char *const args[],
			     unsigned int nargs, struct legacy_out *o, char *err, size_t errlen)
{
	char path[128];
	char *argv[NATFIX_LEGACY_ARGV_MAX];
	unsigned int n = 0, i;
	int ret;

	if (legacy_bin_find(family, path, sizeof(path)) < 0) {
		if (errlen)
			snprintf(err, errlen, "natfix: %s not found", legacy_bin_name(family));
		return -ENOENT;
	}
	if (nargs + 6 > NATFIX_LEGACY_ARGV_MAX)
		return -E2BIG;
	argv[n++] = path;
	argv[n++] = (char *)"-w";	/* wait for the xtables lock, not for ever */
	argv[n++] = (char *)LEGACY_LOCK_WAIT;
	argv[n++] = (char *)"-t";
	argv[n++] = (char *)table;
	for (i = 0; i < nargs; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	ret = legacy_run(path, argv, o);
	if (ret == 0)
		return 0;
	if (errlen)
		snprintf(err, errlen, "natfix: %s %s %s: %s", path, args[0],
			 nargs > 1 ? args[1] : "",
			 ret < 0 ? strerror(-ret) : o->errlen ? o->err : "failed");
	if (ret > 0) {
		size_t l = errlen ? strlen(err) : 0;

		while (l && isspace((unsigned char)err[l - 1]))
			err[--l] = '\0';
	}
	/* iptables' word for a chain (or target) that does not exist */
	if (ret > 0 && o->errlen && strstr(o->err, "No chain/target/match by that name"))
		return -ENOENT;
	return ret < 0 ? ret : -EIO;
}

static int legacy_exec(int family, const char *const args[], unsigned int nargs,
		       struct legacy_out *o, char *err, size_t errlen)
{
	return legacy_exec_table(family, "nat", args, nargs, o, err, errlen);
}

int natfix_legacy_walk_chain(int family, const char *table, const char *chain,
			     natfix_legacy_line_fn fn, void *data, unsigned int *nrules,
			     bool *policy_drop, char *err, size_t errlen)
{
	const char *const args[] = { "-S", chain };
	struct legacy_out o = { 0 };
	struct natfix_legacy_line *l = malloc(sizeof(*l));
	unsigned int num = 0;
	char *line, *save = NULL;
	int ret;

	if (!l)
		return -ENOMEM;
	if (policy_drop)
		*policy_drop = false;
	ret = legacy_exec_table(family, table, args, 2, &o, err, errlen);
	for (line = ret ? NULL : strtok_r(o.buf, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "-P ", 3) && policy_drop) {	/* "-P INPUT DROP" */
			const char *v = strrchr(line, ' ');

			*policy_drop = v && !strcmp(v + 1, "DROP");
			continue;
		}
		if (strncmp(line, "-A ", 3))
			continue;
		num++;
		if (natfix_legacy_split(line, l) < 0)
			continue;	/* longer than any of ours */
		ret = fn(l, num, data);
	}
	legacy_out_free(&o);
	free(l);
	if (nrules)
		*nrules = num;
	return ret;
}

int natfix_legacy_walk(int family, natfix_legacy_line_fn fn, void *data, unsigned int *nrules,
		       char *err, size_t errlen)
{
	return natfix_legacy_walk_chain(family, "nat", NATFIX_LEGACY_CHAIN, fn, data, nrules,
					NULL, err, errlen);
}

/* ---- apply ---- */

struct legacy_find {
	const struct igd_sel *sel;
	int family;
	bool found;
};

static int legacy_find_fn(const struct natfix_legacy_line *l, unsigned int num, void *data)
{
	struct legacy_find *f = data;
	struct igd_natfix_rule r;

	if (natfix_legacy_decode(l, f->family, &r) == 0 && igd_natfix_sel_equal(&r.sel, f->sel))
		f->found = true;
	return 0;
}

static int legacy_insert(const struct igd_sel *sel, uint32_t sp_index,
			 char *err, size_t errlen)
{
	struct natfix_legacy_args a;
	struct legacy_out o = { 0 };
	int ret;

	natfix_legacy_args(&a, sel, sp_index);
	ret = legacy_exec(sel->family, a.argv, a.argc, &o, err, errlen);
	legacy_out_free(&o);
	return ret;
}

static void legacy_res_fill(struct igd_natfix_rule *r, const struct igd_sel *sel,
			    uint32_t sp_index)
{
	memset(r, 0, sizeof(*r));
	r->kind = IGD_NATFIX_IPT_LEGACY;
	r->family = sel->family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	snprintf(r->table, sizeof(r->table), "nat");
	snprintf(r->chain, sizeof(r->chain), NATFIX_LEGACY_CHAIN);
	r->handle = 1;
	r->sp_index = sp_index;
	r->sel = *sel;
	igd_natfix_sel_str(sel, r->sel_str, sizeof(r->sel_str));
}

int natfix_legacy_apply(const struct igd_sel *sel, uint32_t sp_index,
			struct igd_natfix_result *res, char *err, size_t errlen)
{
	struct legacy_find f = { sel, sel->family, false };
	struct igd_natfix_rule r;
	unsigned int nrules = 0;
	int ret;

	if (!natfix_legacy_nat_exists(sel->family))
		return 0;
	ret = natfix_legacy_walk(sel->family, legacy_find_fn, &f, &nrules, err, errlen);
	if (ret < 0 || nrules == 0)
		return ret;		/* an error, or no rule: nothing to exempt from */
	if (f.found) {
		res->present++;
		return 0;
	}
	ret = legacy_insert(sel, sp_index, err, errlen);
	if (ret < 0)
		return ret;
	res->inserted++;
	legacy_res_fill(&r, sel, sp_index);
	natfix_res_add(res, &r);
	return 1;
}

/* ---- list ---- */

struct legacy_list {
	igd_natfix_cb cb;
	void *data;
	int family;
	unsigned int n;
};

static int legacy_list_fn(const struct natfix_legacy_line *l, unsigned int num, void *data)
{
	struct legacy_list *ll = data;
	struct igd_natfix_rule r;

	if (natfix_legacy_decode(l, ll->family, &r) < 0)
		return 0;
	r.handle = num;
	ll->n++;
	return ll->cb(&r, ll->data);
}

int natfix_legacy_list(igd_natfix_cb cb, void *data, char *err, size_t errlen)
{
	struct legacy_list ll = { cb, data, 4, 0 };
	unsigned int nrules;
	int ret = 0;

	for (ll.family = 4; ll.family <= 6 && !ret; ll.family += 2)
		if (natfix_legacy_nat_exists(ll.family))
			ret = natfix_legacy_walk(ll.family, legacy_list_fn, &ll, &nrules,
					  err, errlen);
	return ret ? ret : (int)ll.n;
}

/* ---- revert ---- */

/* Collected first, deleted after: deleting while walking would renumber the lines. */
struct legacy_del {
	const uint32_t *sp;
	int family;
	struct natfix_legacy_line *lines;
	unsigned int n, cap;
};

static int legacy_del_fn(const struct natfix_legacy_line *l, unsigned int num, void *data)
{
	struct legacy_del *d = data;
	struct igd_natfix_rule r;
	struct natfix_legacy_line *nl;

	if (natfix_legacy_decode(l, d->family, &r) < 0 || (d->sp && r.sp_index != *d->sp))
		return 0;
	if (d->n == d->cap) {
		unsigned int cap = d->cap ? 2 * d->cap : 4;

		nl = realloc(d->lines, cap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		d->lines = nl;
		d->cap = cap;
	}
	nl = &d->lines[d->n++];
	memcpy(nl->buf, l->buf, sizeof(nl->buf));
	for (nl->n = 0; nl->n < l->n; nl->n++)
		nl->tok[nl->n] = nl->buf + (l->tok[nl->n] - l->buf);
	return 0;
}

/* "-D POSTROUTING <the rule's own spec>": deletes that rule and no other. */
static int legacy_delete(int family, const struct natfix_legacy_line *l, char *err, size_t errlen)
{
	const char *args[NATFIX_LEGACY_ARGV_MAX];
	struct legacy_out o = { 0 };
	unsigned int i;
	int ret;

	args[0] = "-D";
	for (i = 1; i < l->n; i++)
		args[i] = l->tok[i];
	ret = legacy_exec(family, args, l->n, &o, err, errlen);
	legacy_out_free(&o);
	return ret;
}

static int legacy_revert_family(int family, const uint32_t *sp, unsigned int *count,
				char *err, size_t errlen)
{
	struct legacy_del d = { sp, family, NULL, 0, 0 };
	unsigned int i, nrules;
	int ret;

	ret = natfix_legacy_walk(family, legacy_del_fn, &d, &nrules, err, errlen);
	for (i = 0; ret >= 0 && i < d.n; i++) {
		ret = legacy_delete(family, &d.lines[i], err, errlen);
		if (ret == 0)
			(*count)++;
	}
	free(d.lines);
	return ret < 0 ? ret : 0;
}

int natfix_legacy_revert(const uint32_t *sp, unsigned int *count,
			 char *err, size_t errlen)
{
	int family, ret = 0;

	for (family = 4; family <= 6 && !ret; family += 2)
		if (natfix_legacy_nat_exists(family))
			ret = legacy_revert_family(family, sp, count, err, errlen);
	return ret;
}
