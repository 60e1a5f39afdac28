/* test_stacks: calls merged by call path, as folded stacks and flame graphs see them: self times
 * and weights of a small tree, and no undefined arithmetic on absurd times from a trace file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "view/stacks.h"
#include "rec/funcs.h"

static void enter(struct stacks *s, uint32_t fn, uint64_t ts)
{
	struct event ev = { .ts = ts, .pid = 7, .tid = 7, .fn = fn, .kind = EV_ENTRY };
	stacks_event(s, &ev);
}

static void leave(struct stacks *s, uint32_t fn, uint64_t t0, uint64_t ts)
{
	struct event ev = { .ts = ts, .t0 = t0, .pid = 7, .tid = 7, .fn = fn, .kind = EV_EXIT };
	stacks_event(s, &ev);
}

struct seen {
	char line[8][128];
	size_t n;
};

static void collect(struct stacks *s, const uint32_t *path, size_t depth, void *arg)
{
	struct seen *w = arg;
	char *p = w->line[w->n];
	size_t room = sizeof(w->line[0]);
	for (size_t i = 0; i < depth; i++) {
		int k = snprintf(p, room, "%s%s", i ? ";" : "", stacks_label(s, path[i]));
		p += k;
		room -= (size_t)k;
	}
	snprintf(p, room, " %llu %llu", (unsigned long long)stacks_own(s, path[depth - 1]),
		 (unsigned long long)s->v[path[depth - 1]].weight);
	w->n++;
}

/* main (0-100) calls a (10-30) and b (40-90), b calls a (50-60). */
static void test_tree(void **state)
{
	(void)state;
	uint32_t m = funcs_add("main", 0x1000), a = funcs_add("a", 0x2000), b = funcs_add("b", 0x3000);
	struct view_config cfg = { .format = VIEW_FOLDED };
	struct stacks s;
	stacks_init(&s, &cfg);
	enter(&s, m, 0);
	enter(&s, a, 10);
	leave(&s, a, 10, 30);
	enter(&s, b, 40);
	enter(&s, a, 50);
	leave(&s, a, 50, 60);
	leave(&s, b, 40, 90);
	leave(&s, m, 0, 100);
	struct seen w = { .n = 0 };
	stacks_walk(&s, collect, &w);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.line[0], "main 30 100");
	assert_string_equal(w.line[1], "main;a 20 20");
	assert_string_equal(w.line[2], "main;b 40 50");
	assert_string_equal(w.line[3], "main;b;a 10 10");
	stacks_free(&s);
}

/* A trace file may say anything about times: callees longer than their caller, durations near
 * 2^64. The sums wrap (the UBSan build of this test fails on a signed overflow); weights are
 * never negative. */
static void test_absurd_times(void **state)
{
	(void)state;
	uint32_t m = funcs_add("main", 0x1000), a = funcs_add("a", 0x2000);
	struct view_config cfg = { .format = VIEW_FOLDED };
	struct stacks s;
	stacks_init(&s, &cfg);
	for (int i = 0; i < 4; i++) {
		enter(&s, m, 0);
		leave(&s, m, 0, INT64_MAX);         /* twice is past INT64_MAX */
		enter(&s, m, 0);
		enter(&s, a, 1);
		leave(&s, a, 0, UINT64_MAX);        /* a callee of nearly 2^64 ns */
		leave(&s, m, UINT64_MAX / 2, 5);    /* in a caller that ended before it began */
	}
	struct seen w = { .n = 0 };
	stacks_walk(&s, collect, &w);
	assert_int_equal(w.n, 2);
	assert_int_equal(strncmp(w.line[0], "main ", 5), 0);
	assert_int_equal(strncmp(w.line[1], "main;a ", 7), 0);
	stacks_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_absurd_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
