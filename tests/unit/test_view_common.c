/* test_view_common: view_fmt_duration, the 11-column duration every formatter prints; the JSON and
 * XML escaping every export uses; format and sort names. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "view/view.h"

/* common.c routes events to the formatters; this test calls none of them, so empty ones do. */
const struct view_ops view_graph_ops, view_flat_ops, view_summary_ops, view_chrome_ops, view_folded_ops, view_json_ops,
	view_svg_ops;

static void expect(uint64_t ns, const char *want)
{
	char buf[32];
	memset(buf, 'X', sizeof(buf));
	view_fmt_duration(ns, buf);
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
		view_fmt_duration(ns, buf);
		assert_int_equal(strlen(buf), 11);
		ns = ns * 5 / 4 + 1;
		if (ns >= 10000000000000ull)
			break;
	}
	/* Past that the field widens rather than truncating. */
	expect(12345678901234ull, "12345.678  s");
	char buf[32];
	view_fmt_duration(UINT64_MAX, buf);
	assert_string_equal(buf, "18446744073.709  s");
}

/* The same text as printf's formats for it, over every value below 2 ms, and from there on in
 * steps across the units (the formatter is written by hand, its divisions by constants). */
static void test_as_printf(void **state)
{
	static const char *units[] = { "us", "ms", " s" };
	static const uint64_t divs[] = { 1000, 1000000, 1000000000 };
	char want[64], buf[32];
	for (uint64_t ns = 0; ns < 20000000000000ull; ns += ns < 2000000 ? 1 : ns / 1000 + 7) {
		if (ns < 1000) {
			snprintf(want, sizeof(want), "%8" PRIu64 " ns", ns);
		} else {
			int u = ns < 1000000 ? 0 : ns < 1000000000 ? 1 : 2;
			snprintf(want, sizeof(want), "%4" PRIu64 ".%03" PRIu64 " %s", ns / divs[u],
				 ns % divs[u] * 1000 / divs[u], units[u]);
		}
		view_fmt_duration(ns, buf);
		if (strcmp(buf, want))
			fail_msg("%" PRIu64 " ns: \"%s\", want \"%s\"", ns, buf, want);
	}
}

/* What fn writes for s, as a string. */
static char *written(void (*fn)(FILE *fp, const char *s), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	fn(fp, s);
	fclose(fp);
	return buf;
}

static void expect_escaped(void (*fn)(FILE *fp, const char *s), const char *s, const char *want)
{
	char *got = written(fn, s);
	if (strcmp(got, want))
		fail_msg("\"%s\" escaped as \"%s\", want \"%s\"", s, got, want);
	free(got);
}

static void test_json_strings(void **state)
{
	expect_escaped(view_json_str, "main", "\"main\"");
	expect_escaped(view_json_str, "", "\"\"");
	expect_escaped(view_json_str, "a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_escaped(view_json_str, "f\\x5c<&>'", "\"f\\\\x5c<&>'\"");   /* a registry name with a backslash */
	expect_escaped(view_json_str, "\n\t\x01\x7f", "\"\\u000a\\u0009\\u0001\\u007f\"");
	expect_escaped(view_json_str, "\xc3\xa9", "\"\xc3\xa9\"");          /* UTF-8, as JSON is */
	expect_escaped(view_json_str, "\xc3(", "\"\\u00c3(\"");
	expect_escaped(view_json_str, "operator<<(std::ostream&, char const*)",
		       "\"operator<<(std::ostream&, char const*)\"");
}

static void test_xml_strings(void **state)
{
	expect_escaped(view_xml_str, "main", "main");
	expect_escaped(view_xml_str, "a<b>&c\"d'e", "a&lt;b&gt;&amp;c&quot;d&apos;e");
	expect_escaped(view_xml_str, "]]>", "]]&gt;");
	expect_escaped(view_xml_str, "x\\y", "x\\y");
	expect_escaped(view_xml_str, "\x01\xff", "\\x01\\xff");
	expect_escaped(view_xml_str, "gr\xc3\xb6\xc3\x9f" "e", "gr\xc3\xb6\xc3\x9f" "e");
}

/* Every byte from 1 to 255, in any position, gives output with no raw quote, backslash or
 * control character: the JSON is ASCII, the XML has no markup character. */
static void test_every_byte(void **state)
{
	for (int c = 1; c < 256; c++) {
		char s[4] = { 'a', (char)c, 'b', 0 };
		char *j = written(view_json_str, s), *x = written(view_xml_str, s);
		size_t n = strlen(j);
		assert_true(n >= 5 && j[0] == '"' && j[n - 1] == '"');
		for (size_t i = 1; i + 1 < n; i++) {
			unsigned char b = (unsigned char)j[i];
			assert_true(b >= 0x20 && b < 0x7f);
			if (b == '"' || b == '\\')
				assert_true(j[i - 1] == '\\' || (b == '\\' && (j[i + 1] == '\\' || j[i + 1] == 'u' ||
									 j[i + 1] == '"')));
		}
		for (char *p = x; *p; p++)
			assert_true(*p != '<' && *p != '>' && *p != '"' && *p != '\'' &&
				    (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
		free(j);
		free(x);
	}
}

static void test_names(void **state)
{
	assert_int_equal(view_format_by_name("graph"), VIEW_GRAPH);
	assert_int_equal(view_format_by_name("chrome"), VIEW_CHROME);
	assert_int_equal(view_format_by_name("svg"), VIEW_SVG);
	assert_int_equal(view_format_by_name("Graph"), -1);
	assert_int_equal(view_format_by_name(""), -1);
	assert_int_equal(view_sort_by_name("avg"), VIEW_SORT_AVG);
	assert_int_equal(view_sort_by_name("name"), VIEW_SORT_NAME);
	assert_int_equal(view_sort_by_name("first"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_truncates),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_as_printf),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_xml_strings),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
