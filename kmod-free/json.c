#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "json.h"

static void json_put(struct igd_json *j, const char *s, size_t n)
{
	if (j->overflow || j->len + n >= j->size) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void json_putc(struct igd_json *j, char c)
{
	json_put(j, &c, 1);
}

static void json_escaped(struct igd_json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i;

	json_putc(j, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			json_putc(j, '\\');
			json_putc(j, (char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			json_put(j, esc, sizeof(esc));
		} else {
			json_putc(j, (char)c);
		}
	}
	json_putc(j, '"');
}

static void json_key(struct igd_json *j, const char *key)
{
	if (!j->first[j->depth])
		json_putc(j, ',');
	j->first[j->depth] = false;
	if (key) {
		json_escaped(j, key, strlen(key));
		json_putc(j, ':');
	}
}

static void json_open(struct igd_json *j, const char *key, char c)
{
	json_key(j, key);
	json_putc(j, c);
	if (j->depth + 1 >= IGD_JSON_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	j->first[++j->depth] = true;
}

static void json_close(struct igd_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	json_putc(j, c);
}

void igd_json_begin(struct igd_json *j, char *buf, size_t size)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->size = size;
	j->first[0] = true;
	json_putc(j, '{');
	j->first[++j->depth] = true;
}

int igd_json_end(struct igd_json *j)
{
	while (j->depth > 0)
		json_close(j, '}');
	if (j->overflow || j->len >= j->size) {
		if (j->size)
			j->buf[0] = '\0';
		return -1;
	}
	j->buf[j->len] = '\0';
	return (int)j->len;
}

void igd_json_obj_open(struct igd_json *j, const char *key)
{
	json_open(j, key, '{');
}

void igd_json_obj_close(struct igd_json *j)
{
	json_close(j, '}');
}

void igd_json_arr_open(struct igd_json *j, const char *key)
{
	json_open(j, key, '[');
}

void igd_json_arr_close(struct igd_json *j)
{
	json_close(j, ']');
}

void igd_json_strn(struct igd_json *j, const char *key, const char *val, size_t n)
{
	json_key(j, key);
	json_escaped(j, val, n);
}

void igd_json_str(struct igd_json *j, const char *key, const char *val)
{
	if (!val) {
		igd_json_null(j, key);
		return;
	}
	igd_json_strn(j, key, val, strlen(val));
}

void igd_json_u64(struct igd_json *j, const char *key, uint64_t v)
{
	char num[24];

	json_key(j, key);
	json_put(j, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v));
}

void igd_json_i64(struct igd_json *j, const char *key, int64_t v)
{
	char num[24];

	json_key(j, key);
	json_put(j, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v));
}

void igd_json_bool(struct igd_json *j, const char *key, bool v)
{
	json_key(j, key);
	json_put(j, v ? "true" : "false", v ? 4 : 5);
}

void igd_json_null(struct igd_json *j, const char *key)
{
	json_key(j, key);
	json_put(j, "null", 4);
}

void igd_json_hex32(struct igd_json *j, const char *key, uint32_t v)
{
	char num[12];

	snprintf(num, sizeof(num), "0x%08x", v);
	igd_json_str(j, key, num);
}

void igd_json_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ldZ", base, ts.tv_nsec / 1000);
}
