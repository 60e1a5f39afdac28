/* timefilter: the time filters (--time-filter, --time-range), which hold a call's entry until it
 * is known whether the call is shown. */
#ifndef FNTRACE_TIMEFILTER_H
#define FNTRACE_TIMEFILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/* A part of the run: from start to end, each in ns of the event clock, or from the first event
 * if its _rel flag is set. An end of UINT64_MAX (not relative) is no end. */
struct time_range {
	uint64_t start, end;
	bool start_rel, end_rel;
};

/* Shows only the calls that lasted min_ns or more (0: any) and began inside range (NULL: the
 * whole run), and the calls around them, so that the nesting stays whole. */
void timefilter_setup(uint64_t min_ns, const struct time_range *range);
bool timefilter_active(void);
/* Hands ev to emit, later, or never: an entry waits for its exit under a minimum duration.
 * Events come well nested per thread; emit gets them in the same order per thread. */
void timefilter_event(const struct event *ev, void (*emit)(const struct event *ev));

#endif
