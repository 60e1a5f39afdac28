/* test_fast_tramp: trampolines built by fast_tramp_build, patched into this test's own code
 * (fixtures/fast_funcs.S) and run: the results of the patched functions, the records, the
 * flags and return addresses the program sees, and the two traps a tracer answers (a return
 * address no site covers, a full buffer), answered here by signal handlers. */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <errno.h>
#include <ucontext.h>
#include <unistd.h>

#include "unit.h"
#include "elf/symtab.h"
#include "fast/evict.h"
#include "fast/image.h"
#include "fast/record.h"
#include "fast/tramp.h"
#include "fast/window.h"

extern char ff_cf_caller[], ff_cf_entry[], ff_vals[], ff_safe_vals[], ff_args6[], ff_args6_safe[];
extern char ff_args8[], ff_args8_safe[], ff_x87[], ff_x87_safe[];
extern char ff_evict[];
extern char ff_add[], ff_leaf[], ff_caller[], ff_flags[], ff_jcc[], ff_riprel[], ff_calls[], ff_leaf3[];
extern uint64_t ff_seen_ret;

#define SITES_BITS 8
#define PAGE 4096
#define NRECS ((2 * PAGE - FAST_BLOCK_HDR) / sizeof(struct fast_rec))

static struct symtab st;
static struct fast_image im;
static struct fast_map map;
static taddr_t bias;
static uint8_t *region;      /* trampolines and the table of sites, near our code */
static size_t region_used;
static uint64_t *sites;
static struct fast_block *blk;   /* then records, then a guard page */
static uint8_t *guard;

static struct fast_rec *recs(void)
{
	return (struct fast_rec *)((char *)blk + FAST_BLOCK_HDR);
}

static size_t nrecs(void)
{
	return (blk->cur - (uint64_t)recs()) / sizeof(struct fast_rec);
}

static void reset_block(void)
{
	blk->cur = (uint64_t)recs();
}

/* The tracer's answers. */
static int miss_traps, full_faults;
static taddr_t expect_miss, expect_full;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	if (expect_miss)
		assert_int_equal((uint64_t)g[REG_RIP] - 1, expect_miss);
	uint64_t ret = *(uint64_t *)g[REG_RSP];
	uint64_t k = fast_sites_slot(ret, SITES_BITS);
	sites[k + (sites[k] != 0)] = ret;
	miss_traps++;
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	if ((uint64_t)g[REG_RIP] != expect_full || (uint8_t *)si->si_addr < guard ||
	    (uint8_t *)si->si_addr >= guard + PAGE)
		abort();
	full_faults++;
	reset_block();
	g[REG_RCX] = (greg_t)blk->cur;   /* the store runs again, at the first record */
}

static int setup(void **state)
{
	char err[256];
	assert_int_equal(symtab_load("/proc/self/exe", &st, err, sizeof(err)), 0);
	assert_int_equal(fast_image_load("/proc/self/exe", &im, err, sizeof(err)), 0);
	fast_map_build(&map, &im, st.funcs, st.nfuncs);
	const struct func *f = NULL;
	for (size_t i = 0; i < st.nfuncs; i++)
		if (!strcmp(st.funcs[i].name, "ff_add"))
			f = &st.funcs[i];
	assert_non_null(f);
	bias = (taddr_t)ff_add - f->addr;

	/* Trampolines within 2 GiB of the code: the first free spot below it. */
	for (taddr_t at = ((taddr_t)ff_add & ~(taddr_t)0xfffff) - (1 << 24); !region; at -= 1 << 24) {
		void *p = mmap((void *)at, 1 << 20, PROT_READ | PROT_WRITE | PROT_EXEC,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != MAP_FAILED)
			region = p;
	}
	sites = (uint64_t *)region;
	region_used = sizeof(uint64_t) << SITES_BITS;

	void *b = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(b != MAP_FAILED);
	blk = b;
	guard = (uint8_t *)b + 2 * PAGE;
	assert_int_equal(mprotect(guard, PAGE, PROT_NONE), 0);
	reset_block();
	__asm__ volatile("movq %0, %%fs:%c1" : : "r"(blk), "i"(FAST_TLS_SLOT) : "memory");

	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	sigaction(SIGTRAP, &sa, NULL);
	return 0;
}

