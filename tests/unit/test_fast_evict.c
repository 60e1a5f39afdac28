/* test_fast_evict: which neighbours a short window may evict for its jmp rel32
 * (fixtures/fast_evict.S: every shape named by its offsets), without a tracee. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "elf/symtab.h"
#include "fast/evict.h"
#include "fast/image.h"
#include "fast/window.h"

static struct symtab st;
static struct fast_image im;
static struct fast_map m;

static taddr_t sym(const char *name)
{
	for (size_t i = 0; i < st.nfuncs; i++)
		if (!strcmp(st.funcs[i].name, name))
			return st.funcs[i].addr;
	fail_msg("no function %s", name);
	return 0;
}

/* Every neighbour offered to usable(), which takes none of them: all those the map allows. */
struct offered {
	taddr_t v[256];
	size_t n;
};

static bool note(taddr_t n, unsigned len, void *arg)
{
	struct offered *o = arg;
	assert_true(len >= FAST_EVICT_LEN && len <= FAST_WIN_MAX);
	if (o->n < 256)
		o->v[o->n++] = n;
	return false;
}

static bool was_offered(const struct offered *o, taddr_t a)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i] == a)
			return true;
	return false;
}

static bool any(taddr_t n, unsigned len, void *arg)
{
	(void)n;
	(void)len;
	(void)arg;
	return true;
}

/* Refuses the neighbour *arg, to see the next nearest chosen. */
static bool not_this(taddr_t n, unsigned len, void *arg)
{
	(void)len;
	return n != *(taddr_t *)arg;
}

/* The neighbours the jmp rel8 at site (fn + off), whose own window is len bytes, may evict. */
static void offered_for(const char *fn, unsigned off, unsigned len, struct offered *o)
{
	struct fast_window w;
	o->n = 0;
	taddr_t at = sym(fn) + off;
	assert_int_equal(fast_evict_find(&m, at, at + len, note, o, &w), 0);
}

#define OFFERED(o, fn, off) do { if (!was_offered(o, sym(fn) + (off))) fail_msg("%s+%u not offered", fn, (unsigned)(off)); } while (0)
#define REFUSED(o, fn, off) do { if (was_offered(o, sym(fn) + (off))) fail_msg("%s+%u offered", fn, (unsigned)(off)); } while (0)

static int setup(void **state)
{
	char path[512], err[256];
	(void)state;
	snprintf(path, sizeof(path), "%s/fast_evict", UNIT_FIXTURES);
	if (symtab_load(path, &st, err, sizeof(err)) || fast_image_load(path, &im, err, sizeof(err)))
		return -1;
	fast_map_build(&m, &im, st.funcs, st.nfuncs);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fast_map_free(&m);
	fast_image_free(&im);
	symtab_free(&st);
	return 0;
}

