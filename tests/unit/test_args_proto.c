/* test_args_proto: the prototype list's parser (the shipped list, good and bad declarations, each
 * error one line naming its cause) and uftrace's -A/-R specs (the same). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include "unit.h"
#include "args/protolist.h"
#include "args/spec.h"
#include "args/text.h"

/* Memory of this process: the strings and stacks of test_spec_values. */
static size_t self_read(void *rctx, taddr_t addr, void *buf, size_t len)
{
	(void)rctx;
	memcpy(buf, (const void *)(uintptr_t)addr, len);
	return len;
}

static char *describe(const struct proto *pr)
{
	char buf[1024];
	proto_describe(pr, buf, sizeof(buf));
	return strdup(buf);
}

#define assert_proto(pl, name, expected) do { \
	const struct proto *pr_ = protolist_find(pl, name); \
	assert_non_null(pr_); \
	char *d_ = describe(pr_); \
	assert_string_equal(d_, expected); \
	free(d_); \
} while (0)

static void test_builtin_list(void **state)
{
	(void)state;
	const struct protolist *pl = protolist_builtin();
	assert_true(protolist_count(pl) >= 500);
	assert_proto(pl, "open", "int32 open(char * pathname, flags:open flags, ...) [errno]");
	assert_proto(pl, "openat", "int32 openat(flags:dirfd dirfd, char * pathname, flags:open flags, ...) [errno]");
	assert_proto(pl, "read", "int64 read(int32 fd, void * buf, uint64 count) [errno]");
	assert_proto(pl, "malloc", "void * malloc(uint64 size)");
	assert_proto(pl, "free", "void free(void * ptr)");
	assert_proto(pl, "mmap", "void * mmap(void * addr, uint64 length, flags:prot prot, flags:mmap flags, int32 fd, int64 offset)");
	assert_proto(pl, "printf", "int32 printf(char * format [fmt], ...)");
	assert_proto(pl, "snprintf", "int32 snprintf(void * str, uint64 size, char * format [fmt], ...)");
	assert_proto(pl, "vfprintf", "int32 vfprintf(void * stream, char * format [vfmt], void * ap)");
	assert_proto(pl, "pthread_create", "int32 pthread_create(void * thread, void * attr, func * start_routine, void * arg)");
	assert_proto(pl, "qsort", "void qsort(void * base, uint64 nmemb, uint64 size, func * compar)");
	assert_proto(pl, "strtold", "long double strtold(char * nptr, void * endptr)");
	assert_proto(pl, "sqrtf", "float sqrtf(float x)");
	assert_proto(pl, "getpid", "int32 getpid()");
	assert_proto(pl, "mkdir", "int32 mkdir(char * pathname, flags:mode mode) [errno]");
	assert_proto(pl, "ioctl", "int32 ioctl(int32 fd, uint64/x request, ...) [errno]");
	assert_proto(pl, "signal", "func * signal(flags:signal signum, func * handler)");
	assert_proto(pl, "toupper", "int32 toupper(int32 c)");
	assert_proto(pl, "memcmp", "int32 memcmp(void * s1, void * s2, uint64 n)");
	const char *names[] = { "close", "write", "calloc", "realloc", "memcpy", "memmove", "memset",
		"strlen", "strcmp", "strncmp", "strcpy", "strdup", "strchr", "strstr", "getenv", "setenv",
		"fprintf", "sprintf", "vprintf", "puts", "fputs", "fopen", "fclose", "fread", "fwrite",
		"fgets", "pthread_join", "pthread_mutex_lock", "pthread_mutex_unlock", "socket", "connect",
		"bind", "accept", "send", "recv", "execve", "execvp", "execl", "posix_spawn", "fork",
		"waitpid", "munmap", "mprotect", "stat", "fstat", "lstat", "fstatat", "statx" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(protolist_find(pl, names[i]));
	assert_null(protolist_find(pl, "no_such_function"));
	assert_null(protolist_find(pl, ""));
}

static void test_list_syntax(void **state)
{
	(void)state;
	char err[256];
	struct protolist *pl = protolist_parse(
		"# a comment\n"
		"\n"
		"unsigned long long f1(unsigned char a, signed char b, char c, short d, unsigned e); # trailing\n"
		"long double f2(long double x, double y, float z, _Bool b);\n"
		"const char *f3(const char *const s, char **v, unsigned char *u, char *{ptr} out, struct x *p);\n"
		"int f4(int{hex} h, int{signal} s, void (*cb)(int, char *), int (*)(void)) [errno];\n"
		"int f5(...);\n"
		"void f6(void);\n"
		"size_t f7(size_t, ssize_t, pid_t, uid_t, mode_t, off_t, clockid_t);\n",
		"test", err, sizeof(err));
	assert_non_null(pl);
	assert_int_equal(protolist_count(pl), 7);
	assert_proto(pl, "f1", "uint64 f1(uint8 a, int8 b, char c, int16 d, uint32 e)");
	assert_proto(pl, "f2", "long double f2(long double x, double y, float z, bool b)");
	assert_proto(pl, "f3", "char * f3(char * s, void * v, void * u, void * out, void * p)");
	assert_proto(pl, "f4", "int32 f4(int32/x h, flags:signal s, func * cb, func *) [errno]");
	assert_proto(pl, "f5", "int32 f5(...)");
	assert_proto(pl, "f6", "void f6()");
	assert_proto(pl, "f7", "uint64 f7(uint64, int64, int32, uint32, flags:mode, int64, flags:clock)");
	protolist_free(pl);

	struct { const char *line, *error; } bad[] = {
		{ "int f(int x)", "t:1: expected ';' after ')' (or [errno];)" },
		{ "int f(int x;", "t:1: no ')'" },
		{ "f(int x);", "t:1: expected 'TYPE NAME(PARAMS);'" },
		{ "int f(FILE f);", "t:1: unknown type 'FILE' (only a pointer to it could be passed)" },
		{ "int f(struct timeval tv);", "t:1: a struct or union by value: the list cannot say how it is passed" },
		{ "int f(int{nosuch} x);", "t:1: unknown set {nosuch}" },
		{ "int f(char *{open} x);", "t:1: set {open} on a pointer" },
		{ "int f(double{hex} x);", "t:1: set {hex} on a type that is no integer" },
		{ "int f(int{printf} x);", "t:1: {printf} marks a char *" },
		{ "int f(int x, void);", "t:1: void as a parameter" },
		{ "int f(..., int x);", "t:1: a parameter after '...'" },
		{ "int f(int x,);", "t:1: an empty parameter" },
		{ "int f(int x y);", "t:1: two names, 'x' and 'y'" },
		{ "int g(int);\nint f(int{ x);", "t:2: a '{' without its set name and '}'" },
		{ "int f(int);\nint f(long);", "t: f is declared twice" },
		{ "int f(int) [errno] extra;", "t:1: expected ';' after ')'" },
		{ "int x f(int);", "t:1: 'x' in the return type" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(protolist_parse(bad[i].line, "t", err, sizeof(err)));
		assert_string_equal(err, bad[i].error);
		assert_null(strchr(err, '\n'));
	}
}

/* ---- -A/-R specs ---- */

static void test_specs(void **state)
{
	(void)state;
	char err[256];
	struct args_spec sp;
	assert_true(args_spec_parse("parse@arg1/s,arg2,fparg1", &sp, err, sizeof(err)));
	assert_string_equal(sp.glob, "parse");
	assert_false(sp.automatic);
	assert_int_equal(sp.nslots, 3);
	assert_int_equal(sp.slots[0].type.kind, ARG_STRING);
	assert_int_equal(sp.slots[0].loc.reg[0], ABI_RDI);
	assert_int_equal(sp.slots[1].type.kind, ARG_SINT);
	assert_int_equal(sp.slots[1].type.size, 8);
	assert_int_equal(sp.slots[1].loc.reg[0], ABI_RSI);
	assert_int_equal(sp.slots[2].type.kind, ARG_FLOAT);
	assert_int_equal(sp.slots[2].loc.reg[0], ABI_XMM0);
	assert_false(sp.has_ret);
	assert_true(args_spec_matches(&sp, "parse"));
	assert_false(args_spec_matches(&sp, "parser"));
	args_spec_free(&sp);

	assert_true(args_spec_parse("str*@arg1/i32,arg2/u8,arg3/x64,arg4/c,arg5/S,arg6/p,arg7/x,arg9/d16", &sp, err, sizeof(err)));
	assert_true(args_spec_matches(&sp, "strlen"));
	assert_int_equal(sp.nslots, 8);
	assert_int_equal(sp.slots[0].type.kind, ARG_SINT);
	assert_int_equal(sp.slots[0].type.size, 4);
	assert_int_equal(sp.slots[1].type.kind, ARG_UINT);
	assert_int_equal(sp.slots[1].type.size, 1);
	assert_int_equal(sp.slots[2].type.base, BASE_HEX);
	assert_int_equal(sp.slots[3].type.kind, ARG_CHAR);
	assert_int_equal(sp.slots[4].type.kind, ARG_STDSTRING);
	assert_int_equal(sp.slots[5].type.kind, ARG_FUNCPTR);
	assert_int_equal(sp.slots[5].loc.reg[0], ABI_R9);
	assert_int_equal(sp.slots[6].loc.where, WHERE_STACK);   /* arg7: the first stack slot */
	assert_int_equal(sp.slots[6].loc.stack, 8);
	assert_int_equal(sp.slots[7].loc.stack, 24);
	assert_int_equal(sp.slots[7].type.size, 2);
	args_spec_free(&sp);

	assert_true(args_spec_parse("f@arg1%rcx,fparg2/32%xmm5,arg2%stack+3,fparg3/80%stack2,fparg9%stack+1", &sp, err, sizeof(err)));
	assert_int_equal(sp.slots[0].loc.reg[0], ABI_RCX);
	assert_int_equal(sp.slots[1].loc.reg[0], ABI_XMM0 + 5);
	assert_int_equal(sp.slots[1].type.size, 4);
	assert_int_equal(sp.slots[2].loc.stack, 24);
	assert_int_equal(sp.slots[3].type.size, 16);
	assert_int_equal(sp.slots[3].loc.stack, 16);
	assert_int_equal(sp.slots[4].loc.stack, 8);
	args_spec_free(&sp);

	assert_true(args_spec_parse("main@retval/i32", &sp, err, sizeof(err)));
	assert_true(sp.has_ret);
	assert_int_equal(sp.ret.kind, ARG_SINT);
	assert_int_equal(sp.ret.size, 4);
	assert_int_equal(sp.nslots, 0);
	args_spec_free(&sp);
	assert_true(args_spec_parse("sqrt@retval/f,arg1", &sp, err, sizeof(err)));
	assert_int_equal(sp.ret.kind, ARG_FLOAT);
	assert_int_equal(sp.ret.size, 8);
	args_spec_free(&sp);
	assert_true(args_spec_parse("f@retval/f80", &sp, err, sizeof(err)));
	assert_int_equal(sp.ret.size, 16);
	args_spec_free(&sp);
	assert_true(args_spec_parse("f@retval/x", &sp, err, sizeof(err)));
	assert_int_equal(sp.ret.base, BASE_HEX);
	args_spec_free(&sp);
	assert_true(args_spec_parse("parse_*", &sp, err, sizeof(err)));
	assert_true(sp.automatic);
	assert_int_equal(sp.nslots, 0);
	args_spec_free(&sp);
}

/* A spec's slots read and shown: uftrace's argN count integer registers and fpargN SSE ones,
 * each on its own, whatever the prototype. */
static void test_spec_values(void **state)
{
	(void)state;
	static struct user_regs_struct gp;
	static struct user_fpregs_struct fp;
	static const char text[] = "root:x:0:0:root:/root:/bin/bash";
	static uint64_t stack[3] = { 0x401000, 0, 0xfffffffffffffffe };
	gp.rdi = (uint64_t)(uintptr_t)text;
	gp.rsi = 0xfff;
	gp.rdx = 0x1234567880;
	gp.rsp = (uint64_t)(uintptr_t)stack;
	double d = 0.125;
	memcpy(&fp.xmm_space[4], &d, 8);        /* xmm1 */
	struct args_input in = { { &gp, &fp }, self_read, NULL, 8, false, NULL, NULL };
	char err[256];
	struct args_spec sp;
	assert_true(args_spec_parse("parse@arg1/s,arg2/x,arg3/i8,fparg2,arg2/u16,arg3%stack+2", &sp, err, sizeof(err)));
	struct text t = { 0 };
	args_format_slots(sp.slots, sp.nslots, &in, &t);
	assert_string_equal(text_str(&t), "\"root:x:0\"..., 0xfff, -128, 0.125, 4095, -2");
	text_free(&t);
	args_spec_free(&sp);
}

static void test_bad_specs(void **state)
{
	(void)state;
	struct { const char *spec, *error; } bad[] = {
		{ "@arg1", "'@arg1': no function before '@'" },
		{ "f@", "'f@': nothing after '@'" },
		{ "f@arg1,,arg2", "'f@arg1,,arg2': an empty item between commas" },
		{ "f@arg1,", "'f@arg1,': an empty item between commas" },
		{ "f@arg0", "'arg0': arguments count from 1" },
		{ "f@arg", "'arg': expected a number after 'arg'" },
		{ "f@argx", "'argx': expected a number after 'arg'" },
		{ "f@bogus", "'bogus': expected argN, fpargN or retval" },
		{ "f@arg1/q", "'arg1/q': unknown format 'q' (d, i, u, x, s, c, f, S or p)" },
		{ "f@arg1/", "'arg1/': unknown format ' ' (d, i, u, x, s, c, f, S or p)" },
		{ "f@arg1/i12", "'arg1/i12': size 12: an integer is 8, 16, 32 or 64 bits" },
		{ "f@arg1/iz", "'arg1/iz': a size is a number of bits: 8, 16, 32 or 64" },
		{ "f@arg1/s32", "'arg1/s32': format 's' takes no size" },
		{ "f@arg1/c16", "'arg1/c16': a character is 8 bits" },
		{ "f@arg1/f", "'arg1/f': format 'f' is for a return value: use fpargN for an argument" },
		{ "f@fparg1/x", "'fparg1/x': a floating-point argument takes a size only: 32, 64 or 80" },
		{ "f@fparg1/80", "'fparg1/80': a long double is passed on the stack: give its slot with %stack+N" },
		{ "f@fparg1/80%xmm0", "'fparg1/80%xmm0': a long double is passed on the stack: give its slot with %stack+N" },
		{ "f@fparg9", "'fparg9': fparg9 is on the stack: give its slot with %stack+N" },
		{ "f@arg1%xmm0", "'arg1%xmm0': xmm0 is no integer register" },
		{ "f@fparg1%rdi", "'fparg1%rdi': rdi is no floating-point register" },
		{ "f@arg1%eax", "'arg1%eax': unknown register 'eax' (rdi, rsi, rdx, rcx, r8, r9, xmm0-xmm7)" },
		{ "f@arg1%stack+0", "'arg1%stack+0': stack slots count from 1 (slot 0 is the return address)" },
		{ "f@arg1%stack+x", "'arg1%stack+x': a stack slot is %stack+N, N counting 8-byte slots from 1" },
		{ "f@arg1x", "'arg1x': unexpected 'x'" },
		{ "f@retval%rax", "'retval%rax': a return value is where the ABI puts it: no register or stack slot" },
		{ "f@retval,retval", "'retval': a second retval" },
		{ "f@retval/f33", "'retval/f33': a floating-point size is 32, 64 or 80, not 33" },
		{ "f@arg99999", "'arg99999': expected a number after 'arg'" },
		{ "f@arg1/\033[2J", "'arg1/\\x1b[2J': unknown format '\\x1b' (d, i, u, x, s, c, f, S or p)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		struct args_spec sp;
		bool ok = args_spec_parse(bad[i].spec, &sp, err, sizeof(err));
		if (ok)
			fail_msg("'%s' parsed", bad[i].spec);
		assert_string_equal(err, bad[i].error);
		assert_null(sp.glob);   /* nothing left to free */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_list),
		cmocka_unit_test(test_list_syntax),
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_spec_values),
		cmocka_unit_test(test_bad_specs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
