/* test_insn: decoding, emulation and out-of-line slots, with flags checked against the host CPU. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "arch/x86_64/insn.h"

enum { CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800 };
#define ARITH (CF | PF | AF | ZF | SF | OF)

/* The fake tracee memory: one window holding both code (for rip-relative reads) and stack. */
#define MEM_BASE 0x7ffff7a00000ull
#define MEM_SIZE 0x10000
#define CODE (MEM_BASE + 0x1000)
#define STACK_TOP (MEM_BASE + 0x8000)

struct fakemem {
	uint8_t b[MEM_SIZE];
	bool fail_read, fail_write;
	int nwrites;
	taddr_t last_addr;
	size_t last_len;
};

#define REGOFF(name) ((int16_t)offsetof(struct user_regs_struct, name))

/* ---- helpers ---- */

static bool in_window(taddr_t addr, size_t len)
{
	return addr >= MEM_BASE && addr + len <= MEM_BASE + MEM_SIZE;
}

static int mem_read(void *arg, taddr_t addr, void *buf, size_t len)
{
	struct fakemem *fm = arg;
	if (fm->fail_read || !in_window(addr, len)) {
		errno = EFAULT;
		return -1;
	}
	memcpy(buf, fm->b + (addr - MEM_BASE), len);
	return 0;
}

static int mem_write(void *arg, taddr_t addr, const void *buf, size_t len)
{
	struct fakemem *fm = arg;
	if (fm->fail_write || !in_window(addr, len)) {
		errno = EFAULT;
		return -1;
	}
	memcpy(fm->b + (addr - MEM_BASE), buf, len);
	fm->nwrites++;
	fm->last_addr = addr;
	fm->last_len = len;
	return 0;
}

static uint64_t mem_get64(const struct fakemem *fm, taddr_t addr)
{
	uint64_t v;
	assert_true(in_window(addr, 8));
	memcpy(&v, fm->b + (addr - MEM_BASE), 8);
	return v;
}

static void mem_put64(struct fakemem *fm, taddr_t addr, uint64_t v)
{
	assert_true(in_window(addr, 8));
	memcpy(fm->b + (addr - MEM_BASE), &v, 8);
}

static struct fakemem *mem_new(void)
{
	struct fakemem *fm = test_calloc(1, sizeof(*fm));
	memset(fm->b, 0xa5, sizeof(fm->b));
	return fm;
}

/* Registers by offset. memcpy, because the fields are unsigned long long and a uint64_t pointer
 * (unsigned long) into them breaks strict aliasing: gcc -O2 then reads stale values. */
static uint64_t reg_get(const struct user_regs_struct *r, int16_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)r + off, 8);
	return v;
}

static void reg_set(struct user_regs_struct *r, int16_t off, uint64_t v)
{
	memcpy((char *)r + off, &v, 8);
}

/* Every register gets a distinct value, so a stray write shows up in a whole-struct compare. */
static void regs_init(struct user_regs_struct *r)
{
	for (size_t i = 0; i < sizeof(*r) / 8; i++)
		reg_set(r, (int16_t)(i * 8), 0x0101010101010101ull * (i + 1) ^ 0x8000000000000000ull);
	r->rsp = STACK_TOP;
	r->eflags = 0x202;
}

static void emulate_ok(const struct insn *in, taddr_t addr, struct user_regs_struct *r, struct fakemem *fm)
{
	struct insn_mem m = { mem_read, mem_write, fm };
	assert_int_equal(insn_emulate(in, addr, r, &m), 0);
}

/* Decodes n bytes followed by filler (as a real read of INSN_MAX bytes would have) and checks
 * the kind and that exactly n bytes were taken. */
static void decode_n(const uint8_t *b, size_t n, taddr_t addr, enum insn_kind want, struct insn *in)
{
	uint8_t buf[INSN_MAX + 8];
	memset(buf, 0x90, sizeof(buf));
	memcpy(buf, b, n);
	assert_int_equal(insn_decode(buf, sizeof(buf), addr, in), want);
	assert_int_equal(in->kind, want);
	assert_int_equal(in->len, n);
	assert_memory_equal(in->bytes, b, n);
}

#define DECODE(in, addr, want, ...) do { \
		static const uint8_t b_[] = { __VA_ARGS__ }; \
		decode_n(b_, sizeof(b_), (addr), (want), &(in)); \
	} while (0)

static int32_t rd32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* ---- the host CPU as the reference for flags ---- */

/* The red zone below rsp may hold the compiler's locals: step over it before pushfq. */
#define SKIP_RZ "lea -128(%%rsp), %%rsp\n\t"
#define BACK_RZ "lea 128(%%rsp), %%rsp\n\t"

static uint64_t host_addsub(uint64_t a, uint64_t b, bool sub, uint64_t *res)
{
	uint64_t fl;
	if (sub)
		__asm__("sub %[b], %[a]\n\t" SKIP_RZ "pushfq\n\tpopq %[fl]\n\t" BACK_RZ
			: [a] "+r"(a), [fl] "=r"(fl) : [b] "r"(b) : "cc");
	else
		__asm__("add %[b], %[a]\n\t" SKIP_RZ "pushfq\n\tpopq %[fl]\n\t" BACK_RZ
			: [a] "+r"(a), [fl] "=r"(fl) : [b] "r"(b) : "cc");
	*res = a;
	return fl;
}

static uint64_t host_xor_self(uint64_t fl_in)
{
	uint64_t fl;
	/* fl_in may set DF: clear it again before the compiler's code runs. */
	__asm__(SKIP_RZ "pushq %[in]\n\tpopfq\n\txor %%eax, %%eax\n\tpushfq\n\tpopq %[fl]\n\tcld\n\t" BACK_RZ
		: [fl] "=r"(fl) : [in] "r"(fl_in) : "cc", "rax");
	return fl;
}

