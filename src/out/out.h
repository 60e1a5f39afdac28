/* out: formatters. They read events and function names, nothing else. */
#ifndef FNTRACE_OUT_H
#define FNTRACE_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include "../rec/event.h"

enum out_format { OUT_GRAPH, OUT_FLAT, OUT_SUMMARY };

struct out_config {
	enum out_format format;
	bool first_hit_order;     /* summary: list functions in the order first called */
	bool per_thread;          /* summary: one table per thread */
	const char *path;         /* -o FILE, or NULL for stderr */
	bool separately;          /* one file per process, path.PID */
};

/* One formatter writing one stream. */
struct out {
	const struct out_ops *ops;
	const struct out_config *cfg;
	FILE *fp;
	int32_t leader;           /* the first process seen: its end needs no "+++ exited" line */
	void *state;              /* the formatter's own */
};

struct out_ops {
	void (*init)(struct out *o);
	void (*event)(struct out *o, const struct event *ev);
	void (*finish)(struct out *o);   /* end of the trace: print what is pending, free state */
};

extern const struct out_ops out_graph_ops, out_flat_ops, out_summary_ops;

/* Opens the output(s) described by cfg. Exits with a message if -o FILE cannot be opened. */
void out_open(const struct out_config *cfg);
/* Hands an event to the stream of its process. */
void out_event(const struct event *ev);
/* Finishes and closes every stream. */
void out_close(void);

/* Formats a duration like uftrace, right-aligned in 11 columns: "     850 ns", "   1.234 us". */
void out_fmt_duration(uint64_t ns, char buf[32]);
/* "SIGSEGV" for 11; "SIG73" for a number without a name. */
const char *out_signame(int sig, char buf[16]);
/* The line that tells how a process ended, "+++ killed by SIGSEGV +++" or "+++ exited with 3 +++",
 * or NULL if o's own leader exited normally (that needs no line). */
const char *out_end_line(struct out *o, const struct event *ev, char buf[64]);

#endif
