/* out/summary: per-function totals (-c), sorted by total time.
 *
 * Total is the time a function was on the stack, counting a recursive function's nested calls
 * once; Self excludes its callees; Avg, Min and Max are over single calls. */
#include "out.h"
#include "../rec/funcs.h"
#include "../util/addrmap.h"

#include <stdlib.h>
#include <string.h>

struct fstat {
	uint64_t total, self, calls, min, max, sum;
	uint64_t first;        /* order of first call */
	bool seen;
};

struct sframe {
	uint32_t fn;
	uint64_t child;        /* time spent in callees so far */
};

struct sthread {
	struct sframe *v;
	size_t n, cap;
};

static struct fstat *stats;
static size_t nstats;
static uint64_t nseen;
static struct addrmap threads;
/* How many open frames of each function, across threads, for counting recursion once. */
static uint32_t *active;

static struct fstat *stat_of(uint32_t fn)
{
	if (fn >= nstats) {
		size_t n = fn + 1 > nstats * 2 ? fn + 1 : nstats * 2;
		stats = xrealloc(stats, n * sizeof(*stats));
		active = xrealloc(active, n * sizeof(*active));
		memset(stats + nstats, 0, (n - nstats) * sizeof(*stats));
		memset(active + nstats, 0, (n - nstats) * sizeof(*active));
		nstats = n;
	}
	return &stats[fn];
}

static struct sthread *thread_of(int32_t tid)
{
	struct sthread *t = addrmap_get(&threads, (taddr_t)(uint32_t)tid);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		addrmap_put(&threads, (taddr_t)(uint32_t)tid, t);
	}
	return t;
}

static void summary_event(const struct event *ev)
{
	if (ev->kind != EV_ENTRY && ev->kind != EV_EXIT)
		return;
	struct sthread *t = thread_of(ev->tid);
	struct fstat *s = stat_of(ev->fn);
	if (ev->kind == EV_ENTRY) {
		if (!s->seen) {
			s->seen = true;
			s->first = nseen++;
			s->min = UINT64_MAX;
		}
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = (struct sframe){ ev->fn, 0 };
		active[ev->fn]++;
		return;
	}
	if (!t->n)
		return;
	struct sframe f = t->v[--t->n];
	uint64_t d = ev->ts - ev->t0;
	active[f.fn]--;
	s->calls++;
	s->sum += d;
	if (d < s->min)
		s->min = d;
	if (d > s->max)
		s->max = d;
	s->self += d > f.child ? d - f.child : 0;
	if (!active[f.fn])
		s->total += d;
	if (t->n)
		t->v[t->n - 1].child += d;
}

static int by_total(const void *pa, const void *pb)
{
	const struct fstat *a = &stats[*(const uint32_t *)pa], *b = &stats[*(const uint32_t *)pb];
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(funcs_name(*(const uint32_t *)pa), funcs_name(*(const uint32_t *)pb));
}

static int by_first(const void *pa, const void *pb)
{
	const struct fstat *a = &stats[*(const uint32_t *)pa], *b = &stats[*(const uint32_t *)pb];
	return a->first < b->first ? -1 : a->first > b->first;
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	struct sthread *t = val;
	free(t->v);
	free(t);
}

static void summary_finish(void)
{
	FILE *fp = out_cfg.fp;
	uint32_t *order = xmalloc((nstats ? nstats : 1) * sizeof(*order));
	size_t n = 0;
	for (size_t i = 0; i < nstats; i++)
		if (stats[i].seen)
			order[n++] = (uint32_t)i;
	qsort(order, n, sizeof(*order), out_cfg.first_hit_order ? by_first : by_total);

	fprintf(fp, "%11s  %11s  %10s  %11s  %11s  %11s  %s\n", "Total", "Self", "Calls", "Avg", "Min", "Max",
		"Function");
	fprintf(fp, "%11s  %11s  %10s  %11s  %11s  %11s  %s\n", "===========", "===========", "==========",
		"===========", "===========", "===========", "====================");
	for (size_t i = 0; i < n; i++) {
		struct fstat *s = &stats[order[i]];
		char tot[32], self[32], avg[32], min[32], max[32];
		out_fmt_duration(s->total, tot);
		out_fmt_duration(s->self, self);
		out_fmt_duration(s->calls ? s->sum / s->calls : 0, avg);
		out_fmt_duration(s->calls ? s->min : 0, min);
		out_fmt_duration(s->max, max);
		fprintf(fp, "%11s  %11s  %10" PRIu64 "  %11s  %11s  %11s  %s\n", tot, self, s->calls, avg, min, max,
			funcs_name(order[i]));
	}
	free(order);
	addrmap_each(&threads, free_thread, NULL);
	addrmap_free(&threads);
	free(stats);
	free(active);
	stats = NULL;
	active = NULL;
	nstats = 0;
}

const struct out_ops out_summary_ops = { summary_event, summary_finish };
