/* trigger: uftrace's triggers (-T FUNC@trace_on, @trace_off, @depth=N): what FUNC's call turns
 * on or off in the events shown. */
#ifndef FNTRACE_TRIGGER_H
#define FNTRACE_TRIGGER_H

#include <stdbool.h>

#include "event.h"

/* What a call of a function does (a bit set; TRIGGER_DEPTH comes with a depth). */
enum {
	TRIGGER_ON = 1,     /* showing starts at its entry, the call included (in every thread) */
	TRIGGER_OFF = 2,    /* showing stops at its entry, the call excluded */
	TRIGGER_DEPTH = 4,  /* inside it, calls are shown at most depth deep, it at 1 */
};

/* Adds a trigger: calls of the functions matching glob do actions. glob is kept, not copied. */
void trigger_add(const char *glob, unsigned actions, unsigned depth);
bool trigger_active(void);
/* The globs given, NULL-terminated (NULL if none), for the warning about those unused. */
char **trigger_globs(void);
/* Hands ev to emit if the triggers show it, with its depth counted among the calls shown. */
void trigger_event(const struct event *ev, void (*emit)(const struct event *ev));

#endif
