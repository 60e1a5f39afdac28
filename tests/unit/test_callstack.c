/* test_callstack: the return-tracking rule, with a recording sink_event in place of rec/sink.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "rec/callstack.h"
#include "rec/event.h"

static struct event *evs;
static size_t nev, capev;
static char *texts[16];   /* the args of the first events, copied: the caller frees its own */

/* The sink the module under test calls: record everything. */
void sink_event(const struct event *ev)
{
	xgrow(&evs, &capev, nev + 1, sizeof(*evs));
	if (nev < 16)
		texts[nev] = ev->args ? xstrdup(ev->args) : NULL;
	evs[nev++] = *ev;
}

static size_t nbatches;   /* sink_events calls */

void sink_events(const struct event *ev, size_t n)
{
	nbatches++;
	for (size_t i = 0; i < n; i++)
		sink_event(&ev[i]);
}

static int reset(void **state)
{
	for (size_t i = 0; i < 16; i++) {
		free(texts[i]);
		texts[i] = NULL;
	}
	nev = 0;
	return 0;
}

static int release(void **state)
{
	free(evs);
	evs = NULL;
	nev = capev = 0;
	return 0;
}

/* Event i must be kind fn at depth, time ts (and t0 for exits), from pid 7 / tid 8. */
static void expect_ev(size_t i, int kind, uint32_t fn, unsigned depth, uint64_t ts, uint64_t t0)
{
	if (i >= nev)
		fail_msg("event %zu missing (%zu events)", i, nev);
	const struct event *e = &evs[i];
	if (e->kind != kind || e->fn != fn || e->depth != depth || e->ts != ts || e->t0 != t0)
		fail_msg("event %zu: kind %u fn %u depth %u ts %" PRIu64 " t0 %" PRIu64 ", want kind %d fn %u depth %u "
			 "ts %" PRIu64 " t0 %" PRIu64, i, e->kind, e->fn, e->depth, e->ts, e->t0, kind, fn, depth,
			 ts, t0);
	assert_int_equal(e->pid, 7);
	assert_int_equal(e->tid, 8);
}

#define ENTRY(i, fn, depth, ts) expect_ev(i, EV_ENTRY, fn, depth, ts, 0)
#define EXIT(i, fn, depth, ts, t0) expect_ev(i, EV_EXIT, fn, depth, ts, t0)

static struct callstack new_cs(void)
{
	return (struct callstack){ .pid = 7, .tid = 8 };
}

/* Stacks grow down: a callee enters with a lower sp than its caller. */
#define SP0 0x7ffffffde000ull

static void test_nested(void **state)
{
	struct callstack cs = new_cs();
	callstack_enter(&cs, 1, SP0, 0x401000, 10);
	callstack_enter(&cs, 2, SP0 - 0x30, 0x402000, 20);
	callstack_observe(&cs, SP0 - 0x30, 25);        /* still inside 2 (sp not above its entry sp) */
	callstack_observe(&cs, SP0 - 0x100, 26);       /* deeper: nothing closes */
	assert_int_equal(nev, 2);
	callstack_observe(&cs, SP0 - 0x28, 30);        /* 2 returned (ret popped: sp + 8) */
	callstack_observe(&cs, SP0 - 0x20, 31);        /* nothing more to close */
	callstack_observe(&cs, SP0 + 8, 40);           /* 1 returned */
	ENTRY(0, 1, 1, 10);
	ENTRY(1, 2, 2, 20);
	EXIT(2, 2, 2, 30, 20);
	EXIT(3, 1, 1, 40, 10);
	assert_int_equal(nev, 4);
	assert_int_equal(cs.n, 0);
	callstack_free(&cs);
}

static void test_longjmp(void **state)
{
	struct callstack cs = new_cs();
	for (uint32_t i = 0; i < 5; i++)
		callstack_enter(&cs, 10 + i, SP0 - 0x40 * i, 0x401000 + i, 100 + i);
	/* longjmp back into the frame of fn 11 (entered at SP0 - 0x40): 12, 13 and 14 are gone. */
	callstack_observe(&cs, SP0 - 0x40 - 0x10, 200);
	assert_int_equal(nev, 8);
	EXIT(5, 14, 5, 200, 104);
	EXIT(6, 13, 4, 200, 103);
	EXIT(7, 12, 3, 200, 102);
	assert_int_equal(cs.n, 2);
	/* The next call from 11 nests under it. */
	callstack_enter(&cs, 20, SP0 - 0x80, 0x401100, 210);
	ENTRY(8, 20, 3, 210);
	callstack_close_all(&cs, 300);
	EXIT(9, 20, 3, 300, 210);
	EXIT(10, 11, 2, 300, 101);
	EXIT(11, 10, 1, 300, 100);
	callstack_free(&cs);
}

