/* out/flat: one line per function entry, `name();`, in the order they ran. */
#include "out.h"
#include "../rec/funcs.h"

static void flat_event(const struct event *ev)
{
	if (ev->kind == EV_ENTRY)
		fprintf(out_cfg.fp, "%s();\n", funcs_name(ev->fn));
}

static void flat_finish(void)
{
}

const struct out_ops out_flat_ops = { flat_event, flat_finish };
