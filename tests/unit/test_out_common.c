/* test_out_common: out_fmt_duration, the 11-column duration every formatter prints. */
#include <inttypes.h>
#include <string.h>

#include "unit.h"
#include "out/out.h"

/* common.c routes events to the formatters; this test calls none of them, so empty ones do. */
const struct out_ops out_graph_ops, out_flat_ops, out_summary_ops;

static void expect(uint64_t ns, const char *want)
{
	char buf[32];
	memset(buf, 'X', sizeof(buf));
	out_fmt_duration(ns, buf);
	if (strcmp(buf, want))
		fail_msg("%" PRIu64 " ns: \"%s\", want \"%s\"", ns, buf, want);
}

static void test_units(void **state)
{
	expect(0, "       0 ns");
	expect(1, "       1 ns");
	expect(850, "     850 ns");
	expect(999, "     999 ns");
	expect(1000, "   1.000 us");
	expect(1234, "   1.234 us");
	expect(999999, " 999.999 us");
	expect(1000000, "   1.000 ms");
	expect(12345678, "  12.345 ms");
	expect(999999999, " 999.999 ms");
	expect(1000000000, "   1.000  s");
	expect(3000000000ull, "   3.000  s");
	expect(9999999999999ull, "9999.999  s");
}

/* The fraction is truncated, not rounded: a value never shows as the next unit up. */
static void test_truncates(void **state)
{
	expect(1999, "   1.999 us");
	expect(1999999, "   1.999 ms");
	expect(999999999, " 999.999 ms");
	expect(1000999, "   1.000 ms");
}

/* Every duration below 10000 s takes exactly 11 columns. */
static void test_width(void **state)
{
	uint64_t ns = 1;
	for (int i = 0; i < 200; i++) {
		char buf[32];
		out_fmt_duration(ns, buf);
		assert_int_equal(strlen(buf), 11);
		ns = ns * 5 / 4 + 1;
		if (ns >= 10000000000000ull)
			break;
	}
	/* Past that the field widens rather than truncating. */
	expect(12345678901234ull, "12345.678  s");
	char buf[32];
	out_fmt_duration(UINT64_MAX, buf);
	assert_string_equal(buf, "18446744073.709  s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_truncates),
		cmocka_unit_test(test_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
