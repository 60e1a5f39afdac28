/* test_view_summary: the -c tables from events: a recursive function's Total counted once per
 * thread while other threads interleave, a tid that a second process reuses (its calls are
 * that process's, with --per-process), and functions whose ids share a slot of the thread's
 * cache of recent functions. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "rec/event.h"
#include "rec/funcs.h"
#include "view/view.h"

/* common.c routes events to the formatters; this test drives the summary's directly. */
const struct view_ops view_graph_ops, view_flat_ops, view_chrome_ops, view_folded_ops, view_json_ops,
	view_svg_ops;

struct run {
	struct view o;
	struct view_config cfg;
	char *text;
	size_t len;
	uint64_t t0[64];   /* entry times by depth, for the exits */
};

static void start(struct run *r, bool per_process)
{
	memset(r, 0, sizeof(*r));
	r->cfg.per_process = per_process;
	r->o.ops = &view_summary_ops;
	r->o.cfg = &r->cfg;
	r->o.fp = open_memstream(&r->text, &r->len);
	r->o.ops->init(&r->o);
}

static void ev(struct run *r, enum ev_kind kind, int32_t pid, int32_t tid, uint32_t fn, uint16_t depth, uint64_t ts)
{
	struct event e = { .ts = ts, .pid = pid, .tid = tid, .fn = fn, .kind = (uint16_t)kind, .depth = depth };
	if (kind == EV_ENTRY)
		r->t0[tid % 8 * 8 + depth] = ts;
	else
		e.t0 = r->t0[tid % 8 * 8 + depth];
	if (!r->o.leader)
		r->o.leader = pid;
	r->o.ops->event(&r->o, &e);
}

static void finish(struct run *r)
{
	r->o.ops->finish(&r->o);
	fclose(r->o.fp);
}

/* Total, Self and Calls of function name in the table under the header line after (or the
 * only table); false if it has no row. */
static bool row(const struct run *r, const char *after, const char *name, char total[16], char self[16],
		unsigned long *calls)
{
	const char *p = after ? strstr(r->text, after) : r->text;
	assert_non_null(p);
	const char *end = strstr(p + 1, "\n# ");
	for (const char *nl; (nl = strchr(p, '\n')) && (!end || p <= end); p = nl + 1) {
		size_t n = strlen(name);
		if ((size_t)(nl - p) > n && !strncmp(nl - n, name, n) && nl[-(long)n - 1] == ' ')
			return sscanf(p, "%15s %*s %15s %*s %lu", total, self, calls) == 3;
	}
	return false;
}

static void test_recursion_counted_once_per_thread(void **state)
{
	(void)state;
	uint32_t f = funcs_add("rec", 0x1000), g = funcs_add("other", 0x2000);
	struct run r;
	start(&r, false);
	ev(&r, EV_ENTRY, 1, 1, f, 1, 0);
	ev(&r, EV_ENTRY, 1, 2, f, 1, 50);     /* another thread in it meanwhile */
	ev(&r, EV_ENTRY, 1, 1, f, 2, 100);
	ev(&r, EV_ENTRY, 1, 2, g, 2, 150);
	ev(&r, EV_EXIT, 1, 1, f, 2, 300);     /* nested: 200 ns, not added to Total */
	ev(&r, EV_EXIT, 1, 2, g, 2, 350);
	ev(&r, EV_EXIT, 1, 1, f, 1, 1000);    /* outermost in thread 1: 1000 ns */
	ev(&r, EV_EXIT, 1, 2, f, 1, 2050);    /* outermost in thread 2: 2000 ns */
	finish(&r);
	char total[16], self[16];
	unsigned long calls;
	assert_true(row(&r, NULL, "rec", total, self, &calls));
	assert_string_equal(total, "3.000");   /* us: 1000 + 2000 */
	assert_string_equal(self, "2.800");    /* 800 + 200 (the nested call) + 1800 */
	assert_int_equal(calls, 3);
	free(r.text);
	funcs_reset();
}

static void test_tid_reused_by_another_process(void **state)
{
	(void)state;
	uint32_t f = funcs_add("work", 0x1000);
	struct run r;
	start(&r, true);
	ev(&r, EV_ENTRY, 10, 11, f, 1, 0);
	ev(&r, EV_EXIT, 10, 11, f, 1, 100);
	ev(&r, EV_ENTRY, 20, 11, f, 1, 200);   /* tid 11 again, now in process 20 */
	ev(&r, EV_EXIT, 20, 11, f, 1, 500);
	finish(&r);
	char total[16], self[16];
	unsigned long calls;
	assert_true(row(&r, "# process 10", "work", total, self, &calls));
	assert_string_equal(total, "100");
	assert_int_equal(calls, 1);
	assert_true(row(&r, "# process 20", "work", total, self, &calls));
	assert_string_equal(total, "300");
	assert_int_equal(calls, 1);
	free(r.text);
	funcs_reset();
}

/* Ids 64 apart share a slot of the cache of a thread's latest functions: a loop going round
 * them must still count each call, and each recursion, to its own function. */
static void test_functions_sharing_a_cache_slot(void **state)
{
	(void)state;
	uint32_t ids[66];
	char name[16];
	for (int i = 0; i < 66; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ids[i] = funcs_add(name, 0x1000 + 0x10 * (taddr_t)i);
	}
	uint32_t a = ids[1], b = ids[65];   /* (funcs_add gives ids in order: 64 apart) */
	assert_int_equal(b - a, 64);
	struct run r;
	start(&r, false);
	uint64_t ts = 0;
	for (int i = 0; i < 10; i++) {
		ev(&r, EV_ENTRY, 1, 1, a, 1, ts);
		ev(&r, EV_ENTRY, 1, 1, b, 2, ts + 10);
		ev(&r, EV_ENTRY, 1, 1, a, 3, ts + 20);   /* a again, inside b: nested in a */
		ev(&r, EV_EXIT, 1, 1, a, 3, ts + 30);
		ev(&r, EV_EXIT, 1, 1, b, 2, ts + 60);
		ev(&r, EV_EXIT, 1, 1, a, 1, ts + 100);
		ts += 1000;
	}
	finish(&r);
	char total[16], self[16];
	unsigned long calls;
	assert_true(row(&r, NULL, "f1", total, self, &calls));
	assert_int_equal(calls, 20);
	assert_string_equal(total, "1.000");   /* us: 10 x 100, the nested calls once */
	assert_string_equal(self, "600");      /* 10 x (100 - 50 in b, + the nested 10) */
	assert_true(row(&r, NULL, "f65", total, self, &calls));
	assert_int_equal(calls, 10);
	assert_string_equal(total, "500");
	assert_string_equal(self, "400");
	free(r.text);
	funcs_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recursion_counted_once_per_thread),
		cmocka_unit_test(test_tid_reused_by_another_process),
		cmocka_unit_test(test_functions_sharing_a_cache_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
