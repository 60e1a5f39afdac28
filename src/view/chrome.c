/* view/chrome: Chrome Trace Event JSON (--format=chrome) for Perfetto and chrome://tracing.
 *
 * Each call is one complete event ("ph":"X", ts and dur in microseconds with ns decimals),
 * written at its exit, when its duration is known: half the size of B/E pairs, no state to keep
 * per thread, and no unmatched B for a call still open at the end (such a call is left out).
 * The viewers nest X events of a thread by time. Signals are thread instants ("i"), process
 * ends process instants; process and thread names come last, as "M" metadata events. */
#include "view.h"
#include "../rec/funcs.h"

#include <inttypes.h>
#include <stdlib.h>

struct chrome {
	struct view_ids ids;
	bool any;                /* an event was written: the next needs a comma */
};

static void chrome_init(struct view *o)
{
	o->state = xcalloc(1, sizeof(struct chrome));
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", o->fp);
}

/* Microseconds, exactly: "1234.567". */
static void us(FILE *fp, const char *key, uint64_t ns)
{
	fprintf(fp, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

static void start(struct view *o, const char *ph, int32_t pid, int32_t tid)
{
	struct chrome *c = o->state;
	fprintf(o->fp, "%s{\"ph\":\"%s\",\"pid\":%d,\"tid\":%d", c->any ? ",\n" : "", ph, pid, tid);
	c->any = true;
}

static void chrome_event(struct view *o, const struct event *ev)
{
	struct chrome *c = o->state;
	FILE *fp = o->fp;
	char buf[64];
	view_ids_note(&c->ids, ev);
	switch (ev->kind) {
	case EV_EXIT:
		start(o, "X", ev->pid, ev->tid);
		us(fp, "ts", ev->t0);
		us(fp, "dur", ev->ts - ev->t0);
		fputs(",\"cat\":\"call\",\"name\":", fp);
		view_json_str(fp, funcs_name(ev->fn));
		fprintf(fp, ",\"args\":{\"depth\":%u,\"addr\":\"%#" PRIx64 "\"}}", ev->depth, funcs_addr(ev->fn));
		break;
	case EV_SIGNAL:
		start(o, "i", ev->pid, ev->tid);
		us(fp, "ts", ev->ts);
		fprintf(fp, ",\"s\":\"t\",\"cat\":\"signal\",\"name\":\"%s\"}", view_signame((int)ev->fn, buf));
		break;
	case EV_PROC_EXIT:
		start(o, "i", ev->pid, ev->tid);
		us(fp, "ts", ev->ts);
		fprintf(fp, ",\"s\":\"p\",\"cat\":\"process\",\"name\":\"%s\"}", view_end_text(ev, buf));
		break;
	default:
		break;
	}
}

static void metadata(struct view *o, int32_t pid, int32_t tid, const char *name)
{
	if (!name)
		return;
	start(o, "M", pid, tid ? tid : pid);
	fprintf(o->fp, ",\"name\":\"%s\",\"args\":{\"name\":", tid ? "thread_name" : "process_name");
	view_json_str(o->fp, name);
	fputs("}}", o->fp);
}

static void chrome_finish(struct view *o)
{
	struct chrome *c = o->state;
	view_ids_each(&c->ids, metadata, o);
	fputs("\n]}\n", o->fp);
	free(c);
}

const struct view_ops view_chrome_ops = { chrome_init, chrome_event, chrome_finish };
