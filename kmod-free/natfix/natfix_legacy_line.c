#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "natfix_legacy_line.h"
#include <linux/netfilter.h>
#include "util/proto.h"

int natfix_legacy_split(const char *line, struct natfix_legacy_line *l)
{
	const char *p = line;
	size_t o = 0;

	l->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			return 0;
		if (l->n == NATFIX_LEGACY_ARGV_MAX - 1)
			return -E2BIG;
		l->tok[l->n++] = &l->buf[o];
		while (*p && *p != '\n' && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && p[1])
						p++;
					if (o + 2 >= sizeof(l->buf))
						return -E2BIG;
					l->buf[o++] = *p;
				}
				if (*p != '"')
					return -EINVAL;
				p++;
				continue;
			}
			if (o + 2 >= sizeof(l->buf))
				return -E2BIG;
			l->buf[o++] = *p++;
		}
		l->buf[o++] = '\0';
	}
}

int natfix_legacy_prefix(int family, const char *s, union igd_addr *a, uint8_t *plen)
{
	char buf[IGD_ADDRSTRLEN + 8], *slash, *end;
	unsigned long v;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (igd_addr_parse(buf, a) != family)
		return -EINVAL;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || v > (family == 6 ? 128u : 32u))
		return -EINVAL;
	*plen = (uint8_t)v;
	return 0;
}

/* iptables -S prints the protocol by name (its own table or the system's), or by
 * number; 0 ("all") is never part of one of our rules. */
static int legacy_parse_proto(const char *s, uint8_t *proto)
{
	return igd_proto_parse(s, proto) == 0 && *proto ? 0 : -EINVAL;
}

static int legacy_parse_port(const char *s, uint16_t *port, uint16_t *mask)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	*mask = 0xffff;
	return 0;
}

/* One option of a tagged rule with its value. */
static int legacy_decode_opt(const char *opt, const char *val, struct igd_natfix_rule *r,
			     bool *tagged, bool *ret_seen)
{
	struct igd_sel *sel = &r->sel;

	if (!strcmp(opt, "-s"))
		return natfix_legacy_prefix(sel->family, val, &sel->saddr, &sel->plen_s);
	if (!strcmp(opt, "-d"))
		return natfix_legacy_prefix(sel->family, val, &sel->daddr, &sel->plen_d);
	if (!strcmp(opt, "-p"))
		return legacy_parse_proto(val, &sel->proto);
	if (!strcmp(opt, "-m"))
		return strcmp(val, "comment") && strcmp(val, "tcp") && strcmp(val, "udp") ?
		       -EINVAL : 0;
	if (!strcmp(opt, "--sport"))
		return legacy_parse_port(val, &sel->sport, &sel->sport_mask);
	if (!strcmp(opt, "--dport"))
		return legacy_parse_port(val, &sel->dport, &sel->dport_mask);
	if (!strcmp(opt, "--comment")) {
		*tagged = igd_natfix_tag_parse(val, &r->sp_index) == 0;
		return *tagged ? 0 : -EINVAL;
	}
	if (!strcmp(opt, "-j")) {
		*ret_seen = !strcmp(val, "RETURN");
		return *ret_seen ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int natfix_legacy_decode(const struct natfix_legacy_line *l, int family,
			 struct igd_natfix_rule *r)
{
	bool tagged = false, ret_seen = false;
	struct igd_sel norm;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->sel.family = (uint8_t)family;
	if (l->n < 2 || strcmp(l->tok[0], "-A") || strcmp(l->tok[1], NATFIX_LEGACY_CHAIN) ||
	    l->n % 2)
		return -ENOENT;
	for (i = 2; i + 1 < l->n; i += 2)
		if (legacy_decode_opt(l->tok[i], l->tok[i + 1], r, &tagged, &ret_seen) < 0)
			return -ENOENT;
	if (!tagged || !ret_seen || igd_natfix_sel_norm(&r->sel, &norm, NULL, 0) < 0 ||
	    !igd_natfix_sel_equal(&norm, &r->sel))
		return -ENOENT;
	r->kind = IGD_NATFIX_IPT_LEGACY;
	r->family = family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	snprintf(r->table, sizeof(r->table), "nat");
	snprintf(r->chain, sizeof(r->chain), NATFIX_LEGACY_CHAIN);
	igd_natfix_sel_str(&r->sel, r->sel_str, sizeof(r->sel_str));
	return 0;
}

/* Names iptables-legacy surely knows without /etc/protocols (a minimal root may lack
 * it): tcp and udp; everything else by number. */
static const char *legacy_proto_arg(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:		return "tcp";
	case 17:	return "udp";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

static void legacy_arg_prefix(char *buf, size_t len, const struct igd_sel *sel,
			      const union igd_addr *a, uint8_t plen)
{
	char s[IGD_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", igd_addr_str(sel->family, a, s, sizeof(s)), plen);
}

void natfix_legacy_args(struct natfix_legacy_args *a, const struct igd_sel *sel,
			uint32_t sp_index)
{
	unsigned int n = 0;

	a->argv[n++] = "-I";
	a->argv[n++] = NATFIX_LEGACY_CHAIN;
	a->argv[n++] = "1";
	if (sel->plen_s) {
		legacy_arg_prefix(a->src, sizeof(a->src), sel, &sel->saddr, sel->plen_s);
		a->argv[n++] = "-s";
		a->argv[n++] = a->src;
	}
	if (sel->plen_d) {
		legacy_arg_prefix(a->dst, sizeof(a->dst), sel, &sel->daddr, sel->plen_d);
		a->argv[n++] = "-d";
		a->argv[n++] = a->dst;
	}
	if (sel->proto) {
		a->argv[n++] = "-p";
		a->argv[n++] = legacy_proto_arg(sel->proto, a->proto, sizeof(a->proto));
	}
	if (sel->sport_mask || sel->dport_mask) {
		a->argv[n++] = "-m";
		a->argv[n++] = sel->proto == 6 ? "tcp" : "udp";
	}
	if (sel->sport_mask) {
		snprintf(a->sport, sizeof(a->sport), "%u", sel->sport);
		a->argv[n++] = "--sport";
		a->argv[n++] = a->sport;
	}
	if (sel->dport_mask) {
		snprintf(a->dport, sizeof(a->dport), "%u", sel->dport);
		a->argv[n++] = "--dport";
		a->argv[n++] = a->dport;
	}
	a->argv[n++] = "-m";
	a->argv[n++] = "comment";
	a->argv[n++] = "--comment";
	a->argv[n++] = igd_natfix_tag_format(sp_index, a->tag, sizeof(a->tag));
	a->argv[n++] = "-j";
	a->argv[n++] = "RETURN";
	a->argv[n] = NULL;
	a->argc = n;
}

char *natfix_legacy_join(const struct natfix_legacy_line *l, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int i;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < l->n && o + 1 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, strchr(l->tok[i], ' ') ? "%s\"%s\"" : "%s%s",
				      i ? " " : "", l->tok[i]);
	return buf;
}
