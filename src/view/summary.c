/* view/summary: per-function totals (-c), sorted by total time (or by -s KEY), or by first call
 * with --once.
 *
 * Total is the time a function was on a thread's stack, counting a recursive function's nested
 * calls once; Self excludes its callees; Avg, Min and Max are over single calls. Threads are
 * added up, or shown one table each with --per-thread, or one per process with --per-process. */
#include "view.h"
#include "../rec/funcs.h"
#include "../rec/names.h"
#include "../util/addrmap.h"

#include <stdlib.h>
#include <string.h>

struct fstat {
	uint32_t fn;
	int32_t group;         /* the tid (per thread), the pid (per process), or 0 */
	uint64_t total, self, calls, min, max, sum;
	uint64_t first;        /* order of first call */
};

/* One function in one thread: where its totals go, and how many of its calls the thread has
 * open (a recursive call's nested calls count once in Total). One hash lookup at an entry, none
 * at the exit, which finds it in its frame: -c is fed every call of the fast path. */
struct tfn {
	struct fstat *s;       /* of the thread's group (a reused tid may be another process's) */
	int32_t group;         /* s->group, kept here: the test at every entry needs no load of s */
	uint32_t active;
};

struct sframe {
	struct tfn *f;
	struct fstat *s;       /* f->s when the call began */
	uint64_t child;        /* time spent in callees so far */
};

#define RECENT 256  /* the tfns of a thread's latest entries, by fn % RECENT (ids are dense, in
		     * the order of first calls: gawk -c calls some 200 functions, in turn) */

struct sthread {
	int32_t tid;
	struct sframe *v;
	size_t n, cap;
	struct addrmap fns;    /* fn -> struct tfn, once the thread called it */
	/* The latest entries' tfns, before the hash: a loop calls a few functions in turn (sort
	 * -nr, three), each found here with no lookup. */
	struct recent {
		uint32_t fn;
		struct tfn *f;     /* NULL: none yet */
	} recent[RECENT];
};

struct summary {
	char **ends;             /* how processes ended, printed after the table */
	size_t nends;
	struct addrmap stats;    /* (group << 32 | fn) -> struct fstat */
	struct addrmap threads;  /* tid -> struct sthread */
	struct sthread *last;    /* the thread of the latest event: threads' events come in runs */
	uint64_t nseen;
};

static void summary_init(struct view *o)
{
	o->state = xcalloc(1, sizeof(struct summary));
}

/* The group ev's totals go to: its thread (--per-thread), its process (--per-process), or 0. */
static inline int32_t group_by(bool per_thread, bool per_process, const struct event *ev)
{
	return per_thread ? ev->tid : per_process ? ev->pid : 0;
}

static inline int32_t group_of(const struct view *o, const struct event *ev)
{
	return group_by(o->cfg->per_thread, o->cfg->per_process, ev);
}

static struct fstat *stat_of(struct view *o, const struct event *ev)
{
	struct summary *sm = o->state;
	int32_t group = group_of(o, ev);
	taddr_t key = (taddr_t)(uint32_t)group << 32 | ev->fn;
	struct fstat *s = addrmap_get(&sm->stats, key);
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->fn = ev->fn;
		s->group = group;
		s->min = UINT64_MAX;
		s->first = sm->nseen++;
		addrmap_put(&sm->stats, key, s);
	}
	return s;
}

static struct sthread *thread_of(struct summary *sm, int32_t tid)
{
	if (sm->last && sm->last->tid == tid)
		return sm->last;
	struct sthread *t = addrmap_get(&sm->threads, (taddr_t)(uint32_t)tid);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->tid = tid;
		addrmap_put(&sm->threads, (taddr_t)(uint32_t)tid, t);
	}
	return sm->last = t;
}

/* tfn_of when its function is not among thread t's recent ones, or its group changed. */
static struct tfn *tfn_find(struct view *o, struct sthread *t, const struct event *ev)
{
	struct tfn *f = addrmap_get(&t->fns, ev->fn);
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		addrmap_put(&t->fns, ev->fn, f);
	}
	t->recent[ev->fn % RECENT] = (struct recent){ ev->fn, f };
	int32_t group = group_of(o, ev);
	if (!f->s || f->group != group) {
		f->s = stat_of(o, ev);
		f->group = group;
	}
	return f;
}

