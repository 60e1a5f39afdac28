/* test_args_format: values found where the System V ABI puts them, in hand-made register sets,
 * and printed as strace prints them: escaping, cut and unreadable strings, hostile strings read
 * within their bound, flags by name, errno names, printf's values. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/user.h>

#include "unit.h"
#include "args/abi.h"
#include "args/flags.h"
#include "args/format.h"
#include "args/protolist.h"
#include "args/text.h"

/* ---- a fake program: memory regions and registers ---- */

struct region {
	taddr_t addr;
	const void *bytes;
	size_t len;
};

static struct region regions[8];
static size_t nregions, bytes_read;

static void map(taddr_t addr, const void *bytes, size_t len)
{
	regions[nregions++] = (struct region){ addr, bytes, len };
}

static size_t fake_read(void *rctx, taddr_t addr, void *buf, size_t len)
{
	(void)rctx;
	for (size_t i = 0; i < nregions; i++) {
		const struct region *r = &regions[i];
		if (addr >= r->addr && addr < r->addr + r->len) {
			size_t n = r->addr + r->len - addr < len ? r->addr + r->len - addr : len;
			memcpy(buf, (const char *)r->bytes + (addr - r->addr), n);
			bytes_read += n;
			return n;
		}
	}
	return 0;
}

static struct user_regs_struct gp;
static struct user_fpregs_struct fp;

static int setup(void **state)
{
	(void)state;
	nregions = bytes_read = 0;
	memset(&gp, 0, sizeof(gp));
	memset(&fp, 0, sizeof(fp));
	gp.rsp = 0x7ff000;
	return 0;
}

static struct args_input input(void)
{
	return (struct args_input){ { &gp, &fp }, fake_read, NULL, ARGS_STRSIZE_DEFAULT, false, NULL, NULL };
}

static void set_xmm(int i, double d)
{
	memcpy(&fp.xmm_space[4 * i], &d, 8);
}

/* The text args_format_entry gives for the list's prototype of name. */
static char *entry_of(const char *name, const struct args_input *in)
{
	const struct proto *pr = protolist_find(protolist_builtin(), name);
	assert_non_null(pr);
	struct text t = { 0 };
	args_format_entry(pr, in, &t);
	return text_take(&t);
}

#define assert_entry(name, in, expected) do { \
	char *got_ = entry_of(name, in); \
	assert_string_equal(got_, expected); \
	free(got_); \
} while (0)

/* ---- strings ---- */

static char *quoted(const char *s, size_t n, bool cut)
{
	struct text t = { 0 };
	args_quote(s, n, cut, &t);
	return text_take(&t);
}

#define assert_quoted(s, n, cut, expected) do { \
	char *q_ = quoted(s, n, cut); \
	assert_string_equal(q_, expected); \
	free(q_); \
} while (0)

static void test_escaping(void **state)
{
	(void)state;
	assert_quoted("plain text", 10, false, "\"plain text\"");
	assert_quoted("a\tb\nc\"d\\e\r\v\f", 12, false, "\"a\\tb\\nc\\\"d\\\\e\\r\\v\\f\"");
	/* terminal escapes never raw: ESC as strace writes it */
	assert_quoted("\033[31mred\033[0m", 12, false, "\"\\33[31mred\\33[0m\"");
	/* octal as short as it can be, 3 digits when an octal digit follows */
	assert_quoted("\001x\0011\0178", 6, false, "\"\\1x\\0011\\178\"");
	assert_quoted("\177\200", 2, false, "\"\\177\\200\"");
	assert_quoted("nul\0in", 6, false, "\"nul\\0in\"");
	/* valid printable UTF-8 kept; invalid bytes, C1 controls and bidi overrides escaped */
	assert_quoted("caf\xc3\xa9", 5, false, "\"caf\xc3\xa9\"");
	assert_quoted("\xc3(", 2, false, "\"\\303(\"");
	assert_quoted("\xc2\x9b" "2J", 4, false, "\"\\302\\2332J\"");
	assert_quoted("\xe2\x80\xae" "evil", 7, false, "\"\\342\\200\\256evil\"");
	/* a character cut in its middle by the limit is escaped, not half-printed */
	assert_quoted("\xc3\xa9", 1, true, "\"\\303\"...");
	assert_quoted("abc", 3, true, "\"abc\"...");
}

