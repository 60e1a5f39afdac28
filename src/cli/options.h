/* options: the only reader of argv. */
#ifndef FNTRACE_OPTIONS_H
#define FNTRACE_OPTIONS_H

#include <stdbool.h>
#include "../view/view.h"

struct options {
	const char *output;       /* -o FILE, or NULL for stderr */
	enum view_format format;
	char **include, **exclude;/* NULL-terminated, NULL if none given */
	unsigned depth;           /* -D N, 0 = unlimited */
	bool once;
	char **libs;              /* -l globs, NULL-terminated, or NULL */
	bool no_libcalls;
	bool no_demangle;
	char *debuginfo_path;     /* --debuginfo-path: where debug files are looked for, or NULL */
	bool fast, no_fast;       /* --fast: in-process recording where it applies; --no-fast: never */
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
	int *pids;                /* -p PID...: attach instead of starting PROGRAM */
	int npids;
	char **argv;              /* PROGRAM [ARGS...] */
	char *path;               /* PROGRAM resolved through PATH, checked to be an x86-64 ELF; NULL with -p */
};

/* Parses argv into *o. Exits with a one-line message and status 1 on any error a user can make;
 * exits 0 after --help or --version. */
void options_parse(int argc, char **argv, struct options *o);

#endif
