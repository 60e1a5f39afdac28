/* sink: depth filtering, then the formatter. Later the trace-file writer hangs here too. */
#include "sink.h"

static void (*consumer)(const struct event *ev);
static unsigned depth_limit;

void sink_setup(void (*fn)(const struct event *ev), unsigned max_depth)
{
	consumer = fn;
	depth_limit = max_depth;
}

void sink_event(const struct event *ev)
{
	if (depth_limit && (ev->kind == EV_ENTRY || ev->kind == EV_EXIT) && ev->depth > depth_limit)
		return;
	if (consumer)
		consumer(ev);
}
