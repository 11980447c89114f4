/* JSON writer into a caller-owned buffer. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "util/json.h"

void igd_json_init(struct igd_json *j, char *buf, size_t size)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->size = size;
	if (size)
		buf[0] = '\0';
	else
		j->overflow = true;
}

static void put_mem(struct igd_json *j, const char *s, size_t n)
{
	if (j->overflow)
		return;
	if (n >= j->size - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void put_c(struct igd_json *j, char c)
{
	put_mem(j, &c, 1);
}

static void put_escaped(struct igd_json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	put_c(j, '"');
	for (i = 0; i < n && !j->overflow; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c == '"' || c == '\\') {
			char two[2] = { '\\', (char)c };

			put_mem(j, two, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			put_mem(j, esc, sizeof(esc));
		} else {
			put_c(j, (char)c);
		}
	}
	put_c(j, '"');
}

static void put_key(struct igd_json *j, const char *key)
{
	uint32_t bit = 1u << (j->depth % 32);

	if (j->need_comma & bit)
		put_c(j, ',');
	j->need_comma |= bit;
	if (key) {
		put_escaped(j, key, strlen(key));
		put_c(j, ':');
	}
}

static void open_(struct igd_json *j, const char *key, char c)
{
	put_key(j, key);
	put_c(j, c);
	if (j->depth + 1 >= IGD_JSON_MAX_DEPTH) {
		j->bad_nesting = true;
		return;
	}
	j->depth++;
	j->need_comma &= ~(1u << j->depth);
}

static void close_(struct igd_json *j, char c)
{
	if (!j->depth) {
		j->bad_nesting = true;
		return;
	}
	j->depth--;
	put_c(j, c);
}

void igd_json_obj_open(struct igd_json *j, const char *key)
{
	open_(j, key, '{');
}

void igd_json_obj_close(struct igd_json *j)
{
	close_(j, '}');
}

void igd_json_arr_open(struct igd_json *j, const char *key)
{
	open_(j, key, '[');
}

void igd_json_arr_close(struct igd_json *j)
{
	close_(j, ']');
}

void igd_json_strn(struct igd_json *j, const char *key, const char *s, size_t n)
{
	put_key(j, key);
	put_escaped(j, s, n);
}

void igd_json_str(struct igd_json *j, const char *key, const char *s)
{
	if (!s) {
		igd_json_null(j, key);
		return;
	}
	igd_json_strn(j, key, s, strlen(s));
}

void igd_json_uint(struct igd_json *j, const char *key, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	put_key(j, key);
	put_mem(j, b, (size_t)n);
}

void igd_json_int(struct igd_json *j, const char *key, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	put_key(j, key);
	put_mem(j, b, (size_t)n);
}

void igd_json_bool(struct igd_json *j, const char *key, bool v)
{
	put_key(j, key);
	put_mem(j, v ? "true" : "false", v ? 4 : 5);
}

void igd_json_null(struct igd_json *j, const char *key)
{
	put_key(j, key);
	put_mem(j, "null", 4);
}

void igd_json_hex32(struct igd_json *j, const char *key, uint32_t v)
{
	char b[12];

	snprintf(b, sizeof(b), "0x%08x", v);
	igd_json_str(j, key, b);
}

const char *igd_json_finish(struct igd_json *j)
{
	if (j->overflow || j->bad_nesting || j->depth)
		return NULL;
	return j->buf;
}

size_t igd_json_len(const struct igd_json *j)
{
	return j->len;
}
