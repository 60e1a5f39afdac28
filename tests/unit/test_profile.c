/* test_profile: per-function and per-caller totals, recursion counted once in Total, the sorted
 * callers and callees, and one name registered twice (two trace files) being one function. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "rec/funcs.h"
#include "view/profile.h"

static void entry(struct profile *pf, int32_t tid, uint32_t fn, uint64_t ts)
{
	struct event ev = { .ts = ts, .pid = tid, .tid = tid, .fn = fn, .kind = EV_ENTRY };
	profile_event(pf, &ev);
}

static void leave(struct profile *pf, int32_t tid, uint32_t fn, uint64_t t0, uint64_t ts)
{
	struct event ev = { .ts = ts, .t0 = t0, .pid = tid, .tid = tid, .fn = fn, .kind = EV_EXIT };
	profile_event(pf, &ev);
}

static const struct pedge *edge(const struct pfunc *caller, const struct pfunc *callee)
{
	return addrmap_get(&caller->callees, (taddr_t)(uintptr_t)callee);
}

/* main(0-100) calls r(10-60), which calls r(20-40), which calls leaf(25-30). */
static void test_recursion(void **state)
{
	uint32_t main_fn = funcs_add("main", 1), r = funcs_add("r", 2), leaf = funcs_add("leaf", 3);
	struct profile *pf = profile_new();
	entry(pf, 7, main_fn, 0);
	entry(pf, 7, r, 10);
	entry(pf, 7, r, 20);
	entry(pf, 7, leaf, 25);
	leave(pf, 7, leaf, 25, 30);
	leave(pf, 7, r, 20, 40);
	leave(pf, 7, r, 10, 60);
	leave(pf, 7, main_fn, 0, 100);
	struct pfunc *fm = profile_find(pf, funcs_name(main_fn)), *fr = profile_find(pf, funcs_name(r)),
		*fl = profile_find(pf, funcs_name(leaf));
	assert_non_null(fm);
	assert_int_equal(fr->calls, 2);
	assert_int_equal(fr->total, 50);            /* the outer call only */
	assert_int_equal(fr->self, 30 + 15);        /* 50 - 20, and 20 - 5 */
	assert_int_equal(fm->self, 50);
	assert_int_equal(edge(fm, fr)->total, 50);
	assert_int_equal(edge(fr, fr)->total, 20);
	assert_int_equal(edge(fr, fr)->calls, 1);
	assert_int_equal(edge(fr, fl)->self, 5);
	assert_null(edge(fm, fl));
	assert_int_equal(edge(profile_root(pf), fm)->calls, 1);
	/* Sum, Min and Max are of single calls, nested ones included (what -c's Avg, Min, Max are). */
	assert_int_equal(fr->sum, 70);
	assert_int_equal(fr->min, 20);
	assert_int_equal(fr->max, 50);
	size_t n;
	struct pfunc **all = profile_funcs(pf, &n);
	assert_int_equal(n, 3);
	free(all);
	/* r's callers: main and r itself, the larger total first; its callees: r, then leaf. */
	struct pedge **in = profile_callers(pf, fr, &n);
	assert_int_equal(n, 2);
	assert_ptr_equal(in[0]->caller, fm);
	assert_ptr_equal(in[1]->caller, fr);
	free(in);
	struct pedge **out = profile_callees(fr, &n);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0]->callee, fr);
	assert_ptr_equal(out[1]->callee, fl);
	free(out);
	out = profile_callees(fl, &n);
	assert_int_equal(n, 0);
	free(out);
	profile_free(pf);
	funcs_reset();
}

/* A second file registers its functions again, with new ids: the names make them one. */
static void test_same_name_twice(void **state)
{
	uint32_t a = funcs_add("f@libx.so.1", 1), b = funcs_add("f@libx.so.1", 99), c = funcs_add("f", 5);
	struct profile *pf = profile_new();
	entry(pf, 1, a, 0);
	leave(pf, 1, a, 0, 10);
	entry(pf, 2, b, 0);
	leave(pf, 2, b, 0, 30);
	entry(pf, 2, c, 40);
	leave(pf, 2, c, 40, 45);
	assert_int_equal(profile_find(pf, funcs_name(a))->calls, 2);
	assert_int_equal(profile_find(pf, funcs_name(b))->total, 40);
	assert_int_equal(profile_find(pf, funcs_name(c))->calls, 1);   /* another module, another function */
	profile_free(pf);
	funcs_reset();
}

/* Threads keep their own stacks: an exit in one never closes a call of another. */
static void test_threads(void **state)
{
	uint32_t f = funcs_add("f", 1), g = funcs_add("g", 2);
	struct profile *pf = profile_new();
	entry(pf, 1, f, 0);
	entry(pf, 2, g, 5);
	leave(pf, 2, g, 5, 15);
	leave(pf, 1, f, 0, 20);
	assert_int_equal(profile_find(pf, funcs_name(f))->self, 20);
	assert_int_equal(edge(profile_root(pf), profile_find(pf, funcs_name(g)))->calls, 1);
	profile_free(pf);
	funcs_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_same_name_twice),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