/* host_cc_XX(fl): does the CPU take a jXX with these flags? */
#define HOST_CC(cc) \
	static bool host_cc_##cc(uint64_t fl) \
	{ \
		uint8_t t; \
		__asm__(SKIP_RZ "pushq %[fl]\n\tpopfq\n\tset" #cc " %[t]\n\t" BACK_RZ \
			: [t] "=q"(t) : [fl] "r"(fl) : "cc"); \
		return t; \
	}
HOST_CC(o) HOST_CC(no) HOST_CC(b) HOST_CC(ae) HOST_CC(e) HOST_CC(ne) HOST_CC(be) HOST_CC(a)
HOST_CC(s) HOST_CC(ns) HOST_CC(p) HOST_CC(np) HOST_CC(l) HOST_CC(ge) HOST_CC(le) HOST_CC(g)

static bool (*const host_cc[16])(uint64_t) = {
	host_cc_o, host_cc_no, host_cc_b, host_cc_ae, host_cc_e, host_cc_ne, host_cc_be, host_cc_a,
	host_cc_s, host_cc_ns, host_cc_p, host_cc_np, host_cc_l, host_cc_ge, host_cc_le, host_cc_g,
};

/* Flag combinations 0..63 spread over the six arithmetic flags. */
static uint64_t flag_combo(unsigned i)
{
	static const uint64_t bit[6] = { CF, PF, AF, ZF, SF, OF };
	uint64_t fl = 0x202;
	for (unsigned k = 0; k < 6; k++)
		if (i & (1u << k))
			fl |= bit[k];
	return fl;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return unit_rng(&rng_state);
}

/* ---- INSN_SKIP ---- */

static void check_skip(const uint8_t *b, size_t n)
{
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, CODE, INSN_SKIP, &in);
	regs_init(&r);
	want = r;
	want.rip = CODE + n;
	emulate_ok(&in, CODE, &r, fm);
	assert_memory_equal(&r, &want, sizeof(r));
	assert_int_equal(fm->nwrites, 0);
	test_free(fm);
}

