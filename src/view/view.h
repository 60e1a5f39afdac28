/* view: formatters. They read events and function names, nothing else. */
#ifndef FNTRACE_VIEW_H
#define FNTRACE_VIEW_H

#include <stdbool.h>
#include <stdio.h>
#include "../rec/event.h"

struct addrmap;
struct ofile;

enum view_format { VIEW_GRAPH, VIEW_FLAT, VIEW_SUMMARY, VIEW_CHROME, VIEW_FOLDED, VIEW_JSON, VIEW_SVG };

/* summary: the order of rows (-s); DEFAULT is by total, or by first call with --once. */
enum view_sort { VIEW_SORT_DEFAULT, VIEW_SORT_TOTAL, VIEW_SORT_SELF, VIEW_SORT_CALLS, VIEW_SORT_AVG, VIEW_SORT_NAME };

/* The columns of the graph and --flat (--output-fields). */
enum view_field { VIEW_F_DURATION = 1, VIEW_F_TID, VIEW_F_TIME, VIEW_F_ELAPSED, VIEW_F_DELTA, VIEW_F_MODULE };
#define VIEW_MAX_FIELDS 8

struct view_config {
	enum view_format format;
	bool first_hit_order;     /* summary: list functions in the order first called */
	bool per_thread;          /* summary: one table per thread; folded, svg: a root frame each */
	bool per_process;         /* the same per process */
	enum view_sort sort;
	bool weight_calls;        /* folded, svg: a frame weighs its calls, not its time */
	const char *path;         /* -o FILE, or NULL for stderr (stdout with replay) */
	bool separately;          /* one file per process, path.PID */
	bool replay;              /* -r: the trace is what the user asked for, on stdout */
	uint8_t fields[VIEW_MAX_FIELDS];   /* graph, flat: the columns in order (enum view_field) */
	unsigned nfields;         /* 0: the graph's duration and tid, flat's none */
	int time_style;           /* VIEW_F_TIME: 0 HH:MM:SS.nnnnnnnnn, 1 -t HH:MM:SS, 2 -tt .uuuuuu, 3 -ttt epoch */
	bool color;               /* graph: durations of 1 ms and more, signals and ends in colour */
	bool srcline;             /* graph, flat, summary, json: each function's file:line */
};

/* One formatter writing one stream. */
struct view {
	const struct view_ops *ops;
	const struct view_config *cfg;
	FILE *fp;
	struct ofile *file;       /* where fp's bytes go (output.c) */
	bool dirty;               /* written to since the last flush */
	int32_t leader;           /* the first process seen: its end needs no "+++ exited" line */
	void *state;              /* the formatter's own */
};

struct view_ops {
	void (*init)(struct view *o);
	void (*event)(struct view *o, const struct event *ev);
	void (*finish)(struct view *o);   /* end of the trace: print what is pending, free state */
	/* Optional: n events at once, as n calls of event would take them (NULL: they are). */
	void (*events)(struct view *o, const struct event *ev, size_t n);
};

extern const struct view_ops view_graph_ops, view_flat_ops, view_summary_ops, view_chrome_ops, view_folded_ops,
	view_json_ops, view_svg_ops;

/* The format or sort key called name ("chrome", "self"), or -1 if there is none. */
int view_format_by_name(const char *name);
int view_sort_by_name(const char *name);
const struct view_ops *view_ops_of(enum view_format f);
const char *view_format_name(enum view_format f);

/* Starts the pager ($PAGER, or less -FRX) on a pipe that becomes stdout. Returns false if there
 * is none (PAGER empty or cat, or it could not be started): stdout is left as it was. */
bool view_pager_start(void);
/* Ends stdout and waits for the pager to quit, if one was started. */
void view_pager_end(void);

/* Opens the output(s) described by cfg. Exits with a message if -o FILE cannot be opened. */
void view_open(const struct view_config *cfg);
/* Hands an event to the stream of its process. With cfg->separately, a process's file is
 * created at its first event and closed after its end. */
