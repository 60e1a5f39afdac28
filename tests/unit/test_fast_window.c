/* test_fast_window: the window checker on hand-made hazards (fixtures/fast_hazards.S, linked as
 * PIE and not), and the LSDA reader on what g++ writes. */
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "unit.h"
#include "arch/x86_64/scan.h"
#include "elf/discover.h"
#include "elf/symtab.h"
#include "fast/image.h"
#include "fast/lsda.h"
#include "fast/window.h"

struct fix {
	struct symtab st;
	struct fast_image im;
	struct fast_map m;
};

static struct fix *fix_open(const char *name)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/%s", UNIT_FIXTURES, name);
	struct fix *f = test_malloc(sizeof(*f));
	assert_int_equal(symtab_load(path, &f->st, err, sizeof(err)), 0);
	assert_int_equal(fast_image_load(path, &f->im, err, sizeof(err)), 0);
	fast_map_build(&f->m, &f->im, f->st.funcs, f->st.nfuncs);
	return f;
}

static void fix_close(struct fix *f)
{
	fast_map_free(&f->m);
	fast_image_free(&f->im);
	symtab_free(&f->st);
	test_free(f);
}

static taddr_t sym(const struct fix *f, const char *name)
{
	for (size_t i = 0; i < f->st.nfuncs; i++)
		if (!strcmp(f->st.funcs[i].name, name))
			return f->st.funcs[i].addr;
	fail_msg("no function %s", name);
	return 0;
}

static enum fast_why why_at(const struct fix *f, const char *fn, unsigned off, struct fast_window *w)
{
	return fast_window_check(&f->m, sym(f, fn) + off, w);
}

#define EXPECT(f, fn, off, want) do { \
	struct fast_window w_; \
	enum fast_why got_ = why_at(f, fn, off, &w_); \
	if (got_ != (want)) \
		fail_msg("%s+%u: %s, expected %s", fn, (unsigned)(off), fast_why_name(got_), fast_why_name(want)); \
} while (0)

#define EXPECT_SHORT(f, fn, off, want) do { \
	struct fast_window w_; \
	enum fast_why got_ = fast_window_short(&(f)->m, sym(f, fn) + (off), &w_); \
	if (got_ != (want)) \
		fail_msg("%s+%u (jmp rel8): %s, expected %s", fn, (unsigned)(off), fast_why_name(got_), fast_why_name(want)); \
} while (0)

static bool in_hole(const struct fix *f, taddr_t a)
{
	for (size_t i = 0; i < f->m.nholes; i++)
		if (f->m.holes[i].lo <= a && a < f->m.holes[i].hi)
			return true;
	return false;
}

static bool any_slot(taddr_t slot, void *arg)
{
	(void)slot;
	(void)arg;
	return true;
}

/* Refuses the slot *arg, to see the next nearest chosen. */
static bool not_this(taddr_t slot, void *arg)
{
	return slot != *(taddr_t *)arg;
}

/* Windows for a jmp rel8, and the holes its jmp rel32 goes to. */
static void short_jumps(struct fix *f)
{
	struct fast_window w;
	/* The loop back to entry+2 leaves the 2-byte xor as a window of its own. */
	assert_int_equal(fast_window_short(&f->m, sym(f, "hz_prologue_loop"), &w), FAST_OK);
	assert_int_equal(w.len, 2);
	assert_int_equal(w.n, 1);
	EXPECT_SHORT(f, "hz_loop1", 0, FAST_TARGET);   /* push, then the target at +1 */
	EXPECT_SHORT(f, "hz_unresolved", 6, FAST_OK);  /* one instruction: unsure code is no matter */
	EXPECT_SHORT(f, "hz_table", 6, FAST_OK);       /* mov (2), the case label after it */
	EXPECT_SHORT(f, "hz_ret", 0, FAST_OK);         /* ret and a padding byte */
	EXPECT_SHORT(f, "hz_call_inside", 6, FAST_OK); /* mov (2) alone: the call is not in it */

	taddr_t u = sym(f, "hz_hole_unsure"), nm = sym(f, "hz_hole_named");
	assert_true(fast_map_unsure(&f->m, u));
	assert_false(in_hole(f, u + 16));
	assert_false(in_hole(f, u + 20));
	assert_true(in_hole(f, u + 25));
	assert_true(in_hole(f, u + 29));
	assert_false(in_hole(f, nm + 1));
	assert_false(in_hole(f, nm + 6));
	assert_false(in_hole(f, u + 24));   /* the ret itself */

	/* The nearest usable slot in reach of the jmp rel8. */
	taddr_t from = u + 24 - 2, h = fast_map_hole(&f->m, from, any_slot, NULL);
	assert_int_equal(h, u + 25);
	assert_int_equal(fast_map_hole(&f->m, from, not_this, &h), u + 26);
	/* Only what a rel8 reaches: from 200 bytes on, not this hole. */
	from = u + 25 + 200;
	h = fast_map_hole(&f->m, from, any_slot, NULL);
	assert_true(h != u + 25 && (!h || (h + 128 >= from + 2 && h <= from + 2 + 127)));
}

