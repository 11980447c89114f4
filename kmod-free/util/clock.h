/* Clocks: milliseconds of CLOCK_MONOTONIC for timers, backoff and rate windows, and
 * the UTC timestamp every log line and event starts with. */
#ifndef IGD_CLOCK_H
#define IGD_CLOCK_H
#include <stddef.h>
#include <stdint.h>

uint64_t igd_now_ms(void);
uint64_t igd_now_us(void);
/* "2026-01-31T23:59:59.123456Z" (CLOCK_REALTIME, microseconds) into @buf. */
void igd_utc_stamp(char *buf, size_t size);
#endif
