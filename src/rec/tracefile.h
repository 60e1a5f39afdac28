/* tracefile: the trace file (-w, -r), a compact stream of events, functions and names.
 * The format is doc/tracefile.md; both sides stream, so memory does not grow with the trace. */
#ifndef FNTRACE_TRACEFILE_H
#define FNTRACE_TRACEFILE_H

#include <stddef.h>
#include "event.h"

#define TRACEFILE_VERSION 1

/* Writing: one file per run. */
/* Creates path and writes the header; from now on names set through names.h are written as
 * they are set. Dies with a message if path cannot be created. */
void tracefile_write_start(const char *path);
/* Writes ev, after the definitions of any functions registered since the last call. A write
 * error is reported once and ends the writing; tracing goes on. */
void tracefile_write_event(const struct event *ev);
/* Writes the end record and closes the file. Returns 0, or -1 after printing why the file is
 * incomplete. Does nothing if no file is being written. */
int tracefile_write_end(void);

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

#endif
