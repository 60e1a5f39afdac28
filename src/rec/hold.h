/* hold: the filters that hold a call's entry back until it is known whether the call is shown:
 * the time filters (--time-filter, --time-range) and the caller filter (-C). */
#ifndef FNTRACE_HOLD_H
#define FNTRACE_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/* A part of the run: from start to end, each in ns of the event clock, or from the first event
 * if its _rel flag is set. An end of UINT64_MAX (not relative) is no end. */
struct time_range {
	uint64_t start, end;
	bool start_rel, end_rel;
};

/* Shows only the calls that lasted min_ns or more (0: any), began inside range (NULL: the whole
 * run) and, with callers (globs, NULL-terminated; kept, not copied), are of a function matching
 * one of them; and the calls around those, so that the nesting stays whole. */
void hold_setup(uint64_t min_ns, const struct time_range *range, char **callers);
bool hold_active(void);
/* Hands ev to emit, later, or never: an entry waits for its exit under a minimum duration, for
 * a call of a -C function inside it under -C. Events come well nested per thread; emit gets them
 * in the same order per thread. */
void hold_event(const struct event *ev, void (*emit)(const struct event *ev));

#endif