static int teardown(void **state)
{
	__asm__ volatile("movq $0, %%fs:%c0" : : "i"(FAST_TLS_SLOT) : "memory");
	fast_map_free(&map);
	fast_image_free(&im);
	symtab_free(&st);
	return 0;
}

/* Patches the window at runtime address at with a trampoline built from cfg; returns the
 * trampoline's info. */
static struct fast_tramp_info patch(taddr_t at, struct fast_tramp_cfg cfg)
{
	struct fast_window w;
	enum fast_why why = fast_window_check(&map, at - bias, &w);
	if (why != FAST_OK)
		fail_msg("window at %#" PRIx64 ": %s", at, fast_why_name(why));
	region_used = (region_used + 15) & ~(size_t)15;
	uint8_t *t = region + region_used;
	cfg.at = (taddr_t)t;
	struct fast_tramp_info info;
	assert_true(fast_tramp_build(&cfg, &w, at, t, &info));
	region_used += info.len;
	uint8_t jmp[FAST_JMP_LEN];
	assert_true(fast_tramp_jump(at, cfg.at, jmp));
	taddr_t page = at & ~(taddr_t)(PAGE - 1);
	assert_int_equal(mprotect((void *)page, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	memcpy((void *)at, jmp, FAST_JMP_LEN);
	__builtin___clear_cache((char *)at, (char *)at + FAST_JMP_LEN);
	return info;
}

/* Calls through a volatile pointer, so the compiler cannot see what runs. */
typedef uint64_t (*fn2)(uint64_t, uint64_t);
static uint64_t call(void *f, uint64_t a, uint64_t b)
{
	fn2 volatile p = (fn2)f;
	return p(a, b);
}

static void test_entry_after_endbr(void **state)
{
	(void)state;
	assert_int_equal(fast_window_entry(&map, (taddr_t)ff_add - bias), (taddr_t)ff_add - bias + 4);
	patch((taddr_t)ff_add + 4, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_ENTRY, .id = 7 });
	reset_block();
	assert_int_equal(call(ff_add, 40, 2), 42);
	assert_int_equal(call(ff_add, 1, 2), 3);
	assert_int_equal(nrecs(), 2);
	struct fast_rec *r = recs();
	assert_int_equal(r[0].kind, FAST_REC_ENTRY);
	assert_int_equal(r[0].id, 7);
	assert_true(fast_image_in_code(&im, r[0].ret - bias));   /* call()'s return address */
	assert_true(r[0].sp < (uint64_t)__builtin_frame_address(0));
	uint64_t t0 = r[0].tsc_lo | (uint64_t)r[0].tsc_hi << 32, t1 = r[1].tsc_lo | (uint64_t)r[1].tsc_hi << 32;
	assert_true(t0 && t1 > t0);
}

static void test_return_site(void **state)
{
	(void)state;
	patch((taddr_t)ff_caller + 6, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_SITE, .id = 3 });
	reset_block();
	assert_int_equal(call(ff_caller, 5, 0), 106);
	assert_int_equal(nrecs(), 1);
	assert_int_equal(recs()[0].kind, FAST_REC_SITE);
	assert_int_equal(recs()[0].id, 3);
}

static void test_site_keeps_flags(void **state)
{
	(void)state;
	patch((taddr_t)ff_flags + 6, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_SITE, .id = 4 });
	reset_block();
	assert_int_equal(call(ff_flags, 0, 0), 1);
	assert_int_equal(nrecs(), 1);
}

static void test_jcc_and_riprel(void **state)
{
	(void)state;
	patch((taddr_t)ff_jcc, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_ENTRY, .id = 5 });
	patch((taddr_t)ff_riprel, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_ENTRY, .id = 6 });
	reset_block();
	assert_int_equal(call(ff_jcc, 0, 0), 2);
	assert_int_equal(call(ff_jcc, 1, 0), 1);
	assert_int_equal(call(ff_riprel, 0, 0), 0x1122334455667788ull);
	assert_int_equal(nrecs(), 3);
}

