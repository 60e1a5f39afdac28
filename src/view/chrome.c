/* view/chrome: Chrome Trace Event JSON (--format=chrome) for Perfetto, chrome://tracing, Chrome's
 * DevTools and speedscope.
 *
 * Each call is one complete event ("ph":"X"), written at its exit, when its duration is known:
 * half the size of B/E pairs, and no state to keep per thread. B/E pairs would need no arithmetic,
 * but Chrome's trace engine matches them on one stack for all threads, so the calls of threads
 * that interleave would not pair. Its name is the function's alone: speedscope takes the args
 * into a frame's identity.
 *
 * The consumers nest the X events of a thread by time, computing each end as ts + dur in binary
 * floating point. Written as decimals of exact nanoseconds, a callee that ends at the same
 * instant as its caller (a tail call, calls closed together at exit) could end one rounding
 * later, and be dropped or nest its caller's siblings. So ts is the exact time, and dur the
 * double that, added to the double ts is read as, gives exactly the double the exact end time is
 * read as: equal ends stay equal, and every end keeps its order with every other time. A double
 * written to round-trip still rounds to the same nanosecond, as Perfetto reads it.
 *
 * Signals are thread instants ("I": Chrome's trace engine knows no "i"), process ends process
 * instants; a call's arguments and return value (-a, -A, -R) are its "args", {"args":"1, 2",
 * "retval":"3"}, the arguments kept per thread and depth from the entry; process and thread
 * names come last as "M" metadata events (a track with no name
 * known is named by its id), and the traced command as otherData. */
#include "view.h"
#include "../rec/funcs.h"
#include "../rec/names.h"

#include "../util/addrmap.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A thread's arguments of its open calls, by depth (only once some call had any). */
struct cargs {
	char **v;
	size_t n;
};

struct chrome {
	struct view_ids ids;
	bool any;                /* an event was written: the next needs a comma */
	struct addrmap args;     /* tid -> struct cargs */
};

static void chrome_init(struct view *o)
{
	o->state = xcalloc(1, sizeof(struct chrome));
	fputs("{\"traceEvents\":[\n", o->fp);
}

