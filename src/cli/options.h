/* options: the only reader of argv. */
#ifndef FNTRACE_OPTIONS_H
#define FNTRACE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include "../rec/hold.h"
#include "../view/view.h"

struct args_spec;

struct options {
	const char *output;       /* -o FILE, or NULL for stderr */
	enum view_format format;
	char **include, **exclude;/* NULL-terminated, NULL if none given */
	char **filter, **notrace; /* -F, -N globs: subtrees shown, subtrees hidden; NULL if none */
	char **callers;           /* -C globs: only the paths to their calls; NULL if none */
	bool triggers;            /* -T given (the triggers themselves are in trigger.h) */
	int *tids, ntids;         /* --tid: only these threads' events */
	int *pid_filter, npid_filter;   /* --pid-filter: only these processes' events */
	uint64_t time_min;        /* --time-filter: ns, 0 = none */
	struct time_range range;  /* --time-range, if has_range */
	bool has_range;
	const char *fields;       /* --output-fields LIST, or NULL */
	int tstamps;              /* -t given 1, 2 or 3 times (-tt, -ttt) */
	int color;                /* --color: 0 auto (the default), 1 always, -1 never */
	bool no_pager;            /* --no-pager */
	bool srcline;             /* --srcline: each function's file:line */
	unsigned depth;           /* -D N, 0 = unlimited */
	bool once;
	char **libs;              /* -l globs, NULL-terminated, or NULL */
	bool no_libcalls;
	bool no_demangle;
	char *debuginfo_path;     /* --debuginfo-path: where debug files are looked for, or NULL */
	bool fast, no_fast;       /* --fast: in-process recording where it applies; --no-fast: never */
	bool no_cache;            /* --no-cache: no maps or functions read from or written to disk */
	bool follow;              /* -f: trace child processes too */
	bool separately;          /* --output-separately: FILE.PID per process */
	bool per_thread;          /* -c split by thread */
	bool per_process;         /* -c split by process */
	int sort;                 /* -s KEY: enum view_sort */
	bool weight_calls;        /* --weight=calls */
	bool weight_given;
	const char *write;        /* -w FILE: also write a trace file */
	const char *read;         /* -r FILE: replay a trace file instead of tracing */
	const char *diff;         /* --diff FILE: with -r and -c, compare the two files */
	const char *graph;        /* --graph FUNC: with -r, FUNC's callers and callees */
	bool info;                /* --info: with -r, what the file holds */
	bool tui;                 /* --tui: with -r, the interactive view */
	bool quiet;               /* -q: no formatter */
	bool auto_args;           /* -a: the arguments and return value of every known prototype */
	struct args_spec *arg_specs;  /* -A SPEC..., parsed (src/args/spec.h) */
	size_t narg_specs;
	struct args_spec *ret_specs;  /* -R SPEC... */
	size_t nret_specs;
	unsigned strsize;         /* --strsize N: bytes of a string shown (32 by default) */
	int *pids;                /* -p PID...: attach instead of starting PROGRAM */
	int npids;
	char **argv;              /* PROGRAM [ARGS...] */
	char *path;               /* PROGRAM resolved through PATH, checked to be an x86-64 ELF; NULL with -p */
};

/* Parses argv into *o. Exits with a one-line message and status 1 on any error a user can make;
 * exits 0 after --help or --version. */
void options_parse(int argc, char **argv, struct options *o);

/* The columns of the graph and --flat that --output-fields and -t ask for, into cfg. Exits with
 * a message if a field is unknown. */
void options_columns(const struct options *o, struct view_config *cfg);

#endif
