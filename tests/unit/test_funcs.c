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
	expect("caf\xc3\xa9", "caf\\xc3\\xa9");                 /* non-ASCII bytes, one by one */
	expect("\x80\xff", "\\x80\\xff");
	expect("\x1f", "\\x1f");
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
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
