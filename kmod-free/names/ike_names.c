/* The IKE daemons' tunnel names; see ike_names.h. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "names/ike_names.h"

#define SW_DEPTH	8

/* One token of the raw VICI text: a section name before '{', or key=value (a value
 * in [...] may hold blanks). */
static size_t sw_token(const char *s, char *tok, size_t len)
{
	size_t i = 0, o = 0;
	bool list = false;

	while (s[i] && (list || (!isspace((unsigned char)s[i]) && s[i] != '{' && s[i] != '}'))) {
		if (s[i] == '[')
			list = true;
		else if (s[i] == ']')
			list = false;
		if (o + 1 < len)
			tok[o++] = s[i];
		i++;
	}
	tok[o] = '\0';
	return i;
}

static void copy_name(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < IGD_NAME_LEN && i < n && src[i]; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

struct sw_child {
	char name[IGD_NAME_LEN];
	uint32_t reqid, spi_in, spi_out;
};

static void sw_add(struct igd_names *out, const char *conn, const struct sw_child *c,
		   uint32_t spi)
{
	struct igd_name_ent *e;

	if (out->n == IGD_NAMES_MAX || (!spi && !c->reqid))
		return;
	e = &out->e[out->n++];
	e->spi = spi;
	e->reqid = c->reqid;
	copy_name(e->conn, conn, IGD_NAME_LEN);
	copy_name(e->child, c->name, IGD_NAME_LEN);
}

static uint32_t hex32(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 16);

	return *end || v > 0xffffffffUL ? 0 : (uint32_t)v;
}

static uint32_t dec32(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	return *end || v > 0xffffffffUL ? 0 : (uint32_t)v;
}

unsigned int igd_names_parse_swanctl(const char *text, struct igd_names *out)
{
	char sec[SW_DEPTH][IGD_NAME_LEN] = { { 0 } }, tok[256];
	struct sw_child child = { .reqid = 0 };
	const char *s = text;
	int depth = 0;

	out->n = 0;
	while (*s) {
		size_t n;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (*s == '}') {
			s++;
			/* leaving a child of "child-sas": its SAs */
			if (depth >= 3 && depth <= SW_DEPTH && !strcmp(sec[depth - 2], "child-sas")) {
				if (child.spi_in || !child.spi_out)	/* one by reqid */
					sw_add(out, sec[depth - 3], &child, child.spi_in);
				if (child.spi_out)
					sw_add(out, sec[depth - 3], &child, child.spi_out);
			}
			if (depth > 0)
				depth--;
			memset(&child, 0, sizeof(child));
			continue;
		}
		if (*s == '{') {	/* a section without a name */
			s++;
			if (depth < SW_DEPTH)
				sec[depth][0] = '\0';
			depth++;
			continue;
		}
		n = sw_token(s, tok, sizeof(tok));
		s += n;
		while (*s && isspace((unsigned char)*s))
			s++;
		if (*s == '{') {
			s++;
			if (depth < SW_DEPTH)
				copy_name(sec[depth], tok, sizeof(tok));
			depth++;
			if (depth >= 2 && depth <= SW_DEPTH && !strcmp(sec[depth - 2], "child-sas"))
				memset(&child, 0, sizeof(child));
			continue;
		}
		if (depth < 2 || depth > SW_DEPTH || strcmp(sec[depth - 2], "child-sas"))
			continue;
		if (!strncmp(tok, "name=", 5))
			copy_name(child.name, tok + 5, IGD_NAME_LEN);
		else if (!strncmp(tok, "reqid=", 6))
			child.reqid = dec32(tok + 6);
		else if (!strncmp(tok, "spi-in=", 7))
			child.spi_in = hex32(tok + 7);
		else if (!strncmp(tok, "spi-out=", 8))
			child.spi_out = hex32(tok + 8);
	}
	return out->n;
}

unsigned int igd_names_parse_whack(const char *text, struct igd_names *out)
{
	const char *line = text;

	out->n = 0;
	while (*line) {
		const char *end = strchr(line, '\n'), *q1, *q2, *p;
		size_t len = end ? (size_t)(end - line) : strlen(line);

		/* 000 #2: "west-east"[1] ... esp.8f8d6b1e@192.1.2.23 esp.d8f0c1f5@... */
		q1 = memchr(line, '"', len);
		q2 = q1 ? memchr(q1 + 1, '"', len - (size_t)(q1 + 1 - line)) : NULL;
		for (p = q2; p && p < line + len && out->n < IGD_NAMES_MAX; p++) {
			const char *dot;
			char hex[9];
			size_t k;

			if ((strncmp(p, " esp.", 5) && strncmp(p, " ah.", 4)) || p + 5 >= line + len)
				continue;
			dot = strchr(p, '.') + 1;
			for (k = 0; k < 8 && dot + k < line + len && isxdigit((unsigned char)dot[k]); k++)
				hex[k] = dot[k];
			hex[k] = '\0';
			if (!k || dot + k >= line + len || dot[k] != '@' || !hex32(hex))
				continue;
			out->e[out->n].spi = hex32(hex);
			out->e[out->n].reqid = 0;
			copy_name(out->e[out->n].conn, q1 + 1, (size_t)(q2 - q1 - 1));
			out->e[out->n].child[0] = '\0';
			out->n++;
		}
		line += len + (end ? 1 : 0);
	}
	return out->n;
}

const struct igd_name_ent *igd_names_find(const struct igd_names *n, uint32_t spi,
					  uint32_t reqid)
{
	unsigned int i;

	for (i = 0; spi && i < n->n; i++)
		if (n->e[i].spi == spi)
			return &n->e[i];
	for (i = 0; reqid && i < n->n; i++)
		if (n->e[i].reqid == reqid)
			return &n->e[i];
	return NULL;
}
