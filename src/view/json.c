/* view/json: one JSON object per event, one per line, for scripts (--format=json).
 *
 * {"type":"entry","ts":T,"pid":P,"tid":T,"depth":D,"fn":"name","addr":"0x401136"[,"module":"abc"]
 *  [,"srcline":"abc.c:12"][,"args":"1, \"a\""]}  (module when known, srcline with --srcline)
 * {"type":"exit",...,"fn":"name","dur":NS[,"retval":"0"]}  (args and retval with -a, -A, -R)  {"type":"signal",...,"signal":"SIGUSR1","signo":10}
 * {"type":"thread_start",...}  {"type":"process_end","ts":T,"pid":P,"status":S,"how":"exited with 0"}
 * and, at the end, {"type":"process","pid":P,"name":"abc"} and {"type":"thread",...} lines.
 * Times are ns on CLOCK_MONOTONIC. */
#include "view.h"
#include "../rec/funcs.h"

#include <inttypes.h>
#include <stdlib.h>

struct json {
	struct view_ids ids;
};

static void json_init(struct view *o)
{
	o->state = xcalloc(1, sizeof(struct json));
}

static void head(struct view *o, const char *type, const struct event *ev)
{
	fprintf(o->fp, "{\"type\":\"%s\",\"ts\":%" PRIu64 ",\"pid\":%d,\"tid\":%d", type, ev->ts, ev->pid, ev->tid);
}

/* An entry's module, when known, and its source line with --srcline, when known. */
static void entry_info(struct view *o, uint32_t fn)
{
	const char *mod = funcs_module(fn), *line = o->cfg->srcline ? funcs_srcline(fn) : NULL;
	if (mod) {
		fputs(",\"module\":", o->fp);
		view_json_str(o->fp, mod);
	}
	if (line) {
		fputs(",\"srcline\":", o->fp);
		view_json_str(o->fp, line);
	}
}

static void json_event(struct view *o, const struct event *ev)
{
	struct json *j = o->state;
	FILE *fp = o->fp;
	char buf[64];
	view_ids_note(&j->ids, ev);
	switch (ev->kind) {
	case EV_ENTRY:
	case EV_EXIT:
		head(o, ev->kind == EV_ENTRY ? "entry" : "exit", ev);
		fprintf(fp, ",\"depth\":%u,\"fn\":", ev->depth);
		view_json_str(fp, funcs_name(ev->fn));
		if (ev->kind == EV_ENTRY) {
			fprintf(fp, ",\"addr\":\"%#" PRIx64 "\"", funcs_addr(ev->fn));
			entry_info(o, ev->fn);
		} else
			fprintf(fp, ",\"dur\":%" PRIu64, ev->ts - ev->t0);
		if (ev->args) {
			fputs(ev->kind == EV_ENTRY ? ",\"args\":" : ",\"retval\":", fp);
			view_json_str(fp, ev->args);
		}
		fputs("}\n", fp);
		break;
	case EV_SIGNAL:
		head(o, "signal", ev);
		fprintf(fp, ",\"depth\":%u,\"signal\":\"%s\",\"signo\":%u}\n", ev->depth, view_signame((int)ev->fn, buf),
			ev->fn);
		break;
	case EV_THREAD_START:
		head(o, "thread_start", ev);
		fputs("}\n", fp);
		break;
	case EV_PROC_EXIT:
		fprintf(fp, "{\"type\":\"process_end\",\"ts\":%" PRIu64 ",\"pid\":%d,\"status\":%u,\"how\":\"%s\"}\n",
			ev->ts, ev->pid, ev->fn, view_end_text(ev, buf));
		break;
	default:
		break;
	}
}

static void name_line(struct view *o, int32_t pid, int32_t tid, const char *name)
{
	if (tid)
		fprintf(o->fp, "{\"type\":\"thread\",\"pid\":%d,\"tid\":%d,\"name\":", pid, tid);
	else
		fprintf(o->fp, "{\"type\":\"process\",\"pid\":%d,\"name\":", pid);
	if (name)
		view_json_str(o->fp, name);
	else
		fputs("null", o->fp);
	fputs("}\n", o->fp);
}

static void json_finish(struct view *o)
{
	struct json *j = o->state;
	view_ids_each(&j->ids, name_line, o);
	free(j);
}

const struct view_ops view_json_ops = { json_init, json_event, json_finish, NULL };
