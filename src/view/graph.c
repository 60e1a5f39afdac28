/* view/graph: the call graph with durations, in the style of `uftrace replay`.
 *
 * An entry is held back until the thread's next event: if that is its own exit, the call is a
 * leaf and prints as one line `name();`; otherwise it opens a block `name() {`. */
#include "view.h"
#include "../rec/funcs.h"
#include "../util/addrmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gthread {
	bool pending;          /* an entry not yet printed */
	struct event entry;    /* that entry; its args are a copy, owned here */
};

struct graph {
	struct addrmap threads;   /* tid -> struct gthread */
	struct gthread *last;     /* the thread of the latest event (threads' events come in runs) */
	int32_t last_tid;
	char tid_text[24];        /* " [    TID] | " of tid_of, the latest line's thread */
	size_t tid_len;           /* 0: none yet */
	int32_t tid_of;
	bool header_done;
	struct view_cols cols;    /* with --output-fields */
};

static void graph_init(struct view *o)
{
	o->state = xcalloc(1, sizeof(struct graph));
}

static struct gthread *thread_of(struct graph *g, int32_t tid)
{
	if (g->last && g->last_tid == tid)
		return g->last;
	struct gthread *t = addrmap_get(&g->threads, (taddr_t)(uint32_t)tid);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		addrmap_put(&g->threads, (taddr_t)(uint32_t)tid, t);
	}
	g->last_tid = tid;
	return g->last = t;
}

static void header(struct view *o)
{
	struct graph *g = o->state;
	if (!g->header_done && o->cfg->nfields)
		view_cols_header(o->fp, o->cfg);
	else if (!g->header_done)
		fprintf(o->fp, "# DURATION       TID     FUNCTION\n");
	g->header_done = true;
}

/* Appends s right-aligned in width columns (printf's "%*s": never cut). */
static char *put_right(char *p, const char *s, size_t len, size_t width)
{
	if (len < width) {
		memset(p, ' ', width - len);
		p += width - len;
	}
	memcpy(p, s, len);
	return p + len;
}