static void test_skip(void **state)
{
	static const struct { uint8_t b[16]; size_t n; } cases[] = {
		{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4 },                                    /* endbr64 */
		{ { 0x90 }, 1 },                                                      /* nop */
		{ { 0x66, 0x90 }, 2 },                                                /* xchg %ax,%ax */
		{ { 0x0f, 0x1f, 0x00 }, 3 },                                          /* nopl (%rax) */
		{ { 0x0f, 0x1f, 0x40, 0x00 }, 4 },                                    /* nopl 0(%rax) */
		{ { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5 },                              /* nopl 0(%rax,%rax,1) */
		{ { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 6 },
		{ { 0x0f, 0x1f, 0x80, 0, 0, 0, 0 }, 7 },
		{ { 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0 }, 8 },
		{ { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0 }, 9 },
		{ { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0 }, 10 },           /* cs nopw */
		{ { 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0 }, 11 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_skip(cases[i].b, cases[i].n);
}

/* ---- INSN_PUSH ---- */

static void check_push(const uint8_t *b, size_t n, int16_t reg)
{
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, CODE, INSN_PUSH, &in);
	assert_int_equal(in.src, reg);
	regs_init(&r);
	want = r;
	uint64_t pushed = reg_get(&r, reg);   /* the value before the push, even for rsp */
	want.rsp -= 8;
	want.rip = CODE + n;
	emulate_ok(&in, CODE, &r, fm);
	assert_memory_equal(&r, &want, sizeof(r));
	assert_int_equal(fm->nwrites, 1);
	assert_int_equal(fm->last_addr, STACK_TOP - 8);
	assert_int_equal(fm->last_len, 8);
	assert_int_equal(mem_get64(fm, STACK_TOP - 8), pushed);
	test_free(fm);
}

static void test_push(void **state)
{
	static const uint8_t rbp[] = { 0x55 }, r15[] = { 0x41, 0x57 }, rsp[] = { 0x54 }, rax[] = { 0x50 },
			     r8[] = { 0x41, 0x50 };
	check_push(rbp, sizeof(rbp), REGOFF(rbp));
	check_push(r15, sizeof(r15), REGOFF(r15));
	check_push(rsp, sizeof(rsp), REGOFF(rsp));
	check_push(rax, sizeof(rax), REGOFF(rax));
	check_push(r8, sizeof(r8), REGOFF(r8));

	/* A 16-bit push is left to run out of line. */
	struct insn in;
	DECODE(in, CODE, INSN_OOL, 0x66, 0x55);
	assert_int_equal(in.disp_off, 0);
}

/* ---- INSN_MOVREG ---- */

static void check_movreg(const uint8_t *b, size_t n, int16_t dst, int16_t src, int width)
{
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, CODE, INSN_MOVREG, &in);
	assert_int_equal(in.dst, dst);
	assert_int_equal(in.src, src);
	assert_int_equal(in.width, width);
	regs_init(&r);
	reg_set(&r, src, 0xdeadbeefcafebabeull);
	want = r;
	reg_set(&want, dst, width == 32 ? 0xcafebabeull : 0xdeadbeefcafebabeull);
	want.rip = CODE + n;
	emulate_ok(&in, CODE, &r, fm);
	assert_memory_equal(&r, &want, sizeof(r));
	test_free(fm);
}

static void test_movreg(void **state)
{
	static const uint8_t rsp_rbp[] = { 0x48, 0x89, 0xe5 }, rsp_rbp8b[] = { 0x48, 0x8b, 0xec },
			     edi_eax[] = { 0x89, 0xf8 }, r8_rdi[] = { 0x4c, 0x89, 0xc7 },
			     r9d_r10d[] = { 0x45, 0x89, 0xca }, rdi_rbx[] = { 0x48, 0x89, 0xfb };
	check_movreg(rsp_rbp, sizeof(rsp_rbp), REGOFF(rbp), REGOFF(rsp), 64);
	check_movreg(rsp_rbp8b, sizeof(rsp_rbp8b), REGOFF(rbp), REGOFF(rsp), 64);
	check_movreg(edi_eax, sizeof(edi_eax), REGOFF(rax), REGOFF(rdi), 32);
	check_movreg(r8_rdi, sizeof(r8_rdi), REGOFF(rdi), REGOFF(r8), 64);
	check_movreg(r9d_r10d, sizeof(r9d_r10d), REGOFF(r10), REGOFF(r9), 32);
	check_movreg(rdi_rbx, sizeof(rdi_rbx), REGOFF(rbx), REGOFF(rdi), 64);

	/* Narrower moves and moves to memory run out of line. */
	struct insn in;
	DECODE(in, CODE, INSN_OOL, 0x66, 0x89, 0xf8);             /* mov %di,%ax */
	DECODE(in, CODE, INSN_OOL, 0x40, 0x88, 0xf8);             /* mov %dil,%al */
	DECODE(in, CODE, INSN_OOL, 0x48, 0x89, 0x45, 0xf8);       /* mov %rax,-0x8(%rbp) */
	assert_int_equal(in.disp_off, 0);
	assert_int_equal(in.dst, -1);
	assert_int_equal(in.src, -1);
}

/* ---- INSN_MOVIMM ---- */

static void check_movimm(const uint8_t *b, size_t n, int16_t dst, uint64_t val)
{
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, CODE, INSN_MOVIMM, &in);
	assert_int_equal(in.dst, dst);
	assert_int_equal(in.imm, val);
	regs_init(&r);
	want = r;
	reg_set(&want, dst, val);
	want.rip = CODE + n;
	emulate_ok(&in, CODE, &r, fm);
	assert_memory_equal(&r, &want, sizeof(r));
	test_free(fm);
}

static void test_movimm(void **state)
{
	static const uint8_t eax[] = { 0xb8, 0x78, 0x56, 0x34, 0x12 },
			     eax_ones[] = { 0xb8, 0xff, 0xff, 0xff, 0xff },
			     rax_m1[] = { 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff },
			     rax_pos[] = { 0x48, 0xc7, 0xc0, 0x78, 0x56, 0x34, 0x12 },
			     r11_abs[] = { 0x49, 0xbb, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
			     r8d[] = { 0x41, 0xb8, 0x05, 0x00, 0x00, 0x00 },
			     ecx_c7[] = { 0xc7, 0xc1, 0x00, 0x00, 0x00, 0x80 };
	check_movimm(eax, sizeof(eax), REGOFF(rax), 0x12345678);
	check_movimm(eax_ones, sizeof(eax_ones), REGOFF(rax), 0xffffffffull);    /* zero-extended */
	check_movimm(rax_m1, sizeof(rax_m1), REGOFF(rax), ~0ull);                /* sign-extended */
	check_movimm(rax_pos, sizeof(rax_pos), REGOFF(rax), 0x12345678);
	check_movimm(r11_abs, sizeof(r11_abs), REGOFF(r11), 0x1122334455667788ull);
	check_movimm(r8d, sizeof(r8d), REGOFF(r8), 5);
	check_movimm(ecx_c7, sizeof(ecx_c7), REGOFF(rcx), 0x80000000ull);

	struct insn in;
	DECODE(in, CODE, INSN_OOL, 0xb0, 0x01);                   /* mov $1,%al */
	DECODE(in, CODE, INSN_OOL, 0x66, 0xb8, 0x01, 0x00);       /* mov $1,%ax */
}

/* ---- INSN_ADDSUB_SP ---- */

/* add/sub $imm, %rsp encoded with imm8 (0x83) or imm32 (0x81). */
static size_t enc_addsub(uint8_t *b, bool sub, int32_t imm, bool wide)
{
	b[0] = 0x48;
	b[1] = wide ? 0x81 : 0x83;
	b[2] = sub ? 0xec : 0xc4;
	if (!wide) {
		b[3] = (uint8_t)imm;
		return 4;
	}
	memcpy(b + 3, &imm, 4);
	return 7;
}

static void check_addsub(bool sub, int32_t imm, bool wide, uint64_t rsp, uint64_t fl_in)
{
	uint8_t b[8];
	size_t n = enc_addsub(b, sub, imm, wide);
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, CODE, INSN_ADDSUB_SP, &in);
	assert_int_equal(in.sub, sub);
	assert_int_equal(in.imm, (uint64_t)(int64_t)imm);

	uint64_t res, hfl = host_addsub(rsp, (uint64_t)(int64_t)imm, sub, &res);
	regs_init(&r);
	r.rsp = rsp;
	r.eflags = fl_in;
	want = r;
	want.rsp = res;
	want.eflags = (fl_in & ~(uint64_t)ARITH) | (hfl & ARITH);
	want.rip = CODE + n;
	emulate_ok(&in, CODE, &r, fm);
	if (r.eflags != want.eflags)
		fail_msg("%s $%#x, rsp %#llx: eflags %#llx, host %#llx", sub ? "sub" : "add", (unsigned)imm,
			 (unsigned long long)rsp, (unsigned long long)r.eflags, (unsigned long long)want.eflags);
	assert_memory_equal(&r, &want, sizeof(r));
	assert_int_equal(fm->nwrites, 0);
	test_free(fm);
}

static void test_addsub_sp(void **state)
{
	static const int32_t imms[] = { 0, 1, 7, 8, 0x10, 0x18, 0x7f, -0x80, -1, -8, 0x80, 0x1000,
					0x7fffffff, INT32_MIN, -0x1000, 0x12345678 };
	uint64_t rsps[64] = { 0, 1, 8, 0xf, 0x10, 0x17, 0x18, 0x7fffffffe3c8ull, 0x7fffffffffffffffull,
			      0x8000000000000000ull, 0x8000000000000017ull, ~0ull, 0xfffffffffffffff0ull,
			      0x00007ffc12345678ull, 0x7ffffffffffffff8ull, 0x80 };
	for (size_t i = 16; i < ARRAY_SIZE(rsps); i++)
		rsps[i] = i & 1 ? rng() : rng() & 0x7ffffffffff0ull;
	static const uint64_t fls[] = { 0x202, 0x202 | ARITH, 0x202 | DF | CF | OF };
	for (size_t i = 0; i < ARRAY_SIZE(imms); i++)
		for (size_t j = 0; j < ARRAY_SIZE(rsps); j++)
			for (int sub = 0; sub < 2; sub++) {
				bool fits8 = imms[i] >= -128 && imms[i] <= 127;
				check_addsub(sub, imms[i], true, rsps[j], fls[(i + j) % 3]);
				if (fits8)
					check_addsub(sub, imms[i], false, rsps[j], fls[(i + j + sub) % 3]);
			}

	/* %esp, a lock prefix or a memory destination: not ours. */
	struct insn in;
	DECODE(in, CODE, INSN_OOL, 0x83, 0xec, 0x18);                     /* sub $0x18,%esp */
	DECODE(in, CODE, INSN_OOL, 0xf0, 0x48, 0x83, 0x2c, 0x24, 0x08);   /* lock subq $8,(%rsp) */
	DECODE(in, CODE, INSN_OOL, 0x48, 0x29, 0xc4);                     /* sub %rax,%rsp */
}

/* ---- INSN_XOR_SELF ---- */

static void check_xor(const uint8_t *b, size_t n, int16_t reg, uint64_t fl_in)
{
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, CODE, INSN_XOR_SELF, &in);
	assert_int_equal(in.dst, reg);
	regs_init(&r);
	reg_set(&r, reg, ~0ull);
	r.eflags = fl_in;
	want = r;
	reg_set(&want, reg, 0);
	want.eflags = (fl_in & ~(uint64_t)ARITH) | ZF | PF;
	want.rip = CODE + n;
	emulate_ok(&in, CODE, &r, fm);
	assert_memory_equal(&r, &want, sizeof(r));
	/* AF is undefined after xor: compare the defined flags with the CPU's. */
	uint64_t defined = CF | PF | ZF | SF | OF;
	assert_int_equal(r.eflags & defined, host_xor_self(fl_in) & defined);
	test_free(fm);
}

