/* test_fast_clock: TSC stamps converted to CLOCK_MONOTONIC, by arithmetic and on this machine. */
#include <time.h>
#include <x86intrin.h>

#include "unit.h"
#include "fast/clock.h"
#include "util/util.h"

/* A 3 GHz TSC: 3 ticks per ns. */
static void test_arithmetic(void **state)
{
	(void)state;
	struct fast_clock c = { .tsc0 = 3000, .ns0 = 1000, .tsc1 = 3000, .ns1 = 1000 };
	fast_clock_anchor(&c, 3000 + 3000000, 1000 + 1000000);
	assert_int_equal(fast_clock_ns(&c, 3000), 1000);
	assert_int_equal(fast_clock_ns(&c, 3000 + 3000000), 1001000);
	assert_int_equal(fast_clock_ns(&c, 3000 + 1500000), 501000);
	assert_int_equal(fast_clock_ns(&c, 3000 + 6000000), 2001000);   /* past the latest anchor */
	fast_clock_anchor(&c, 3000 + 30000000, 1000 + 10000000);
	assert_int_equal(fast_clock_ns(&c, 3000 + 15000000), 5001000);
	/* an anchor that goes back in time is ignored */
	fast_clock_anchor(&c, 10, 10);
	assert_int_equal(c.tsc1, 3000 + 30000000);
	/* a stamp before the epoch of the clock does not wrap */
	assert_int_equal(fast_clock_ns(&c, 0), 0);
	/* large values do not overflow: a day at 5 GHz, converted 12 hours back from the latest
	 * anchor, within the 32.32 rate's rounding (a few ppb) */
	struct fast_clock d = { .tsc0 = 1, .ns0 = 0, .tsc1 = 1, .ns1 = 0 };
	fast_clock_anchor(&d, 432000000000001ull, 86400000000000ull);
	assert_in_range(fast_clock_ns(&d, 216000000000001ull), 43200000000000ull - 20000, 43200000000000ull + 20000);
}

/* The 128-bit product of a tick count and the rate, rounded, as fast_clock_ns had it always. */
static uint64_t wide(const struct fast_clock *c, uint64_t d)
{
	return (uint64_t)(((unsigned __int128)d * c->mult + (1u << 31)) >> 32);
}

/* Stamps a little before the latest anchor convert in 64 bits, others in 128: both ways agree
 * where one hands over to the other, and on both sides of the anchor, for a slow TSC and a fast
 * one. */
static void test_near_and_far(void **state)
{
	(void)state;
	uint64_t rates[][2] = { { 1000000000ull, 1000000000ull }, { 5000000000ull, 1000000000ull },
				{ 800000000ull, 1000000000ull } };   /* ticks, ns: 1, 5, 0.8 GHz */
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		uint64_t base = 1ull << 50;   /* ns1 far from 0: no stamp clamps to the epoch */
		struct fast_clock c = { .tsc0 = base, .ns0 = base, .tsc1 = base, .ns1 = base };
		fast_clock_anchor(&c, base + rates[r][0], base + rates[r][1]);
		assert_true(c.near > 0);
		for (uint64_t d = c.near - 2; d <= c.near + 2; d++) {
			assert_int_equal(fast_clock_ns(&c, c.tsc1 + d), c.ns1 + wide(&c, d));
			assert_int_equal(fast_clock_ns(&c, c.tsc1 - d), c.ns1 - wide(&c, d));
		}
		assert_int_equal(fast_clock_ns(&c, c.tsc1 + 12345), c.ns1 + wide(&c, 12345));
	}
}

/* A 10 ms sleep measured with rdtsc within 1%, as the trampolines measure it. */
static void test_sleep(void **state)
{
	(void)state;
	if (!fast_clock_usable())
		skip();
	struct fast_clock c;
	fast_clock_init(&c);
	int ok = 0;
	for (int i = 0; i < 5 && !ok; i++) {   /* a sleep overslept under load is no clock error */
		uint64_t a = __rdtsc(), na = util_now_ns();
		struct timespec d = { 0, 10000000 };
		nanosleep(&d, NULL);
		uint64_t b = __rdtsc(), nb = util_now_ns();
		uint64_t t, n;
		fast_clock_sample(&t, &n);
		fast_clock_anchor(&c, t, n);
		int64_t measured = (int64_t)(fast_clock_ns(&c, b) - fast_clock_ns(&c, a));
		int64_t truth = (int64_t)(nb - na);
		ok = measured > truth * 99 / 100 && measured < truth * 101 / 100 && measured >= 10000000 * 99 / 100;
	}
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_near_and_far),
		cmocka_unit_test(test_sleep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