/* What thread t keeps of ev's function, with the totals of ev's group (group_of(o, ev)). */
static inline struct tfn *tfn_of(struct view *o, struct sthread *t, const struct event *ev, int32_t group)
{
	const struct recent *r = &t->recent[ev->fn % RECENT];
	if (r->f && r->fn == ev->fn && r->f->group == group)
		return r->f;   /* (then r->f->s is set: tfn_find sets it before it is recent) */
	return tfn_find(o, t, ev);
}

/* A call of ev's function begins on thread t; its totals go to group (group_of(o, ev)). */
static inline __attribute__((always_inline)) void enter(struct view *o, struct sthread *t, const struct event *ev,
							 int32_t group)
{
	struct tfn *f = tfn_of(o, t, ev, group);
	if (t->n == t->cap)
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->v[t->n++] = (struct sframe){ f, f->s, 0 };
	f->active++;
}

/* Thread t's innermost call ends (ev): its function's totals, and its caller's time in callees. */
static inline __attribute__((always_inline)) void leave(struct sthread *t, const struct event *ev)
{
	if (!t->n)
		return;
	struct sframe fr = t->v[--t->n];
	struct fstat *s = fr.s;
	uint64_t d = ev->ts - ev->t0;
	s->calls++;
	s->sum += d;
	if (d < s->min)
		s->min = d;
	if (d > s->max)
		s->max = d;
	s->self += d > fr.child ? d - fr.child : 0;
	if (!--fr.f->active)
		s->total += d;
	if (t->n)
		t->v[t->n - 1].child += d;
}

/* How a process ended, for the lines after the table. */
static void note_end(struct view *o, const struct event *ev)
{
	struct summary *sm = o->state;
	char buf[64];
	const char *end = view_end_line(o, ev, buf);
	if (!end)
		return;
	sm->ends = xrealloc(sm->ends, (sm->nends + 1) * sizeof(*sm->ends));
	sm->ends[sm->nends] = xmalloc(strlen(end) + 32);
	if (ev->pid != o->leader)
		sprintf(sm->ends[sm->nends], "[pid %d] %s", ev->pid, end);
	else
		strcpy(sm->ends[sm->nends], end);
	sm->nends++;
}

static void summary_event(struct view *o, const struct event *ev)
{
	struct summary *sm = o->state;
	if (ev->kind == EV_ENTRY)
		enter(o, thread_of(sm, ev->tid), ev, group_of(o, ev));
	else if (ev->kind == EV_EXIT)
		leave(thread_of(sm, ev->tid), ev);
	else if (ev->kind == EV_PROC_EXIT)
		note_end(o, ev);
}

/* The fast path's events come by the batch, one thread's: one loop, no call per event, the
 * thread looked up when it changes. */
static void summary_events(struct view *o, const struct event *ev, size_t n)
{
	struct summary *sm = o->state;
	struct sthread *t = thread_of(sm, ev[0].tid);
	/* (the grouping asked for, read once: the totals' stores could change o->cfg for all the
	 * compiler knows) */
	bool per_thread = o->cfg->per_thread, per_process = o->cfg->per_process;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].tid != t->tid)
			t = thread_of(sm, ev[i].tid);
		if (ev[i].kind == EV_ENTRY)
			enter(o, t, &ev[i], group_by(per_thread, per_process, &ev[i]));
		else if (ev[i].kind == EV_EXIT)
			leave(t, &ev[i]);
		else
			summary_event(o, &ev[i]);
	}
}

struct sorter {
	struct fstat **v;
	size_t n;
};

static void collect(taddr_t key, void *val, void *arg)
{
	struct sorter *so = arg;
	(void)key;
	so->v[so->n++] = val;
}

static enum view_sort sort_key;   /* for by_key */

static uint64_t avg(const struct fstat *s)
{
	return s->calls ? s->sum / s->calls : 0;
}

/* Largest first, for the key's number. */
static int desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int by_key(const void *pa, const void *pb)
{
	const struct fstat *a = *(struct fstat *const *)pa, *b = *(struct fstat *const *)pb;
	int c = 0;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	switch (sort_key) {
	case VIEW_SORT_DEFAULT:
	case VIEW_SORT_TOTAL: c = desc(a->total, b->total); break;
	case VIEW_SORT_SELF: c = desc(a->self, b->self); break;
	case VIEW_SORT_CALLS: c = desc(a->calls, b->calls); break;
	case VIEW_SORT_AVG: c = desc(avg(a), avg(b)); break;
	case VIEW_SORT_NAME: break;
	}
	if (!c)
		c = strcmp(funcs_name(a->fn), funcs_name(b->fn));
	return c ? c : a->fn < b->fn ? -1 : a->fn > b->fn;
}