static void test_xor_self(void **state)
{
	static const uint8_t eax[] = { 0x31, 0xc0 }, eax33[] = { 0x33, 0xc0 }, r8d[] = { 0x45, 0x31, 0xc0 },
			     edx[] = { 0x31, 0xd2 };
	for (unsigned i = 0; i < 64; i += 7) {
		check_xor(eax, sizeof(eax), REGOFF(rax), flag_combo(i));
		check_xor(eax33, sizeof(eax33), REGOFF(rax), flag_combo(i));
		check_xor(r8d, sizeof(r8d), REGOFF(r8), flag_combo(i) | DF);
		check_xor(edx, sizeof(edx), REGOFF(rdx), flag_combo(63 - i));
	}
	struct insn in;
	DECODE(in, CODE, INSN_OOL, 0x48, 0x31, 0xc0);   /* xor %rax,%rax: 64-bit, run out of line */
	DECODE(in, CODE, INSN_OOL, 0x31, 0xc8);         /* xor %ecx,%eax: two registers */
}

/* ---- INSN_JMP ---- */

static void check_jmp(const uint8_t *b, size_t n, taddr_t addr, taddr_t target)
{
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, addr, INSN_JMP, &in);
	assert_int_equal(in.target, target);
	regs_init(&r);
	want = r;
	want.rip = target;
	emulate_ok(&in, addr, &r, fm);
	assert_memory_equal(&r, &want, sizeof(r));
	assert_int_equal(fm->nwrites, 0);
	test_free(fm);
}

static void test_jmp(void **state)
{
	static const uint8_t fwd8[] = { 0xeb, 0x0e }, back8[] = { 0xeb, 0xf0 },
			     fwd32[] = { 0xe9, 0xfb, 0x0f, 0x00, 0x00 }, back32[] = { 0xe9, 0x00, 0x00, 0x00, 0x80 };
	check_jmp(fwd8, 2, 0x401000, 0x401010);
	check_jmp(back8, 2, 0x401000, 0x401002 - 0x10);
	check_jmp(fwd32, 5, 0x401000, 0x402000);
	check_jmp(back32, 5, 0x7f0000001000ull, 0x7f0000001005ull - 0x80000000ull);

	/* Indirect jumps do not depend on where they run: out of line, rip-relative fixed up. */
	struct insn in;
	DECODE(in, CODE, INSN_OOL, 0xff, 0xe0);                               /* jmp *%rax */
	assert_int_equal(in.disp_off, 0);
	DECODE(in, CODE, INSN_OOL, 0xff, 0x25, 0x10, 0x00, 0x00, 0x00);       /* jmp *0x10(%rip) */
	assert_int_equal(in.disp_off, 2);
	assert_int_equal(in.disp, 0x10);
}

/* ---- INSN_JCC: all 16 conditions, both encodings, all flag combinations ---- */

