/* Shared helpers of the subcommands: parsing, printing, the daemon's control socket. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/xfrm.h>
#include <getopt.h>
#include "cli.h"
#include "util/num.h"
#include "util/proto.h"

int cli_usage_error(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", cli_prog, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

int cli_getopt_error(int opt, char **argv)
{
	return cli_usage_error(argv[optind - 1], opt == ':' ? "needs a value" :
			       "unknown option (see --help)");
}

int cli_extra_argument(const char *word)
{
	return cli_usage_error(word, "unexpected argument");
}

int cli_parse_u32(const char *what, const char *s, uint32_t max, uint32_t *out)
{
	int err = igd_num_u32(s, 0, max, out);

	if (err == -ERANGE)
		cli_usage_error(what, "'%s' out of range 0-%u", s, max);
	else if (err)
		cli_usage_error(what, "'%s' is not a number", s ? s : "");
	return err;
}

int cli_parse_proto(const char *what, const char *s, uint8_t *out)
{
	if (igd_proto_parse(s, out) == 0)
		return 0;
	cli_usage_error(what, "'%s' is not a protocol name or number 0-255", s ? s : "");
	return -EINVAL;
}

int cli_mirror_open(struct igd_xfrm_mirror **m, const struct igd_xfrm_mirror_cfg *cfg)
{
	int err = igd_xfrm_mirror_open(m, cfg);

	if (err) {
		fprintf(stderr, "%s: reading the XFRM database: %s%s\n", cli_prog,
			strerror(-err), err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return CLI_EXIT_FAIL;
	}
	return 0;
}

/* --- JSON ----------------------------------------------------------------------------- */

/* --- text, in the spirit of ip xfrm policy / state ------------------------------------- */

static void print_sel(FILE *f, const struct igd_sel *s)
{
	char pb[IGD_ADDRSTRLEN + 8], nb[8];

	fprintf(f, "src %s", igd_prefix_str(s->family, &s->saddr, s->plen_s, pb, sizeof(pb)));
	fprintf(f, " dst %s", igd_prefix_str(s->family, &s->daddr, s->plen_d, pb, sizeof(pb)));
	if (s->proto)
		fprintf(f, " proto %s", igd_proto_name(s->proto, nb, sizeof(nb)));
	if (s->sport_mask)
		fprintf(f, s->sport_mask == 0xffff ? " sport %u" : " sport %u/0x%x", s->sport,
			s->sport_mask);
	if (s->dport_mask)
		fprintf(f, s->dport_mask == 0xffff ? " dport %u" : " dport %u/0x%x", s->dport,
			s->dport_mask);
	if (s->ifindex)
		fprintf(f, " ifindex %d", s->ifindex);
	fputc('\n', f);
}

void cli_print_sp(FILE *f, const struct igd_sp *sp)
{
	char ab[IGD_ADDRSTRLEN], ab2[IGD_ADDRSTRLEN];
	unsigned int i;

	print_sel(f, &sp->sel);
	fprintf(f, "\tdir %s action %s index %u priority %u ptype %s\n", igd_dir_str(sp->dir),
		sp->action == IGD_SP_ALLOW ? "allow" : "block", sp->index, sp->priority,
		sp->type == IGD_PTYPE_SUB ? "sub" : "main");
	if (sp->mark_m || sp->if_id)
		fprintf(f, "\tmark 0x%x/0x%x if_id %u\n", sp->mark_v, sp->mark_m, sp->if_id);
	for (i = 0; i < sp->ntmpl; i++) {
		const struct igd_tmpl *t = &sp->tmpl[i];
		int fam = t->family ? t->family : 4;

		fprintf(f, "\ttmpl src %s dst %s proto %s reqid %u mode %s level %s\n",
			igd_addr_str(fam, &t->saddr, ab, sizeof(ab)),
			igd_addr_str(fam, &t->daddr, ab2, sizeof(ab2)),
			igd_xfrm_proto_str(t->proto), t->reqid, igd_xfrm_mode_str(t->mode),
			t->optional ? "use" : "required");
	}
}

static void print_alg(FILE *f, const char *what, const struct igd_sa_alg *a)
{
	if (!a->name[0])
		return;
	fprintf(f, "\t%s %s (%u bits)", what, a->name, a->key_bits);
	if (a->trunc_bits)
		fprintf(f, " icv %u bits", a->trunc_bits);
	fputc('\n', f);
}

void cli_print_sa(FILE *f, const struct igd_sa *sa)
{
	char ab[IGD_ADDRSTRLEN], ab2[IGD_ADDRSTRLEN];

	fprintf(f, "src %s dst %s\n", igd_addr_str(sa->family, &sa->saddr, ab, sizeof(ab)),
		igd_addr_str(sa->family, &sa->daddr, ab2, sizeof(ab2)));
	fprintf(f, "\tproto %s spi 0x%08x reqid %u mode %s\n", igd_xfrm_proto_str(sa->proto),
		sa->spi, sa->reqid, igd_xfrm_mode_str(sa->mode));
	if (sa->mark_m || sa->if_id)
		fprintf(f, "\tmark 0x%x/0x%x if_id %u\n", sa->mark_v, sa->mark_m, sa->if_id);
	print_alg(f, "aead", &sa->aead);
	print_alg(f, "enc", &sa->crypt);
	print_alg(f, "auth", &sa->auth);
	print_alg(f, "comp", &sa->comp);
	if (sa->encap_type)
		fprintf(f, "\tencap type %u sport %u dport %u\n", sa->encap_type,
			sa->encap_sport, sa->encap_dport);
	if (sa->overhead_known)
		fprintf(f, "\toverhead iv %u icv %u block %u\n", sa->iv_len, sa->icv_len,
			sa->block);
	fprintf(f, "\tcurrent %llu bytes %llu packets\n", (unsigned long long)sa->cur.bytes,
		(unsigned long long)sa->cur.packets);
}

#define CLI_CONTROL_TIMEOUT_MS	5000

/* Sends @req and reads the whole answer into @buf.  0 or -errno. */
int cli_control_ask(const char *path, const char *req, char *buf, size_t len, size_t *got)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	ssize_t n;
	int fd, e = 0;

	*got = 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		e = -errno;
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (*got + 1 < len) {
		if (poll(&pfd, 1, CLI_CONTROL_TIMEOUT_MS) <= 0) {
			e = -ETIMEDOUT;
			break;
		}
		n = read(fd, buf + *got, len - 1 - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -errno : 0;
			break;
		}
		*got += (size_t)n;
	}
out:
	buf[*got] = '\0';
	close(fd);
	return e;
}

/* The value of "key": in one JSON line, as text (strings without their quotes). */
const char *cli_json_field(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *end;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	if (*p == '"') {
		end = strchr(++p, '"');
	} else {
		end = p + strcspn(p, ",}");
	}
	if (!end)
		return NULL;
	n = (size_t)(end - p) < len - 1 ? (size_t)(end - p) : len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

