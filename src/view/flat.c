/* view/flat: one line per function entry, `name();`, in the order they ran; signals and process
 * ends strace style. Once a second thread shows up, lines carry "[pid TID] ". */
#include "view.h"
#include "../rec/funcs.h"

#include <stdlib.h>

struct flat {
	int32_t first_tid;
	bool multi;
	struct view_cols cols;    /* with --output-fields or -t */
};

static void flat_init(struct view *o)
{
	o->state = xcalloc(1, sizeof(struct flat));
}

/* The columns asked for, then "[pid TID] " once there are threads. */
static void prefix(struct view *o, int32_t tid, uint64_t ts, const char *module)
{
	struct flat *f = o->state;
	if (o->cfg->nfields) {
		char head[512];
		view_cols_put(o->cfg, &f->cols, ts, "", tid, module, head, sizeof(head));
		fprintf(o->fp, "%s ", head);
	}
	if (!f->first_tid)
		f->first_tid = tid;
	else if (tid != f->first_tid)
		f->multi = true;
	if (f->multi)
		fprintf(o->fp, "[pid %d] ", tid);
}

static void flat_event(struct view *o, const struct event *ev)
{
	char buf[64], sig[16];
	const char *end;
	struct flat *f = o->state;
	switch (ev->kind) {
	case EV_THREAD_START:
		/* From the moment a second thread exists, every line says whose it is. */
		if (!f->first_tid)
			f->first_tid = ev->tid;
		else if (ev->tid != f->first_tid)
			f->multi = true;
		break;
	case EV_ENTRY:
		prefix(o, ev->tid, ev->ts, funcs_module(ev->fn));
		fprintf(o->fp, "%s(%s);%s\n", funcs_name(ev->fn), ev->args ? ev->args : "",
			view_srcline_note(o->cfg, ev->fn));
		break;
	case EV_SIGNAL:
		prefix(o, ev->tid, ev->ts, NULL);
		fprintf(o->fp, "--- %s ---\n", view_signame((int)ev->fn, sig));
		break;
	case EV_PROC_EXIT:
		if ((end = view_end_line(o, ev, buf))) {
			prefix(o, ev->tid, ev->ts, NULL);
			fprintf(o->fp, "%s\n", end);
		}
		break;
	default:
		break;
	}
}

static void flat_finish(struct view *o)
{
	free(o->state);
}

const struct view_ops view_flat_ops = { flat_init, flat_event, flat_finish, NULL };
