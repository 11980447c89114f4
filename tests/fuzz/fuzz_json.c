/* libFuzzer harness for the JSON writer every log line goes through: the input as a
 * string value must come out as one line that parses back to exactly those bytes, so
 * that nothing in a packet can end a line or forge a field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/json.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the JSON string starting at *p (after its opening quote) into out;
 * returns its length, or -1 when it is not a string our writer may produce. */
static long json_unquote(const char **p, uint8_t *out, size_t max)
{
	const char *s = *p;
	size_t n = 0;

	while (*s && *s != '"') {
		int c = (unsigned char)*s++;

		if (c < 0x20 || c > 0x7e)
			return -1;		/* raw control or high bytes never leave */
		if (c == '\\') {
			if (*s == '"' || *s == '\\') {
				c = *s++;
			} else if (s[0] == 'u' && s[1] == '0' && s[2] == '0' &&
				   hexval(s[3]) >= 0 && hexval(s[4]) >= 0) {
				c = hexval(s[3]) << 4 | hexval(s[4]);
				s += 5;
			} else {
				return -1;
			}
		}
		if (n == max)
			return -1;
		out[n++] = (uint8_t)c;
	}
	if (*s != '"')
		return -1;
	*p = s + 1;
	return (long)n;
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	static char buf[65536];
	static uint8_t back[8192];
	struct igd_json j;
	const char *line, *p;
	long n;

	if (size > 4096)
		return;
	igd_json_init(&j, buf, sizeof(buf));
	igd_json_obj_open(&j, NULL);
	igd_json_strn(&j, "v", (const char *)data, size);
	igd_json_obj_close(&j);
	line = igd_json_finish(&j);
	if (!line)
		abort();		/* 6 x 4096 + 8 bytes always fit */
	if (strchr(line, '\n') || strlen(line) != igd_json_len(&j))
		abort();		/* one line, no NUL inside */
	if (strncmp(line, "{\"v\":\"", 6))
		abort();
	p = line + 6;
	n = json_unquote(&p, back, sizeof(back));
	if (n != (long)size || memcmp(back, data, size) || strcmp(p, "}"))
		abort();		/* the value comes back, and nothing else */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_json(data, size);
	return 0;
}
