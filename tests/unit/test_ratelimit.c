/* Log rate limiter: burst, steady rate, suppressed counts carried to the next line,
 * independent keys, eviction accounting, and exact totals. */
#include <errno.h>
#include "tap.h"
#include "util/ratelimit.h"

static struct igd_rl *mk(unsigned int keys, uint32_t interval, uint32_t burst)
{
	struct igd_rl_cfg cfg = { .keys = keys, .interval_ms = interval, .burst = burst };
	struct igd_rl *rl = NULL;

	if (igd_rl_new(&rl, &cfg))
		return NULL;
	return rl;
}

static void test_burst_then_rate(void)
{
	struct igd_rl *rl = mk(64, 1000, 3);
	uint64_t sup = 99, t;
	int logged = 0, i;

	ok(rl != NULL, "table created");
	if (!rl)
		return;
	/* 10 lines at once: the burst of 3 passes */
	for (i = 0; i < 10; i++)
		logged += igd_rl_check(rl, 42, 5000, &sup);
	is_int(logged, 3, "burst of 3 logged at once");
	/* the next conforming line comes one interval later and carries the 7 */
	ok(!igd_rl_check(rl, 42, 5999, &sup), "still limited just before the interval");
	ok(igd_rl_check(rl, 42, 6000, &sup), "one line per interval afterwards");
	is_int(sup, 8, "it carries the 8 suppressed lines");
	ok(!igd_rl_check(rl, 42, 6001, &sup), "and limits again");
	/* 100 lines per second for 10 s: about one per second logged */
	logged = 0;
	for (t = 6002; t < 16002; t += 10)
		logged += igd_rl_check(rl, 42, t, NULL);
	ok(logged >= 9 && logged <= 11, "steady flood: one per interval (%d)", logged);
	/* after a long silence the burst is available again, count starts at 0 */
	logged = 0;
	for (i = 0; i < 5; i++)
		logged += igd_rl_check(rl, 42, 100000, &sup);
	is_int(logged, 3, "burst refilled after silence");
	igd_rl_free(rl);
}

static void test_keys_independent(void)
{
	struct igd_rl *rl = mk(64, 1000, 1);
	uint64_t sup;

	ok(igd_rl_check(rl, 1, 0, &sup) && sup == 0, "key 1 logs");
	ok(!igd_rl_check(rl, 1, 1, &sup), "key 1 limited");
	ok(igd_rl_check(rl, 2, 1, &sup) && sup == 0, "key 2 unaffected");
	ok(igd_rl_check(rl, 0, 1, &sup), "key 0 is a key like any other");
	igd_rl_reset(rl);
	ok(igd_rl_check(rl, 1, 2, &sup) && sup == 0, "reset forgets keys");
	igd_rl_free(rl);
}

/* Every check is either logged or suppressed; suppressed lines are either reported on
 * a later logged line, still pending in the table, or lost with an eviction. */
static void test_exact_totals(void)
{
	struct igd_rl *rl = mk(16, 500, 2);
	const struct igd_rl_stats *st;
	uint64_t reported = 0, sup, t, k, rnd = 88172645463325252ULL;
	uint64_t pending_max;
	int i;

	for (i = 0; i < 200000; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		k = rnd % 40;			/* more keys than the table holds */
		t = (uint64_t)i / 10;
		if (igd_rl_check(rl, k, t, &sup))
			reported += sup;
	}
	st = igd_rl_stats(rl);
	is_int(st->checks, 200000, "every check counted");
	is_int(st->logged + st->suppressed, st->checks, "logged + suppressed = checks");
	ok(st->evictions > 0, "a full table evicts (%llu)", (unsigned long long)st->evictions);
	pending_max = 16 * 200000ULL;
	ok(reported + st->lost <= st->suppressed &&
	   st->suppressed - reported - st->lost <= pending_max,
	   "suppressed = reported + lost + pending");
	igd_rl_free(rl);
}

/* Exactly: with no eviction, after a final logged line per key nothing is pending. */
static void test_no_loss_without_eviction(void)
{
	struct igd_rl *rl = mk(1024, 100, 1);
	const struct igd_rl_stats *st;
	uint64_t reported = 0, sup, k;
	int i;

	for (i = 0; i < 5000; i++)
		if (igd_rl_check(rl, (uint64_t)i % 50, (uint64_t)i / 100, &sup))
			reported += sup;
	for (k = 0; k < 50; k++)
		if (igd_rl_check(rl, k, 1000000, &sup))
			reported += sup;
	st = igd_rl_stats(rl);
	is_int(st->evictions, 0, "no eviction with room");
	is_int(reported, st->suppressed, "every suppressed line reported later");
	igd_rl_free(rl);
}

static void test_hash(void)
{
	uint32_t a = 1, b = 2;
	uint64_t h1 = igd_rl_hash(&a, sizeof(a), 0), h2 = igd_rl_hash(&b, sizeof(b), 0);

	ok(h1 != h2, "different inputs, different hashes");
	ok(igd_rl_hash(&a, sizeof(a), 0) == h1, "deterministic");
	ok(igd_rl_hash(&a, sizeof(a), 7) != h1, "seed changes it");
	ok(igd_rl_hash(&b, sizeof(b), h1) != igd_rl_hash(&a, sizeof(a), h2), "chaining is ordered");
}

static void test_cfg(void)
{
	struct igd_rl_cfg cfg = { .keys = 1u << 30 };
	struct igd_rl *rl = NULL;

	is_int(igd_rl_new(&rl, &cfg), -EINVAL, "absurd capacity refused");
	is_int(igd_rl_new(&rl, NULL), 0, "defaults");
	ok(igd_rl_check(rl, 5, 0, NULL), "default table works");
	igd_rl_free(rl);
	/* free(NULL) is a no-op: a crash here ends the test with an error */
	igd_rl_free(NULL);
}

int main(void)
{
	test_burst_then_rate();
	test_keys_independent();
	test_exact_totals();
	test_no_loss_without_eviction();
	test_hash();
	test_cfg();
	return tap_done();
}
