/* out: formatters. They read events and function names, nothing else. */
#ifndef FNTRACE_OUT_H
#define FNTRACE_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include "../rec/event.h"

enum out_format { OUT_GRAPH, OUT_FLAT, OUT_SUMMARY };

struct out_ops {
	void (*event)(const struct event *ev);
	void (*finish)(void);    /* end of the trace: print what is pending, free state */
};

extern const struct out_ops out_graph_ops, out_flat_ops, out_summary_ops;

struct out_config {
	FILE *fp;
	bool first_hit_order;    /* summary: list functions in the order first called */
};
extern struct out_config out_cfg;

/* Formats a duration like uftrace, right-aligned in 11 columns: "     850 ns", "   1.234 us". */
void out_fmt_duration(uint64_t ns, char buf[32]);

#endif