static void check_jcc(unsigned cc, bool near)
{
	uint8_t b[6];
	size_t n;
	taddr_t addr = 0x401000, target;
	if (near) {
		int32_t rel = -0x12345;
		b[0] = 0x0f;
		b[1] = (uint8_t)(0x80 | cc);
		memcpy(b + 2, &rel, 4);
		n = 6;
		target = addr + 6 - 0x12345;
	} else {
		b[0] = (uint8_t)(0x70 | cc);
		b[1] = 0x22;
		n = 2;
		target = addr + 2 + 0x22;
	}
	struct insn in;
	struct fakemem *fm = mem_new();
	decode_n(b, n, addr, INSN_JCC, &in);
	assert_int_equal(in.cond, cc);
	assert_int_equal(in.target, target);
	for (unsigned i = 0; i < 64; i++) {
		struct user_regs_struct r, want;
		regs_init(&r);
		r.eflags = flag_combo(i);
		want = r;
		want.rip = host_cc[cc](r.eflags) ? target : addr + n;
		emulate_ok(&in, addr, &r, fm);
		if (r.rip != want.rip)
			fail_msg("jcc %u (%s) with eflags %#llx: rip %#llx, host says %#llx", cc, near ? "rel32" : "rel8",
				 (unsigned long long)want.eflags, (unsigned long long)r.rip,
				 (unsigned long long)want.rip);
		assert_memory_equal(&r, &want, sizeof(r));
	}
	test_free(fm);
}

static void test_jcc(void **state)
{
	for (unsigned cc = 0; cc < 16; cc++) {
		check_jcc(cc, false);
		check_jcc(cc, true);
	}
	/* Sanity of the reference itself: je follows ZF. */
	assert_true(host_cc[4](0x202 | ZF));
	assert_false(host_cc[4](0x202));
}

/* ---- INSN_CALL ---- */

/* Emulates a call at CODE and checks the push of CODE + len and the jump to target. */
static void run_call(const struct insn *in, struct user_regs_struct *r, struct fakemem *fm, taddr_t target)
{
	struct user_regs_struct want = *r;
	want.rsp -= 8;
	want.rip = target;
	emulate_ok(in, CODE, r, fm);
	assert_memory_equal(r, &want, sizeof(*r));
	assert_int_equal(fm->nwrites, 1);
	assert_int_equal(fm->last_addr, want.rsp);
	assert_int_equal(mem_get64(fm, want.rsp), CODE + in->len);
}

static void test_call_direct(void **state)
{
	struct insn in;
	struct user_regs_struct r;
	struct fakemem *fm = mem_new();
	DECODE(in, CODE, INSN_CALL, 0xe8, 0xfb, 0x0f, 0x00, 0x00);
	assert_false(in.indirect);
	assert_int_equal(in.target, CODE + 0x1000);
	regs_init(&r);
	run_call(&in, &r, fm, CODE + 0x1000);

	DECODE(in, CODE, INSN_CALL, 0xe8, 0x00, 0x00, 0x00, 0x00);   /* call next insn (get-pc idiom) */
	regs_init(&r);
	fm->nwrites = 0;
	run_call(&in, &r, fm, CODE + 5);
	test_free(fm);
}

static void test_call_reg(void **state)
{
	struct insn in;
	struct user_regs_struct r;
	struct fakemem *fm = mem_new();
	DECODE(in, CODE, INSN_CALL, 0xff, 0xd0);          /* call *%rax */
	assert_int_equal(in.src, REGOFF(rax));
	regs_init(&r);
	r.rax = 0x401234;
	run_call(&in, &r, fm, 0x401234);

	DECODE(in, CODE, INSN_CALL, 0x41, 0xff, 0xd3);    /* call *%r11 */
	assert_int_equal(in.src, REGOFF(r11));
	regs_init(&r);
	r.r11 = 0x7f0000405060ull;
	fm->nwrites = 0;
	run_call(&in, &r, fm, 0x7f0000405060ull);
	test_free(fm);
}

static void test_call_mem(void **state)
{
	struct insn in;
	struct user_regs_struct r;
	struct fakemem *fm = mem_new();

	DECODE(in, CODE, INSN_CALL, 0xff, 0x15, 0x10, 0x00, 0x00, 0x00);   /* call *0x10(%rip) */
	assert_true(in.indirect);
	mem_put64(fm, CODE + 6 + 0x10, 0x555555556789ull);
	regs_init(&r);
	run_call(&in, &r, fm, 0x555555556789ull);

	DECODE(in, CODE, INSN_CALL, 0xff, 0x14, 0xd8);                     /* call *(%rax,%rbx,8) */
	mem_put64(fm, MEM_BASE + 0x3000 + 5 * 8, 0x400abcull);
	regs_init(&r);
	r.rax = MEM_BASE + 0x3000;
	r.rbx = 5;
	fm->nwrites = 0;
	run_call(&in, &r, fm, 0x400abcull);

	DECODE(in, CODE, INSN_CALL, 0xff, 0x54, 0x24, 0x08);               /* call *0x8(%rsp) */
	mem_put64(fm, STACK_TOP + 8, 0x400def);
	regs_init(&r);
	fm->nwrites = 0;
	run_call(&in, &r, fm, 0x400def);                                   /* rsp read before the push */

	DECODE(in, CODE, INSN_CALL, 0xff, 0x50, 0xf8);                     /* call *-0x8(%rax) */
	mem_put64(fm, MEM_BASE + 0x4000 - 8, 0x400fed);
	regs_init(&r);
	r.rax = MEM_BASE + 0x4000;
	fm->nwrites = 0;
	run_call(&in, &r, fm, 0x400fed);
	test_free(fm);

	/* A segment-relative target cannot be computed from the registers we have. */
	DECODE(in, CODE, INSN_BAD, 0x64, 0xff, 0x14, 0x25, 0x10, 0x00, 0x00, 0x00);   /* call *%fs:0x10 */
}

/* ---- INSN_RET ---- */

