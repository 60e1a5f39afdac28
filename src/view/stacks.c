/* view/stacks: the call-path tree behind folded stacks and flame graphs.
 *
 * Memory follows the number of distinct call paths (and of threads with open calls), not the
 * number of calls. A node's self time is the time of the calls that ended on its path minus the
 * time of their callees, so the self times of all nodes add up to the outermost calls' time. */
#include "stacks.h"
#include "../rec/funcs.h"
#include "../rec/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sframe {
	uint32_t node;
	uint64_t child;           /* ns in callees so far */
};

struct sthread {
	struct sframe *v;
	size_t n, cap;
};

void stacks_init(struct stacks *s, const struct view_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	xgrow(&s->v, &s->cap, 1, sizeof(*s->v));
	s->v[0] = (struct snode){ 0 };
	s->n = 1;
}

static uint32_t child_of(struct stacks *s, uint32_t parent, uint32_t fn)
{
	/* The parent in the low half: addrmap's hash draws on the low bits, and the parent varies most. */
	taddr_t key = (taddr_t)fn << 32 | parent;
	uintptr_t i = (uintptr_t)addrmap_get(&s->index, key);
	if (i)
		return (uint32_t)(i - 1);
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	uint32_t node = (uint32_t)s->n++;
	s->v[node] = (struct snode){ .fn = fn, .parent = parent, .next = s->v[parent].child };
	s->v[parent].child = node;
	addrmap_put(&s->index, key, (void *)(uintptr_t)(node + 1));
	return node;
}

/* The frame a thread's outermost calls hang from: the root, or its thread's or process's. */
static uint32_t base_of(struct stacks *s, const struct event *ev)
{
	if (!s->cfg->per_thread && !s->cfg->per_process)
		return 0;
	int32_t id = s->cfg->per_thread ? ev->tid : ev->pid;
	uintptr_t g = (uintptr_t)addrmap_get(&s->group_of, (taddr_t)(uint32_t)id);
	if (!g) {
		xgrow(&s->groups, &s->capgroups, s->ngroups + 1, sizeof(*s->groups));
		s->groups[s->ngroups++] = id;
		g = s->ngroups;
		addrmap_put(&s->group_of, (taddr_t)(uint32_t)id, (void *)g);
	}
	return child_of(s, 0, STACKS_GROUP | (uint32_t)(g - 1));
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	struct sthread *t = val;
	(void)key;
	(void)arg;
	free(t->v);
	free(t);
}

struct sweep {
	taddr_t *keys;
	size_t n;
};

static void find_idle(taddr_t key, void *val, void *arg)
{
	struct sweep *sw = arg;
	if (!((struct sthread *)val)->n)
		sw->keys[sw->n++] = key;
}

/* Forgets the threads with no open call, so that memory follows the threads that have some
 * whatever the churn of threads. */
static void sweep(struct stacks *s)
{
	struct sweep sw = { xmalloc((s->threads.n + 1) * sizeof(*sw.keys)), 0 };
	addrmap_each(&s->threads, find_idle, &sw);
	for (size_t i = 0; i < sw.n; i++)
		free_thread(0, addrmap_del(&s->threads, sw.keys[i]), NULL);
	free(sw.keys);
	s->nidle = 0;
	s->last = NULL;
	s->last_tid = 0;
}

static struct sthread *thread_of(struct stacks *s, int32_t tid)
{
	if (s->last && s->last_tid == tid)
		return s->last;
	struct sthread *t = addrmap_get(&s->threads, (taddr_t)(uint32_t)tid);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		addrmap_put(&s->threads, (taddr_t)(uint32_t)tid, t);
		s->nidle++;
	}
	s->last = t;
	s->last_tid = tid;
	return t;
}

void stacks_event(struct stacks *s, const struct event *ev)
{
	if (ev->kind != EV_ENTRY && ev->kind != EV_EXIT)
		return;
	struct sthread *t = thread_of(s, ev->tid);
	if (ev->kind == EV_ENTRY) {
		if (!t->n)
			s->nidle--;
		uint32_t parent = t->n ? t->v[t->n - 1].node : base_of(s, ev);
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = (struct sframe){ child_of(s, parent, ev->fn), 0 };
		return;
	}
	if (!t->n)
		return;
	struct sframe f = t->v[--t->n];
	uint64_t d = ev->ts - ev->t0;
	struct snode *nd = &s->v[f.node];
	nd->calls++;
	/* Summed as unsigned: a trace file's times may be absurd, and the sum must wrap, not
	 * overflow. It reads as signed, where a callee outlasting its caller makes it negative. */
	nd->self = (int64_t)((uint64_t)nd->self + (d - f.child));
	if (t->n)
		t->v[t->n - 1].child += d;
	else if (++s->nidle > 1024)
		sweep(s);
}

