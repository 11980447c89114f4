/* The ring between a queue thread and the log writer: records come out whole and in
 * order, across the wrap, a full ring refuses instead of overwriting, and two threads
 * passing a million records lose or tear none of them. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "util/spsc_ring.h"

static void test_order_and_wrap(void)
{
	struct igd_ring r;
	char in[200], out[300];
	uint8_t type = 0;
	int i, n, bad = 0;

	ok(igd_ring_init(&r, 1000) == 0 && r.size == 4096, "rounded up to 4 KiB");
	for (i = 0; i < 5000; i++) {
		n = snprintf(in, sizeof(in), "record %d %*s", i, i % 150, "x");
		if (!igd_ring_put(&r, (uint8_t)(i & 0xff), in, (size_t)n)) {
			bad++;
			break;
		}
		if (igd_ring_get(&r, &type, out, sizeof(out)) != n || type != (i & 0xff) ||
		    memcmp(in, out, (size_t)n))
			bad++;
	}
	is_int(bad, 0, "5000 records through the wrap, each whole and in order");
	is_int(igd_ring_get(&r, &type, out, sizeof(out)), -1, "empty after");
	igd_ring_free(&r);
}

static void test_full(void)
{
	struct igd_ring r;
	char rec[1000] = { 0 }, out[1000];
	uint8_t type;
	int puts = 0;

	igd_ring_init(&r, 4096);
	while (igd_ring_put(&r, 1, rec, sizeof(rec)))
		puts++;
	is_int(puts, 4, "a 4 KiB ring takes four 1000-byte records");
	ok(igd_ring_put(&r, 1, rec, 80), "a short one still fits (4 x 1003 + 83 bytes)");
	ok(!igd_ring_put(&r, 1, rec, 80), "then nothing more");
	is_int(igd_ring_get(&r, &type, out, sizeof(out)), 1000, "the oldest comes first");
	ok(igd_ring_put(&r, 2, rec, 900), "its room is used again");
	is_int(igd_ring_get(&r, &type, out, 10), -2, "a record longer than the buffer skipped");
	is_int(igd_ring_get(&r, &type, out, sizeof(out)), 1000, "and the next one follows");
	ok(!igd_ring_put(&r, 1, rec, IGD_RING_REC_MAX + 1), "too long for a record");
	igd_ring_free(&r);
}

#define STRESS_N 1000000

static void *producer(void *arg)
{
	struct igd_ring *r = arg;
	uint32_t i, v[8];

	for (i = 0; i < STRESS_N;) {
		size_t len = 4 * (1 + i % 8);

		for (size_t k = 0; k < len / 4; k++)
			v[k] = i;
		if (igd_ring_put(r, (uint8_t)i, v, len))
			i++;
	}
	return NULL;
}

static void test_two_threads(void)
{
	struct igd_ring r;
	pthread_t th;
	uint32_t next = 0, v[8];
	unsigned long bad = 0;
	uint8_t type;
	int n;

	igd_ring_init(&r, 4096);
	pthread_create(&th, NULL, producer, &r);
	while (next < STRESS_N) {
		n = igd_ring_get(&r, &type, v, sizeof(v));
		if (n == -1)
			continue;
		if (n != (int)(4 * (1 + next % 8)) || type != (uint8_t)next)
			bad++;
		for (int k = 0; n > 0 && k < n / 4; k++)
			bad += v[k] != next;
		next++;
	}
	pthread_join(th, NULL);
	is_int((int)bad, 0, "a million records between two threads: none torn or lost");
	is_int(igd_ring_get(&r, &type, v, sizeof(v)), -1, "and none extra");
	igd_ring_free(&r);
}

int main(void)
{
	test_order_and_wrap();
	test_full();
	test_two_threads();
	return tap_done();
}