/* Microseconds, exactly: "1234.567". */
static void us_text(char buf[32], uint64_t ns)
{
	snprintf(buf, 32, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

/* The shortest decimal that reads back as d ("12.345" when that is enough). */
static void shortest(char buf[48], double d)
{
	for (int prec = 3; prec <= 24; prec++) {
		snprintf(buf, 48, "%.*f", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, 48, "%.17g", d);
}

static void start(struct view *o, const char *ph, int32_t pid, int32_t tid)
{
	struct chrome *c = o->state;
	fprintf(o->fp, "%s{\"ph\":\"%s\",\"pid\":%d,\"tid\":%d", c->any ? ",\n" : "", ph, pid, tid);
	c->any = true;
}

/* Keeps the arguments of an entry at depth d until its exit. */
static void keep_args(struct chrome *c, const struct event *ev)
{
	struct cargs *ca = addrmap_get(&c->args, (taddr_t)(uint32_t)ev->tid);
	if (!ev->depth || (!ev->args && !ca))
		return;
	if (!ca) {
		ca = xcalloc(1, sizeof(*ca));
		addrmap_put(&c->args, (taddr_t)(uint32_t)ev->tid, ca);
	}
	if (ca->n < ev->depth) {
		ca->v = xrealloc(ca->v, ev->depth * sizeof(*ca->v));
		memset(ca->v + ca->n, 0, (ev->depth - ca->n) * sizeof(*ca->v));
		ca->n = ev->depth;
	}
	free(ca->v[ev->depth - 1]);
	ca->v[ev->depth - 1] = ev->args ? xstrdup(ev->args) : NULL;
}

/* The arguments kept for the call this exit ends, handed over (NULL if none). */
static char *take_args(struct chrome *c, const struct event *ev)
{
	struct cargs *ca = addrmap_get(&c->args, (taddr_t)(uint32_t)ev->tid);
	if (!ca || !ev->depth || ev->depth > ca->n)
		return NULL;
	char *a = ca->v[ev->depth - 1];
	ca->v[ev->depth - 1] = NULL;
	return a;
}

static void free_cargs(taddr_t key, void *val, void *arg)
{
	struct cargs *ca = val;
	for (size_t i = 0; i < ca->n; i++)
		free(ca->v[i]);
	free(ca->v);
	free(ca);
}

static void call_args(FILE *fp, const char *args, const char *ret)
{
	if (!args && !ret)
		return;
	fputs(",\"args\":{", fp);
	if (args) {
		fputs("\"args\":", fp);
		view_json_str(fp, args);
	}
	if (ret) {
		fputs(args ? ",\"retval\":" : "\"retval\":", fp);
		view_json_str(fp, ret);
	}
	fputc('}', fp);
}

static void call(struct view *o, const struct event *ev)
{
	char ts[32], end[32], dur[48];
	us_text(ts, ev->t0);
	us_text(end, ev->ts);
	double t = strtod(ts, NULL), e = strtod(end, NULL);
	/* Exact whenever t <= e <= 2t (Sterbenz): a call shorter than the clock's time before it.
	 * Then t + d is e exactly, and speedscope, which first subtracts a thread's earliest time m
	 * (exact too), gets (t - m) + d = e - m exactly. */
	double d = e - t;
	if (t + d != e || ev->ts < ev->t0)
		us_text(dur, ev->ts - ev->t0);   /* only in a trace file with absurd times */
	else
		shortest(dur, d);
	start(o, "X", ev->pid, ev->tid);
	fprintf(o->fp, ",\"ts\":%s,\"dur\":%s,\"cat\":\"call\",\"name\":", ts, dur);
	view_json_str(o->fp, funcs_name(ev->fn));
	char *args = take_args(o->state, ev);
	call_args(o->fp, args, ev->args);
	free(args);
	fputc('}', o->fp);
}

static void chrome_event(struct view *o, const struct event *ev)
{
	FILE *fp = o->fp;
	char buf[64], ts[32];
	view_ids_note(&((struct chrome *)o->state)->ids, ev);
	us_text(ts, ev->ts);
	switch (ev->kind) {
	case EV_ENTRY:
		keep_args(o->state, ev);
		break;
	case EV_EXIT:
		call(o, ev);
		break;
	case EV_SIGNAL:
		start(o, "I", ev->pid, ev->tid);
		fprintf(fp, ",\"ts\":%s,\"s\":\"t\",\"cat\":\"signal\",\"name\":\"%s\"}", ts,
			view_signame((int)ev->fn, buf));
		break;
	case EV_PROC_EXIT:
		start(o, "I", ev->pid, ev->tid);
		fprintf(fp, ",\"ts\":%s,\"s\":\"p\",\"cat\":\"process\",\"name\":\"%s\"}", ts, view_end_text(ev, buf));
		break;
	default:
		break;
	}
}

static void metadata(struct view *o, int32_t pid, int32_t tid, const char *name)
{
	start(o, "M", pid, tid ? tid : pid);
	fprintf(o->fp, ",\"name\":\"%s\",\"args\":{\"name\":", tid ? "thread_name" : "process_name");
	if (name) {
		view_json_str(o->fp, name);
	} else {
		fprintf(o->fp, "\"%d\"", tid ? tid : pid);
	}
	fputs("}}", o->fp);
}

static void chrome_finish(struct view *o)
{
	struct chrome *c = o->state;
	view_ids_each(&c->ids, metadata, o);
	fputs("\n],\"otherData\":{", o->fp);
	const char *cmd = names_of_command();
	if (cmd) {
		fputs("\"command\":", o->fp);
		view_json_str(o->fp, cmd);
		fputc(',', o->fp);
	}
	fputs("\"tracer\":\"fntrace\",\"clock\":\"CLOCK_MONOTONIC\"}}\n", o->fp);
	addrmap_each(&c->args, free_cargs, NULL);
	addrmap_free(&c->args);
	free(c);
}

const struct view_ops view_chrome_ops = { chrome_init, chrome_event, chrome_finish, NULL };
