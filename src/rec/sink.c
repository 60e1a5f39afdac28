/* sink: every event goes to the trace file being written (if any), then through the subtree
 * filters (filter.h: threads, subtrees, time) and the depth limit to the formatter. */
#include "sink.h"
#include "filter.h"
#include "tracefile.h"

#include <stdbool.h>

static void (*consumer)(const struct event *ev);
static void (*on_idle)(bool pending);
static unsigned depth_limit;
static bool recording;

void sink_setup(void (*fn)(const struct event *ev), unsigned max_depth)
{
	consumer = fn;
	depth_limit = max_depth;
}

void sink_on_idle(void (*fn)(bool pending))
{
	on_idle = fn;
}

void sink_idle(bool pending)
{
	if (on_idle)
		on_idle(pending);
}

void sink_record(const char *path)
{
	tracefile_write_start(path);
	recording = true;
}

int sink_finish(void)
{
	recording = false;
	return tracefile_write_end();
}

/* An event the filters let through: to the formatter, above the depth limit. */
static void shown(const struct event *ev)
{
	if (depth_limit && (ev->kind == EV_ENTRY || ev->kind == EV_EXIT) && ev->depth > depth_limit)
		return;
	if (depth_limit && ev->kind == EV_SIGNAL && ev->depth >= depth_limit) {
		/* A signal is always shown: inside the deepest call that is shown. */
		struct event e = *ev;
		e.depth = (uint16_t)depth_limit;
		consumer(&e);
		return;
	}
	consumer(ev);
}

void sink_event(const struct event *ev)
{
	if (recording)
		tracefile_write_event(ev);
	if (consumer)
		filter_event(ev, shown);
}
