/* test_args_dwarf: prototypes read from the DWARF of fixture programs (C and C++, -O0 and -O2),
 * found by entry address as the tracer will find them, and by name; from a separate debug file
 * under a build-id path; and checked against what the compiler really passes: the fixture's
 * prototypes format the registers and stack that args_capture saved when this test called it
 * with the same types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "unit.h"
#include "args/dwarf.h"
#include "args/format.h"
#include "args/text.h"
#include "elf/debuginfo.h"

#ifndef UNIT_FIXTURES
#error "UNIT_FIXTURES must name the directory of the fixture programs"
#endif

/* The address of symbol name in the fixture's nm listing, or 0. */
static uint64_t nm_addr(const char *fixture, const char *name)
{
	char path[512], line[512];
	snprintf(path, sizeof(path), "%s/%s.nm", UNIT_FIXTURES, fixture);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	uint64_t addr = 0;
	while (!addr && fgets(line, sizeof(line), f)) {
		char sym[400], type;
		unsigned long long a;
		if (sscanf(line, "%llx %c %399s", &a, &type, sym) == 3 && !strcmp(sym, name))
			addr = a;
	}
	fclose(f);
	return addr;
}

static struct args_dwarf *open_fixture(const char *fixture)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", UNIT_FIXTURES, fixture);
	struct args_dwarf *d = args_dwarf_open(path, path);
	assert_non_null(d);
	return d;
}

/* The prototype of symbol sym, found by its address. */
static struct proto *proto_at(struct args_dwarf *d, const char *fixture, const char *sym)
{
	uint64_t addr = nm_addr(fixture, sym);
	assert_true(addr != 0);
	struct proto *pr = args_dwarf_proto(d, sym, addr);
	if (!pr)
		fail_msg("%s: no prototype for %s at %#llx", fixture, sym, (unsigned long long)addr);
	return pr;
}

static void check(struct args_dwarf *d, const char *fixture, const char *sym, const char *expected)
{
	struct proto *pr = proto_at(d, fixture, sym);
	char buf[1024];
	proto_describe(pr, buf, sizeof(buf));
	if (strcmp(buf, expected))
		fail_msg("%s %s:\n got      %s\n expected %s", fixture, sym, buf, expected);
	proto_free(pr);
}

static const char *const c_fixtures[] = { "args-O0", "args-O2" };
static const char *const cpp_fixtures[] = { "args_cpp-O0", "args_cpp-O2" };

static void test_c_prototypes(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *fx = c_fixtures[i];
		struct args_dwarf *d = open_fixture(fx);
		check(d, fx, "take_ints", "int32 take_ints(int8 a, int16 b, int32 c, int64 d, uint64 e, uint64 f, int64 g)");
		check(d, fx, "take_misc", "bool take_misc(bool flag, char c, enum32{3} col, char * s, void * p, func * fn)");
		check(d, fx, "take_floats", "double take_floats(float f, double d, long double ld, int32 i, double d2)");
		check(d, fx, "take_structs", "int64 take_structs(struct8{INTEGER} p, struct16{SSE,INTEGER} m, "
			"struct16{SSE,SSE} dp, struct32{MEMORY} b, struct5{MEMORY} ps, struct12{SSE,SSE} f3, "
			"struct4{INTEGER} n, struct16{MEMORY} w, int32 after)");
		check(d, fx, "ret_point", "struct8{INTEGER} ret_point(int32 x, int32 y)");
		check(d, fx, "ret_big", "struct32{MEMORY} ret_big(int64 a)");
		check(d, fx, "ret_dpair", "struct16{SSE,SSE} ret_dpair(double a)");
		check(d, fx, "vsum", "int32 vsum(int32 n, ...)");
		check(d, fx, "main", "int32 main(int32 argc, void * argv)");
		/* by name, and nothing for what is not there */
		struct proto *pr = args_dwarf_proto(d, "vsum", 0);
		assert_non_null(pr);
		assert_true(pr->variadic);
		proto_free(pr);
		/* no prototype rather than a wrong one: an assembler's function, an aggregate of
		 * which DWARF says nothing (the values after it could not be placed) */
		uint64_t stub = nm_addr(fx, "args_asm_stub");
		assert_true(stub != 0);
		assert_null(args_dwarf_proto(d, "args_asm_stub", stub));
		assert_null(args_dwarf_proto(d, "take_empty", nm_addr(fx, "take_empty")));
		assert_null(args_dwarf_proto(d, "no_such_function", 0));
		assert_null(args_dwarf_proto(d, "x", 1));
		args_dwarf_close(d);
	}
}