static void check_ret(const uint8_t *b, size_t n, uint64_t pop)
{
	struct insn in;
	struct user_regs_struct r, want;
	struct fakemem *fm = mem_new();
	decode_n(b, n, CODE, INSN_RET, &in);
	assert_int_equal(in.imm, pop);
	mem_put64(fm, STACK_TOP, 0x401777);
	regs_init(&r);
	want = r;
	want.rsp = STACK_TOP + 8 + pop;
	want.rip = 0x401777;
	emulate_ok(&in, CODE, &r, fm);
	assert_memory_equal(&r, &want, sizeof(r));
	assert_int_equal(fm->nwrites, 0);
	test_free(fm);
}

static void test_ret(void **state)
{
	static const uint8_t ret[] = { 0xc3 }, ret8[] = { 0xc2, 0x08, 0x00 }, repret[] = { 0xf3, 0xc3 },
			     ret_big[] = { 0xc2, 0x00, 0x01 };
	check_ret(ret, sizeof(ret), 0);
	check_ret(ret8, sizeof(ret8), 8);
	check_ret(repret, sizeof(repret), 0);
	check_ret(ret_big, sizeof(ret_big), 0x100);
}

/* ---- INSN_OOL and the scratch slot ---- */

/* The absolute address a rip-relative instruction of these bytes addresses when run at addr. */
static taddr_t rip_target(const uint8_t *b, size_t n, taddr_t addr)
{
	struct insn in;
	decode_n(b, n, addr, INSN_OOL, &in);
	assert_int_not_equal(in.disp_off, 0);
	assert_int_equal(in.disp, rd32(b + in.disp_off));
	return addr + n + (uint64_t)in.disp;
}

/* Checks a slot built for the instruction b at addr, run from slot: same bytes except the
 * displacement, which reaches the same target, then a jump back to addr + n, then int3 filler. */
static void check_slot(const uint8_t *b, size_t n, taddr_t addr, taddr_t slot)
{
	struct insn in;
	uint8_t out[INSN_SLOT_SIZE];
	decode_n(b, n, addr, INSN_OOL, &in);
	assert_true(insn_build_slot(&in, addr, slot, out));
	if (in.disp_off) {
		assert_int_equal(rip_target(out, n, slot), rip_target(b, n, addr));
		assert_memory_equal(out, b, in.disp_off);
		if (in.disp_off + 4u < n)
			assert_memory_equal(out + in.disp_off + 4, b + in.disp_off + 4, n - in.disp_off - 4);
	} else {
		assert_memory_equal(out, b, n);
	}

	taddr_t back = addr + n;
	int64_t rel = (int64_t)back - (int64_t)(slot + n + 5);
	size_t end;
	if (rel == (int32_t)rel) {
		struct insn j;
		assert_int_equal(out[n], 0xe9);
		assert_int_equal(slot + n + 5 + (uint64_t)(int64_t)rd32(out + n + 1), back);
		decode_n(out + n, 5, slot + n, INSN_JMP, &j);
		assert_int_equal(j.target, back);
		end = n + 5;
	} else {
		static const uint8_t jmp_abs[6] = { 0xff, 0x25, 0, 0, 0, 0 };
		assert_memory_equal(out + n, jmp_abs, 6);
		assert_int_equal(rd64(out + n + 6), back);
		end = n + 14;
	}
	for (size_t i = end; i < INSN_SLOT_SIZE; i++)
		assert_int_equal(out[i], 0xcc);
}

static const struct { uint8_t b[16]; size_t n; uint8_t disp_off; } rip_cases[] = {
	{ { 0x8b, 0x05, 0x34, 0x12, 0x00, 0x00 }, 6, 2 },                   /* mov 0x1234(%rip),%eax */
	{ { 0x48, 0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff }, 7, 3 },             /* mov -0x10(%rip),%rax */
	{ { 0x48, 0x8d, 0x3d, 0x10, 0x00, 0x00, 0x00 }, 7, 3 },             /* lea 0x10(%rip),%rdi */
	{ { 0x80, 0x3d, 0xe5, 0x2e, 0x00, 0x00, 0x00 }, 7, 2 },             /* cmpb $0x0,0x2ee5(%rip) */
	{ { 0xc7, 0x05, 0x10, 0, 0, 0, 0x01, 0, 0, 0 }, 10, 2 },            /* movl $0x1,0x10(%rip) */
	{ { 0x66, 0x0f, 0x6f, 0x05, 0x00, 0x10, 0x00, 0x00 }, 8, 4 },       /* movdqa 0x1000(%rip),%xmm0 */
	{ { 0xc5, 0xf9, 0x6f, 0x05, 0x00, 0x10, 0x00, 0x00 }, 8, 4 },       /* vmovdqa 0x1000(%rip),%xmm0 */
	{ { 0xff, 0x25, 0x10, 0x00, 0x00, 0x00 }, 6, 2 },                   /* jmp *0x10(%rip) */
	{ { 0x48, 0x83, 0x05, 0x78, 0x56, 0x34, 0x12, 0x01 }, 8, 3 },       /* addq $1,0x12345678(%rip) */
};

static void test_ool_rip_decode(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(rip_cases); i++) {
		struct insn in;
		decode_n(rip_cases[i].b, rip_cases[i].n, 0x401000, INSN_OOL, &in);
		assert_int_equal(in.disp_off, rip_cases[i].disp_off);
		assert_int_equal(in.disp, rd32(rip_cases[i].b + rip_cases[i].disp_off));
	}
}