/* An entry at a higher sp first closes what it proves was left. */
static void test_enter_closes_deeper(void **state)
{
	struct callstack cs = new_cs();
	callstack_enter(&cs, 1, SP0, 0x401000, 1);
	callstack_enter(&cs, 2, SP0 - 0x20, 0x401010, 2);
	callstack_enter(&cs, 3, SP0 - 0x40, 0x401020, 3);
	callstack_enter(&cs, 4, SP0 - 0x18, 0x401030, 4);   /* 2 and 3 returned; 1 calls 4 */
	EXIT(3, 3, 3, 4, 3);
	EXIT(4, 2, 2, 4, 2);
	ENTRY(5, 4, 2, 4);
	assert_int_equal(nev, 6);
	callstack_free(&cs);
}

/* A tail call reuses its caller's sp and return address: it nests. */
static void test_tail_call(void **state)
{
	struct callstack cs = new_cs();
	callstack_enter(&cs, 1, SP0, 0x401000, 1);
	callstack_enter(&cs, 2, SP0, 0x401000, 2);
	callstack_enter(&cs, 3, SP0, 0x401000, 3);   /* and again */
	ENTRY(0, 1, 1, 1);
	ENTRY(1, 2, 2, 2);
	ENTRY(2, 3, 3, 3);
	assert_int_equal(nev, 3);
	callstack_observe(&cs, SP0 + 8, 9);          /* one ret leaves all three */
	EXIT(3, 3, 3, 9, 3);
	EXIT(4, 2, 2, 9, 2);
	EXIT(5, 1, 1, 9, 1);
	assert_int_equal(cs.n, 0);
	callstack_free(&cs);
}

/* The same sp with another return address: the caller made a second call after the first returned. */
static void test_sibling_call(void **state)
{
	struct callstack cs = new_cs();
	callstack_enter(&cs, 1, SP0, 0x401000, 1);
	callstack_enter(&cs, 2, SP0, 0x401005, 2);
	EXIT(1, 1, 1, 2, 1);
	ENTRY(2, 2, 1, 2);
	assert_int_equal(cs.n, 1);

	/* A tail chain ended, then a sibling: every same-sp frame closes, innermost first. */
	callstack_enter(&cs, 3, SP0, 0x401005, 3);    /* 2 tail-calls 3 */
	ENTRY(3, 3, 2, 3);
	callstack_enter(&cs, 4, SP0, 0x40100a, 4);    /* the caller's next call */
	EXIT(4, 3, 2, 4, 3);
	EXIT(5, 2, 1, 4, 2);
	ENTRY(6, 4, 1, 4);
	assert_int_equal(nev, 7);

	/* Deeper frames and a same-sp sibling together. */
	callstack_enter(&cs, 5, SP0 - 0x20, 0x402000, 5);
	callstack_enter(&cs, 6, SP0, 0x40100f, 6);
	ENTRY(7, 5, 2, 5);
	EXIT(8, 5, 2, 6, 5);
	EXIT(9, 4, 1, 6, 4);
	ENTRY(10, 6, 1, 6);
	callstack_free(&cs);
}

static void test_close_all(void **state)
{
	struct callstack cs = new_cs();
	callstack_close_all(&cs, 1);
	assert_int_equal(nev, 0);
	callstack_enter(&cs, 1, SP0, 0x401000, 10);
	callstack_enter(&cs, 2, SP0 - 0x10, 0x401000, 20);
	callstack_enter(&cs, 3, SP0 - 0x20, 0x401000, 30);
	callstack_close_all(&cs, 99);
	EXIT(3, 3, 3, 99, 30);
	EXIT(4, 2, 2, 99, 20);
	EXIT(5, 1, 1, 99, 10);
	assert_int_equal(nev, 6);
	assert_int_equal(cs.n, 0);
	callstack_close_all(&cs, 100);
	assert_int_equal(nev, 6);
	callstack_free(&cs);
	assert_null(cs.v);
	assert_int_equal(cs.cap, 0);
}

static void test_entry_only(void **state)
{
	struct callstack cs = new_cs();
	callstack_entry_only(&cs, 5, 10);
	ENTRY(0, 5, 0, 10);
	assert_int_equal(cs.n, 0);
	callstack_enter(&cs, 1, SP0, 0x401000, 20);
	callstack_entry_only(&cs, 6, 30);             /* beside open frames: they stay as they are */
	ENTRY(2, 6, 0, 30);
	assert_int_equal(cs.n, 1);
	callstack_close_all(&cs, 40);
	EXIT(3, 1, 1, 40, 20);
	assert_int_equal(nev, 4);
	callstack_free(&cs);
}

