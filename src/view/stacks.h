/* view/stacks: calls merged by call path into a tree, as flame graphs and folded stacks see them.
 * Shared by folded.c and svg.c only. */
#ifndef FNTRACE_OUT_STACKS_H
#define FNTRACE_OUT_STACKS_H

#include "view.h"
#include "../util/addrmap.h"

/* One call path: a node per distinct sequence of functions from a thread's outermost call. */
struct snode {
	uint32_t fn;              /* function id; with GROUP set, a thread's or process's root frame */
	uint32_t parent;          /* node 0 is the root, above every outermost call */
	uint32_t child, next;     /* first child and next sibling, 0 for none */
	uint64_t calls;           /* calls that ended on this path */
	int64_t self;             /* ns in those calls, less the time in their callees */
	uint64_t weight;          /* after stacks_walk: own weight plus the children's */
};

#define STACKS_GROUP 0x80000000u

struct stacks {
	const struct view_config *cfg;
	struct snode *v;
	size_t n, cap;
	struct addrmap index;     /* fn << 32 | parent -> node + 1 */
	struct addrmap threads;   /* tid -> its open calls (struct sthread) */
	size_t nidle;             /* threads in it with none open: swept when there are many */
	int32_t last_tid;         /* the thread of the last event, and its calls */
	void *last;
	struct addrmap group_of;  /* tid or pid -> group + 1 (per thread or per process) */
	int32_t *groups;          /* the tid or pid of each group */
	char **glabels;           /* each group's label, made at its first stacks_label() */
	size_t ngroups, capgroups, capglabels;
};

void stacks_init(struct stacks *s, const struct view_config *cfg);
void stacks_event(struct stacks *s, const struct event *ev);
/* A node's own weight: its calls with cfg->weight_calls, else its self time (never negative). */
uint64_t stacks_own(const struct stacks *s, uint32_t node);
/* Computes every node's weight, then calls fn for every node but the root, parents first and
 * siblings by name; path[0] is the outermost frame and path[depth - 1] the node itself. */
void stacks_walk(struct stacks *s, void (*fn)(struct stacks *s, const uint32_t *path, size_t depth, void *arg),
		 void *arg);
/* The frame's name: the function's, or for a group "name-ID" (or "ID" with no name known) as
 * named when first asked. Valid until stacks_free(). */
const char *stacks_label(struct stacks *s, uint32_t node);
void stacks_free(struct stacks *s);

#endif