uint64_t stacks_own(const struct stacks *s, uint32_t node)
{
	const struct snode *nd = &s->v[node];
	if (s->cfg->weight_calls)
		return nd->calls;
	return nd->self > 0 ? (uint64_t)nd->self : 0;
}

const char *stacks_label(struct stacks *s, uint32_t node)
{
	uint32_t fn = s->v[node].fn;
	if (!(fn & STACKS_GROUP))
		return funcs_name(fn);
	uint32_t g = fn & ~STACKS_GROUP;
	if (s->capglabels < s->ngroups) {
		size_t old = s->capglabels;
		xgrow(&s->glabels, &s->capglabels, s->ngroups, sizeof(*s->glabels));
		memset(s->glabels + old, 0, (s->capglabels - old) * sizeof(*s->glabels));
	}
	if (!s->glabels[g]) {
		int32_t id = s->groups[g];
		const char *name = s->cfg->per_thread ? names_of_thread(id) : names_of_process(id);
		s->glabels[g] = xmalloc((name ? strlen(name) : 0) + 16);
		if (name)
			sprintf(s->glabels[g], "%s-%d", name, id);
		else
			sprintf(s->glabels[g], "%d", id);
	}
	return s->glabels[g];
}

static struct stacks *sorting;

static int by_label(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int c = strcmp(stacks_label(sorting, a), stacks_label(sorting, b));
	return c ? c : a < b ? -1 : a > b;
}

/* Every node's weight: own weight plus children's. Children come after their parent in v. */
static void weigh(struct stacks *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->v[i].weight = i ? stacks_own(s, (uint32_t)i) : 0;
	for (size_t i = s->n; i-- > 1;)
		s->v[s->v[i].parent].weight += s->v[i].weight;
}

/* The children of node, sorted by name, into a new array; *n gets their number. */
static uint32_t *children(struct stacks *s, uint32_t node, size_t *n)
{
	size_t k = 0;
	for (uint32_t c = s->v[node].child; c; c = s->v[c].next)
		k++;
	uint32_t *v = xmalloc((k + 1) * sizeof(*v));
	k = 0;
	for (uint32_t c = s->v[node].child; c; c = s->v[c].next)
		v[k++] = c;
	sorting = s;
	qsort(v, k, sizeof(*v), by_label);
	*n = k;
	return v;
}

struct level {
	uint32_t *kids;           /* the children of path[depth - 1] (or of the root), sorted */
	size_t n, i;              /* how many, and the next to visit */
};

void stacks_walk(struct stacks *s, void (*fn)(struct stacks *s, const uint32_t *path, size_t depth, void *arg),
		 void *arg)
{
	weigh(s);
	/* Depth first without recursion: a call path can be as deep as the program's stack. */
	struct level *lv = NULL;
	uint32_t *path = NULL;
	size_t caplv = 0, cappath = 0, depth = 0;
	xgrow(&lv, &caplv, 1, sizeof(*lv));
	lv[0].kids = children(s, 0, &lv[0].n);
	lv[0].i = 0;
	for (;;) {
		struct level *l = &lv[depth];
		if (l->i == l->n) {
			free(l->kids);
			if (!depth)
				break;
			depth--;
			continue;
		}
		uint32_t node = l->kids[l->i++];
		xgrow(&path, &cappath, depth + 1, sizeof(*path));
		path[depth] = node;
		fn(s, path, depth + 1, arg);
		depth++;
		xgrow(&lv, &caplv, depth + 1, sizeof(*lv));
		lv[depth].kids = children(s, node, &lv[depth].n);
		lv[depth].i = 0;
	}
	free(lv);
	free(path);
}

void stacks_free(struct stacks *s)
{
	addrmap_each(&s->threads, free_thread, NULL);
	addrmap_free(&s->threads);
	addrmap_free(&s->index);
	addrmap_free(&s->group_of);
	for (size_t i = 0; i < s->capglabels; i++)
		free(s->glabels[i]);
	free(s->glabels);
	free(s->groups);
	free(s->v);
}