static void test_call_in_window(void **state)
{
	(void)state;
	patch((taddr_t)ff_calls, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_ENTRY, .id = 8 });
	reset_block();
	assert_int_equal(call(ff_calls, 0, 0), 15);
	assert_int_equal(ff_seen_ret, (uint64_t)ff_calls + 5);   /* the original return address */
	assert_int_equal(nrecs(), 1);
}

static void test_unknown_site_traps_once(void **state)
{
	(void)state;
	struct fast_tramp_info info = patch((taddr_t)ff_leaf,
		(struct fast_tramp_cfg){ .kind = FAST_TRAMP_ENTRY, .id = 9, .sites = (taddr_t)sites,
					 .sites_bits = SITES_BITS });
	expect_miss = (taddr_t)region + region_used - info.len + info.miss_trap;
	reset_block();
	miss_traps = 0;
	for (int i = 0; i < 5; i++)
		assert_int_equal(call(ff_leaf, (uint64_t)i, 0), (uint64_t)i + 1);
	assert_int_equal(miss_traps, 1);
	assert_int_equal(nrecs(), 5);
}

static void test_filter(void **state)
{
	(void)state;
	/* ff_leaf3 recorded only when called from ff_calls' code: not from call() */
	patch((taddr_t)ff_leaf3, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_ENTRY, .id = 10,
		.from_lo = (taddr_t)ff_calls, .from_hi = (taddr_t)ff_calls + 16 });
	reset_block();
	assert_int_equal(call(ff_leaf3, 0, 0), 10);
	assert_int_equal(nrecs(), 0);
	assert_int_equal(call(ff_calls, 0, 0), 15);   /* ff_calls (id 8) and ff_leaf3 from it */
	assert_int_equal(nrecs(), 2);
	assert_int_equal(recs()[1].id, 10);
}

static void test_entry_keeps_flags(void **state)
{
	(void)state;
	/* both filters on, both compare: CF (and the rest) must come back */
	patch((taddr_t)ff_cf_entry, (struct fast_tramp_cfg){ .kind = FAST_TRAMP_ENTRY, .id = 11,
		.sites = (taddr_t)sites, .sites_bits = SITES_BITS,
		.from_lo = (taddr_t)ff_cf_caller, .from_hi = (taddr_t)ff_cf_caller + 16 });
	reset_block();
	miss_traps = 0;
	expect_miss = 0;   /* the trap handler's check is off: any miss here is for ff_cf_caller */
	assert_int_equal(call(ff_cf_caller, 0, 0), 1);
	assert_int_equal(call(ff_cf_caller, 0, 0), 1);
	assert_int_equal(nrecs(), 2);
}

static void test_full_buffer(void **state)
{
	(void)state;
	/* ff_add is patched (id 7): fill the buffer up to its guard page */
	reset_block();
	struct fast_window w;
	assert_int_equal(fast_window_check(&map, (taddr_t)ff_add + 4 - bias, &w), FAST_OK);
	/* find ff_add's trampoline from its jmp */
	/* (an offset the compiler cannot fold: ff_add+5 as a constant would be a taken address
	 * inside the window, which the checker rightly refuses) */
	static volatile size_t five = 5;
	int32_t rel;
	memcpy(&rel, ff_add + five, 4);
	taddr_t t = (taddr_t)ff_add + 4 + FAST_JMP_LEN + (taddr_t)(int64_t)rel;
	struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_ENTRY, .id = 7, .at = t };
	uint8_t tmp[FAST_TRAMP_MAX];
	struct fast_tramp_info info;
	assert_true(fast_tramp_build(&cfg, &w, (taddr_t)ff_add + 4, tmp, &info));
	assert_memory_equal(tmp, (void *)t, info.len);
	expect_full = t + info.rec_store;
	full_faults = 0;
	/* cmocka has its own SIGSEGV handler while a test runs: ours, for this loop only */
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	sigaction(SIGSEGV, &sa, &old);
	for (size_t i = 0; i < NRECS + 3; i++)
		if (call(ff_add, i, 1) != i + 1)
			abort();
	sigaction(SIGSEGV, &old, NULL);
	assert_int_equal(full_faults, 1);
	assert_int_equal(nrecs(), 3);
	assert_int_equal(recs()[0].id, 7);
}