static char *string_at(taddr_t addr, unsigned strsize)
{
	struct args_input in = input();
	in.strsize = strsize;
	struct text t = { 0 };
	args_format_string(addr, &in, &t);
	return text_take(&t);
}

#define assert_string_at(addr, strsize, expected) do { \
	char *s_ = string_at(addr, strsize); \
	assert_string_equal(s_, expected); \
	free(s_); \
} while (0)

static void test_strings_bounded(void **state)
{
	(void)state;
	static char exact[33], longer[34];
	memset(exact, 'e', 32);
	memset(longer, 'l', 33);
	map(0x1000, exact, sizeof(exact));
	map(0x2000, longer, sizeof(longer));
	assert_string_at(0x1000, 32, "\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"");       /* 32: whole */
	assert_string_at(0x2000, 32, "\"llllllllllllllllllllllllllllllll\"...");    /* 33: cut */
	assert_string_at(0, 32, "NULL");
	assert_string_at(0xdead0000, 32, "0xdead0000");                           /* unreadable */

	/* A hostile string: a megabyte without a NUL. Read no further than the limit needs. */
	size_t huge = 1 << 20;
	char *hostile = malloc(huge);
	memset(hostile, '\033', huge);
	map(0x100000, hostile, huge);
	bytes_read = 0;
	char *s = string_at(0x100000, 32);
	assert_true(bytes_read <= 33);
	assert_int_equal(strlen(s), 2 + 32 * 3 + 3);    /* "\33..."... */
	assert_null(strchr(s, '\033'));
	free(s);
	bytes_read = 0;
	s = string_at(0x100000, 4096);
	assert_true(bytes_read <= 4097);
	free(s);
	free(hostile);

	/* A string that runs into an unmapped page: what was readable, then "..." */
	static const char edge[4] = { 'e', 'n', 'd', '!' };
	map(0x5000 - 4, edge, sizeof(edge));
	assert_string_at(0x5000 - 4, 32, "\"end!\"...");
	/* A string that ends just before an unmapped page reads whole. */
	static const char fits[4] = { 'o', 'k', '\0', 'x' };
	map(0x7000 - 4, fits, sizeof(fits));
	assert_string_at(0x7000 - 4, 32, "\"ok\"");
}

/* libstdc++'s std::string: the characters' address, then the length; the length is the
 * program's word, so it bounds nothing but the display */
static void test_std_string(void **state)
{
	(void)state;
	struct args_input in = input();
	static const char chars[] = "a std::string\n with more than thirty-two bytes";
	uint64_t ok[2] = { 0x1000, 13 }, cut[2] = { 0x1000, sizeof(chars) - 1 };
	uint64_t hostile[2] = { 0x1000, UINT64_C(1) << 40 }, dangling[2] = { 0xbad000, 4 };
	map(0x1000, chars, sizeof(chars));
	map(0x2000, ok, sizeof(ok));
	map(0x3000, cut, sizeof(cut));
	map(0x4000, hostile, sizeof(hostile));
	map(0x5000, dangling, sizeof(dangling));
	struct arg_type ty = arg_type_ptr(ARG_STDSTRING);
	const uint64_t addrs[] = { 0x2000, 0x3000, 0x4000, 0x5000, 0xdead0, 0 };
	struct text t = { 0 };
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct arg_value v = { .ok = true };
		memcpy(v.bytes, &addrs[i], 8);
		bytes_read = 0;
		args_format_value(&ty, &v, &in, &t);
		assert_true(bytes_read <= 16 + ARGS_STRSIZE_DEFAULT);
		text_puts(&t, "|");
	}
	assert_string_equal(text_str(&t), "\"a std::string\"|\"a std::string\\n with more than th\"...|"
			    "\"a std::string\\n with more than th\"...|0x5000|0xdead0|NULL|");
	text_free(&t);
}

/* ---- integers, flags, pointers ---- */

