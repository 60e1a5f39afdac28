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
		cmocka_unit_test(test_sleep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