/* The non-PIC table whose guard a second path skips (non-PIE only). */
static void abs_table_rejoined(struct fix *f)
{
	EXPECT(f, "hz_abs_rejoin", 6, FAST_OK);
	assert_false(fast_map_unsure(&f->m, sym(f, "hz_abs_rejoin")));
}

static void hazards(const char *name)
{
	struct fix *f = fix_open(name);
	struct fast_window w;

	/* Entries. */
	EXPECT(f, "hz_prologue_loop", 0, FAST_TARGET);
	EXPECT(f, "hz_prologue_noloop", 0, FAST_OK);
	assert_int_equal(why_at(f, "hz_ret", 0, &w), FAST_OK);
	assert_int_equal(w.insn[0].op, FOP_COPY);
	assert_true(w.insn[0].stop);
	assert_int_equal(w.insn[w.n - 1].op, FOP_PAD);
	EXPECT(f, "hz_xor_ret", 0, FAST_OK);
	EXPECT(f, "hz_packed1", 0, FAST_FUNC_INSIDE);
	assert_int_equal(why_at(f, "hz_packed2", 0, &w), FAST_OK);
	assert_int_equal(w.n, 1);   /* mov $1,%eax: 5 bytes, one instruction */
	EXPECT(f, "hz_syscall", 0, FAST_PINNED);
	assert_int_equal(why_at(f, "hz_riprel", 0, &w), FAST_OK);
	assert_int_equal(w.insn[0].disp_off, 3);

	/* Return sites: after push %rbx (1) and call (5). */
	EXPECT(f, "hz_table", 6, FAST_TARGET);
	EXPECT(f, "hz_table_twin", 6, FAST_OK);
	EXPECT(f, "hz_unresolved", 6, FAST_UNSURE);
	EXPECT(f, "hz_pointer", 6, FAST_OK);
	EXPECT(f, "hz_table_lea", 6, FAST_TARGET);
	EXPECT(f, "hz_lea", 13, FAST_TARGET);
	EXPECT(f, "hz_dataptr", 6, FAST_TARGET);
	EXPECT(f, "hz_eh", 6, FAST_TARGET);
	EXPECT(f, "hz_eh_twin", 6, FAST_OK);
	EXPECT(f, "hz_call_inside", 6, FAST_CALL_INSIDE);
	assert_int_equal(why_at(f, "hz_call_last", 6, &w), FAST_OK);
	assert_int_equal(w.insn[w.n - 1].op, FOP_CALL);
	assert_int_equal(w.insn[w.n - 1].target, sym(f, "hz_ret"));
	EXPECT(f, "hz_stack_call", 6, FAST_STACK_CALL);

	/* Indirect jumps: where the register's value comes from. */
	EXPECT(f, "hz_tail_arg", 6, FAST_OK);
	EXPECT(f, "hz_tail_computed", 6, FAST_UNSURE);
	EXPECT(f, "hz_pointer_joined", 6, FAST_UNSURE);
	EXPECT(f, "hz_table_hoisted", 6, FAST_TARGET);
	EXPECT(f, "hz_table_saved", 6, FAST_TARGET);
	EXPECT(f, "hz_table_bounded", 6, FAST_OK);
	EXPECT(f, "hz_table_byte", 6, FAST_OK);
	EXPECT(f, "hz_table_otherbyte", 6, FAST_TARGET);
	EXPECT(f, "hz_table_word", 6, FAST_OK);
	EXPECT(f, "hz_table_otherword", 6, FAST_TARGET);
	EXPECT(f, "hz_table_word_rejoin", 6, FAST_OK);
	assert_false(fast_map_unsure(&f->m, sym(f, "hz_table_word_rejoin")));
	assert_true(fast_map_unsure(&f->m, sym(f, "hz_table_word_rejoin_late")));
	EXPECT(f, "hz_flow_tail", 6, FAST_OK);
	assert_false(fast_map_unsure(&f->m, sym(f, "hz_flow_tail")));
	assert_true(fast_map_unsure(&f->m, sym(f, "hz_flow_computed")));
	assert_true(fast_map_unsure(&f->m, sym(f, "hz_flow_entered")));
	assert_true(fast_map_unsure(&f->m, sym(f, "hz_flow_entry_loop")));
	/* Cold fragments jumping back into a function with a jmp *%reg. */
	EXPECT(f, "hz_cold_tail", 6, FAST_OK);
	assert_false(fast_map_unsure(&f->m, sym(f, "hz_cold_tail")));
	EXPECT(f, "hz_cold_computed", 6, FAST_UNSURE);
	EXPECT(f, "hz_cold_fall", 6, FAST_UNSURE);
	EXPECT(f, "hz_cold_unsure", 6, FAST_UNSURE);
	assert_true(fast_map_unsure(&f->m, sym(f, "hz_cold_unsure_cold")));
	EXPECT(f, "hz_table_unbounded", 6, FAST_TARGET);
	EXPECT(f, "hz_table_next", 6, FAST_OK);
	assert_false(fast_map_unsure(&f->m, sym(f, "hz_table_saved")));
	assert_true(fast_map_unsure(&f->m, sym(f, "hz_table_saved_back")));   /* the pop comes back */

	/* A table's base lea'd on several paths before a shared jump: the same lea on every path, in
	 * a scratch register or in a callee-saved one across a call, is read (its case label in the
	 * window); two leas, a write on the way, a call, a path with none, or a branch from another
	 * function are not. */
	EXPECT(f, "hz_lea_paths", 6, FAST_TARGET);
	assert_false(fast_map_unsure(&f->m, sym(f, "hz_lea_paths")));
	EXPECT(f, "hz_lea_saved", 6, FAST_TARGET);
	assert_false(fast_map_unsure(&f->m, sym(f, "hz_lea_saved")));
	static const char *const lea_refused[] = { "hz_lea_two", "hz_lea_clobber", "hz_lea_call", "hz_lea_entry",
						    "hz_lea_outside" };
	for (size_t i = 0; i < ARRAY_SIZE(lea_refused); i++) {
		if (!fast_map_unsure(&f->m, sym(f, lea_refused[i])))
			fail_msg("%s: its jump's targets taken as known", lea_refused[i]);
		assert_int_not_equal(why_at(f, lea_refused[i], 6, &w), FAST_OK);
	}

	short_jumps(f);

	assert_true(f->m.ntables >= 3);
	assert_true(f->m.npads >= 1);
	assert_true(f->m.nunresolved >= 1);
	fix_close(f);
}

