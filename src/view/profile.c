/* profile: aggregate a trace per function and per caller-callee pair, keyed by interned name, so
 * that two traces' profiles can be compared name by name. */
#include "profile.h"
#include "../rec/funcs.h"

#include <stdlib.h>
#include <string.h>

struct pframe {
	struct pfunc *f;
	uint64_t child;           /* time spent in callees so far */
};

struct pthread {
	struct pframe *v;
	size_t n, cap;
	struct addrmap active;    /* pfunc -> how many of its calls are open in this thread */
};

struct profile {
	struct addrmap funcs;     /* interned name -> struct pfunc */
	struct addrmap threads;   /* tid -> struct pthread */
	struct pfunc root;
};

static taddr_t key_of(const void *p)
{
	return (taddr_t)(uintptr_t)p;
}

struct profile *profile_new(void)
{
	struct profile *pf = xcalloc(1, sizeof(*pf));
	pf->root.name = "(outermost)";
	return pf;
}

struct pfunc *profile_root(struct profile *pf)
{
	return &pf->root;
}

struct pfunc *profile_find(const struct profile *pf, const char *name)
{
	return addrmap_get(&pf->funcs, key_of(name));
}

static struct pfunc *func_of(struct profile *pf, uint32_t fn)
{
	const char *name = funcs_name(fn);
	struct pfunc *f = profile_find(pf, name);
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		f->name = name;
		addrmap_put(&pf->funcs, key_of(name), f);
	}
	return f;
}

static struct pthread *thread_of(struct profile *pf, int32_t tid)
{
	struct pthread *t = addrmap_get(&pf->threads, (taddr_t)(uint32_t)tid);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		addrmap_put(&pf->threads, (taddr_t)(uint32_t)tid, t);
	}
	return t;
}

/* Adds d to the number of open calls of f in t; returns the new number. */
static uintptr_t active_add(struct pthread *t, struct pfunc *f, int d)
{
	uintptr_t n = (uintptr_t)addrmap_get(&t->active, key_of(f)) + (uintptr_t)(intptr_t)d;
	if (n)
		addrmap_put(&t->active, key_of(f), (void *)n);
	else
		addrmap_del(&t->active, key_of(f));
	return n;
}

static struct pedge *edge_of(struct pfunc *caller, struct pfunc *callee)
{
	struct pedge *e = addrmap_get(&caller->callees, key_of(callee));
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->caller = caller;
		e->callee = callee;
		addrmap_put(&caller->callees, key_of(callee), e);
	}
	return e;
}

void profile_event(struct profile *pf, const struct event *ev)
{
	if (ev->kind != EV_ENTRY && ev->kind != EV_EXIT)
		return;
	struct pthread *t = thread_of(pf, ev->tid);
	if (ev->kind == EV_ENTRY) {
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = (struct pframe){ func_of(pf, ev->fn), 0 };
		active_add(t, t->v[t->n - 1].f, 1);
		return;
	}
	if (!t->n)
		return;
	struct pframe fr = t->v[--t->n];
	struct pfunc *f = fr.f;
	uint64_t d = ev->ts - ev->t0, self = d > fr.child ? d - fr.child : 0;
	f->calls++;
	f->self += self;
	f->sum += d;
	if (f->calls == 1 || d < f->min)
		f->min = d;
	if (d > f->max)
		f->max = d;
	if (!active_add(t, f, -1))
		f->total += d;
	struct pedge *e = edge_of(t->n ? t->v[t->n - 1].f : &pf->root, f);
	e->calls++;
	e->total += d;
	e->self += self;
	if (t->n)
		t->v[t->n - 1].child += d;
}

struct collector {
	struct pfunc **v;
	size_t n;
};

static void collect(taddr_t key, void *val, void *arg)
{
	struct collector *c = arg;
	(void)key;
	c->v[c->n++] = val;
}

struct pfunc **profile_funcs(const struct profile *pf, size_t *n)
{
	struct collector c = { xmalloc((pf->funcs.n + 1) * sizeof(*c.v)), 0 };
	addrmap_each(&pf->funcs, collect, &c);
	*n = c.n;
	return c.v;
}

struct edges {
	struct pedge **v;
	size_t n, cap;
	const struct pfunc *callee;   /* collecting the edges into it; NULL: all of them */
};

static void add_edge(taddr_t key, void *val, void *arg)
{
	struct edges *es = arg;
	struct pedge *e = val;
	(void)key;
	if (es->callee && e->callee != es->callee)
		return;
	xgrow(&es->v, &es->cap, es->n + 1, sizeof(*es->v));
	es->v[es->n++] = e;
}

static int by_total(const void *pa, const void *pb)
{
	const struct pedge *x = *(struct pedge *const *)pa, *y = *(struct pedge *const *)pb;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	const char *nx = x->caller->name, *ny = y->caller->name;
	if (x->caller == y->caller) {
		nx = x->callee->name;
		ny = y->callee->name;
	}
	return strcmp(nx, ny);
}

static struct pedge **sorted(struct edges *es, size_t *n)
{
	if (es->n)   /* es->v is NULL without edges, and qsort takes no NULL */
		qsort(es->v, es->n, sizeof(*es->v), by_total);
	*n = es->n;
	return es->v;
}

/* The callers' edges sit in their callee maps: every function's is looked at. */
static void add_edges_into(taddr_t key, void *val, void *arg)
{
	struct pfunc *caller = val;
	(void)key;
	addrmap_each(&caller->callees, add_edge, arg);
}

struct pedge **profile_callers(struct profile *pf, const struct pfunc *f, size_t *n)
{
	struct edges es = { .callee = f };
	addrmap_each(&pf->root.callees, add_edge, &es);
	addrmap_each(&pf->funcs, add_edges_into, &es);
	return sorted(&es, n);
}

struct pedge **profile_callees(const struct pfunc *f, size_t *n)
{
	struct edges es = { 0 };
	addrmap_each(&f->callees, add_edge, &es);
	return sorted(&es, n);
}

static void free_edge(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

static void free_edges(struct pfunc *f)
{
	addrmap_each(&f->callees, free_edge, NULL);
	addrmap_free(&f->callees);
}

static void free_func(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free_edges(val);
	free(val);
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	struct pthread *t = val;
	(void)key;
	(void)arg;
	addrmap_free(&t->active);
	free(t->v);
	free(t);
}

void profile_free(struct profile *pf)
{
	if (!pf)
		return;
	addrmap_each(&pf->funcs, free_func, NULL);
	addrmap_free(&pf->funcs);
	free_edges(&pf->root);
	addrmap_each(&pf->threads, free_thread, NULL);
	addrmap_free(&pf->threads);
	free(pf);
}
