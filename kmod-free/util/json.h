/* A small JSON writer into a caller-owned buffer: no allocation, safe for the packet
 * path and for log lines built from packet contents.
 *
 * Strings are escaped so that the output is always one line of ASCII: '"', '\\' and
 * control characters, DEL and every byte >= 0x80 become \u00XX (bytes are treated as
 * Latin-1, never as UTF-8 sequences), so nothing in a string can end the line or forge
 * another field.
 *
 * Commas are inserted automatically.  Nesting depth is limited to IGD_JSON_MAX_DEPTH.
 * When the buffer is too small the writer stops, remembers it, and igd_json_finish()
 * returns NULL; the buffer then holds a truncated, NUL-terminated prefix.
 *
 *	struct igd_json j;
 *	char buf[512];
 *
 *	igd_json_init(&j, buf, sizeof(buf));
 *	igd_json_obj_open(&j, NULL);
 *	igd_json_str(&j, "event", "verdict");
 *	igd_json_uint(&j, "proto", 6);
 *	igd_json_obj_close(&j);
 *	if (igd_json_finish(&j)) puts(buf);
 */
#ifndef IGD_JSON_H
#define IGD_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGD_JSON_MAX_DEPTH 32

struct igd_json {
	char *buf;
	size_t size, len;
	uint32_t need_comma;	/* bit per depth */
	uint8_t depth;
	bool overflow;
	bool bad_nesting;
};

void igd_json_init(struct igd_json *j, char *buf, size_t size);
/* @key is NULL for array elements and the top-level value. */
void igd_json_obj_open(struct igd_json *j, const char *key);
void igd_json_obj_close(struct igd_json *j);
void igd_json_arr_open(struct igd_json *j, const char *key);
void igd_json_arr_close(struct igd_json *j);
void igd_json_str(struct igd_json *j, const char *key, const char *s);
void igd_json_strn(struct igd_json *j, const char *key, const char *s, size_t n);
void igd_json_uint(struct igd_json *j, const char *key, uint64_t v);
void igd_json_int(struct igd_json *j, const char *key, int64_t v);
void igd_json_bool(struct igd_json *j, const char *key, bool v);
void igd_json_null(struct igd_json *j, const char *key);
/* "0x%08x" as a string, for SPIs and marks */
void igd_json_hex32(struct igd_json *j, const char *key, uint32_t v);
/* Returns the NUL-terminated text, or NULL on overflow or unbalanced nesting. */
const char *igd_json_finish(struct igd_json *j);
size_t igd_json_len(const struct igd_json *j);
#endif