/* -p's trampolines (safe mode) with no tracer to answer their slow paths: their signal (SIGURG,
 * whose default action is to ignore it) goes nowhere, and the program goes on, its results,
 * flags and signal mask intact: no block, no record; a return address no site covers, recorded
 * anyway; a full block, written over from its start. */
static void test_safe_mode_without_tracer(void **state)
{
	(void)state;
	static uint64_t no_sites[1 << SITES_BITS];
	struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_ENTRY, .id = 12, .sites = (taddr_t)no_sites,
				      .sites_bits = SITES_BITS, .safe = true, .slow_sig = SIGURG,
				      .block_size = 2 * PAGE };
	struct fast_tramp_info info = patch((taddr_t)ff_leaf, cfg);
	assert_int_equal(info.miss_trap, 0);   /* no int3 anywhere */
	cfg.id = 13;
	cfg.from_lo = (taddr_t)ff_cf_caller;
	cfg.from_hi = (taddr_t)ff_cf_caller + 16;
	patch((taddr_t)ff_cf_entry, cfg);
	sigset_t urg, old, pending;
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, &old);   /* unblocked by the slow path, for its signal only */

	__asm__ volatile("movq $0, %%fs:%c0" : : "i"(FAST_TLS_SLOT) : "memory");
	reset_block();
	for (int i = 0; i < 3; i++)
		assert_int_equal(call(ff_leaf, (uint64_t)i, 0), (uint64_t)i + 1);
	assert_int_equal(call(ff_cf_caller, 0, 0), 1);   /* CF through the slow path */
	assert_int_equal(nrecs(), 0);

	__asm__ volatile("movq %0, %%fs:%c1" : : "r"(blk), "i"(FAST_TLS_SLOT) : "memory");
	for (int i = 0; i < 5; i++)
		assert_int_equal(call(ff_leaf, (uint64_t)i, 0), (uint64_t)i + 1);
	assert_int_equal(nrecs(), 5);
	assert_int_equal(recs()[4].id, 12);
	assert_int_equal(call(ff_cf_caller, 0, 0), 1);

	reset_block();
	for (size_t i = 0; i < NRECS + 3; i++)
		if (call(ff_leaf, i, 0) != i + 1)
			abort();
	assert_int_equal(nrecs(), 3);

	sigset_t now;
	sigprocmask(SIG_SETMASK, &old, &now);
	assert_true(sigismember(&now, SIGURG));   /* the mask as the program had it */
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGURG));
}

/* errno's offset from this thread's thread pointer, as the tracer finds it in a traced program. */
static int64_t errno_tpoff(void)
{
	uint64_t fs;
	__asm__("movq %%fs:0, %0" : "=r"(fs));
	return (int64_t)((uint64_t)&errno - fs);
}

static const struct fast_rec_vals *vals_of(size_t i)
{
	return (const struct fast_rec_vals *)&recs()[i + 1];
}

/* A site with values: rdx, xmm0 and xmm1 as the callee left them, and errno once its offset is
 * in the word (before, the block address's low half, which tells the tracer it was not). */
