/* callstack: a thread's open calls, and the rule that closes them without touching its stack.
 *
 * A call is open while the stack pointer stays at or below the one it was entered with (which
 * points at its return address). Any later stop of the thread that sees rsp above a frame's entry
 * rsp proves that frame was left, by return, longjmp or exception, and closes it.
 *
 * A thread's times come from two clocks: the tracer's, read at a stop, and the fast path's TSC,
 * converted later by an estimated rate. A record made after a stop can convert to a time before
 * it, so every time given here is raised to the thread's latest one: its events never go back in
 * time, and the exports nest its calls as they were made. */
#ifndef FNTRACE_CALLSTACK_H
#define FNTRACE_CALLSTACK_H

#include <stdbool.h>

#include "../util/util.h"

struct frame {
	uint32_t fn;
	taddr_t sp;     /* rsp at entry: the frame is left once rsp rises above it */
	taddr_t ret;    /* the return address at sp: tells a tail call from a later sibling call */
	uint64_t ts;    /* entry time */
	bool want_ret;  /* its return value is shown (args/choose.h): read at its return site */
	bool returned;  /* its return was seen on another thread (a Go goroutine that moved): open
			 * here until this thread's stack closes it, but no longer a call in progress */
};

struct callstack {
	struct frame *v;
	size_t n, cap;
	int32_t pid, tid;
	uint64_t last_ts;   /* the latest time emitted: no later event is stamped before it */
};

/* Closes (emits EV_EXIT for) every frame whose entry sp is below sp, innermost first. */
void callstack_observe(struct callstack *cs, taddr_t sp, uint64_t ts);
/* Opens a frame for fn entered with rsp = sp whose return address is ret (emits EV_ENTRY),
 * after closing the frames this entry proves were left. An open frame with the same sp is the
 * caller of a tail call if its return address is the same, and a finished sibling if not. */
void callstack_enter(struct callstack *cs, uint32_t fn, taddr_t sp, taddr_t ret, uint64_t ts);
/* callstack_enter, the entry carrying args (its text, or NULL; the caller keeps it); want_ret:
 * the frame's return value is asked for at its return (callstack_return). */
void callstack_enter_args(struct callstack *cs, uint32_t fn, taddr_t sp, taddr_t ret, uint64_t ts,
			  const char *args, bool want_ret);
/* callstack_observe at a stop on return site `site` with rsp = sp: each closed frame that asked
 * for its value and returns exactly here (its return address is site, and sp is just above it)
 * gets value(vctx, fn) on its exit: a malloc'd text or NULL, freed after the event. */
void callstack_return(struct callstack *cs, taddr_t sp, taddr_t site, uint64_t ts,
		      char *(*value)(void *vctx, uint32_t fn), void *vctx);
/* Emits EV_ENTRY (depth 0) without opening a frame: for outputs that need no exits. */
void callstack_entry_only(struct callstack *cs, uint32_t fn, uint64_t ts);
/* The same, carrying args (or NULL). */
void callstack_entry_only_args(struct callstack *cs, uint32_t fn, uint64_t ts, const char *args);
/* Opens a batch: until callstack_batch_end, the events every call stack emits without args are
 * held, and handed to the sink together (sink_events) when the batch is full, at the end, or at
 * callstack_batch_flush, in order (one with args flushes the batch before it). The fast path's
 * drain opens one for its plain records, millions a second; whoever prints, or emits events by
 * another way than a call stack, while a batch is open calls callstack_batch_flush first. */
void callstack_batch_begin(void);
void callstack_batch_flush(void);
void callstack_batch_end(void);
/* Closes every open frame at ts. */
void callstack_close_all(struct callstack *cs, uint64_t ts);
void callstack_free(struct callstack *cs);

#endif