static int by_first(const void *pa, const void *pb)
{
	const struct fstat *a = *(struct fstat *const *)pa, *b = *(struct fstat *const *)pb;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* The width of the Function column when a Source column follows it (--srcline): the longest
 * name shown, up to 48 (a longer one pushes its own line's source out, not every line's). 0 when
 * there is no Source column. */
static int name_width(const struct view *o, struct fstat *const *v, size_t n)
{
	if (!o->cfg->srcline)
		return 0;
	size_t w = 20;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(funcs_name(v[i]->fn));
		w = len > w ? len : w;
	}
	return w > 48 ? 48 : (int)w;
}

static void header(FILE *fp, int nw)
{
	char bar[64];
	memset(bar, '=', sizeof(bar));
	fprintf(fp, "%11s  %11s  %10s  %11s  %11s  %11s  ", "Total", "Self", "Calls", "Avg", "Min", "Max");
	if (nw)
		fprintf(fp, "%-*s  Source\n", nw, "Function");
	else
		fputs("Function\n", fp);
	fprintf(fp, "%11s  %11s  %10s  %11s  %11s  %11s  %.*s%s\n", "===========", "===========", "==========",
		"===========", "===========", "===========", nw ? nw : 20, bar, nw ? "  ==================" : "");
}

/* A row's function, and its source after it when there is a Source column. */
static void put_function(FILE *fp, uint32_t fn, int nw)
{
	const char *line = nw ? funcs_srcline(fn) : NULL;
	if (line)
		fprintf(fp, "%-*s  %s\n", nw, funcs_name(fn), line);
	else
		fprintf(fp, "%s\n", funcs_name(fn));
}

static void free_val(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	struct sthread *t = val;
	(void)key;
	(void)arg;
	addrmap_each(&t->fns, free_val, NULL);
	addrmap_free(&t->fns);
	free(t->v);
	free(t);
}

static void summary_finish(struct view *o)
{
	struct summary *sm = o->state;
	FILE *fp = o->fp;
	struct sorter so = { xmalloc((sm->stats.n + 1) * sizeof(*so.v)), 0 };
	addrmap_each(&sm->stats, collect, &so);
	sort_key = o->cfg->sort;
	bool first = o->cfg->first_hit_order && o->cfg->sort == VIEW_SORT_DEFAULT;
	qsort(so.v, so.n, sizeof(*so.v), first ? by_first : by_key);

	bool grouped = o->cfg->per_thread || o->cfg->per_process;
	int nw = name_width(o, so.v, so.n);
	if (!grouped)
		header(fp, nw);
	for (size_t i = 0; i < so.n; i++) {
		struct fstat *s = so.v[i];
		char tot[32], self[32], av[32], min[32], max[32];
		if (grouped && (i == 0 || so.v[i - 1]->group != s->group)) {
			const char *name = o->cfg->per_thread ? NULL : names_of_process(s->group);
			fprintf(fp, "%s# %s %d%s%s%s\n", i ? "\n" : "", o->cfg->per_thread ? "thread" : "process", s->group,
				name ? " (" : "", name ? name : "", name ? ")" : "");
			header(fp, nw);
		}
		view_fmt_duration(s->total, tot);
		view_fmt_duration(s->self, self);
		view_fmt_duration(avg(s), av);
		view_fmt_duration(s->calls ? s->min : 0, min);
		view_fmt_duration(s->max, max);
		fprintf(fp, "%11s  %11s  %10" PRIu64 "  %11s  %11s  %11s  ", tot, self, s->calls, av, min, max);
		put_function(fp, s->fn, nw);
	}
	for (size_t i = 0; i < sm->nends; i++) {
		fprintf(fp, "%s\n", sm->ends[i]);
		free(sm->ends[i]);
	}
	free(sm->ends);
	for (size_t i = 0; i < so.n; i++)
		free(so.v[i]);
	free(so.v);
	addrmap_free(&sm->stats);
	addrmap_each(&sm->threads, free_thread, NULL);
	addrmap_free(&sm->threads);
	free(sm);
}

const struct view_ops view_summary_ops = { summary_init, summary_event, summary_finish, summary_events };