static void test_site_values(void **state)
{
	(void)state;
	static int64_t word = FAST_ERRNO_UNKNOWN;
	struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_SITE, .id = 14, .vals = true,
				      .errno_word = (taddr_t)&word };
	struct fast_tramp_info info = patch((taddr_t)ff_vals + 6, cfg);
	reset_block();
	errno = 42;
	assert_int_equal(call(ff_vals, 0, 0), 0x3333);
	assert_int_equal(nrecs(), 2);
	assert_int_equal(recs()[0].kind, FAST_REC_SITE_VALS);
	assert_int_equal(recs()[0].id, 14);
	assert_int_equal(recs()[0].ret, 0x1111);
	assert_int_equal(vals_of(0)->kind, FAST_REC_VALS);
	assert_int_equal(vals_of(0)->rdx, 0x2222);
	double x0, x1;
	memcpy(&x0, &vals_of(0)->xmm0, 8);
	memcpy(&x1, &vals_of(0)->xmm1, 8);
	assert_true(x0 > 3.14159 && x0 < 3.1416);
	assert_true(x1 == 2.5);
	assert_int_equal(vals_of(0)->err, (uint32_t)(uintptr_t)blk);

	word = errno_tpoff();
	errno = 42;
	assert_int_equal(call(ff_vals, 0, 0), 0x3333);
	assert_int_equal(nrecs(), 4);
	assert_int_equal(vals_of(2)->err, 42);

	/* a full block: the fault is at the second half's first store */
	expect_full = (taddr_t)region + region_used - info.len + info.rec_store;
	full_faults = 0;
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	sigaction(SIGSEGV, &sa, &old);
	for (size_t i = 0; i < NRECS / 2; i++)   /* 2 records in, so past the end once */
		if (call(ff_vals, 0, 0) != 0x3333)
			abort();
	sigaction(SIGSEGV, &old, NULL);
	assert_int_equal(full_faults, 1);
	assert_int_equal(vals_of(0)->kind, FAST_REC_VALS);
	assert_int_equal(nrecs() % 2, 0);
}

/* Safe mode's site with values: its full-block check makes room for the second half, and rdx
 * (which the check uses) is the program's in the record. */
static void test_safe_site_values(void **state)
{
	(void)state;
	static int64_t word;
	word = errno_tpoff();
	struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_SITE, .id = 15, .vals = true,
				      .errno_word = (taddr_t)&word, .safe = true, .slow_sig = SIGURG,
				      .block_size = 2 * PAGE };
	patch((taddr_t)ff_safe_vals + 6, cfg);
	sigset_t urg, old;
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, &old);
	reset_block();
	errno = 7;
	assert_int_equal(call(ff_safe_vals, 0, 0), 0x3333);
	assert_int_equal(nrecs(), 2);
	assert_int_equal(recs()[0].ret, 0x1111);
	assert_int_equal(vals_of(0)->rdx, 0x2222);
	assert_int_equal(vals_of(0)->err, 7);
	reset_block();
	for (size_t i = 0; i < NRECS / 2 + 3; i++)   /* a full block: written over from its start */
		if (call(ff_safe_vals, 0, 0) != 0x3333)
			abort();
	assert_int_equal(nrecs(), 6);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* An entry with its arguments: the six integer registers as the function found them (rcx and
 * rdx from the trampoline's spills), and xmm0-7 with fpargs, in safe mode too (rdx is the
 * block's offset there when the arguments are stored). */
static void test_entry_args(void **state)
{
	(void)state;
	typedef uint64_t (*fn6)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, double, double);
	fn6 volatile f;
	for (int safe = 0; safe < 2; safe++) {
		struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_ENTRY, .id = 16, .args = true, .fpargs = true,
					      .safe = safe, .slow_sig = SIGURG, .block_size = 2 * PAGE };
		char *fn = safe ? ff_args6_safe : ff_args6;
		patch((taddr_t)fn, cfg);
		f = (fn6)(void *)fn;
		reset_block();
		assert_int_equal(f(1, 2, 3, 4, 5, 6, 0.5, 1.5), 21);
		size_t units = (sizeof(struct fast_rec) + sizeof(struct fast_rec_fpargs) + sizeof(struct fast_rec_args)) /
			       sizeof(struct fast_rec);
		assert_int_equal(nrecs(), units);
		assert_int_equal(recs()[0].kind, FAST_REC_ENTRY_FPARGS);
		const struct fast_rec_fpargs *fa = (const void *)&recs()[1];
		const struct fast_rec_args *a = (const void *)((const char *)fa + sizeof(*fa));
		assert_int_equal(a->kind, FAST_REC_ARGS);
		assert_int_equal(a->rdi, 1);
		assert_int_equal(a->rsi, 2);
		assert_int_equal(a->rdx, 3);
		assert_int_equal(a->rcx, 4);
		assert_int_equal(a->r8, 5);
		assert_int_equal(a->r9, 6);
		double x0, x1;
		memcpy(&x0, &fa->xmm[0], 8);
		memcpy(&x1, &fa->xmm[1], 8);
		assert_true(x0 == 0.5 && x1 == 1.5);
		assert_true(fast_image_in_code(&im, recs()[0].ret - bias));
	}
}

