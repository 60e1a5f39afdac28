/* tracefile: the trace file (-w, -r), a compact stream of events, functions and names.
 * The format is doc/tracefile.md; both sides stream, so memory does not grow with the trace. */
#ifndef FNTRACE_TRACEFILE_H
#define FNTRACE_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"

#define TRACEFILE_VERSION 2   /* 2: values records (arguments and return values) */

/* Writing: one file per run. */
/* Creates path and writes the header; from now on names set through names.h are written as
 * they are set. Dies with a message if path cannot be created. values: events will carry
 * arguments or return values: the file is of version 2; without, of version 1, which older
 * readers read too. */
void tracefile_write_start(const char *path, bool values);
/* Writes ev, after the definitions of any functions registered since the last call. A write
 * error is reported once and ends the writing; tracing goes on. */
void tracefile_write_event(const struct event *ev);
/* tracefile_write_event for each of n events, in order (the same bytes). */
void tracefile_write_events(const struct event *ev, size_t n);
/* Writes the end record and closes the file. Returns 0, or -1 after printing why the file is
 * incomplete. Does nothing if no file is being written. */
int tracefile_write_end(void);
/* Records the program traced: its path and build-id (hex, or "" if it has none). Call it right
 * after tracefile_write_start(). */
void tracefile_write_program(const char *path, const char *build_id);

/* Reading. */
struct tracefile;
/* Opens path and checks its header. Returns NULL with a one-line reason, "FILE: ...", in err. */
struct tracefile *tracefile_open(const char *path, char *err, size_t errlen);
/* Reads the whole file: registers its functions (funcs.h) and names (names.h) where they come,
 * and sends its events to sink_event(). With include/exclude (NULL-terminated globs, or NULL),
 * only the calls of functions that match an include glob (or any, without one) and no exclude
 * glob are sent, and depths are counted in what is sent. Calls still open at the end, or where the
 * file is cut, are then closed at the latest time the file holds. Returns 0 after the end record;
 * -1 if the file is truncated or corrupt, with the reason in err, after sending every event
 * before. */
int tracefile_replay(struct tracefile *tf, char **include, char **exclude, char *err, size_t errlen);
void tracefile_close(struct tracefile *tf);

/* What a file says about itself (--info): known after tracefile_replay(). Files written before a
 * record was added lack it (NULL, false). */
struct tracefile_meta {
	unsigned version;         /* of the format, from the header */
	char *writer;             /* the fntrace version that wrote the file */
	char *program, *build_id; /* the program traced; its build-id in hex, "" if it has none */
	bool has_date;
	uint64_t realtime_ns, monotonic_ns;  /* the same moment on the wall clock and the event clock */
	uint64_t nevents;         /* event records read */
	uint64_t first_ts, last_ts;  /* the earliest and latest event times */
};
/* Owned by tf; valid until tracefile_close(). */
const struct tracefile_meta *tracefile_meta(const struct tracefile *tf);

#endif
