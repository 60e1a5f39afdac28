/* event: the one stream every tracer backend feeds and every formatter reads. */
#ifndef FNTRACE_EVENT_H
#define FNTRACE_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum ev_kind {
	EV_ENTRY = 1,   /* a function was entered */
	EV_EXIT,        /* the innermost open function of the thread returned (or was left) */
	EV_SIGNAL,      /* a signal was delivered to the thread; fn holds the signal number */
	EV_PROC_EXIT,   /* the process ended; fn holds the wait status (pid = tid = process) */
	EV_THREAD_START,/* a thread began to be traced (created, or found at attach); fn unused */
};

/* Per thread, EV_ENTRY/EV_EXIT events are well nested: every EXIT closes the latest open ENTRY. */
struct event {
	uint64_t ts;     /* ns, CLOCK_MONOTONIC, one clock for every thread and process */
	uint64_t t0;     /* EV_EXIT: ts of the matching entry */
	int32_t pid;     /* thread group */
	int32_t tid;
	uint32_t fn;     /* function id (funcs.h) */
	uint16_t kind;
	uint16_t depth;  /* 1 for the outermost call of the thread */
	/* EV_ENTRY: the arguments as text ("3, \"abc\"", no parentheses); EV_EXIT: the return
	 * value ("-1 ENOENT (No such file or directory)"); NULL when none was asked for or could
	 * be read. Already escaped: safe to print. Valid only while the event is handled: a view
	 * that keeps the event copies it. */
	const char *args;
};

/* Where events go: the sink filters and hands them to the formatter. */
void sink_event(const struct event *ev);
/* sink_event for each of n events, in order: one call when nothing stands between the sink and
 * the formatter (no trace file, filter or depth limit) and it takes arrays (sink_setup_batch). */
void sink_events(const struct event *ev, size_t n);

#endif
