/* out: formatters. They read events and function names, nothing else. */
#ifndef FNTRACE_OUT_H
#define FNTRACE_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include "../rec/event.h"

struct addrmap;

enum out_format { OUT_GRAPH, OUT_FLAT, OUT_SUMMARY, OUT_CHROME, OUT_FOLDED, OUT_JSON, OUT_SVG };

/* summary: the order of rows (-s); DEFAULT is by total, or by first call with --once. */
enum out_sort { OUT_SORT_DEFAULT, OUT_SORT_TOTAL, OUT_SORT_SELF, OUT_SORT_CALLS, OUT_SORT_AVG, OUT_SORT_NAME };

struct out_config {
	enum out_format format;
	bool first_hit_order;     /* summary: list functions in the order first called */
	bool per_thread;          /* summary: one table per thread; folded, svg: a root frame each */
	bool per_process;         /* the same per process */
	enum out_sort sort;
	bool weight_calls;        /* folded, svg: a frame weighs its calls, not its time */
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

extern const struct out_ops out_graph_ops, out_flat_ops, out_summary_ops, out_chrome_ops, out_folded_ops,
	out_json_ops, out_svg_ops;

/* The format or sort key called name ("chrome", "self"), or -1 if there is none. */
int out_format_by_name(const char *name);
int out_sort_by_name(const char *name);

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
/* "exited with 3" or "killed by SIGSEGV (core dumped)", for any process end. */
const char *out_end_text(const struct event *ev, char buf[64]);

/* Writes s as a JSON string, quotes included: '"', '\\' and bytes outside printable ASCII
 * escaped, so the output is ASCII and valid JSON whatever s holds. */
void out_json_str(FILE *fp, const char *s);
/* Writes s escaped for XML character data and quoted attribute values (&amp; &lt; &gt; &quot;
 * &apos;); bytes XML cannot hold (control characters, non-ASCII) are written as text \xNN. */
void out_xml_str(FILE *fp, const char *s);

/* The processes and threads of one stream, noted as their events pass, for views that name them
 * at the end (Chrome tracks, JSON). */
struct out_ids {
	struct addrmap *procs;    /* pid -> 1 */
	struct addrmap *threads;  /* tid -> pid */
	int32_t last_tid;
};
void out_ids_note(struct out_ids *ids, const struct event *ev);
/* Calls fn for every process noted (tid 0), then every thread, each in increasing order of id,
 * with its name or NULL (names.h). Frees what ids holds. */
void out_ids_each(struct out_ids *ids, void (*fn)(struct out *o, int32_t pid, int32_t tid, const char *name),
		  struct out *o);

#endif