/* Deep recursion grows the stack; depth saturates at 0xffff rather than wrapping. */
static void test_deep(void **state)
{
	struct callstack cs = new_cs();
	const uint32_t n = 0x10000 + 5;
	for (uint32_t i = 0; i < n; i++)
		callstack_enter(&cs, i, SP0 - 0x10ull * i, 0x401000, i);
	ENTRY(0xfffe, 0xfffe, 0xffff, 0xfffe);
	ENTRY(n - 1, n - 1, 0xffff, n - 1);
	callstack_observe(&cs, SP0 - 0x10ull * 100 + 8, n);
	assert_int_equal(cs.n, 100);
	EXIT(n, n - 1, 0xffff, n, n - 1);
	EXIT(2 * n - 101, 100, 101, n, 100);
	callstack_close_all(&cs, n + 1);
	assert_int_equal(nev, 2 * (size_t)n);
	callstack_free(&cs);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	return unit_rng(&rng_state);
}

/* Whatever the sequence of stops, the stream is well nested: every exit closes the latest open
 * entry, with its fn, depth and t0, and depths count the open entries. */
static void test_random_well_nested(void **state)
{
	for (int round = 0; round < 50; round++) {
		struct callstack cs = new_cs();
		nev = 0;
		uint64_t ts = 1;
		for (int step = 0; step < 2000; step++) {
			taddr_t sp = SP0 - 8 * (rng() % 64);
			ts += rng() % 3;
			switch (rng() % 4) {
			case 0:
				callstack_observe(&cs, sp, ts);
				break;
			case 1:
				callstack_entry_only(&cs, (uint32_t)(rng() % 100), ts);
				break;
			default:
				callstack_enter(&cs, (uint32_t)(rng() % 100), sp, 0x401000 + rng() % 4, ts);
				break;
			}
		}
		callstack_close_all(&cs, ts + 1);
		assert_int_equal(cs.n, 0);

		struct event *open = calloc(nev + 1, sizeof(*open));
		size_t nopen = 0;
		uint64_t last = 0;
		for (size_t i = 0; i < nev; i++) {
			const struct event *e = &evs[i];
			assert_true(e->ts >= last);
			last = e->ts;
			if (e->kind == EV_ENTRY && e->depth == 0)
				continue;   /* entry_only */
			if (e->kind == EV_ENTRY) {
				open[nopen++] = *e;
				assert_int_equal(e->depth, nopen);
				continue;
			}
			assert_int_equal(e->kind, EV_EXIT);
			assert_true(nopen > 0);
			const struct event *o = &open[--nopen];
			assert_int_equal(e->fn, o->fn);
			assert_int_equal(e->depth, nopen + 1);
			assert_int_equal(e->t0, o->ts);
			assert_true(e->ts >= e->t0);
		}
		assert_int_equal(nopen, 0);
		free(open);
		callstack_free(&cs);
	}
}

/* A time earlier than one already given (a fast-path record whose TSC converted to before the
 * stop that preceded it) is raised to the latest: the thread's events never go back, whether
 * given to an entry, an observation or the final close. */
static void test_time_never_goes_back(void **state)
{
	struct callstack cs = new_cs();
	callstack_enter(&cs, 1, SP0, 0x401000, 100);
	callstack_enter(&cs, 2, SP0 - 0x30, 0x402000, 90);    /* earlier than its caller's entry */
	callstack_observe(&cs, SP0 - 0x28, 80);               /* 2 returned, "before" it was entered */
	callstack_enter(&cs, 3, SP0 - 0x30, 0x402000, 120);
	callstack_close_all(&cs, 110);
	ENTRY(0, 1, 1, 100);
	ENTRY(1, 2, 2, 100);
	EXIT(2, 2, 2, 100, 100);
	ENTRY(3, 3, 2, 120);
	EXIT(4, 3, 2, 120, 120);
	EXIT(5, 1, 1, 120, 100);
	assert_int_equal(nev, 6);
	callstack_free(&cs);
}

/* The value a test's return site gives: the function's id as text, and a count of the asks. */
static int asked;

static char *value_of(void *vctx, uint32_t fn)
{
	char buf[16];
	asked++;
	snprintf(buf, sizeof(buf), "%s%u", (const char *)vctx, fn);
	return xstrdup(buf);
}

