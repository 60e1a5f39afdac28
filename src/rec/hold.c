/* hold: hide the calls shorter than a threshold, begun outside a part of the run, or (-C) not on
 * the way to a call of some function.
 *
 * Each thread keeps a stack of its open calls, each entry held back until the call is known to
 * be shown. A call shown brings the entries of the calls around it out first (those are longer
 * than it is, and began before it), so the views always see whole nests with the depths the
 * tracer counted: under -C, those calls are the path to it. */
#include "hold.h"
#include "funcs.h"
#include "sink.h"
#include "../util/addrmap.h"
#include "../util/glob.h"
#include "../util/util.h"

#include <stdlib.h>

struct held {
	struct event entry;     /* its args our own copy: the tracer frees its text once sent */
	bool sent;              /* the entry went to the view: so will the exit */
};

struct hthread {
	struct held *v;
	size_t n, cap;
};

static bool active;
static uint64_t min_dur;
static struct time_range range = { 0, UINT64_MAX, false, false };
static struct addrmap threads;  /* tid -> struct hthread */
static char **caller_globs;
static uint8_t *targets;        /* function id -> 0 not known yet, 1 not a -C function, 2 one */
static size_t ntargets;

void hold_setup(uint64_t min_ns, const struct time_range *r, char **callers)
{
	min_dur = min_ns;
	if (r)
		range = *r;
	caller_globs = callers;
	active = min_ns || r || callers;
}

bool hold_active(void)
{
	return active;
}

/* Whether calls of fn are wanted by -C (all are without it). */
static bool is_target(uint32_t fn)
{
	if (!caller_globs)
		return true;
	if (fn >= ntargets) {
		size_t n = ntargets;
		xgrow(&targets, &ntargets, (size_t)fn + 1, sizeof(*targets));
		for (; n < ntargets; n++)
			targets[n] = 0;
	}
	if (!targets[fn])
		targets[fn] = glob_any_func(caller_globs, funcs_name(fn)) ? 2 : 1;
	return targets[fn] == 2;
}

static bool in_range(uint64_t ts)
{
	uint64_t first_ts = sink_start_ts();   /* relative times count from the first event */
	uint64_t start = range.start + (range.start_rel ? first_ts : 0);
	uint64_t end = range.end_rel ? first_ts + range.end : range.end;
	return ts >= start && ts <= end;
}

static struct hthread *thread_of(int32_t tid)
{
	return addrmap_get_or_new(&threads, (taddr_t)(uint32_t)tid, sizeof(struct hthread));
}

/* Sends the entries of ht's open calls not sent yet, outermost first. */
static void release(struct hthread *ht, void (*emit)(const struct event *ev))
{
	size_t i = ht->n;
	while (i > 0 && !ht->v[i - 1].sent)
		i--;   /* a call sent has every call around it sent */
	for (; i < ht->n; i++) {
		emit(&ht->v[i].entry);
		ht->v[i].sent = true;
	}
}

static void on_exit_of(struct hthread *ht, const struct event *ev, void (*emit)(const struct event *ev))
{
	if (!ht->n)
		return;   /* its entry came before the filter saw the thread: nothing to close */
	struct held h = ht->v[--ht->n];
	if (!h.sent) {
		if (ev->ts - h.entry.ts < min_dur || !in_range(h.entry.ts) || !is_target(h.entry.fn)) {
			free((char *)h.entry.args);
			return;
		}
		release(ht, emit);
		emit(&h.entry);
	}
	free((char *)h.entry.args);
	emit(ev);
}

static void free_held(struct hthread *ht)
{
	for (size_t i = 0; i < ht->n; i++)
		free((char *)ht->v[i].entry.args);
	free(ht->v);
}

/* A signal shows with the calls it interrupted; under -C, only on a path shown. */
static void on_signal(struct hthread *ht, const struct event *ev, void (*emit)(const struct event *ev))
{
	if (!in_range(ev->ts) || (caller_globs && !(ht->n && ht->v[ht->n - 1].sent)))
		return;
	release(ht, emit);
	emit(ev);
}

void hold_event(const struct event *ev, void (*emit)(const struct event *ev))
{
	struct hthread *ht;
	switch (ev->kind) {
	case EV_ENTRY:
		ht = thread_of(ev->tid);
		xgrow(&ht->v, &ht->cap, ht->n + 1, sizeof(*ht->v));
		ht->v[ht->n] = (struct held){ *ev, false };
		if (ev->args)
			ht->v[ht->n].entry.args = xstrdup(ev->args);
		ht->n++;
		if (!min_dur && in_range(ev->ts) && is_target(ev->fn))
			release(ht, emit);   /* known at once: shown as it happens */
		break;
	case EV_EXIT:
		on_exit_of(thread_of(ev->tid), ev, emit);
		break;
	case EV_SIGNAL:
		on_signal(thread_of(ev->tid), ev, emit);
		break;
	case EV_THREAD_START:
		ht = addrmap_del(&threads, (taddr_t)(uint32_t)ev->tid);   /* a tid used again starts afresh */
		if (ht)
			free_held(ht);
		free(ht);
		emit(ev);
		break;
	default:
		emit(ev);
	}
}