static void test_hazards_nopie(void **state)
{
	(void)state;
	hazards("fast_hazards-nopie");
	struct fix *f = fix_open("fast_hazards-nopie");
	abs_table_rejoined(f);
	fix_close(f);
}

static void test_hazards_pie(void **state)
{
	(void)state;
	hazards("fast_hazards-pie");
}

/* A start given twice with no size (discovery reports some addresses more than once, and
 * trace/fast.c adds them to the symbols) is one function, decoded up to the next other start:
 * the extent it once got was empty, so the function was never decoded from its start, and its
 * jump table never read. */
static void test_duplicate_starts(void **state)
{
	(void)state;
	struct fix *f = fix_open("fast_hazards-pie");
	struct func *twice = test_malloc(2 * f->st.nfuncs * sizeof(*twice));
	for (size_t i = 0; i < f->st.nfuncs; i++)
		twice[2 * i] = twice[2 * i + 1] = (struct func){ .addr = f->st.funcs[i].addr };
	size_t tables = f->m.ntables;
	fast_map_free(&f->m);
	fast_map_build(&f->m, &f->im, twice, 2 * f->st.nfuncs);
	assert_int_equal(f->m.ntables, tables);
	EXPECT(f, "hz_table", 6, FAST_TARGET);
	EXPECT(f, "hz_table_bounded", 6, FAST_OK);
	EXPECT(f, "hz_table_byte", 6, FAST_OK);
	EXPECT(f, "hz_table_otherbyte", 6, FAST_TARGET);
	test_free(twice);
	fix_close(f);
}