static void test_return_values(void **state)
{
	struct callstack cs = new_cs();
	asked = 0;
	callstack_enter_args(&cs, 1, SP0, 0x401000, 1, "a", true);
	callstack_enter_args(&cs, 2, SP0 - 0x20, 0x401100, 2, NULL, true);
	callstack_enter_args(&cs, 3, SP0 - 0x40, 0x401200, 3, NULL, false);   /* no value asked */
	/* 3 and 2 left together (a longjmp, seen at 2's caller's return site): 2's value is not
	 * here, the site is not where 2 returns; then 1 returns at its own site. */
	callstack_return(&cs, SP0 - 0x8, 0x401999, 4, value_of, "r");
	callstack_return(&cs, SP0 + 8, 0x401000, 5, value_of, "r");
	assert_int_equal(nev, 6);
	assert_string_equal(texts[0], "a");
	assert_null(texts[1]);
	EXIT(3, 3, 3, 4, 3);
	assert_null(texts[3]);
	EXIT(4, 2, 2, 4, 2);
	assert_null(texts[4]);
	EXIT(5, 1, 1, 5, 1);
	assert_string_equal(texts[5], "r1");
	assert_int_equal(asked, 1);
	callstack_free(&cs);
}

static void test_tail_call_shares_the_value(void **state)
{
	struct callstack cs = new_cs();
	callstack_enter_args(&cs, 1, SP0, 0x401000, 1, "", true);
	callstack_enter_args(&cs, 2, SP0, 0x401000, 2, "", true);   /* 1 tail-calls 2 */
	callstack_return(&cs, SP0 + 8, 0x401000, 3, value_of, "v");
	assert_int_equal(nev, 4);
	assert_string_equal(texts[2], "v2");
	assert_string_equal(texts[3], "v1");
	callstack_free(&cs);
}

/* Calls made by one thread, as a random walk (the same for the same seed), some entries carrying
 * args: enough events to fill a batch several times. */
static void walk(struct callstack *cs, unsigned seed)
{
	uint64_t ts = 1;
	for (int i = 0; i < 3000; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 16;
		taddr_t sp = SP0 - 0x20 * (r % 40);
		if (r % 3)
			callstack_observe(cs, sp, ts++);
		else if (r % 101 == 0)
			callstack_enter_args(cs, r % 7, sp, 0x401000 + r % 5, ts++, "x", false);
		else
			callstack_enter(cs, r % 7, sp, 0x401000 + r % 5, ts++);
	}
	callstack_close_all(cs, ts);
}

/* A batch holds the events until it is flushed or full, and changes nothing else: the same
 * events, in the same order, as without one; an event with args goes out at once, after those
 * held. */
static void test_batch(void **state)
{
	struct callstack cs = new_cs();
	walk(&cs, 42);
	size_t n = nev;
	struct event *alone = xmalloc(n * sizeof(*alone));
	memcpy(alone, evs, n * sizeof(*alone));
	callstack_free(&cs);
	nev = 0;

	cs = new_cs();
	callstack_batch_begin();
	callstack_enter(&cs, 1, SP0, 0x401000, 1);
	callstack_observe(&cs, SP0 + 8, 2);
	assert_int_equal(nev, 0);   /* held */
	callstack_enter_args(&cs, 2, SP0, 0x401000, 3, "y", false);
	assert_int_equal(nev, 3);   /* the held two, then the one with args */
	assert_string_equal(texts[2], "y");
	callstack_observe(&cs, SP0 + 8, 4);
	callstack_batch_flush();
	assert_int_equal(nev, 4);
	EXIT(3, 2, 1, 4, 3);
	nev = nbatches = 0;
	callstack_free(&cs);
	cs = new_cs();
	walk(&cs, 42);
	callstack_batch_end();
	callstack_free(&cs);
	assert_int_equal(nev, n);
	assert_true(nbatches > n / 512);   /* (full batches went out on their own) */
	for (size_t i = 0; i < n; i++) {
		const struct event *a = &alone[i], *b = &evs[i];
		assert_true(a->kind == b->kind && a->fn == b->fn && a->depth == b->depth && a->ts == b->ts &&
			    a->t0 == b->t0 && !a->args == !b->args);
	}
	nev = 0;
	callstack_enter(&cs, 1, SP0, 0x401000, 1);   /* the batch is closed: straight on */
	assert_int_equal(nev, 1);
	callstack_close_all(&cs, 2);
	callstack_free(&cs);
	free(alone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nested, reset),
		cmocka_unit_test_setup(test_longjmp, reset),
		cmocka_unit_test_setup(test_enter_closes_deeper, reset),
		cmocka_unit_test_setup(test_tail_call, reset),
		cmocka_unit_test_setup(test_sibling_call, reset),
		cmocka_unit_test_setup(test_close_all, reset),
		cmocka_unit_test_setup(test_entry_only, reset),
		cmocka_unit_test_setup(test_deep, reset),
		cmocka_unit_test_setup(test_random_well_nested, reset),
		cmocka_unit_test_setup(test_time_never_goes_back, reset),
		cmocka_unit_test_setup(test_return_values, reset),
		cmocka_unit_test_setup(test_tail_call_shares_the_value, reset),
		cmocka_unit_test_setup(test_batch, reset),
	};
	return cmocka_run_group_tests(tests, NULL, release);
}