static void test_libc_entries(void **state)
{
	(void)state;
	struct args_input in = input();
	static const char path[] = "/etc/passwd";
	map(0x4000, path, sizeof(path));

	gp.rdi = 0x4000;
	gp.rsi = O_RDONLY | O_CLOEXEC;
	assert_entry("open", &in, "\"/etc/passwd\", O_RDONLY|O_CLOEXEC");
	gp.rsi = O_WRONLY | O_CREAT | O_TRUNC | 0x40000000;     /* a bit nobody names: in hex */
	assert_entry("open", &in, "\"/etc/passwd\", O_WRONLY|O_CREAT|O_TRUNC|0x40000000");

	gp.rdi = (uint64_t)(int64_t)AT_FDCWD;
	gp.rsi = 0x4000;
	gp.rdx = O_RDWR | O_DIRECTORY;
	assert_entry("openat", &in, "AT_FDCWD, \"/etc/passwd\", O_RDWR|O_DIRECTORY");
	gp.rdi = 7;
	assert_entry("openat", &in, "7, \"/etc/passwd\", O_RDWR|O_DIRECTORY");

	gp.rdi = 0;
	gp.rsi = 4096;
	gp.rdx = PROT_READ | PROT_WRITE;
	gp.rcx = MAP_PRIVATE | MAP_ANONYMOUS;
	gp.r8 = (uint32_t)-1;           /* an int in a 64-bit register: the high half is junk */
	gp.r9 = 0;
	assert_entry("mmap", &in, "NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0");
	gp.rdi = 0x7f0000001000;
	gp.rsi = 8192;
	gp.rdx = PROT_NONE;
	assert_entry("mprotect", &in, "0x7f0000001000, 8192, PROT_NONE");

	gp.rdi = 3;
	gp.rsi = 0x7ffd1000;
	gp.rdx = 4096;
	assert_entry("read", &in, "3, 0x7ffd1000, 4096");
	gp.rdi = 1234;
	gp.rsi = SIGTERM;
	assert_entry("kill", &in, "1234, SIGTERM");
	gp.rdi = 3;
	gp.rsi = (uint64_t)-10;
	gp.rdx = SEEK_END;
	assert_entry("lseek", &in, "3, -10, SEEK_END");
	gp.rdi = 0x4000;
	gp.rsi = 0755;
	assert_entry("mkdir", &in, "\"/etc/passwd\", 0755");
	gp.rdi = 0x4000;
	gp.rsi = 0;
	assert_entry("access", &in, "\"/etc/passwd\", F_OK");
	gp.rdi = AF_INET6;
	gp.rsi = SOCK_STREAM | SOCK_CLOEXEC;
	gp.rdx = 0;
	assert_entry("socket", &in, "AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, 0");
	gp.rdi = (uint64_t)-1;
	gp.rsi = 0x1000;
	gp.rdx = WNOHANG;
	assert_entry("waitpid", &in, "-1, 0x1000, WNOHANG");
	/* names, when asked */
	in.names = true;
	gp.rdi = 0x4000;
	gp.rsi = 0x5000;
	gp.rdx = 3;
	assert_entry("strncmp", &in, "s1=\"/etc/passwd\", s2=0x5000, n=3");
}