/* An entry with stack words: the two arguments above the return address copied after the
 * registers, in both modes. */
static void test_entry_stack_words(void **state)
{
	(void)state;
	typedef uint64_t (*fn8)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
	fn8 volatile f;
	for (int safe = 0; safe < 2; safe++) {
		struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_ENTRY, .id = 17, .args = true, .stack_words = 2,
					      .safe = safe, .slow_sig = SIGURG, .block_size = 2 * PAGE };
		char *fn = safe ? ff_args8_safe : ff_args8;
		patch((taddr_t)fn, cfg);
		f = (fn8)(void *)fn;
		reset_block();
		assert_int_equal(f(1, 2, 3, 4, 5, 6, 70, 800), 891);
		size_t units = (sizeof(struct fast_rec) + sizeof(struct fast_rec_args) + sizeof(struct fast_rec_stack)) /
			       sizeof(struct fast_rec);
		assert_int_equal(nrecs(), units);
		assert_int_equal(recs()[0].kind, FAST_REC_ENTRY_STACK);
		const struct fast_rec_args *a = (const void *)&recs()[1];
		const struct fast_rec_stack *st = (const void *)(a + 1);
		assert_int_equal(a->kind, FAST_REC_ARGS);
		assert_int_equal(a->r9, 6);
		assert_int_equal(st->kind, FAST_REC_STACK);
		assert_int_equal(st->n, 2);
		assert_int_equal(st->w[0], 70);
		assert_int_equal(st->w[1], 800);
	}
}

/* A site that keeps st0: the long double returned, in the record, and the x87 status word the
 * caller reads after the return unchanged (C1 included, which a pop or a push would clear);
 * a full block faults at the fxsave, which needs 512 bytes. Safe mode too. */
