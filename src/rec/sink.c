/* sink: every event goes to the trace file being written (if any), then through the subtree
 * filters (filter.h: threads, subtrees, time) and the depth limit to the formatter. */
#include "sink.h"
#include "filter.h"
#include "tracefile.h"

#include <stdbool.h>

static void (*consumer)(const struct event *ev);
static void (*consumer_batch)(const struct event *ev, size_t n);
static void (*on_idle)(bool pending);
static unsigned depth_limit;
static bool recording;
static uint64_t start_ts;
static int64_t wall_offset;
static bool has_wall;
/* Whether events go straight to the formatter, with no trace file, filter or depth limit to
 * pass (-1: not known yet, until the next event). The fast path feeds -c millions of events a
 * second, and that many calls through filter_event's tests were some 5% of the tracer's time. */
static int direct = -1;
/* Whether events go to the trace file with nothing between (no filter or depth limit), then to
 * the formatter if there is one (-1: not known yet). -q -w FILE writes millions of events a
 * second: one call per event through sink_event and tracefile_write_event was a third of the
 * tracer's time. */
static int file_direct = -1;

void sink_setup(void (*fn)(const struct event *ev), unsigned max_depth)
{
	consumer = fn;
	consumer_batch = NULL;
	depth_limit = max_depth;
	direct = -1;
	file_direct = -1;
}

void sink_setup_batch(void (*fn)(const struct event *ev, size_t n))
{
	consumer_batch = fn;
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

void sink_record(const char *path, bool values)
{
	tracefile_write_start(path, values);
	recording = true;
	direct = -1;
	file_direct = -1;
}

int sink_finish(void)
{
	recording = false;
	direct = -1;
	file_direct = -1;
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

void sink_wall_anchor(uint64_t realtime_ns, uint64_t monotonic_ns)
{
	wall_offset = (int64_t)(realtime_ns - monotonic_ns);
	has_wall = true;
}

int64_t sink_wall_offset(void)
{
	return wall_offset;
}

bool sink_has_wall(void)
{
	return has_wall;
}

uint64_t sink_start_ts(void)
{
	return start_ts;
}

static bool is_direct(void)
{
	if (direct < 0)
		direct = consumer && !recording && !depth_limit && filter_none();
	return direct;
}

void sink_event(const struct event *ev)
{
	if (!start_ts)
		start_ts = ev->ts;
	if (is_direct()) {
		consumer(ev);
		return;
	}
	if (recording)
		tracefile_write_event(ev);
	if (consumer)
		filter_event(ev, shown);
}

void sink_events(const struct event *ev, size_t n)
{
	if (!n)
		return;
	if (!start_ts)
		start_ts = ev[0].ts;
	if (is_direct() && consumer_batch) {
		consumer_batch(ev, n);
		return;
	}
	if (file_direct < 0)
		file_direct = recording && !depth_limit && filter_none();
	if (!file_direct) {
		for (size_t i = 0; i < n; i++)
			sink_event(&ev[i]);
		return;
	}
	tracefile_write_events(ev, n);
	if (consumer_batch)
		consumer_batch(ev, n);
	else if (consumer)
		for (size_t i = 0; i < n; i++)
			consumer(&ev[i]);
}