static void test_cpp_prototypes(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *fx = cpp_fixtures[i];
		struct args_dwarf *d = open_fixture(fx);
		check(d, fx, "_ZNK5Shape4areaEv", "int32 area(void * this)");
		check(d, fx, "_ZN5Shape5twiceEi", "int32 twice(int32 x)");
		check(d, fx, "_ZN7Counter3addERlRKiOi", "int64 add(void * this, void * total, void * x, void * tmp)");
		check(d, fx, "_Z15take_nontrivial8WithDtori", "int32 take_nontrivial(struct4{INTEGER,byref} w, int32 after)");
		check(d, fx, "_Z8set_mode4Modeb", "int32 set_mode(enum8{3} m, bool on)");
		check(d, fx, "_ZN3geo5scaleEdf", "double scale(double x, float f)");
		check(d, fx, "_Z8name_lenRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEPS5_",
		      "uint64 name_len(std::string * name, std::string * other)");
		assert_true(args_dwarf_count(d) >= 8);
		/* the enum class's enumerators, by name */
		struct proto *pr = args_dwarf_proto(d, "_Z8set_mode4Modeb", 0);     /* by linkage name */
		assert_non_null(pr);
		assert_int_equal(pr->params[0].type.nenums, 3);
		assert_string_equal(pr->params[0].type.enums[2].name, "Auto");
		assert_int_equal(pr->params[0].type.enums[2].value, 7);
		/* a copy owns its own names */
		struct proto *copy = proto_dup(pr);
		proto_free(pr);
		assert_string_equal(copy->name, "set_mode");
		assert_string_equal(copy->params[0].type.enums[1].name, "On");
		assert_string_equal(copy->params[1].name, "on");
		proto_free(copy);
		pr = args_dwarf_proto(d, "area", 0);                                /* by DWARF name */
		assert_non_null(pr);
		assert_string_equal(pr->params[0].name, "this");
		proto_free(pr);
		assert_null(args_dwarf_proto(d, "args_asm_stub", nm_addr(fx, "args_asm_stub")));
		args_dwarf_close(d);
	}
}

/* A stripped program: its DWARF is in the debug file under debugroot/.build-id/. */
static void test_separate_debug_file(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/args-O2.stripped", UNIT_FIXTURES);
	char tmp[] = "/tmp/fntrace-args-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	debuginfo_set_path(tmp);                /* nowhere: no DWARF */
	assert_null(args_dwarf_open(path, path));
	char root[512];
	snprintf(root, sizeof(root), "%s/debugroot", UNIT_FIXTURES);
	debuginfo_set_path(root);
	struct args_dwarf *d = args_dwarf_open(path, path);
	assert_non_null(d);
	check(d, "args-O2", "take_floats", "double take_floats(float f, double d, long double ld, int32 i, double d2)");
	args_dwarf_close(d);
	debuginfo_set_path(NULL);
	rmdir(tmp);
	/* a file that is no ELF at all */
	assert_null(args_dwarf_open("/proc/self/status", "status"));
	assert_null(args_dwarf_open("/nonexistent", "x"));
}

/* --srcline: a function's definition, relative to the build's directory; nothing for an
 * assembler's function or an address DWARF does not describe; the same from a debug file. */
static void expect_srcline(struct args_dwarf *d, const char *fx, const char *sym, const char *expected)
{
	char line[256] = "untouched";
	bool found = args_dwarf_srcline(d, nm_addr(fx, sym), line, sizeof(line));
	if (expected ? !found || strcmp(line, expected) : found || strcmp(line, "untouched"))
		fail_msg("%s %s: got %s (%s), expected %s", fx, sym, line, found ? "found" : "not found",
			 expected ? expected : "nothing");
}

static void test_srclines(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct args_dwarf *d = open_fixture(c_fixtures[i]);
		expect_srcline(d, c_fixtures[i], "take_ints", "tests/unit/fixtures/args.c:26");
		expect_srcline(d, c_fixtures[i], "vsum", "tests/unit/fixtures/args.c:69");
		expect_srcline(d, c_fixtures[i], "main", "tests/unit/fixtures/args.c:82");
		expect_srcline(d, c_fixtures[i], "args_asm_stub", NULL);
		char line[64];
		assert_false(args_dwarf_srcline(d, 1, line, sizeof(line)));
		args_dwarf_close(d);
	}
	assert_false(args_dwarf_srcline(NULL, 0x1000, (char[8]){ 0 }, 8));
	char path[512], root[512];
	snprintf(path, sizeof(path), "%s/args-O2.stripped", UNIT_FIXTURES);
	snprintf(root, sizeof(root), "%s/debugroot", UNIT_FIXTURES);
	debuginfo_set_path(root);
	struct args_dwarf *d = args_dwarf_cached(path, path);
	assert_ptr_equal(d, args_dwarf_cached(path, path));   /* opened once */
	expect_srcline(d, "args-O2", "vsum", "tests/unit/fixtures/args.c:69");
	args_dwarf_close_cached();
	debuginfo_set_path(NULL);
}

/* ---- against the compiler: what args_capture saw ---- */