/* What g++ -O2 writes: every landing pad is code inside a function that has a try or a
 * destructor to run, and hz_catcher has one. */
struct pads {
	taddr_t v[256];
	size_t n, unsure;
};

static void on_pad(taddr_t pad, void *arg)
{
	struct pads *p = arg;
	if (p->n < ARRAY_SIZE(p->v))
		p->v[p->n++] = pad;
}

static void on_unsure(taddr_t lo, taddr_t hi, void *arg)
{
	((struct pads *)arg)->unsure++;
}

static void test_gxx_pads(void **state)
{
	(void)state;
	struct fix *f = fix_open("fast_eh");
	struct pads p = { .n = 0 };
	struct lsda_out out = { on_pad, on_unsure, &p };
	assert_true(lsda_pads(&f->im, &out) >= 1);
	assert_int_equal(p.unsure, 0);
	assert_true(p.n >= 1);
	taddr_t c = 0;
	for (size_t i = 0; i < f->st.nfuncs; i++)
		if (strstr(f->st.funcs[i].name, "hz_catcher"))
			c = f->st.funcs[i].addr;
	assert_true(c != 0);
	bool in_catcher = false;
	for (size_t i = 0; i < p.n; i++) {
		assert_true(fast_image_in_code(&f->im, p.v[i]));
		const struct func *fn = NULL;
		for (size_t k = 0; k < f->st.nfuncs; k++)
			if (f->st.funcs[k].addr <= p.v[i] && p.v[i] < f->st.funcs[k].addr + f->st.funcs[k].size)
				fn = &f->st.funcs[k];
		if (fn && fn->addr == c)
			in_catcher = true;
	}
	/* g++ may move the catch to hz_catcher.cold, which has no symbol of its own */
	assert_true(in_catcher || p.n >= 1);
	for (size_t i = 0; i < p.n; i++)
		assert_true(fast_map_target_in(&f->m, p.v[i] - 1, p.v[i] + 1));
	fix_close(f);
}

/* A hostile .gcc_except_table or .eh_frame makes code unsure, never a crash. */
static void test_lsda_garbage(void **state)
{
	(void)state;
	struct fix *f = fix_open("fast_hazards-nopie");
	uint64_t seed = 12345;
	for (size_t i = 0; i < f->im.nsecs; i++) {
		struct fast_sec *s = &f->im.secs[i];
		if (strcmp(s->name, ".gcc_except_table") && strcmp(s->name, ".eh_frame"))
			continue;
		for (int round = 0; round < 2000; round++) {
			uint8_t *save = test_malloc(s->size);
			memcpy(save, s->bytes, s->size);
			for (int k = 0; k < 4; k++)
				s->bytes[unit_rng(&seed) % s->size] = (uint8_t)unit_rng(&seed);
			struct pads p = { .n = 0 };
			struct lsda_out out = { on_pad, on_unsure, &p };
			lsda_pads(&f->im, &out);
			memcpy(s->bytes, save, s->size);
			test_free(save);
		}
	}
	fix_close(f);
}

/* What a plain linear scan of the code finds, for the map's check below. */
struct found {
	const struct fast_image *im;
	taddr_t *v;
	size_t n, cap;
};

static void keep_ref(taddr_t target, enum code_ref ref, void *arg)
{
	struct found *fd = arg;
	if (ref == REF_BOUNDARY || ref == REF_INSIDE || !fast_image_in_code(fd->im, target))
		return;
	xgrow(&fd->v, &fd->cap, fd->n + 1, sizeof(*fd->v));
	fd->v[fd->n++] = target;
}

static void add_start(taddr_t addr, const char *name, void *arg)
{
	struct symtab *st = arg;
	(void)name;
	st->funcs = xrealloc(st->funcs, (st->nfuncs + 1) * sizeof(*st->funcs));
	st->funcs[st->nfuncs++] = (struct func){ .addr = addr };
}

