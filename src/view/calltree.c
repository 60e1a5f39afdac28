/* view/calltree: the call-path tree of the interactive view.
 *
 * Memory follows the number of distinct call paths per thread, not the number of calls: a node
 * is 48 bytes plus its index entry, and each thread keeps only its open calls. */
#include "calltree.h"

#include <stdlib.h>
#include <string.h>

/* The index key of a group: above any fn << 32 | parent, whose fn is a dense id. */
#define GROUP_KEY(id) (1ull << 63 | (uint32_t)(id))

struct ctthread {
	uint32_t *v;              /* open calls, outermost first */
	size_t n, cap;
	uint32_t base;            /* its group node */
};

void calltree_init(struct calltree *ct, bool by_process)
{
	memset(ct, 0, sizeof(*ct));
	ct->by_process = by_process;
	xgrow(&ct->v, &ct->cap, 1, sizeof(*ct->v));
	ct->v[0] = (struct ctnode){ 0 };
	ct->n = 1;
}

/* The child of parent keyed by key, made (last of its siblings) if it is new. */
static uint32_t child_of(struct calltree *ct, uint32_t parent, taddr_t key, uint32_t fn, bool group)
{
	uintptr_t i = (uintptr_t)addrmap_get(&ct->index, key);
	if (i)
		return (uint32_t)(i - 1);
	xgrow(&ct->v, &ct->cap, ct->n + 1, sizeof(*ct->v));
	uint32_t node = (uint32_t)ct->n++;
	struct ctnode *p = &ct->v[parent];
	ct->v[node] = (struct ctnode){ .fn = fn, .parent = parent, .prev = p->last, .group = group,
				       .depth = group ? 0 : (uint16_t)(p->depth + 1) };
	if (p->last)
		ct->v[p->last].next = node;
	else
		p->child = node;
	p->last = node;
	addrmap_put(&ct->index, key, (void *)(uintptr_t)(node + 1));
	return node;
}

static struct ctthread *thread_of(struct calltree *ct, const struct event *ev)
{
	if (ct->last && ct->last_tid == ev->tid)
		return ct->last;
	struct ctthread *t = addrmap_get(&ct->threads, (taddr_t)(uint32_t)ev->tid);
	if (!t) {
		int32_t id = ct->by_process ? ev->pid : ev->tid;
		t = xcalloc(1, sizeof(*t));
		t->base = child_of(ct, 0, GROUP_KEY(id), (uint32_t)id, true);
		addrmap_put(&ct->threads, (taddr_t)(uint32_t)ev->tid, t);
	}
	ct->last_tid = ev->tid;
	return ct->last = t;
}

void calltree_event(struct calltree *ct, const struct event *ev)
{
	if (ev->kind != EV_ENTRY && ev->kind != EV_EXIT)
		return;
	struct ctthread *t = thread_of(ct, ev);
	uint32_t top = t->n ? t->v[t->n - 1] : t->base;
	if (ev->kind == EV_ENTRY) {
		/* The parent in the low half: addrmap's hash draws on the low bits. */
		uint32_t node = child_of(ct, top, (taddr_t)ev->fn << 32 | top, ev->fn, false);
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = node;
		return;
	}
	if (!t->n)
		return;
	uint64_t d = ev->ts - ev->t0;
	t->n--;
	ct->v[top].calls++;
	ct->v[top].total += d;
	if (!t->n) {
		ct->v[t->base].calls++;
		ct->v[t->base].total += d;
	}
}

/* The next node in preorder after node, not entering node's children if skip; 0 at the end. */
static uint32_t preorder_next(const struct calltree *ct, uint32_t node, bool skip)
{
	if (!skip && ct->v[node].child)
		return ct->v[node].child;
	for (; node; node = ct->v[node].parent)
		if (ct->v[node].next)
			return ct->v[node].next;
	return 0;
}

void calltree_rows(struct calltree *ct)
{
	ct->nrows = 0;
	for (uint32_t node = ct->v[0].child; node; node = preorder_next(ct, node, ct->v[node].folded)) {
		xgrow(&ct->rows, &ct->caprows, ct->nrows + 1, sizeof(*ct->rows));
		ct->rows[ct->nrows++] = node;
	}
}

long calltree_row_of(const struct calltree *ct, uint32_t node)
{
	for (size_t i = 0; i < ct->nrows; i++)
		if (ct->rows[i] == node)
			return (long)i;
	return -1;
}

uint32_t calltree_next(const struct calltree *ct, uint32_t node)
{
	uint32_t n = preorder_next(ct, node, false);
	return n ? n : ct->v[0].child;
}

/* The last node in preorder of node's subtree. */
static uint32_t deepest_last(const struct calltree *ct, uint32_t node)
{
	while (ct->v[node].last)
		node = ct->v[node].last;
	return node;
}

uint32_t calltree_prev(const struct calltree *ct, uint32_t node)
{
	const struct ctnode *c = &ct->v[node];
	if (c->prev)
		return deepest_last(ct, c->prev);
	if (c->parent)
		return c->parent;
	return deepest_last(ct, 0);   /* from the first node: wrap to the last */
}

void calltree_reveal(struct calltree *ct, uint32_t node)
{
	for (uint32_t p = ct->v[node].parent; p; p = ct->v[p].parent)
		ct->v[p].folded = false;
}

void calltree_fold_all(struct calltree *ct, bool folded)
{
	for (size_t i = 1; i < ct->n; i++)
		ct->v[i].folded = folded && !ct->v[i].group && ct->v[i].child;
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	struct ctthread *t = val;
	(void)key;
	(void)arg;
	free(t->v);
	free(t);
}

void calltree_free(struct calltree *ct)
{
	addrmap_each(&ct->threads, free_thread, NULL);
	addrmap_free(&ct->threads);
	addrmap_free(&ct->index);
	free(ct->v);
	free(ct->rows);
	memset(ct, 0, sizeof(*ct));
}
