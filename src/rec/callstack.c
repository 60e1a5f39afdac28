/* callstack: a thread's open calls; emits well-nested entry and exit events. */
#include "callstack.h"
#include "event.h"

#include <stdlib.h>

/* ts, or the thread's latest time if that is later (see callstack.h). */
static uint64_t stamp(struct callstack *cs, uint64_t ts)
{
	if (ts < cs->last_ts)
		return cs->last_ts;
	cs->last_ts = ts;
	return ts;
}

/* The batch (callstack_batch_begin): events held until they are handed to the sink together,
 * batch[0] up to next; end is the batch's end while one is open, else batch (nothing fits). */
#define BATCH_MAX 512   /* 20 KiB */
static struct event batch[BATCH_MAX];
static struct event *next = batch, *end = batch;

void callstack_batch_flush(void)
{
	if (next == batch)
		return;
	sink_events(batch, (size_t)(next - batch));
	next = batch;
}

void callstack_batch_begin(void)
{
	end = batch + BATCH_MAX;
}

void callstack_batch_end(void)
{
	callstack_batch_flush();
	end = batch;
}

/* Fills ev with an event of cs's thread, at depth (clamped to 16 bits). */
static inline void fill(struct event *ev, const struct callstack *cs, uint16_t kind, uint32_t fn, uint64_t ts,
			uint64_t t0, size_t depth, const char *args)
{
	ev->ts = ts;
	ev->t0 = t0;
	ev->pid = cs->pid;
	ev->tid = cs->tid;
	ev->fn = fn;
	ev->kind = kind;
	ev->depth = (uint16_t)(depth > 0xffff ? 0xffff : depth);
	ev->args = args;
}

/* emit's way when the event does not simply go into the batch. */
static void emit_slow(const struct callstack *cs, uint16_t kind, uint32_t fn, uint64_t ts, uint64_t t0, size_t depth,
		      const char *args)
{
	callstack_batch_flush();   /* (full, or args: they live only while their event is handled) */
	if (end != batch && !args) {
		fill(next++, cs, kind, fn, ts, t0, depth, NULL);
		return;
	}
	struct event ev;
	fill(&ev, cs, kind, fn, ts, t0, depth, args);
	sink_event(&ev);
}

/* Hands on an event of cs's thread. Without args, while a batch is open, it is written in place
 * in the batch: built on the stack and copied there, an event cost a stall (its fields' stores,
 * then their load by wider moves), 12% of the tracer's time on sort -nr -c. */
static inline void emit(const struct callstack *cs, uint16_t kind, uint32_t fn, uint64_t ts, uint64_t t0,
			size_t depth, const char *args)
{
	if (!args && next < end)
		fill(next++, cs, kind, fn, ts, t0, depth, NULL);
	else
		emit_slow(cs, kind, fn, ts, t0, depth, args);
}

static void emit_exit_value(struct callstack *cs, uint64_t ts, const char *value)
{
	const struct frame *f = &cs->v[cs->n - 1];
	emit(cs, EV_EXIT, f->fn, ts, f->ts, cs->n, value);
	cs->n--;
}

static void emit_exit(struct callstack *cs, uint64_t ts)
{
	emit_exit_value(cs, ts, NULL);
}

/* Closes the frames whose entry sp is below sp, at ts (stamped), the innermost first. */
static inline void leave_below(struct callstack *cs, taddr_t sp, uint64_t ts)
{
	while (cs->n && cs->v[cs->n - 1].sp < sp)
		emit_exit(cs, ts);
}

void callstack_observe(struct callstack *cs, taddr_t sp, uint64_t ts)
{
	leave_below(cs, sp, stamp(cs, ts));
}

void callstack_return(struct callstack *cs, taddr_t sp, taddr_t site, uint64_t ts,
		      char *(*value)(void *vctx, uint32_t fn), void *vctx)
{
	ts = stamp(cs, ts);
	while (cs->n && cs->v[cs->n - 1].sp < sp) {
		const struct frame *f = &cs->v[cs->n - 1];
		/* A frame left otherwise (longjmp, a throw, a tail call's caller seen late) has no
		 * value of its own here. A tail call's frames share sp and ret: rax is the value of
		 * each. */
		char *text = f->want_ret && f->ret == site && f->sp + 8 == sp ? value(vctx, f->fn) : NULL;
		emit_exit_value(cs, ts, text);
		free(text);
	}
}

/* callstack_enter_args, inline in both entry points: callstack_enter takes the fast path's
 * calls by the million. */
static inline __attribute__((always_inline)) void enter(struct callstack *cs, uint32_t fn, taddr_t sp, taddr_t ret,
							 uint64_t ts, const char *args, bool want_ret)
{
	ts = stamp(cs, ts);
	leave_below(cs, sp, ts);
	while (cs->n && cs->v[cs->n - 1].sp == sp && cs->v[cs->n - 1].ret != ret)
		emit_exit(cs, ts);
	if (cs->n == cs->cap)
		xgrow(&cs->v, &cs->cap, cs->n + 1, sizeof(*cs->v));
	cs->v[cs->n++] = (struct frame){ fn, sp, ret, ts, want_ret, false };
	emit(cs, EV_ENTRY, fn, ts, 0, cs->n, args);
}

void callstack_enter_args(struct callstack *cs, uint32_t fn, taddr_t sp, taddr_t ret, uint64_t ts,
			  const char *args, bool want_ret)
{
	enter(cs, fn, sp, ret, ts, args, want_ret);
}

void callstack_enter(struct callstack *cs, uint32_t fn, taddr_t sp, taddr_t ret, uint64_t ts)
{
	enter(cs, fn, sp, ret, ts, NULL, false);
}

void callstack_entry_only_args(struct callstack *cs, uint32_t fn, uint64_t ts, const char *args)
{
	emit(cs, EV_ENTRY, fn, stamp(cs, ts), 0, 0, args);
}

void callstack_entry_only(struct callstack *cs, uint32_t fn, uint64_t ts)
{
	callstack_entry_only_args(cs, fn, ts, NULL);
}

void callstack_close_all(struct callstack *cs, uint64_t ts)
{
	ts = stamp(cs, ts);
	while (cs->n)
		emit_exit(cs, ts);
}

void callstack_free(struct callstack *cs)
{
	free(cs->v);
	cs->v = NULL;
	cs->n = cs->cap = 0;
}
