/* view/folded: folded stacks (--format=folded), one line per call path, "main;parse;lex 1234",
 * for flamegraph.pl, inferno and speedscope. The weight is the path's self time in ns (the
 * lines add up to the time of the outermost calls), or its number of calls (--weight=calls).
 * Paths with no weight are left out. A ';' in a name would split the frame: it becomes ':'.
 *
 * A line holds its whole path, so a recursion N calls deep would take N^2 frames (9.8 GB for a
 * 70,000-deep one). Paths are cut at FOLDED_MAX_DEPTH frames, as perf cuts call chains at its
 * max-stack: the weight of everything below a cut goes to one line, the path to the cut and a
 * last frame "[deeper]", so the lines still add up, and a warning says how many were cut. Output
 * is then at most FOLDED_MAX_DEPTH frames a call path. */
#include "view.h"
#include "stacks.h"

#include "../util/util.h"

#include <inttypes.h>
#include <stdlib.h>

#define FOLDED_MAX_DEPTH 1000

struct folded {
	struct stacks s;
	FILE *fp;
	uint64_t cut;             /* call paths with weight below a cut */
};

static void folded_init(struct view *o)
{
	struct folded *f = xcalloc(1, sizeof(*f));
	stacks_init(&f->s, o->cfg);
	f->fp = o->fp;
	o->state = f;
}

static void folded_event(struct view *o, const struct event *ev)
{
	stacks_event(&((struct folded *)o->state)->s, ev);
}

static void put_path(struct stacks *s, FILE *fp, const uint32_t *path, size_t depth)
{
	for (size_t i = 0; i < depth; i++) {
		if (i)
			putc(';', fp);
		for (const char *c = stacks_label(s, path[i]); *c; c++)
			putc(*c == ';' ? ':' : *c, fp);
	}
}

static void line(struct stacks *s, const uint32_t *path, size_t depth, void *arg)
{
	struct folded *f = arg;
	uint32_t node = path[depth - 1];
	uint64_t own = stacks_own(s, node);
	if (depth > FOLDED_MAX_DEPTH) {
		f->cut += own > 0;
		return;
	}
	if (own) {
		put_path(s, f->fp, path, depth);
		fprintf(f->fp, " %" PRIu64 "\n", own);
	}
	uint64_t below = s->v[node].weight - own;
	if (depth == FOLDED_MAX_DEPTH && below) {
		put_path(s, f->fp, path, depth);
		fprintf(f->fp, ";[deeper] %" PRIu64 "\n", below);
	}
}

static void folded_finish(struct view *o)
{
	struct folded *f = o->state;
	stacks_walk(&f->s, line, f);
	if (f->cut)
		warn_msg("--format=folded: %" PRIu64 " call path%s deeper than %d frames cut there; their weight is on "
			 "lines ending in [deeper]", f->cut, f->cut == 1 ? "" : "s", FOLDED_MAX_DEPTH);
	stacks_free(&f->s);
	free(f);
}

const struct view_ops view_folded_ops = { folded_init, folded_event, folded_finish, NULL };
