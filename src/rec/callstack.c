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

static void emit_exit(struct callstack *cs, uint64_t ts)
{
	struct frame *f = &cs->v[cs->n - 1];
	struct event ev = { .ts = ts, .t0 = f->ts, .pid = cs->pid, .tid = cs->tid, .fn = f->fn,
			    .kind = EV_EXIT, .depth = (uint16_t)(cs->n > 0xffff ? 0xffff : cs->n) };
	cs->n--;
	sink_event(&ev);
}

void callstack_observe(struct callstack *cs, taddr_t sp, uint64_t ts)
{
	ts = stamp(cs, ts);
	while (cs->n && cs->v[cs->n - 1].sp < sp)
		emit_exit(cs, ts);
}

void callstack_enter(struct callstack *cs, uint32_t fn, taddr_t sp, taddr_t ret, uint64_t ts)
{
	ts = stamp(cs, ts);
	callstack_observe(cs, sp, ts);
	while (cs->n && cs->v[cs->n - 1].sp == sp && cs->v[cs->n - 1].ret != ret)
		emit_exit(cs, ts);
	xgrow(&cs->v, &cs->cap, cs->n + 1, sizeof(*cs->v));
	cs->v[cs->n++] = (struct frame){ fn, sp, ret, ts };
	struct event ev = { .ts = ts, .pid = cs->pid, .tid = cs->tid, .fn = fn, .kind = EV_ENTRY,
			    .depth = (uint16_t)(cs->n > 0xffff ? 0xffff : cs->n) };
	sink_event(&ev);
}

void callstack_entry_only(struct callstack *cs, uint32_t fn, uint64_t ts)
{
	ts = stamp(cs, ts);
	struct event ev = { .ts = ts, .pid = cs->pid, .tid = cs->tid, .fn = fn, .kind = EV_ENTRY };
	sink_event(&ev);
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