static char *put(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

/* The TID column of tid's lines and what follows it, " [    TID] | ", kept for the next line. */
static void tid_text(struct graph *g, int32_t tid)
{
	char digits[16], *d = digits + sizeof(digits);
	uint32_t v = tid < 0 ? (uint32_t)-(int64_t)tid : (uint32_t)tid;
	do
		*--d = (char)('0' + v % 10);
	while (v /= 10);
	if (tid < 0)
		*--d = '-';
	char *p = put(g->tid_text, " [", 2);
	p = put_right(p, d, (size_t)(digits + sizeof(digits) - d), 7);
	p = put(p, "] | ", 4);
	g->tid_len = (size_t)(p - g->tid_text);
	g->tid_of = tid;
}

/* One line: "DURATION [    TID] | " (7 digits: pid_max goes up to 4194304) and two spaces a
 * level, then pre, name and post. Built by hand in one buffer and written with one call: the
 * graph prints a line or two for every call, and printf's formatting, then a call of stdio per
 * piece (each with its own strlen), were most of its cost (unlocked stdio: only this thread
 * writes the views). A line too long for the buffer is written in two parts. */
static void plain_line(struct view *o, const char *dur, int32_t tid, unsigned depth, const char *pre,
		       const char *name, const char *post, const char *note)
{
	FILE *fp = o->fp;
	struct graph *g = o->state;
	const char *color = o->cfg->color ? view_dur_color(o->cfg, dur) : "";
	char line[512];
	if (!g->tid_len || g->tid_of != tid)
		tid_text(g, tid);
	/* (most lines have no color, pre or note: "", no call of strlen) */
	size_t ncolor = *color ? strlen(color) : 0, ndur = strlen(dur), npre = *pre ? strlen(pre) : 0,
	       nname = strlen(name), npost = strlen(post), nnote = *note ? strlen(note) : 0,
	       indent = depth > 1 ? 2 * (size_t)(depth - 1) : 0;
	size_t head = ncolor + (ndur > 11 ? ndur : 11) + (*color ? strlen(VIEW_RESET) : 0) + g->tid_len;
	char *p = put(line, color, ncolor);
	p = put_right(p, dur, ndur, 11);
	if (*color)
		p = put(p, VIEW_RESET, strlen(VIEW_RESET));
	p = put(p, g->tid_text, g->tid_len);
	if (head + indent + npre + nname + npost + nnote + 1 > sizeof(line)) {
		fwrite_unlocked(line, 1, (size_t)(p - line), fp);
		for (size_t i = 0; i < indent; i++)
			fputc_unlocked(' ', fp);
		fwrite_unlocked(pre, 1, npre, fp);
		fwrite_unlocked(name, 1, nname, fp);
		fwrite_unlocked(post, 1, npost, fp);
		fwrite_unlocked(note, 1, nnote, fp);
		fputc_unlocked('\n', fp);
		return;
	}
	memset(p, ' ', indent);
	p = put(p + indent, pre, npre);
	p = put(p, name, nname);
	p = put(p, post, npost);
	p = put(p, note, nnote);
	*p++ = '\n';
	fwrite_unlocked(line, 1, (size_t)(p - line), fp);
}

/* "(ARGS)" then tail, and " = VALUE" before it when ret is not NULL, into buf (malloc'd when
 * what it holds does not fit; freed with end_text). args and ret are already escaped. */
static const char *call_text(char *buf, size_t len, const char *args, const char *ret, const char *tail)
{
	if (!args && !ret)
		return NULL;
	size_t need = strlen(args ? args : "") + strlen(ret ? ret : "") + strlen(tail) + 8;
	char *out = need <= len ? buf : xmalloc(need);
	snprintf(out, need, "(%s)%s%s%s", args ? args : "", ret ? " = " : "", ret ? ret : "", tail);
	return out;
}

static void end_text(const char *text, const char *buf)
{
	if (text != buf)
		free((char *)text);
}

/* A line with the columns --output-fields asks for (printf is fine: one asks for them to read). */
static void fields_line(struct view *o, uint64_t ts, const char *dur, int32_t tid, const char *module, unsigned depth,
			const char *pre, const char *name, const char *post, const char *note)
{
	struct graph *g = o->state;
	char head[512];
	view_cols_put(o->cfg, &g->cols, ts, dur, tid, module, head, sizeof(head));
	fprintf(o->fp, "%s | %*s%s%s%s%s\n", head, (int)(2 * (depth > 0 ? depth - 1 : 0)), "", pre, name, post, note);
}

/* A line of the graph for an event at ts: its columns, two spaces a level, pre, name, post, and
 * the note of a function's entry (its source line, or ""). fn is the line's function, or
 * NO_FN for a signal's. */
#define NO_FN UINT32_MAX
static void line(struct view *o, uint64_t ts, const char *dur, int32_t tid, uint32_t fn, unsigned depth,
		 const char *pre, const char *name, const char *post, const char *note)
{
	if (o->cfg->nfields)
		fields_line(o, ts, dur, tid, fn == NO_FN ? NULL : funcs_module(fn), depth, pre, name, post, note);
	else
		plain_line(o, dur, tid, depth, pre, name, post, note);
}

static void flush_pending(struct view *o, struct gthread *t)
{
	if (t->pending) {
		char buf[256];
		const char *post = call_text(buf, sizeof(buf), t->entry.args, NULL, " {");
		line(o, t->entry.ts, "", t->entry.tid, t->entry.fn, t->entry.depth, "", funcs_name(t->entry.fn),
		     post ? post : "() {", view_srcline_note(o->cfg, t->entry.fn));
		end_text(post, buf);
	}
	if (t->entry.args) {
		free((char *)t->entry.args);
		t->entry.args = NULL;
	}
	t->pending = false;
}

/* The exit of a call: a leaf "name(ARGS) = VALUE;", or the end of its block "} = VALUE; / * name". */
static void exit_line(struct view *o, struct gthread *t, const struct event *ev, const char *dur)
{
	char buf[256];
	if (t->pending && t->entry.depth == ev->depth && t->entry.fn == ev->fn) {
		const char *post = call_text(buf, sizeof(buf), t->entry.args, ev->args, ";");
		line(o, ev->t0, dur, ev->tid, ev->fn, ev->depth, "", funcs_name(ev->fn), post ? post : "();",
		     view_srcline_note(o->cfg, ev->fn));
		end_text(post, buf);
		if (t->entry.args) {
			free((char *)t->entry.args);
			t->entry.args = NULL;
		}
		t->pending = false;
		return;
	}
	flush_pending(o, t);
	if (!ev->args) {
		line(o, ev->ts, dur, ev->tid, ev->fn, ev->depth, "} /* ", funcs_name(ev->fn), " */", "");
		return;
	}
	size_t need = strlen(ev->args) + 16;
	char *pre = need <= sizeof(buf) ? buf : xmalloc(need);
	snprintf(pre, need, "} = %s; /* ", ev->args);
	line(o, ev->ts, dur, ev->tid, ev->fn, ev->depth, pre, funcs_name(ev->fn), " */", "");
	end_text(pre, buf);
}

static void graph_event(struct view *o, const struct event *ev)
{
	char dur[32], buf[64];
	const char *end;
	if (ev->kind == EV_THREAD_START)
		return;   /* the TID column says it all */
	if (!((struct graph *)o->state)->header_done)
		header(o);
	struct gthread *t = thread_of(o->state, ev->tid);
	switch (ev->kind) {
	case EV_ENTRY:
		flush_pending(o, t);
		t->pending = true;
		t->entry = *ev;
		if (ev->args)
			t->entry.args = xstrdup(ev->args);
		break;
	case EV_EXIT:
		view_fmt_duration(ev->ts - ev->t0, dur);
		exit_line(o, t, ev, dur);
		break;
	case EV_SIGNAL:
		/* Inside the innermost open call: the handler's calls nest here too. */
		flush_pending(o, t);
		snprintf(buf, sizeof(buf), "%s--- %s ---%s", o->cfg->color ? VIEW_MAGENTA : "",
			 view_signame((int)ev->fn, (char[16]){ 0 }), o->cfg->color ? VIEW_RESET : "");
		line(o, ev->ts, "", ev->tid, NO_FN, ev->depth + 1u, "", buf, "", "");
		break;
	case EV_PROC_EXIT:
		flush_pending(o, t);
		if ((end = view_end_line(o, ev, buf))) {
			if (ev->pid != o->leader)
				fprintf(o->fp, "[pid %d] ", ev->pid);
			fprintf(o->fp, "%s%s%s\n", o->cfg->color ? VIEW_RED : "", end, o->cfg->color ? VIEW_RESET : "");
		}
		break;
	default:
		break;
	}
}

/* The fast path's events come by the batch: one call for all of them. */
static void graph_events(struct view *o, const struct event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		graph_event(o, &ev[i]);
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	(void)key;
	flush_pending(arg, val);
	free(val);
}

static void graph_finish(struct view *o)
{
	struct graph *g = o->state;
	header(o);
	addrmap_each(&g->threads, free_thread, o);
	addrmap_free(&g->threads);
	free(g);
}

const struct view_ops view_graph_ops = { graph_init, graph_event, graph_finish, graph_events };