void view_event(const struct event *ev);
/* view_event for each of n events, in order (what sink_setup_batch takes). */
void view_events(const struct event *ev, size_t n);
/* The tracer is about to wait: output held in buffers is written, unless some was written less
 * than 20 ms ago; then an alarm (SIGALRM) ends the wait when it is time. With pending (events
 * may come without a stop), the alarm ends the wait within 20 ms even if nothing is held. */
void view_idle(bool pending);
/* Finishes and closes every stream. Returns false if some output could not be written (each
 * loss is reported, with its cause and how much was lost). */
bool view_close(void);

/* The colour a duration (as view_fmt_duration writes it) is shown in with cfg->color: yellow
 * from 1 ms, red from 1 s, as uftrace does; "" if none. VIEW_RESET ends a colour. */
const char *view_dur_color(const struct view_config *cfg, const char *dur);
#define VIEW_RESET "\033[0m"
#define VIEW_RED "\033[31m"
#define VIEW_MAGENTA "\033[35m"

/* The column called name ("elapsed"), or -1. */
int view_field_by_name(const char *name);
/* What columns a stream has printed: for the time since the previous line. */
struct view_cols {
	bool started;
	uint64_t last_ts;
};
/* The header of cfg's columns, "#  ELAPSED    DURATION   FUNCTION". */
void view_cols_header(FILE *fp, const struct view_config *cfg);
/* Writes cfg's columns for a line at event time ts into buf (at most len bytes with the NUL),
 * separated by spaces: dur, tid and module (NULL: none) for those columns. Returns the length
 * written. */
size_t view_cols_put(const struct view_config *cfg, struct view_cols *c, uint64_t ts, const char *dur, int32_t tid,
		     const char *module, char *buf, size_t len);
/* A space and a C comment holding fn's "file:line", when cfg asks for source lines and fn has
 * one, else "": what the graph and --flat put after a function's entry, as uftrace does. Valid
 * until the next call. */
const char *view_srcline_note(const struct view_config *cfg, uint32_t fn);

/* Formats a duration like uftrace, right-aligned in 11 columns: "     850 ns", "   1.234 us". */
void view_fmt_duration(uint64_t ns, char buf[32]);
/* "SIGSEGV" for 11; "SIG73" for a number without a name. */
const char *view_signame(int sig, char buf[16]);
/* The line that tells how a process ended, "+++ killed by SIGSEGV +++" or "+++ exited with 3 +++",
 * or NULL if o's own leader exited normally (that needs no line). */
const char *view_end_line(struct view *o, const struct event *ev, char buf[64]);
/* "exited with 3" or "killed by SIGSEGV (core dumped)", for any process end. */
const char *view_end_text(const struct event *ev, char buf[64]);

/* Writes s as a JSON string, quotes included: '"', '\\' and bytes outside printable ASCII
 * escaped, so the output is ASCII and valid JSON whatever s holds. */
void view_json_str(FILE *fp, const char *s);
/* Writes s escaped for XML character data and quoted attribute values (&amp; &lt; &gt; &quot;
 * &apos;); bytes XML cannot hold (control characters, non-ASCII) are written as text \xNN. */
void view_xml_str(FILE *fp, const char *s);

/* The processes and threads of one stream, noted as their events pass, for views that name them
 * at the end (Chrome tracks, JSON). */
struct view_ids {
	struct addrmap *procs;    /* pid -> 1 */
	struct addrmap *threads;  /* tid -> pid */
	int32_t last_tid;
};
void view_ids_note(struct view_ids *ids, const struct event *ev);
/* Calls fn for every process noted (tid 0), then every thread, each in increasing order of id,
 * with its name or NULL (names.h). Frees what ids holds. */
void view_ids_each(struct view_ids *ids, void (*fn)(struct view *o, int32_t pid, int32_t tid, const char *name),
		  struct view *o);

#endif
