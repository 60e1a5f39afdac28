/* sink: the junction every event passes through on its way to the formatter. */
#ifndef FNTRACE_SINK_H
#define FNTRACE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Sends events to fn (NULL: to no formatter), dropping entries and exits nested deeper than
 * max_depth (0: no limit). */
void sink_setup(void (*fn)(const struct event *ev), unsigned max_depth);
/* Also gives fn events by the array when they come in batches (sink_events; NULL: one by one to
 * the function of sink_setup, which resets this). */
void sink_setup_batch(void (*fn)(const struct event *ev, size_t n));
/* Calls fn whenever sink_idle() is called, with its argument (NULL: nothing). */
void sink_on_idle(void (*fn)(bool pending));
/* The tracer is about to wait for the program: what is held in buffers should reach its reader.
 * pending: the program may make events without a stop (the fast path's records), which the
 * tracer reads when its wait ends: it should end in time for them to be shown. */
void sink_idle(bool pending);
/* The time of the first event (ts), or 0 before any: where "time since the start" counts from. */
uint64_t sink_start_ts(void);
/* The same moment on the wall clock and the event clock, in ns: measured when tracing starts, or
 * read from a trace file's date record. */
void sink_wall_anchor(uint64_t realtime_ns, uint64_t monotonic_ns);
/* What to add to an event time for ns since the epoch; 0 if no anchor was given. */
int64_t sink_wall_offset(void);
/* Whether an anchor was given. */
bool sink_has_wall(void);
/* Also writes every event, unfiltered, to the trace file path (tracefile.h), of the version that
 * holds values if events will carry them. Dies if path cannot be created. */
void sink_record(const char *path, bool values);
/* Ends the trace file, if one is written. Returns 0, or -1 if it could not be written whole. */
int sink_finish(void);

#endif
