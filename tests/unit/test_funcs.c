/* test_funcs: the function registry and funcs_escape, which keeps every name safe to print. */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "rec/funcs.h"

static void expect(const char *in, const char *want)
{
	char out[256];
	funcs_escape(in, out, sizeof(out));
	if (strcmp(out, want))
		fail_msg("escape(\"%s\"): \"%s\", want \"%s\"", in, out, want);
}

static void test_plain(void **state)
{
	expect("", "");
	expect("main", "main");
	expect("_ZN3foo3barEv", "_ZN3foo3barEv");
	expect("operator<<(std::ostream&, int)", "operator<<(std::ostream&, int)");
	expect("fn.isra.0", "fn.isra.0");
	expect(" !~{}|$@`'\"", " !~{}|$@`'\"");   /* 0x20 and 0x7e are printable */
}

static void test_escaped(void **state)
{
	expect("\x01", "\\x01");
	expect("a\tb\nc\rd", "a\\x09b\\x0ac\\x0dd");
	expect("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");    /* no terminal escapes get through */
	expect("\x1b]0;title\x07", "\\x1b]0;title\\x07");
	expect("a\\b", "a\\x5cb");                              /* so \xNN is never ambiguous */
	expect("\\x41", "\\x5cx41");
	expect("\x7f", "\\x7f");
	expect("\x80\xff", "\\x80\\xff");
	expect("\x1f", "\\x1f");
}

/* Printable characters in UTF-8 stay as they are; anything else is escaped byte by byte. */
static void test_utf8(void **state)
{
	expect("gr\xc3\xb6\xc3\x9f" "e", "gr\xc3\xb6\xc3\x9f" "e");        /* größe */
	expect("\xe6\xbc\xa2\xe5\xad\x97", "\xe6\xbc\xa2\xe5\xad\x97");  /* 漢字 */
	expect("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!");          /* U+1F600 */
	expect("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");            /* U+10FFFF, the last */
	expect("\xc2\xa0", "\xc2\xa0");                          /* U+00A0, after the C1 controls */
	expect("\xc2\x9b" "31m", "\\xc2\\x9b31m");                  /* U+009B, CSI: a C1 control */
	expect("\xc2\x80", "\\xc2\\x80");
	expect("\xc0\xaf", "\\xc0\\xaf");                        /* overlong '/' */
	expect("\xe0\x80\xaf", "\\xe0\\x80\\xaf");                /* overlong, 3 bytes */
	expect("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");        /* overlong, 4 bytes */
	expect("\xed\xa0\x80", "\\xed\\xa0\\x80");                /* a surrogate, U+D800 */
	expect("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");        /* U+110000 */
	expect("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	expect("caf\xc3", "caf\\xc3");                          /* cut short at the end */
	expect("\xc3(", "\\xc3(");                              /* no continuation byte */
	expect("\xe2\x82", "\\xe2\\x82");
	expect("a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb");             /* U+202E, right-to-left override */
	expect("\xe2\x81\xa6", "\\xe2\\x81\\xa6");                /* U+2066, an isolate */
	expect("\xe2\x80\x8f", "\xe2\x80\x8f");                  /* U+200F, a mark: reorders nothing */
}

/* A short buffer: always NUL-terminated, never written past outlen, never half an escape. */
static void test_short_buffer(void **state)
{
	static const char in[] = "ab\x01" "cd\\e\xff" "f";
	char full[64];
	funcs_escape(in, full, sizeof(full));
	assert_string_equal(full, "ab\\x01cd\\x5ce\\xfff");
	for (size_t outlen = 1; outlen < 40; outlen++) {
		char out[64];
		memset(out, '#', sizeof(out));
		funcs_escape(in, out, outlen);
		size_t len = strlen(out);
		assert_true(len < outlen);
		for (size_t i = outlen; i < sizeof(out); i++)
			assert_int_equal(out[i], '#');
		assert_memory_equal(out, full, len);
		/* it is the escape of a prefix of the input: no half escape */
		int cut = 0;
		for (size_t k = 0; k <= strlen(in); k++) {
			char pre[32], esc[64];
			memcpy(pre, in, k);
			pre[k] = 0;
			funcs_escape(pre, esc, sizeof(esc));
			if (!strcmp(esc, out))
				cut = 1;
		}
		assert_true(cut);
	}
}

static void test_registry(void **state)
{
	funcs_reset();
	assert_int_equal(funcs_count(), 0);
	assert_string_equal(funcs_name(0), "?");
	assert_int_equal(funcs_addr(0), 0);
	assert_int_equal(funcs_add("main", 0x401136), 0);
	assert_int_equal(funcs_add("evil\x1b[2J", 0x401200), 1);
	char big[301];
	memset(big, 0xff, 300);
	big[300] = 0;
	assert_int_equal(funcs_add(big, 0x401300), 2);
	assert_int_equal(funcs_count(), 3);
	assert_string_equal(funcs_name(0), "main");
	assert_string_equal(funcs_name(1), "evil\\x1b[2J");
	assert_int_equal(strlen(funcs_name(2)), 1200);          /* every byte escaped, none lost */
	assert_int_equal(funcs_addr(1), 0x401200);
	assert_string_equal(funcs_name(3), "?");
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(funcs_add(name, 0x500000 + (taddr_t)i), 3 + (uint32_t)i);
	}
	assert_string_equal(funcs_name(3 + 999), "f999");
	assert_string_equal(funcs_name(0), "main");
	funcs_reset();
	assert_int_equal(funcs_count(), 0);
	assert_int_equal(funcs_add("again", 1), 0);
	funcs_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
