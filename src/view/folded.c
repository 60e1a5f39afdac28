/* view/folded: folded stacks (--format=folded), one line per call path, "main;parse;lex 1234",
 * for flamegraph.pl, inferno and speedscope. The weight is the path's self time in ns (the
 * lines add up to the time of the outermost calls), or its number of calls (--weight=calls).
 * Paths with no weight are left out. A ';' in a name would split the frame: it becomes ':'. */
#include "view.h"
#include "stacks.h"

#include <inttypes.h>
#include <stdlib.h>

static void folded_init(struct view *o)
{
	o->state = xmalloc(sizeof(struct stacks));
	stacks_init(o->state, o->cfg);
}

static void folded_event(struct view *o, const struct event *ev)
{
	stacks_event(o->state, ev);
}

static void line(struct stacks *s, const uint32_t *path, size_t depth, void *arg)
{
	FILE *fp = arg;
	uint64_t own = stacks_own(s, path[depth - 1]);
	if (!own)
		return;
	for (size_t i = 0; i < depth; i++) {
		if (i)
			putc(';', fp);
		for (const char *c = stacks_label(s, path[i]); *c; c++)
			putc(*c == ';' ? ':' : *c, fp);
	}
	fprintf(fp, " %" PRIu64 "\n", own);
}

static void folded_finish(struct view *o)
{
	stacks_walk(o->state, line, o->fp);
	stacks_free(o->state);
	free(o->state);
}

const struct view_ops view_folded_ops = { folded_init, folded_event, folded_finish };