static void test_ool_plain(void **state)
{
	struct insn in;
	DECODE(in, CODE, INSN_OOL, 0x48, 0x0f, 0xaf, 0xc1);         /* imul %rcx,%rax */
	assert_int_equal(in.disp_off, 0);
	DECODE(in, CODE, INSN_OOL, 0x6b, 0xc0, 0x07);               /* imul $7,%eax,%eax */
	assert_int_equal(in.disp_off, 0);
	DECODE(in, CODE, INSN_OOL, 0x8b, 0x04, 0x25, 0x10, 0x20, 0x40, 0x00);   /* mov 0x402010,%eax: absolute */
	assert_int_equal(in.disp_off, 0);
}

static void test_slot_near(void **state)
{
	static const uint8_t imul[] = { 0x48, 0x0f, 0xaf, 0xc1 };
	taddr_t addrs[] = { 0x401000, 0x555555555139ull, 0x7ffff7fc1000ull };
	for (size_t a = 0; a < ARRAY_SIZE(addrs); a++) {
		taddr_t slots[] = { addrs[a] + 0x100000, addrs[a] - 0x100000, addrs[a] + 0x7fff0000 };
		for (size_t s = 0; s < ARRAY_SIZE(slots); s++) {
			for (size_t i = 0; i < ARRAY_SIZE(rip_cases); i++)
				check_slot(rip_cases[i].b, rip_cases[i].n, addrs[a], slots[s]);
			check_slot(imul, sizeof(imul), addrs[a], slots[s]);
		}
	}
}

/* The slot is out of reach of a rel32 jump back, but the data is within reach of the slot. */
static void test_slot_far(void **state)
{
	uint8_t b[6] = { 0x8b, 0x05 };                       /* mov disp32(%rip),%eax */
	int32_t disp = 0x70000000;
	memcpy(b + 2, &disp, 4);
	taddr_t addr = 0x10000000, target = addr + 6 + 0x70000000, slot = target + 0x70000000;
	check_slot(b, 6, addr, slot);

	static const uint8_t imul[] = { 0x48, 0x0f, 0xaf, 0xc1 };
	check_slot(imul, sizeof(imul), 0x401000, 0x7ffff7ff0000ull);
	check_slot(imul, sizeof(imul), 0x7ffff7ff0000ull, 0x401000);
	/* The longest instruction still fits with the absolute jump. */
	static const uint8_t longest[] = { 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x66, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0 };
	struct insn in;
	decode_n(longest, sizeof(longest), 0x401000, INSN_SKIP, &in);
	uint8_t out[INSN_SLOT_SIZE];
	in.kind = INSN_OOL;
	assert_true(insn_build_slot(&in, 0x401000, 0x7ffff7ff0000ull, out));
	assert_int_equal(rd64(out + sizeof(longest) + 6), 0x401000 + sizeof(longest));
}

static void test_slot_boundaries(void **state)
{
	struct insn in;
	uint8_t out[INSN_SLOT_SIZE];

	/* Data reach: the new displacement must fit in an int32, to the byte. */
	static const uint8_t mov[] = { 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00 };   /* mov 0(%rip),%eax */
	taddr_t addr = 0x500000000ull, target = addr + 6;
	decode_n(mov, 6, addr, INSN_OOL, &in);
	taddr_t slot = target - 6 + 0x80000000ull;           /* new disp = INT32_MIN */
	assert_true(insn_build_slot(&in, addr, slot, out));
	assert_int_equal(rd32(out + 2), INT32_MIN);
	assert_false(insn_build_slot(&in, addr, slot + 1, out));
	slot = target - 6 - 0x7fffffffull;                   /* new disp = INT32_MAX */
	assert_true(insn_build_slot(&in, addr, slot, out));
	assert_int_equal(rd32(out + 2), INT32_MAX);
	assert_false(insn_build_slot(&in, addr, slot - 1, out));

	/* Jump reach: rel32 down to INT32_MIN, the absolute form past it. */
	static const uint8_t imul[] = { 0x48, 0x0f, 0xaf, 0xc1 };
	decode_n(imul, 4, addr, INSN_OOL, &in);
	slot = addr - 5 + 0x80000000ull;                     /* rel = INT32_MIN */
	assert_true(insn_build_slot(&in, addr, slot, out));
	assert_int_equal(out[4], 0xe9);
	assert_int_equal(rd32(out + 5), INT32_MIN);
	assert_true(insn_build_slot(&in, addr, slot + 1, out));
	assert_int_equal(out[4], 0xff);
	assert_int_equal(out[5], 0x25);
}

static void test_slot_unreachable(void **state)
{
	struct insn in;
	uint8_t out[INSN_SLOT_SIZE];
	for (size_t i = 0; i < ARRAY_SIZE(rip_cases); i++) {
		decode_n(rip_cases[i].b, rip_cases[i].n, 0x401000, INSN_OOL, &in);
		assert_false(insn_build_slot(&in, 0x401000, 0x7ffff7ff0000ull, out));
		assert_false(insn_build_slot(&in, 0x7ffff7ff0000ull, 0x401000, out));
	}
}

/* ---- INSN_BAD ---- */