static void test_flagsets(void **state)
{
	(void)state;
	struct { const char *set; uint64_t v; unsigned size; const char *expected; } cases[] = {
		{ "open", O_RDONLY, 4, "O_RDONLY" },
		{ "open", O_WRONLY | O_APPEND | O_SYNC, 4, "O_WRONLY|O_SYNC|O_APPEND" },
		{ "open", O_RDWR | O_TMPFILE, 4, "O_RDWR|O_TMPFILE" },
		{ "prot", 0, 4, "PROT_NONE" },
		{ "prot", PROT_READ | PROT_EXEC, 4, "PROT_READ|PROT_EXEC" },
		{ "mmap", MAP_SHARED | MAP_FIXED, 4, "MAP_SHARED|MAP_FIXED" },
		{ "at", 0, 4, "0" },
		{ "at", AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, 4, "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH" },
		{ "dirfd", (uint32_t)AT_FDCWD, 4, "AT_FDCWD" },
		{ "signal", SIGKILL, 4, "SIGKILL" },
		{ "signal", 0, 4, "0" },
		{ "signal", 1000, 4, "1000" },
		{ "whence", 99, 4, "99" },
		{ "mode", 04755, 4, "04755" },
		{ "msg", MSG_NOSIGNAL | MSG_DONTWAIT, 4, "MSG_DONTWAIT|MSG_NOSIGNAL" },
		{ "clock", CLOCK_MONOTONIC, 4, "CLOCK_MONOTONIC" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct flagset *fs = flagset_by_name(cases[i].set);
		assert_non_null(fs);
		struct text t = { 0 };
		flagset_format(fs, cases[i].v, cases[i].size, &t);
		assert_string_equal(text_str(&t), cases[i].expected);
		text_free(&t);
	}
	assert_null(flagset_by_name("nosuchset"));
	struct text t = { 0 };
	flags_errno(ENOENT, &t);
	flags_errno(100000, &t);
	assert_string_equal(text_str(&t), " ENOENT (No such file or directory) errno 100000");
	text_free(&t);
}

static const char *fake_symbol(void *sctx, taddr_t addr)
{
	(void)sctx;
	return addr == 0x401000 ? "handler\033" : NULL;
}

static void test_scalar_kinds(void **state)
{
	(void)state;
	struct args_input in = input();
	in.symbolize = fake_symbol;
	struct arg_enumerator colors[] = { { 0, "RED" }, { 5, "GREEN" }, { -1, "BLUE" } };
	struct arg_type e = arg_type_int(ARG_ENUM, 4);
	e.enums = colors;
	e.nenums = 3;
	struct { struct arg_type ty; uint64_t bits; const char *expected; } cases[] = {
		{ arg_type_int(ARG_SINT, 1), 0xff, "-1" },
		{ arg_type_int(ARG_SINT, 2), 0x12348000, "-32768" },
		{ arg_type_int(ARG_UINT, 4), 0xffffffffffffffff, "4294967295" },
		{ arg_type_int(ARG_SINT, 8), 0x8000000000000000, "-9223372036854775808" },
		{ arg_type_int(ARG_BOOL, 1), 0x100, "false" },  /* only the low byte is defined */
		{ arg_type_int(ARG_BOOL, 1), 1, "true" },
		{ arg_type_int(ARG_CHAR, 1), 'x', "'x'" },
		{ arg_type_int(ARG_CHAR, 1), '\'', "'\\''" },
		{ arg_type_int(ARG_CHAR, 1), '\n', "'\\n'" },
		{ arg_type_int(ARG_CHAR, 1), 0x1b, "'\\33'" },
		{ e, 5, "GREEN" },
		{ e, 0xffffffff, "BLUE" },
		{ e, 3, "3" },
		{ arg_type_ptr(ARG_PTR), 0, "NULL" },
		{ arg_type_ptr(ARG_PTR), 0x7ffd0000, "0x7ffd0000" },
		{ arg_type_ptr(ARG_FUNCPTR), 0x401000, "&handler\\x1b" },
		{ arg_type_ptr(ARG_FUNCPTR), 0x402000, "0x402000" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct arg_value v = { .ok = true };
		memcpy(v.bytes, &cases[i].bits, 8);
		struct text t = { 0 };
		args_format_value(&cases[i].ty, &v, &in, &t);
		assert_string_equal(text_str(&t), cases[i].expected);
		text_free(&t);
	}
	struct arg_type hex = arg_type_int(ARG_UINT, 4);
	hex.base = BASE_HEX;
	struct arg_value v = { .ok = true, .bytes = { 0xef, 0xbe, 0xad, 0xde, 1 } };
	struct text t = { 0 };
	args_format_value(&hex, &v, &in, &t);
	v.ok = false;
	text_puts(&t, " ");
	args_format_value(&hex, &v, &in, &t);
	assert_string_equal(text_str(&t), "0xdeadbeef ?");
	text_free(&t);
}

/* ---- the ABI ---- */

static void test_locator(void **state)
{
	(void)state;
	struct arg_type i64 = arg_type_int(ARG_SINT, 8), dbl = arg_type_float(8), ld = arg_type_float(16);
	ld.align = 16;
	struct arg_type two_int = { .kind = ARG_STRUCT, .size = 16, .align = 8, .cls = { CLASS_INTEGER, CLASS_INTEGER } };
	struct arg_type mem = { .kind = ARG_STRUCT, .size = 24, .align = 8, .cls = { CLASS_MEMORY, CLASS_NONE } };
	struct arg_type void_ty = { .kind = ARG_VOID };
	struct abi_cursor c;
	abi_begin(&c, &void_ty);
	/* five integers, then a two-eightbyte struct that no longer fits in r9 alone: it goes to
	 * the stack whole, and the integer after it still gets r9 */
	for (int i = 0; i < 5; i++) {
		struct arg_loc loc = abi_next(&c, &i64);
		assert_int_equal(loc.where, WHERE_REGS);
		assert_int_equal(loc.reg[0], ABI_RDI + i);
	}
	struct arg_loc s = abi_next(&c, &two_int);
	assert_int_equal(s.where, WHERE_STACK);
	assert_int_equal(s.stack, 8);
	struct arg_loc r9 = abi_next(&c, &i64);
	assert_int_equal(r9.where, WHERE_REGS);
	assert_int_equal(r9.reg[0], ABI_R9);
	struct arg_loc next = abi_next(&c, &i64);
	assert_int_equal(next.where, WHERE_STACK);
	assert_int_equal(next.stack, 24);
	/* a long double is 16-byte aligned on the stack: rsp + 8 is, at entry (rsp + 40 here) */
	struct arg_loc l = abi_next(&c, &ld);
	assert_int_equal(l.where, WHERE_STACK);
	assert_int_equal(l.stack, 40);
	/* eight doubles in xmm0-7, the ninth on the stack after the long double */
	for (int i = 0; i < 8; i++)
		assert_int_equal(abi_next(&c, &dbl).reg[0], ABI_XMM0 + i);
	assert_int_equal(abi_next(&c, &dbl).stack, 56);
	assert_int_equal(abi_next(&c, &mem).stack, 64);
	assert_int_equal(abi_next(&c, &i64).stack, 88);

	/* a struct returned in memory: its hidden pointer takes rdi, and rax has it at the return */
	abi_begin(&c, &mem);
	assert_int_equal(abi_next(&c, &i64).reg[0], ABI_RSI);
	struct arg_loc ret = abi_return(&mem);
	assert_int_equal(ret.where, WHERE_REF);
	assert_int_equal(ret.reg[0], ABI_RAX);
	/* mixed classes: the SSE eightbyte in xmm0, the INTEGER one in the next integer register */
	struct arg_type mixed = { .kind = ARG_STRUCT, .size = 16, .align = 8, .cls = { CLASS_SSE, CLASS_INTEGER } };
	abi_begin(&c, &void_ty);
	abi_next(&c, &i64);
	struct arg_loc m = abi_next(&c, &mixed);
	assert_int_equal(m.where, WHERE_REGS);
	assert_int_equal(m.reg[0], ABI_XMM0);
	assert_int_equal(m.reg[1], ABI_RSI);
	ret = abi_return(&mixed);
	assert_int_equal(ret.reg[0], ABI_XMM0);
	assert_int_equal(ret.reg[1], ABI_RAX);
	ret = abi_return(&two_int);
	assert_int_equal(ret.reg[0], ABI_RAX);
	assert_int_equal(ret.reg[1], ABI_RDX);
	assert_int_equal(abi_return(&ld).reg[0], ABI_ST0);
	assert_int_equal(abi_return(&void_ty).where, WHERE_NONE);
	assert_string_equal(abi_reg_name(ABI_XMM0 + 3), "xmm3");
	assert_string_equal(abi_reg_name(ABI_R8), "r8");
	assert_int_equal(abi_reg_by_name("rcx"), ABI_RCX);
	assert_int_equal(abi_reg_by_name("xmm8"), ABI_NOREG);
	/* a C++ object passed by hidden reference: its address in the next integer register */
	struct arg_type byref = { .kind = ARG_STRUCT, .size = 4, .align = 4, .cls = { CLASS_INTEGER }, .by_ref = true };
	abi_begin(&c, &void_ty);
	struct arg_loc br = abi_next(&c, &byref);
	assert_int_equal(br.where, WHERE_REF);
	assert_int_equal(br.reg[0], ABI_RDI);
	/* classification: padding, sizes, x87 */
	enum arg_class cls[2] = { CLASS_INTEGER, CLASS_NONE };
	abi_classify_finish(cls, 12);
	assert_int_equal(cls[1], CLASS_SSE);
	enum arg_class x87[2] = { CLASS_X87, CLASS_NONE };
	abi_classify_finish(x87, 16);
	assert_int_equal(x87[0], CLASS_MEMORY);
	enum arg_class big[2] = { CLASS_INTEGER, CLASS_INTEGER };
	abi_classify_finish(big, 24);
	assert_int_equal(big[0], CLASS_MEMORY);
}

/* Stack arguments, floats and the values returned, read from a hand-made register set. */
static void test_fetch_and_return(void **state)
{
	(void)state;
	struct args_input in = input();
	uint64_t stack[4] = { 0x401234 /* return address */, 77, (uint64_t)-2, 0 };
	map(gp.rsp, stack, sizeof(stack));
	struct proto *pr = proto_new("f");
	struct arg_type i32 = arg_type_int(ARG_SINT, 4);
	for (int i = 0; i < 8; i++)
		proto_add_param(pr, NULL, &i32);
	struct arg_type f = arg_type_float(4);
	proto_add_param(pr, "x", &f);
	gp.rdi = 1, gp.rsi = 2, gp.rdx = 3, gp.rcx = 4, gp.r8 = 5, gp.r9 = 6;
	float x = 0.5f;
	memcpy(&fp.xmm_space[0], &x, 4);
	struct text t = { 0 };
	args_format_entry(pr, &in, &t);
	assert_string_equal(text_str(&t), "1, 2, 3, 4, 5, 6, 77, -2, 0.5");
	text_free(&t);
	/* no fp registers given: a float cannot be read, the rest still can */
	in.regs.fp = NULL;
	args_format_entry(pr, &in, &t);
	assert_string_equal(text_str(&t), "1, 2, 3, 4, 5, 6, 77, -2, ?");
	text_free(&t);
	/* a stack that cannot be read */
	in.regs.fp = &fp;
	nregions = 0;
	args_format_entry(pr, &in, &t);
	assert_string_equal(text_str(&t), "1, 2, 3, 4, 5, 6, ?, ?, 0.5");
	text_free(&t);
	proto_free(pr);

	struct arg_type ret = arg_type_int(ARG_SINT, 8);
	gp.rax = (uint64_t)-1;
	args_format_return(&ret, true, ENOENT, &in, &t);
	text_puts(&t, ";");
	args_format_return(&ret, true, 0, &in, &t);     /* errno unknown: the value alone */
	text_puts(&t, ";");
	gp.rax = 1201;
	args_format_return(&ret, true, ENOENT, &in, &t);
	text_puts(&t, ";");
	struct arg_type dbl = arg_type_float(8), ld = arg_type_float(16), none = { .kind = ARG_VOID };
	set_xmm(0, -2.25);
	args_format_return(&dbl, false, 0, &in, &t);
	text_puts(&t, ";");
	long double l = 1e300L * 1e300L;        /* beyond a double's range: read from st0 as 80 bits */
	memcpy(&fp.st_space[0], &l, 10);
	args_format_return(&ld, false, 0, &in, &t);
	text_puts(&t, ";");
	args_format_return(&none, false, 0, &in, &t);
	text_puts(&t, ";");
	struct arg_type small = { .kind = ARG_STRUCT, .size = 8, .align = 4, .cls = { CLASS_INTEGER } };
	struct arg_type big = { .kind = ARG_STRUCT, .size = 32, .align = 8, .cls = { CLASS_MEMORY } };
	gp.rax = 0x7ffc0010;
	args_format_return(&small, false, 0, &in, &t);
	text_puts(&t, ";");
	args_format_return(&big, false, 0, &in, &t);
	assert_string_equal(text_str(&t), "-1 ENOENT (No such file or directory);-1;1201;-2.25;1e+600;;{...};0x7ffc0010");
	text_free(&t);
}

/* ---- printf ---- */

static void test_printf_values(void **state)
{
	(void)state;
	struct args_input in = input();
	static const char fmt[] = "%d %s %-5x %5.2f %c %ld %zu %p %n %% %Lg|\n";
	static const char hi[] = "hi\tthere";
	map(0x1000, fmt, sizeof(fmt));
	map(0x2000, hi, sizeof(hi));
	long double ld = 2.5L;
	uint64_t stack[8] = { 0x401234, 7 /* %zu */, 0x3000 /* %p */, 0x3008 /* %n */, 0 };
	memcpy(&stack[5], &ld, 10);     /* %Lg: 16-aligned from rsp + 8, at rsp + 40 */
	map(gp.rsp, stack, sizeof(stack));
	gp.rdi = 0x1000, gp.rsi = 42, gp.rdx = 0x2000, gp.rcx = 0xff, gp.r8 = 'A', gp.r9 = (uint64_t)-5;
	set_xmm(0, 3.14159);
	in.strsize = 64;
	assert_entry("printf", &in, "\"%d %s %-5x %5.2f %c %ld %zu %p %n %% %Lg|\\n\", 42, \"hi\\tthere\", 0xff, "
				    "3.14159, 'A', -5, 7, 0x3000, 0x3008, 2.5");
	/* the format is shown cut at the limit, its values still found past it */
	in.strsize = 4;
	assert_entry("printf", &in, "\"%d %\"..., 42, \"hi\\tt\"..., 0xff, 3.14159, 'A', -5, 7, 0x3000, 0x3008, 2.5");

	/* fprintf: the format is the second argument, the values start at rdx; a * width is an int */
	static const char star[] = "[%*d] %s";
	map(0x4000, star, sizeof(star));
	gp.rdi = 0x7000, gp.rsi = 0x4000, gp.rdx = 6, gp.rcx = 99, gp.r8 = 0;
	in.strsize = 32;
	assert_entry("fprintf", &in, "0x7000, \"[%*d] %s\", 6, 99, NULL");
	/* positional arguments are not located: the values stop there */
	static const char pos[] = "%d %2$s";
	map(0x4100, pos, sizeof(pos));
	gp.rdi = 0x4100, gp.rsi = 1;
	assert_entry("printf", &in, "\"%d %2$s\", 1, ...");
	/* vprintf: the values are behind a va_list */
	gp.rdi = 0x4000, gp.rsi = 0x7ffe0000;
	assert_entry("vprintf", &in, "\"[%*d] %s\", 0x7ffe0000");
	/* snprintf's buffer is shown as an address, never read */
	gp.rdi = 0x2000, gp.rsi = 16, gp.rdx = 0x4100, gp.rcx = 5, gp.r8 = 0x2000;
	assert_entry("snprintf", &in, "0x2000, 16, \"%d %2$s\", 5, ...");
	/* an unreadable format: its address, no values */
	gp.rdi = 0xbad000;
	assert_entry("printf", &in, "0xbad000");
}

/* A format with more conversions than are shown: the values stop at ARGS_VALUES_MAX. */
static void test_printf_many(void **state)
{
	(void)state;
	struct args_input in = input();
	static char fmt[3 * 100 + 1];
	for (int i = 0; i < 100; i++)
		memcpy(fmt + 3 * i, "%d ", 3);
	map(0x1000, fmt, sizeof(fmt));
	static uint64_t stack[200];
	map(gp.rsp, stack, sizeof(stack));
	gp.rdi = 0x1000;
	in.strsize = 8;
	char *got = entry_of("printf", &in);
	size_t values = 0;
	for (char *p = got; (p = strstr(p, ", ")); p += 2)
		values++;
	assert_int_equal(values, ARGS_VALUES_MAX + 1);  /* and the last is "..." */
	assert_non_null(strstr(got, ", ..."));
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_escaping, setup),
		cmocka_unit_test_setup(test_strings_bounded, setup),
		cmocka_unit_test_setup(test_std_string, setup),
		cmocka_unit_test_setup(test_libc_entries, setup),
		cmocka_unit_test_setup(test_flagsets, setup),
		cmocka_unit_test_setup(test_scalar_kinds, setup),
		cmocka_unit_test_setup(test_locator, setup),
		cmocka_unit_test_setup(test_fetch_and_return, setup),
		cmocka_unit_test_setup(test_printf_values, setup),
		cmocka_unit_test_setup(test_printf_many, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
