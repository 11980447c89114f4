/* A JSON writer into a caller-owned buffer: no allocation, one object per line.
 * Every string is escaped: quotes, backslashes, control characters and every byte
 * outside printable ASCII become escapes, so no packet or kernel content can end a
 * line early or forge a field.  Overflow is sticky and reported by igd_json_end(). */
#ifndef IGD_JSON_H
#define IGD_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IGD_JSON_MAX_DEPTH 16

struct igd_json {
	char *buf;
	size_t size, len;
	bool overflow;
	int depth;
	bool first[IGD_JSON_MAX_DEPTH];	/* no member written yet at this depth */
};

/* Starts a top-level object in @buf. */
void igd_json_begin(struct igd_json *j, char *buf, size_t size);
/* Closes the top-level object and NUL-terminates; returns the length, or -1 when the
 * buffer was too small (the buffer then holds no usable line). */
int igd_json_end(struct igd_json *j);

/* Members.  @key may be NULL inside arrays. */
void igd_json_obj_open(struct igd_json *j, const char *key);
void igd_json_obj_close(struct igd_json *j);
void igd_json_arr_open(struct igd_json *j, const char *key);
void igd_json_arr_close(struct igd_json *j);
void igd_json_str(struct igd_json *j, const char *key, const char *val);
void igd_json_strn(struct igd_json *j, const char *key, const char *val, size_t n);
void igd_json_u64(struct igd_json *j, const char *key, uint64_t v);
void igd_json_i64(struct igd_json *j, const char *key, int64_t v);
void igd_json_bool(struct igd_json *j, const char *key, bool v);
void igd_json_null(struct igd_json *j, const char *key);
/* Formats @v as 0x%08x into a string member (SPIs). */
void igd_json_hex32(struct igd_json *j, const char *key, uint32_t v);

/* RFC 3339 UTC timestamp with microseconds of the current time, e.g.
 * 2026-11-22T11:31:14.123456Z, into @buf (at least 32 bytes). */
void igd_json_now(char *buf, size_t size);
#endif