static void test_bad(void **state)
{
	static const struct { uint8_t b[8]; size_t n; const char *what; } cases[] = {
		{ { 0x0f, 0x05 }, 2, "syscall" },
		{ { 0x0f, 0x34 }, 2, "sysenter" },
		{ { 0xcc }, 1, "int3" },
		{ { 0xcd, 0x80 }, 2, "int $0x80" },
		{ { 0xf1 }, 1, "int1" },
		{ { 0x0f, 0x0b }, 2, "ud2" },
		{ { 0xf4 }, 1, "hlt" },
		{ { 0xe2, 0xfe }, 2, "loop" },
		{ { 0xe1, 0xfe }, 2, "loope" },
		{ { 0xe0, 0xfe }, 2, "loopne" },
		{ { 0xe3, 0xfe }, 2, "jrcxz" },
		{ { 0x67, 0xe3, 0xfe }, 3, "jecxz" },
		{ { 0xc7, 0xf8, 0x0a, 0, 0, 0 }, 6, "xbegin" },
		{ { 0x06 }, 1, "push %es (invalid in 64-bit mode)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct insn in;
		uint8_t buf[INSN_MAX + 8];
		memset(buf, 0x90, sizeof(buf));
		memcpy(buf, cases[i].b, cases[i].n);
		if (insn_decode(buf, sizeof(buf), CODE, &in) != INSN_BAD || in.kind != INSN_BAD)
			fail_msg("%s: kind %d, want INSN_BAD", cases[i].what, in.kind);
	}
}

static void test_truncated(void **state)
{
	static const uint8_t insns[][8] = {
		{ 0xe8, 0x00, 0x00, 0x00, 0x00 },                   /* call rel32 */
		{ 0x8b, 0x05, 0x34, 0x12, 0x00, 0x00 },             /* mov 0x1234(%rip),%eax */
		{ 0x48, 0x83, 0xec, 0x18 },                         /* sub $0x18,%rsp */
		{ 0xf3, 0x0f, 0x1e, 0xfa },                         /* endbr64 */
		{ 0x0f, 0x85, 0x00, 0x01, 0x00, 0x00 },             /* jne rel32 */
	};
	static const size_t lens[] = { 5, 6, 4, 4, 6 };
	for (size_t i = 0; i < ARRAY_SIZE(insns); i++) {
		for (size_t avail = 0; avail < lens[i]; avail++) {
			struct insn in;
			assert_int_equal(insn_decode(insns[i], avail, CODE, &in), INSN_BAD);
			assert_int_equal(in.kind, INSN_BAD);
		}
		struct insn in;
		assert_int_not_equal(insn_decode(insns[i], lens[i], CODE, &in), INSN_BAD);
		assert_int_equal(in.len, lens[i]);
	}
	/* Random bytes never crash the decoder and never report more than was there. */
	for (int k = 0; k < 20000; k++) {
		uint8_t buf[INSN_MAX];
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rng();
		size_t avail = rng() % (sizeof(buf) + 1);
		struct insn in;
		if (insn_decode(buf, avail, rng(), &in) != INSN_BAD)
			assert_true(in.len >= 1 && in.len <= avail);
	}
}

/* ---- failed memory accesses ---- */

static void check_fails(const struct insn *in, struct fakemem *fm, struct user_regs_struct *r)
{
	struct insn_mem m = { mem_read, mem_write, fm };
	struct user_regs_struct before = *r;
	errno = 0;
	assert_int_equal(insn_emulate(in, CODE, r, &m), -1);
	assert_int_equal(errno, EFAULT);
	assert_memory_equal(r, &before, sizeof(*r));
	assert_int_equal(fm->nwrites, 0);
}

static void test_emulate_mem_errors(void **state)
{
	struct insn in;
	struct user_regs_struct r;
	struct fakemem *fm = mem_new();

	fm->fail_write = true;
	regs_init(&r);
	DECODE(in, CODE, INSN_PUSH, 0x55);
	check_fails(&in, fm, &r);
	DECODE(in, CODE, INSN_CALL, 0xe8, 0xfb, 0x0f, 0x00, 0x00);
	check_fails(&in, fm, &r);
	DECODE(in, CODE, INSN_CALL, 0xff, 0xd0);
	check_fails(&in, fm, &r);
	fm->fail_write = false;

	/* The stack pointer itself points nowhere. */
	r.rsp = 0x1000;
	DECODE(in, CODE, INSN_PUSH, 0x41, 0x57);
	check_fails(&in, fm, &r);
	DECODE(in, CODE, INSN_RET, 0xc3);
	check_fails(&in, fm, &r);
	DECODE(in, CODE, INSN_RET, 0xc2, 0x08, 0x00);
	check_fails(&in, fm, &r);
	regs_init(&r);

	fm->fail_read = true;
	DECODE(in, CODE, INSN_CALL, 0xff, 0x15, 0x10, 0x00, 0x00, 0x00);   /* call *0x10(%rip) */
	check_fails(&in, fm, &r);
	DECODE(in, CODE, INSN_RET, 0xc3);
	check_fails(&in, fm, &r);
	fm->fail_read = false;

	/* The memory target is unreadable while the stack is fine: nothing may be pushed. */
	DECODE(in, CODE, INSN_CALL, 0xff, 0x14, 0xd8);                     /* call *(%rax,%rbx,8) */
	r.rax = 0x10;
	r.rbx = 0;
	check_fails(&in, fm, &r);
	test_free(fm);
}

static void test_kind_names(void **state)
{
	for (int k = 0; k < INSN_NKINDS; k++) {
		assert_non_null(insn_kind_name(k));
		assert_string_not_equal(insn_kind_name(k), "?");
		for (int j = 0; j < k; j++)
			assert_string_not_equal(insn_kind_name(k), insn_kind_name(j));
	}
	assert_string_equal(insn_kind_name(INSN_NKINDS), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_movreg),
		cmocka_unit_test(test_movimm),
		cmocka_unit_test(test_addsub_sp),
		cmocka_unit_test(test_xor_self),
		cmocka_unit_test(test_jmp),
		cmocka_unit_test(test_jcc),
		cmocka_unit_test(test_call_direct),
		cmocka_unit_test(test_call_reg),
		cmocka_unit_test(test_call_mem),
		cmocka_unit_test(test_ret),
		cmocka_unit_test(test_ool_rip_decode),
		cmocka_unit_test(test_ool_plain),
		cmocka_unit_test(test_slot_near),
		cmocka_unit_test(test_slot_far),
		cmocka_unit_test(test_slot_boundaries),
		cmocka_unit_test(test_slot_unreachable),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_emulate_mem_errors),
		cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
