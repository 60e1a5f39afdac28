/* filter: the thread and process filters, then the subtree filters, the triggers (trigger.c)
 * and the filters that hold entries back (hold.c: time, callers), applied to the event stream on
 * its way to the views.
 *
 * Each thread's state is two depths: the call that opened a shown subtree (-F) and the call that
 * opened a hidden one (-N), 0 for none. Events are well nested per thread, so a subtree ends
 * exactly at the exit of the depth that opened it. Names are matched once per function id. */
#include "filter.h"
#include "funcs.h"
#include "hold.h"
#include "trigger.h"
#include "../util/addrmap.h"
#include "../util/glob.h"
#include "../util/util.h"

#include <stdlib.h>
#include <string.h>

enum fclass { FC_UNKNOWN, FC_PLAIN, FC_ONLY, FC_HIDE };

struct fthread {
	uint16_t only;    /* depth of the outermost open -F call, or 0: outside every -F subtree */
	uint16_t hidden;  /* depth of the outermost open -N call, or 0 */
};

static char **only_globs, **hide_globs;
static uint8_t *classes;      /* function id -> enum fclass */
static size_t nclasses;
static struct addrmap threads;   /* tid -> struct fthread */
static struct addrmap want_tids, want_pids;   /* id -> WANTED or SEEN; empty: every one */
#define WANTED ((void *)1)
#define SEEN ((void *)2)     /* some event was of it */
static struct addrmap shown_pids;   /* with --tid: the processes some event was shown of */

void filter_setup(char **only, char **hide)
{
	only_globs = only;
	hide_globs = hide;
}

static void note_ids(struct addrmap *m, const int *ids, int n)
{
	for (int i = 0; i < n; i++)
		addrmap_put(m, (taddr_t)(uint32_t)ids[i], WANTED);
}

void filter_ids(const int *tids, int ntids, const int *pids, int npids)
{
	note_ids(&want_tids, tids, ntids);
	note_ids(&want_pids, pids, npids);
}

static bool has(const struct addrmap *m, int32_t id)
{
	return addrmap_get(m, (taddr_t)(uint32_t)id) != NULL;
}

/* Whether id is one of m's (and notes it seen). */
static bool wanted(struct addrmap *m, int32_t id)
{
	void *v = addrmap_get(m, (taddr_t)(uint32_t)id);
	if (v == WANTED)
		addrmap_put(m, (taddr_t)(uint32_t)id, SEEN);
	return v != NULL;
}

/* Whether ev is of a thread and process the user asked for. */
static bool ids_shown(const struct event *ev)
{
	if (want_pids.n && !wanted(&want_pids, ev->pid))
		return false;
	if (!want_tids.n)
		return true;
	if (ev->kind == EV_PROC_EXIT)
		return has(&shown_pids, ev->pid);
	if (!wanted(&want_tids, ev->tid))
		return false;
	if (!has(&shown_pids, ev->pid))
		addrmap_put(&shown_pids, (taddr_t)(uint32_t)ev->pid, SEEN);
	return true;
}

static void warn_unseen(taddr_t id, void *v, void *what)
{
	if (v == WANTED)
		warn_msg("%s %d matched no %s", (const char *)what, (int)id,
			 strcmp(what, "--tid") ? "process" : "thread");
}

void filter_warn_unseen(void)
{
	addrmap_each(&want_tids, warn_unseen, "--tid");
	addrmap_each(&want_pids, warn_unseen, "--pid-filter");
}

bool filter_active(void)
{
	return only_globs || hide_globs;
}

/* -N first: a function named by both is hidden with its subtree. */
static enum fclass class_of(uint32_t fn)
{
	if (fn >= nclasses) {
		size_t n = nclasses;
		xgrow(&classes, &nclasses, (size_t)fn + 1, sizeof(*classes));
		for (; n < nclasses; n++)
			classes[n] = FC_UNKNOWN;
	}
	if (classes[fn] == FC_UNKNOWN) {
		const char *name = funcs_name(fn);
		classes[fn] = glob_any_func(hide_globs, name)   ? FC_HIDE
			      : glob_any_func(only_globs, name) ? FC_ONLY
								: FC_PLAIN;
	}
	return (enum fclass)classes[fn];
}

static struct fthread *thread_of(int32_t tid)
{
	return addrmap_get_or_new(&threads, (taddr_t)(uint32_t)tid, sizeof(struct fthread));
}

/* Whether the call ev enters or leaves is shown, updating ft as subtrees open and close. */
static bool call_shown(struct fthread *ft, const struct event *ev)
{
	bool entry = ev->kind == EV_ENTRY;
	enum fclass c = class_of(ev->fn);   /* even when hidden: a glob matched is no typo */
	if (ft->hidden) {
		if (!entry && ev->depth == ft->hidden)
			ft->hidden = 0;
		return false;
	}
	if (entry && c == FC_HIDE) {
		ft->hidden = ev->depth;
		return false;
	}
	if (!only_globs)
		return true;
	if (entry && !ft->only && c == FC_ONLY)
		ft->only = ev->depth;
	if (!ft->only)
		return false;
	if (!entry && ev->depth == ft->only)
		ft->only = 0;   /* this exit is still shown */
	return true;
}

/* ev as the subtree filters show it: ev itself, or buf holding ev with its depth counted from
 * the outermost call -F shows; NULL if ev is hidden. */
static const struct event *subtree_event(const struct event *ev, struct event *buf)
{
	if (ev->kind == EV_THREAD_START)
		free(addrmap_del(&threads, (taddr_t)(uint32_t)ev->tid));   /* a tid used again starts afresh */
	if (ev->kind != EV_ENTRY && ev->kind != EV_EXIT && ev->kind != EV_SIGNAL)
		return ev;
	struct fthread *ft = thread_of(ev->tid);
	uint16_t base = ft->only;   /* before this event changes it */
	if (ev->kind == EV_SIGNAL) {
		/* Shown where its thread's calls are: inside -F, outside -N. */
		if (ft->hidden || (only_globs && !ft->only))
			return NULL;
	} else if (!call_shown(ft, ev)) {
		return NULL;
	} else if (ev->kind == EV_ENTRY) {
		base = ft->only;
	}
	if (!only_globs)
		return ev;
	*buf = *ev;
	buf->depth = (uint16_t)(ev->depth - base + 1);
	return buf;
}

static void (*shown)(const struct event *ev);   /* filter_event's emit */

/* The last stage: the filters that hold entries back, if any. */
static void held(const struct event *ev)
{
	if (hold_active())
		hold_event(ev, shown);
	else
		shown(ev);
}

bool filter_none(void)
{
	return !want_pids.n && !want_tids.n && !filter_active() && !trigger_active() && !hold_active();
}

void filter_event(const struct event *ev, void (*emit)(const struct event *ev))
{
	struct event buf;
	shown = emit;
	if (!ids_shown(ev))
		return;
	if (filter_active() && !(ev = subtree_event(ev, &buf)))
		return;
	if (trigger_active())
		trigger_event(ev, held);
	else
		held(ev);
}
