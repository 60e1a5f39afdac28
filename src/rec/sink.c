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
	if (depth_limit && ev->kind == EV_SIGNAL && ev->depth >= depth_limit) {
		/* A signal is always shown: inside the deepest call that is shown. */
		struct event e = *ev;
		e.depth = (uint16_t)(depth_limit - 1);
		consumer(&e);
		return;
	}
	if (consumer)
		consumer(ev);
}