static void test_site_x87(void **state)
{
	(void)state;
	static int64_t word;
	word = errno_tpoff();
	typedef uint64_t (*fn0)(void);
	for (int safe = 0; safe < 2; safe++) {
		char *fn = safe ? ff_x87_safe : ff_x87;
		fn0 volatile f = (fn0)(void *)fn;
		uint64_t want = f();
		assert_true(want & 0x200);   /* (C1: 1/3 rounded up) */
		struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_SITE, .id = 18, .vals = true, .x87 = true,
					      .errno_word = (taddr_t)&word, .safe = safe, .slow_sig = SIGURG,
					      .block_size = 2 * PAGE };
		struct fast_tramp_info info = patch((taddr_t)fn + 6, cfg);
		sigset_t urg, old;
		sigemptyset(&urg);
		sigaddset(&urg, SIGURG);
		sigprocmask(SIG_BLOCK, &urg, &old);
		reset_block();
		assert_int_equal(f(), want);
		assert_int_equal(nrecs(), 3);
		assert_int_equal(recs()[0].kind, FAST_REC_SITE_X87);
		assert_int_equal(vals_of(0)->kind, FAST_REC_VALS);
		const struct fast_rec_x87 *x = (const void *)&recs()[2];
		assert_int_equal(x->kind, FAST_REC_X87);
		long double third = 1.0L / 3, got = 0;
		memcpy(&got, x->st0, 10);
		assert_true(got == third);
		if (!safe) {
			expect_full = (taddr_t)region + region_used - info.len + info.rec_store;
			full_faults = 0;
			struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, olds;
			sigaction(SIGSEGV, &sa, &olds);
			for (size_t i = 0; i < NRECS / 3; i++)
				if (f() != want)
					abort();
			sigaction(SIGSEGV, &olds, NULL);
			assert_int_equal(full_faults, 1);   /* (at 544 bytes from the end, not 96) */
		} else {
			for (size_t i = 0; i < NRECS / 3 + 3; i++)   /* written over from the start */
				if (f() != want)
					abort();
			assert_true(nrecs() < NRECS / 3 * 3);
		}
		assert_int_equal(recs()[0].kind, FAST_REC_SITE_X87);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

static bool any_neighbour(taddr_t n, unsigned len, void *arg)
{
	(void)n;
	(void)len;
	(void)arg;
	return true;
}

/* Writes len bytes over code at at. */
static void poke(taddr_t at, const void *b, size_t len)
{
	taddr_t page = at & ~(taddr_t)(PAGE - 1);
	assert_int_equal(mprotect((void *)page, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	memcpy((void *)at, b, len);
	__builtin___clear_cache((char *)at, (char *)at + len);
}

/* A return site with no room (a target after its 3-byte mov) and no padding used: a neighbour
 * evicted to a trampoline with no record (fast_tramp_build_plain), its dead bytes taking the
 * site's jmp rel32, the site a jmp rel8 to them. The function computes as before, through the
 * loop that runs the evicted instructions, and the site records each return. */
static void test_evicted_neighbour(void **state)
{
	(void)state;
	taddr_t site = (taddr_t)ff_evict + 9;
	struct fast_window sw, nw;
	assert_int_equal(fast_window_check(&map, site - bias, &sw), FAST_TARGET);
	assert_int_equal(fast_window_short(&map, site - bias, &sw), FAST_OK);
	taddr_t n = fast_evict_find(&map, site - bias, site - bias + sw.len, any_neighbour, NULL, &nw) + bias;
	assert_int_equal(n, (taddr_t)ff_evict + 16);
	uint64_t want = call(ff_evict, 50, 0), want3 = call(ff_evict, 3, 0);

	region_used = (region_used + 15) & ~(size_t)15;
	uint8_t *t = region + region_used;
	struct fast_tramp_info info;
	assert_true(fast_tramp_build_plain(&nw, n, (taddr_t)t, t, &info));
	assert_int_equal(info.reloc, 0);
	assert_int_equal(info.rec_store, FAST_TRAMP_NONE);
	assert_int_equal(info.tsc, FAST_TRAMP_NONE);
	region_used += info.len;
	region_used = (region_used + 15) & ~(size_t)15;
	uint8_t *st_ = region + region_used;
	struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_SITE, .id = 11, .at = (taddr_t)st_ };
	struct fast_tramp_info sinfo;
	assert_true(fast_tramp_build(&cfg, &sw, site, st_, &sinfo));
	region_used += sinfo.len;

	uint8_t jmp[FAST_JMP_LEN], hole[FAST_JMP_LEN], rel8[2] = { 0xeb, 0 };
	assert_true(fast_tramp_jump(n, (taddr_t)t, jmp));
	assert_true(fast_tramp_jump(n + FAST_JMP_LEN, (taddr_t)st_, hole));
	rel8[1] = (uint8_t)(int8_t)((int64_t)(n + FAST_JMP_LEN) - (int64_t)(site + 2));
	poke(n, jmp, sizeof(jmp));
	poke(n + FAST_JMP_LEN, hole, sizeof(hole));
	poke(site, rel8, sizeof(rel8));
	reset_block();
	assert_int_equal(call(ff_evict, 50, 0), want);
	assert_int_equal(call(ff_evict, 3, 0), want3);
	assert_int_equal(nrecs(), 2);
	assert_int_equal(recs()[0].kind, FAST_REC_SITE);
	assert_int_equal(recs()[0].id, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_after_endbr),
		cmocka_unit_test(test_evicted_neighbour),
		cmocka_unit_test(test_return_site),
		cmocka_unit_test(test_site_keeps_flags),
		cmocka_unit_test(test_jcc_and_riprel),
		cmocka_unit_test(test_call_in_window),
		cmocka_unit_test(test_unknown_site_traps_once),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_entry_keeps_flags),
		cmocka_unit_test(test_full_buffer),
		cmocka_unit_test(test_safe_mode_without_tracer),
		cmocka_unit_test(test_site_values),
		cmocka_unit_test(test_safe_site_values),
		cmocka_unit_test(test_entry_args),
		cmocka_unit_test(test_entry_stack_words),
		cmocka_unit_test(test_site_x87),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
