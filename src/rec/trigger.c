/* trigger: -T FUNC@trace_on, FUNC@trace_off, FUNC@depth=N.
 *
 * Showing is on or off for the whole program, as uftrace's trace_on and trace_off are: it starts
 * off if some trigger turns it on, else on. Each thread remembers, for every open call, whether
 * its entry was shown: an exit is shown exactly when its entry was, so the views always get
 * whole nests, and a shown call's depth is the number of shown calls open around it, plus one. */
#include "trigger.h"
#include "funcs.h"
#include "../util/addrmap.h"
#include "../util/glob.h"
#include "../util/util.h"

#include <stdlib.h>

struct trig {
	char *glob[2];            /* the glob and a NULL: glob_any takes lists */
	unsigned actions, depth;
};

struct frame {
	bool shown;
	uint16_t limit_before;   /* the thread's depth limit before this call, back at its exit */
};

struct tthread {
	struct frame *v;
	size_t n, cap;
	uint16_t nshown;         /* open calls shown */
	uint16_t limit;          /* calls deeper (among those shown) are hidden; 0: no limit */
};

static struct trig *trigs;
static size_t ntrigs, captrigs;
static char **globs;          /* every trigger's glob, for glob_unused */
static bool showing = true;
static struct addrmap threads;   /* tid -> struct tthread */
/* Per function id: its actions (bits), 0xff not worked out yet; and its depth=N. */
static uint8_t *fn_actions;
static uint16_t *fn_depth;
static size_t nfns, capfns, capdepths;

void trigger_add(const char *glob, unsigned actions, unsigned depth)
{
	xgrow(&trigs, &captrigs, ntrigs + 1, sizeof(*trigs));
	trigs[ntrigs] = (struct trig){ { (char *)glob, NULL }, actions, depth };
	globs = xrealloc(globs, (ntrigs + 2) * sizeof(*globs));
	globs[ntrigs++] = (char *)glob;
	globs[ntrigs] = NULL;
	if (actions & TRIGGER_ON)
		showing = false;
}

bool trigger_active(void)
{
	return ntrigs > 0;
}

char **trigger_globs(void)
{
	return globs;
}

/* The actions of function fn, from every trigger its name matches (the last depth=N wins). */
static unsigned actions_of(uint32_t fn, unsigned *depth)
{
	if (fn >= nfns) {
		xgrow(&fn_actions, &capfns, (size_t)fn + 1, sizeof(*fn_actions));
		xgrow(&fn_depth, &capdepths, (size_t)fn + 1, sizeof(*fn_depth));
		for (; nfns <= fn; nfns++)
			fn_actions[nfns] = 0xff;
	}
	if (fn_actions[fn] == 0xff) {
		const char *name = funcs_name(fn);
		fn_actions[fn] = 0;
		fn_depth[fn] = 0;
		for (size_t i = 0; i < ntrigs; i++)
			if (glob_any_func(trigs[i].glob, name)) {
				fn_actions[fn] |= (uint8_t)trigs[i].actions;
				if (trigs[i].actions & TRIGGER_DEPTH)
					fn_depth[fn] = (uint16_t)trigs[i].depth;
			}
	}
	*depth = fn_depth[fn];
	return fn_actions[fn];
}

static struct tthread *thread_of(int32_t tid)
{
	return addrmap_get_or_new(&threads, (taddr_t)(uint32_t)tid, sizeof(struct tthread));
}

static void on_entry(struct tthread *tt, const struct event *ev, void (*emit)(const struct event *ev))
{
	unsigned depth, act = actions_of(ev->fn, &depth);
	if (act & TRIGGER_ON)
		showing = true;
	if (act & TRIGGER_OFF)
		showing = false;
	unsigned at = tt->nshown + 1u;
	bool shown = showing && (!tt->limit || at <= tt->limit) && at <= 0xffff;
	xgrow(&tt->v, &tt->cap, tt->n + 1, sizeof(*tt->v));
	tt->v[tt->n++] = (struct frame){ shown, tt->limit };
	if (!shown)
		return;
	if (act & TRIGGER_DEPTH)
		tt->limit = (uint16_t)(at + depth - 1 > 0xffff ? 0xffff : at + depth - 1);
	tt->nshown++;
	struct event e = *ev;
	e.depth = (uint16_t)at;
	emit(&e);
}

static void on_exit_of(struct tthread *tt, const struct event *ev, void (*emit)(const struct event *ev))
{
	if (!tt->n)
		return;   /* its entry came before the thread was seen */
	struct frame f = tt->v[--tt->n];
	tt->limit = f.limit_before;
	if (!f.shown)
		return;
	struct event e = *ev;
	e.depth = tt->nshown--;
	emit(&e);
}

void trigger_event(const struct event *ev, void (*emit)(const struct event *ev))
{
	struct tthread *tt;
	struct event e;
	switch (ev->kind) {
	case EV_ENTRY:
		on_entry(thread_of(ev->tid), ev, emit);
		break;
	case EV_EXIT:
		on_exit_of(thread_of(ev->tid), ev, emit);
		break;
	case EV_SIGNAL:
		if (!showing)
			break;
		e = *ev;
		e.depth = thread_of(ev->tid)->nshown;
		emit(&e);
		break;
	case EV_THREAD_START:
		tt = addrmap_del(&threads, (taddr_t)(uint32_t)ev->tid);   /* a tid used again starts afresh */
		if (tt)
			free(tt->v);
		free(tt);
		emit(ev);
		break;
	default:
		emit(ev);
	}
}