/* gawk's shape: the site's 2-byte window, a target after its mov; neighbours after it. */
static void gawk_site(void **state)
{
	struct fast_window w;
	struct offered o;
	(void)state;
	assert_int_equal(fast_window_check(&m, sym("ev_gawk") + 9, &w), FAST_TARGET);
	assert_int_equal(fast_window_short(&m, sym("ev_gawk") + 9, &w), FAST_OK);
	offered_for("ev_gawk", 9, w.len, &o);
	OFFERED(&o, "ev_gawk", 16);   /* cmp, jl (its target before it), mov, add */
	OFFERED(&o, "ev_gawk", 19);
	OFFERED(&o, "ev_gawk", 21);
	OFFERED(&o, "ev_gawk", 24);
	REFUSED(&o, "ev_gawk", 9);    /* the site itself */
	REFUSED(&o, "ev_gawk", 12);   /* in the site's 5-byte window (and a target) */
	REFUSED(&o, "ev_gawk", 28);   /* 9 bytes to its ret, then the next function */
	REFUSED(&o, "ev_gawk", 0);    /* an entry, and the bytes of its window */
	REFUSED(&o, "ev_gawk", 1);
	REFUSED(&o, "ev_target", 0);
	REFUSED(&o, "ev_target", 3);  /* the loop's head at 7 inside */
	OFFERED(&o, "ev_target", 7);  /* ... the neighbour's first byte: allowed */
	REFUSED(&o, "ev_call", 3);    /* the call inside */
	REFUSED(&o, "ev_call", 12);   /* its return site */
	REFUSED(&o, "ev_call", 16);   /* in the return site's 5-byte window */
	OFFERED(&o, "ev_call", 20);
	REFUSED(&o, "ev_pinned", 3);  /* syscall */
	OFFERED(&o, "ev_pinned", 9);
	REFUSED(&o, "ev_taken", 7);   /* the lea's address at 11 inside */
	OFFERED(&o, "ev_taken", 11);
	for (size_t i = 0; i < o.n; i++) {   /* what the jmp rel8's end reaches, at N + 5 */
		int64_t d = (int64_t)(o.v[i] + FAST_JMP_LEN) - (int64_t)(sym("ev_gawk") + 9 + FAST_JMP8_LEN);
		assert_true(d >= -128 && d <= 127);
	}

	/* The nearest is chosen; a neighbour the caller cannot take leaves the next nearest. */
	taddr_t at = sym("ev_gawk") + 9;
	assert_int_equal(fast_evict_find(&m, at, at + 2, any, NULL, &w), sym("ev_gawk") + 16);
	assert_int_equal(w.addr, sym("ev_gawk") + 16);
	assert_int_equal(w.len, 12);
	taddr_t no = sym("ev_gawk") + 16;
	assert_int_equal(fast_evict_find(&m, at, at + 2, not_this, &no, &w), sym("ev_gawk") + 19);
}

/* In code whose targets are not all known, no neighbour of several instructions. */
static void unsure_code(void **state)
{
	struct offered o;
	(void)state;
	assert_true(fast_map_unsure(&m, sym("ev_unsure")));
	offered_for("ev_far", 9, 3, &o);
	for (unsigned off = 1; off < 18; off++)
		REFUSED(&o, "ev_unsure", off);
}

/* A return site short before its function's end: neighbours before its call, and in the next
 * function past its entry's window, a rip-relative load among them. */
static void function_end(void **state)
{
	struct fast_window w;
	struct offered o;
	(void)state;
	taddr_t at = sym("ev_end") + 24;
	assert_int_equal(fast_window_check(&m, at, &w), FAST_FUNC_INSIDE);
	assert_int_equal(fast_window_short(&m, at, &w), FAST_OK);
	assert_int_equal(w.len, 2);
	offered_for("ev_end", 24, 2, &o);
	REFUSED(&o, "ev_end", 1);     /* in the entry's window (push, mov, add) */
	REFUSED(&o, "ev_end", 4);
	OFFERED(&o, "ev_end", 8);     /* add, add, mov */
	REFUSED(&o, "ev_end", 12);    /* add, mov, call */
	REFUSED(&o, "ev_end", 24);    /* the site */
	REFUSED(&o, "ev_next", 0);    /* the next function's entry, and its window */
	REFUSED(&o, "ev_next", 3);
	OFFERED(&o, "ev_next", 7);
	/* the nearest: the borrowed jmp at ev_next+12, 12 bytes from the jmp rel8's end */
	assert_int_equal(fast_evict_find(&m, at, at + 2, any, NULL, &w), sym("ev_next") + 7);
	assert_int_equal(w.n, 2);
	assert_int_not_equal(w.insn[0].disp_off, 0);   /* (rebased when relocated) */
}

/* Only what the jmp rel8 reaches. */
static void reach(void **state)
{
	struct offered o;
	(void)state;
	offered_for("ev_far", 9, 3, &o);
	OFFERED(&o, "ev_far", 16);
	OFFERED(&o, "ev_far", 132);   /* its jmp rel32 at +137: 126 bytes from the jmp rel8's end */
	REFUSED(&o, "ev_far", 136);
	REFUSED(&o, "ev_far", 14);    /* not an instruction's start */
	struct fast_window w;
	taddr_t at = sym("ev_far") + 9;
	assert_int_equal(fast_evict_find(&m, at, at + 3, any, NULL, &w), sym("ev_far") + 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gawk_site),
		cmocka_unit_test(unsure_code),
		cmocka_unit_test(function_end),
		cmocka_unit_test(reach),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