enum color { RED, GREEN = 5, BLUE = -1 };
struct point { int x, y; };
struct mixed { double d; long l; };
struct dpair { double a, b; };
struct big { long a[4]; };
struct packed_s { char c; int i; } __attribute__((packed));
struct fl3 { float a, b, c; };
union num { int i; float f; };
struct withld { long double x; };

extern char args_capture[];
extern uint64_t args_captured_gpr[8];
extern uint8_t args_captured_xmm[128];
extern uint8_t args_captured_stack[256];

/* The stack as args_capture saw it; anything else read from this process, which a bad address
 * cannot crash. */
static size_t captured_read(void *rctx, taddr_t addr, void *buf, size_t len)
{
	(void)rctx;
	uint64_t sp = args_captured_gpr[7];
	if (addr >= sp && addr + len <= sp + sizeof(args_captured_stack)) {
		memcpy(buf, args_captured_stack + (addr - sp), len);
		return len;
	}
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n > 0 ? (size_t)n : 0;
}

static char *format_captured(const char *fixture, const char *sym, bool names)
{
	static struct user_regs_struct gp;
	static struct user_fpregs_struct fp;
	gp = (struct user_regs_struct){ .rdi = args_captured_gpr[0], .rsi = args_captured_gpr[1],
		.rdx = args_captured_gpr[2], .rcx = args_captured_gpr[3], .r8 = args_captured_gpr[4],
		.r9 = args_captured_gpr[5], .rax = args_captured_gpr[6], .rsp = args_captured_gpr[7] };
	memcpy(fp.xmm_space, args_captured_xmm, sizeof(args_captured_xmm));
	struct args_dwarf *d = open_fixture(fixture);
	struct proto *pr = proto_at(d, fixture, sym);
	struct args_input in = { { &gp, &fp }, captured_read, NULL, ARGS_STRSIZE_DEFAULT, names, NULL, NULL };
	struct text t = { 0 };
	args_format_entry(pr, &in, &t);
	proto_free(pr);
	args_dwarf_close(d);
	return text_take(&t);
}

#define assert_captured(fixture, sym, names, expected) do { \
	char *got_ = format_captured(fixture, sym, names); \
	if (strcmp(got_, expected)) \
		fail_msg("%s %s:\n got      %s\n expected %s", fixture, sym, got_, expected); \
	free(got_); \
} while (0)

static void nothing(void) {}

static void test_against_the_compiler(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *fx = c_fixtures[i];
		((int (*)(signed char, short, int, long, unsigned long long, unsigned long, long))(void *)args_capture)(
			-1, -2, -3, -4, 5, 6, 7);
		assert_captured(fx, "take_ints", false, "-1, -2, -3, -4, 5, 6, 7");

		((double (*)(float, double, long double, int, double))(void *)args_capture)(1.5f, 2.5, 3.5L, 4, 5.5);
		assert_captured(fx, "take_floats", false, "1.5, 2.5, 3.5, 4, 5.5");

		int v = 3;
		char hostile[] = "hello\033]0;title\a";
		((_Bool (*)(_Bool, char, enum color, const char *, const volatile int *, void (*)(void)))(void *)args_capture)(
			1, '\n', BLUE, hostile, &v, nothing);
		char expected[256];
		snprintf(expected, sizeof(expected), "flag=true, c='\\n', col=BLUE, s=\"hello\\33]0;title\\7\", p=%p, fn=%p",
			 (void *)&v, (void *)(uintptr_t)nothing);
		assert_captured(fx, "take_misc", true, expected);

		/* after eight aggregates of every class, the int is where the classes leave it */
		((long (*)(struct point, struct mixed, struct dpair, struct big, struct packed_s, struct fl3,
			   union num, struct withld, int))(void *)args_capture)(
			(struct point){ 1, 2 }, (struct mixed){ 1, 2 }, (struct dpair){ 3, 4 },
			(struct big){ { 5, 6, 7, 8 } }, (struct packed_s){ 'a', 9 }, (struct fl3){ 1, 2, 3 },
			(union num){ 10 }, (struct withld){ 11 }, 424242);
		assert_captured(fx, "take_structs", false, "{...}, {...}, {...}, {...}, {...}, {...}, {...}, {...}, 424242");

		/* a function returning a struct in memory: its hidden pointer took rdi */
		((struct big (*)(long))(void *)args_capture)(-77);
		assert_captured(fx, "ret_big", false, "-77");
		((struct dpair (*)(double))(void *)args_capture)(0.25);
		assert_captured(fx, "ret_dpair", false, "0.25");

		((int (*)(int, ...))(void *)args_capture)(3, 1, 2, 3);
		assert_captured(fx, "vsum", false, "3");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_prototypes),
		cmocka_unit_test(test_cpp_prototypes),
		cmocka_unit_test(test_separate_debug_file),
		cmocka_unit_test(test_srclines),
		cmocka_unit_test(test_against_the_compiler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