/* Each call fast_map_each_call reports, in order: what decoding every function from its start
 * finds (the map keeps the calls its own decoding saw instead of decoding again). */
struct calls {
	const struct fast_map *m;
	size_t next, func;   /* calls checked; the function the reference decoding is in */
	taddr_t at, end;     /* the last call it found there (0: none yet), its function's end */
	bool failed;
};

/* The next call decoding the functions from their starts finds after the one at c->at. */
static bool next_call(struct calls *c)
{
	static ZydisDecoder dec;
	static bool ready;
	if (!ready)
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ready = true;
	const struct fast_map *m = c->m;
	for (; c->func < m->nstarts; c->func++, c->at = 0) {
		taddr_t lo = m->ext[c->func].lo, hi = m->ext[c->func].hi;
		const uint8_t *code = hi > lo ? fast_image_bytes(m->im, lo, hi - lo) : NULL;
		ZydisDecodedInstruction zi;
		for (taddr_t a = lo; code && a < hi; a += zi.length) {
			if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&dec, NULL, code + (a - lo), hi - a, &zi)))
				break;
			if (zi.meta.category == ZYDIS_CATEGORY_CALL && (!c->at || a > c->at)) {
				c->at = a;
				c->end = hi;
				return true;
			}
		}
	}
	return false;
}

static void check_call(taddr_t call, const uint8_t *bytes, unsigned len, taddr_t end, void *arg)
{
	struct calls *c = arg;
	(void)bytes;
	(void)len;
	if (!next_call(c) || c->at != call || c->end != end)
		c->failed = true;
	c->next++;
}

/* The map of a real file holds every target a plain linear scan finds (the map's own scan skips
 * what it decoded from function starts), and its calls are those a decoding from every start
 * finds. libc: stripped, its local functions from discovery, as trace/fast.c takes them; at
 * least min of each. */
static void map_complete(const char *path, size_t min)
{
	struct symtab st;
	struct fast_image im;
	struct fast_map m;
	char err[256];
	assert_int_equal(symtab_load(path, &st, err, sizeof(err)), 0);
	assert_int_equal(fast_image_load(path, &im, err, sizeof(err)), 0);
	struct symtab starts = { .nfuncs = 0 };
	for (size_t i = 0; i < st.nfuncs; i++)
		add_start(st.funcs[i].addr, NULL, &starts);
	if (st.stripped) {
		int fd = open(path, O_RDONLY);
		Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		GElf_Ehdr eh;
		assert_non_null(gelf_getehdr(e, &eh));
		discover_functions(e, &eh, &st, add_start, &starts);
		elf_end(e);
		close(fd);
	}
	fast_map_build(&m, &im, starts.funcs, starts.nfuncs);
	struct found fd = { .im = &im };
	for (size_t i = 0; i < im.nsecs; i++)
		if (im.secs[i].exec && im.secs[i].bytes)
			scan_calls(im.secs[i].bytes, im.secs[i].size, im.secs[i].addr, keep_ref, &fd);
	assert_true(fd.n >= min);
	for (size_t i = 0; i < fd.n; i++)
		if (!fast_map_target_in(&m, fd.v[i] - 1, fd.v[i] + 1))
			fail_msg("%s: %#" PRIx64 ", found by a linear scan, is not in the map", path, fd.v[i]);
	struct calls c = { .m = &m };
	fast_map_each_call(&m, check_call, &c);
	assert_false(c.failed);
	assert_false(next_call(&c));   /* none left out */
	assert_true(c.next >= min);
	free(fd.v);
	free(starts.funcs);
	fast_map_free(&m);
	fast_image_free(&im);
	symtab_free(&st);
}

static void test_map_libc(void **state)
{
	(void)state;
	map_complete("/lib/x86_64-linux-gnu/libc.so.6", 1000);
}

static void test_map_fixture(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", UNIT_FIXTURES, "fast_hazards-pie");
	map_complete(path, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hazards_nopie),
		cmocka_unit_test(test_hazards_pie),
		cmocka_unit_test(test_duplicate_starts),
		cmocka_unit_test(test_gxx_pads),
		cmocka_unit_test(test_lsda_garbage),
		cmocka_unit_test(test_map_libc),
		cmocka_unit_test(test_map_fixture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
