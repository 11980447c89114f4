/* The text exposition format; see prom.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "metrics/prom.h"

void igd_prom_init(struct igd_prom *p, char *buf, size_t size)
{
	p->buf = buf;
	p->size = size;
	p->len = 0;
	p->overflow = size == 0;
	p->family[0] = '\0';
	if (size)
		buf[0] = '\0';
}

static void put(struct igd_prom *p, const char *s, size_t n)
{
	if (p->overflow || p->len + n + 1 > p->size) {
		p->overflow = true;
		return;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void puts_(struct igd_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Escapes \ and newline (help), and " too (label values). */
static void put_escaped(struct igd_prom *p, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (quote && *s == '"')
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

void igd_prom_family(struct igd_prom *p, const char *name, const char *type, const char *help)
{
	snprintf(p->family, sizeof(p->family), "%s", name);
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

static void labels(struct igd_prom *p, va_list ap)
{
	const char *k, *v;
	bool first = true;

	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		puts_(p, first ? "{" : ",");
		puts_(p, k);
		puts_(p, "=\"");
		put_escaped(p, v ? v : "", true);
		puts_(p, "\"");
		first = false;
	}
	if (!first)
		puts_(p, "}");
}

/* name{labels} value: @v already formatted */
static void sample(struct igd_prom *p, const char *v, va_list ap)
{
	puts_(p, p->family);
	labels(p, ap);
	puts_(p, " ");
	puts_(p, v);
	puts_(p, "\n");
}

void igd_prom_sample(struct igd_prom *p, double value, ...)
{
	char v[40];
	va_list ap;

	snprintf(v, sizeof(v), "%.17g", value);
	va_start(ap, value);
	sample(p, v, ap);
	va_end(ap);
}

void igd_prom_sample_u64(struct igd_prom *p, uint64_t value, ...)
{
	char v[32];
	va_list ap;

	snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
	va_start(ap, value);
	sample(p, v, ap);
	va_end(ap);
}

bool igd_prom_ok(const struct igd_prom *p)
{
	return !p->overflow;
}
