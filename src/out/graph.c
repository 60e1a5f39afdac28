/* out/graph: the call graph with durations, in the style of `uftrace replay`.
 *
 * An entry is held back until the thread's next event: if that is its own exit, the call is a
 * leaf and prints as one line `name();`; otherwise it opens a block `name() {`. */
#include "out.h"
#include "../rec/funcs.h"
#include "../util/addrmap.h"

#include <stdlib.h>

struct gthread {
	bool pending;          /* an entry not yet printed */
	struct event entry;    /* that entry */
};

static struct addrmap threads;
static bool header_done;

static struct gthread *thread_of(int32_t tid)
{
	struct gthread *g = addrmap_get(&threads, (taddr_t)(uint32_t)tid);
	if (!g) {
		g = xcalloc(1, sizeof(*g));
		addrmap_put(&threads, (taddr_t)(uint32_t)tid, g);
	}
	return g;
}

static void line(const char *dur, int32_t tid, unsigned depth, const char *fmt, const char *name)
{
	FILE *fp = out_cfg.fp;
	fprintf(fp, "%11s [%5d] | %*s", dur, tid, (int)(depth > 0 ? (depth - 1) * 2 : 0), "");
	fprintf(fp, fmt, name);
	fputc('\n', fp);
}

static void flush_pending(struct gthread *g)
{
	if (g->pending)
		line("", g->entry.tid, g->entry.depth, "%s() {", funcs_name(g->entry.fn));
	g->pending = false;
}

static void graph_event(const struct event *ev)
{
	char dur[32];
	if (!header_done) {
		fprintf(out_cfg.fp, "# DURATION     TID     FUNCTION\n");
		header_done = true;
	}
	struct gthread *g = thread_of(ev->tid);
	switch (ev->kind) {
	case EV_ENTRY:
		flush_pending(g);
		g->pending = true;
		g->entry = *ev;
		break;
	case EV_EXIT:
		out_fmt_duration(ev->ts - ev->t0, dur);
		if (g->pending && g->entry.depth == ev->depth && g->entry.fn == ev->fn) {
			g->pending = false;
			line(dur, ev->tid, ev->depth, "%s();", funcs_name(ev->fn));
		} else {
			flush_pending(g);
			line(dur, ev->tid, ev->depth, "} /* %s */", funcs_name(ev->fn));
		}
		break;
	default:
		break;
	}
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	flush_pending(val);
	free(val);
}

static void graph_finish(void)
{
	if (!header_done)
		fprintf(out_cfg.fp, "# DURATION     TID     FUNCTION\n");
	addrmap_each(&threads, free_thread, NULL);
	addrmap_free(&threads);
}

const struct out_ops out_graph_ops = { graph_event, graph_finish };
