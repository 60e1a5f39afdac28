/* analysis: what is read from trace files rather than shown call by call: the difference
 * between two traces (--diff), one function's callers and callees (--graph), what a file holds
 * (--info). */
#ifndef FNTRACE_ANALYSIS_H
#define FNTRACE_ANALYSIS_H

#include <stdbool.h>
#include "view.h"

struct analysis {
	const char *read;         /* -r FILE */
	const char *diff;         /* --diff FILE: compared with read */
	const char *graph;        /* --graph FUNC: a glob */
	bool info;
	char **include, **exclude;/* -i, -x: NULL-terminated, or NULL */
	unsigned depth;           /* -D N, or 0 */
	enum view_sort sort;
	const char *output;       /* -o FILE, or NULL for stdout */
};

/* Runs the analysis a asks for. Returns the exit status; exits with a one-line message if a file
 * cannot be read or FUNC matches no function. */
int analysis_run(const struct analysis *a);

/* The parts, each printing to fp. */
void analysis_diff(FILE *fp, const struct analysis *a);
void analysis_graph(FILE *fp, const struct analysis *a);
void analysis_info(FILE *fp, const struct analysis *a);

/* Reads path through the sink into fn (with a's filters): dies with the reason if path is no
 * trace file; tf is kept open for its meta data when keep is not NULL (*keep, closed by the
 * caller); a truncated or corrupt file's problem is printed as a warning after its events. */
struct tracefile;
void analysis_replay(const struct analysis *a, const char *path, void (*fn)(const struct event *ev),
		     struct tracefile **keep);

#endif
