/* test_calltree: the interactive view's call tree: calls merged by path in first-call order, per
 * thread or per process, the rows folding leaves, preorder moves with wrap-around, reveal. */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "view/calltree.h"

static void call(struct calltree *ct, int32_t tid, uint32_t fn, uint64_t t0, uint64_t t1,
		 void (*inside)(struct calltree *ct, int32_t tid))
{
	struct event ev = { .ts = t0, .pid = 7, .tid = tid, .fn = fn, .kind = EV_ENTRY };
	calltree_event(ct, &ev);
	if (inside)
		inside(ct, tid);
	ev = (struct event){ .ts = t1, .t0 = t0, .pid = 7, .tid = tid, .fn = fn, .kind = EV_EXIT };
	calltree_event(ct, &ev);
}

enum { MAIN, A, B };

static void b_calls_a(struct calltree *ct, int32_t tid)
{
	call(ct, tid, A, 50, 60, NULL);
}

/* main (0-100) calls a (10-30), b (40-90, which calls a 50-60) and a (91-95); thread 8 calls b. */
static void main_body(struct calltree *ct, int32_t tid)
{
	call(ct, tid, A, 10, 30, NULL);
	call(ct, tid, B, 40, 90, b_calls_a);
	call(ct, tid, A, 91, 95, NULL);
}

static void build(struct calltree *ct, bool by_process)
{
	calltree_init(ct, by_process);
	call(ct, 7, MAIN, 0, 100, main_body);
	call(ct, 8, B, 200, 300, NULL);
	calltree_rows(ct);
}

/* "g7 main a b a g8 b": the rows as group ids and function letters. */
static void rows_text(const struct calltree *ct, char *out, size_t len)
{
	static const char *const names[] = { "main", "a", "b" };
	out[0] = 0;
	for (size_t i = 0; i < ct->nrows; i++) {
		const struct ctnode *c = &ct->v[ct->rows[i]];
		size_t k = strlen(out);
		if (c->group)
			snprintf(out + k, len - k, "%sg%u", i ? " " : "", c->fn);
		else
			snprintf(out + k, len - k, " %*s%s", c->depth - 1, "", names[c->fn]);
	}
}

static void test_merged_in_call_order(void **state)
{
	(void)state;
	struct calltree ct;
	char text[256];
	build(&ct, false);
	rows_text(&ct, text, sizeof(text));
	assert_string_equal(text, "g7 main  a  b   a g8 b");
	const struct ctnode *a = &ct.v[ct.rows[2]];
	assert_int_equal(a->calls, 2);      /* 10-30 and 91-95 on one path */
	assert_int_equal(a->total, 24);
	assert_int_equal(ct.v[ct.rows[0]].calls, 1);
	assert_int_equal(ct.v[ct.rows[0]].total, 100);
	assert_int_equal(ct.v[ct.rows[4]].total, 10);
	calltree_free(&ct);

	build(&ct, true);   /* one process: thread 8's b is beside main */
	rows_text(&ct, text, sizeof(text));
	assert_string_equal(text, "g7 main  a  b   a b");
	assert_int_equal(ct.v[ct.rows[0]].calls, 2);
	assert_int_equal(ct.v[ct.rows[0]].total, 200);
	calltree_free(&ct);
}

static void test_folding_and_moves(void **state)
{
	(void)state;
	struct calltree ct;
	char text[256];
	build(&ct, false);
	uint32_t b = ct.rows[3], inner_a = ct.rows[4], g8 = ct.rows[5], last = ct.rows[6];
	ct.v[b].folded = true;
	calltree_rows(&ct);
	rows_text(&ct, text, sizeof(text));
	assert_string_equal(text, "g7 main  a  b g8 b");
	assert_int_equal(calltree_row_of(&ct, inner_a), -1);
	/* Preorder goes into folded nodes, and wraps at both ends. */
	assert_int_equal(calltree_next(&ct, b), inner_a);
	assert_int_equal(calltree_prev(&ct, g8), inner_a);   /* the last of the subtree before */
	assert_int_equal(calltree_next(&ct, last), ct.v[0].child);
	assert_int_equal(calltree_prev(&ct, ct.v[0].child), last);
	calltree_reveal(&ct, inner_a);
	calltree_rows(&ct);
	assert_int_equal(calltree_row_of(&ct, inner_a), 4);
	calltree_fold_all(&ct, true);   /* groups stay open */
	calltree_rows(&ct);
	rows_text(&ct, text, sizeof(text));
	assert_string_equal(text, "g7 main g8 b");
	calltree_fold_all(&ct, false);
	calltree_rows(&ct);
	assert_int_equal(ct.nrows, 7);
	calltree_free(&ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merged_in_call_order),
		cmocka_unit_test(test_folding_and_moves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
