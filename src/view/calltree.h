/* view/calltree: a trace's calls merged by call path, per thread or per process, with the folding,
 * row list and search that the interactive view (--tui) moves through. No terminal here: the
 * unit tests drive it with events. */
#ifndef FNTRACE_CALLTREE_H
#define FNTRACE_CALLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include "../rec/event.h"
#include "../util/addrmap.h"

/* One call path. Node 0 is the root, above the group nodes (one per thread or process), which are
 * above each group's outermost calls. Children are in the order of their first call. */
struct ctnode {
	uint32_t fn;              /* function id; for a group node, its tid or pid */
	uint32_t parent;
	uint32_t child, last;     /* first and last child, 0 for none */
	uint32_t next, prev;      /* siblings, 0 for none */
	uint64_t calls;           /* calls that ended on this path (a group: its outermost calls) */
	uint64_t total;           /* ns in them, callees included */
	uint16_t depth;           /* 0 for a group, 1 for an outermost call */
	bool group;
	bool folded;              /* its children are hidden */
};

struct calltree {
	struct ctnode *v;
	size_t n, cap;
	bool by_process;          /* groups are processes; else threads */
	struct addrmap index;     /* fn << 32 | parent -> node + 1 (groups: GROUP_KEY) */
	struct addrmap threads;   /* tid -> its open calls */
	int32_t last_tid;
	void *last;
	uint32_t *rows;           /* the nodes shown, in order, after calltree_rows() */
	size_t nrows, caprows;
};

void calltree_init(struct calltree *ct, bool by_process);
/* Adds an entry or exit (other events are ignored). */
void calltree_event(struct calltree *ct, const struct event *ev);
/* Recomputes ct->rows: every node but the root whose ancestors are all unfolded, in preorder. */
void calltree_rows(struct calltree *ct);
/* The index of node in ct->rows, or -1 if it is hidden. */
long calltree_row_of(const struct calltree *ct, uint32_t node);
/* The node after (before) node in preorder over the whole tree, folded parts included, wrapping
 * around; never the root. */
uint32_t calltree_next(const struct calltree *ct, uint32_t node);
uint32_t calltree_prev(const struct calltree *ct, uint32_t node);
/* Unfolds node's ancestors so that it is shown (then call calltree_rows()). */
void calltree_reveal(struct calltree *ct, uint32_t node);
/* Folds every call with callees (groups stay open), or unfolds every node. */
void calltree_fold_all(struct calltree *ct, bool folded);
void calltree_free(struct calltree *ct);

#endif
