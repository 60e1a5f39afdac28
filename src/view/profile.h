/* profile: per-function times of a whole trace, keyed by name, and the calls between functions;
 * what the analysis of trace files (--diff, --graph) compares and prints. */
#ifndef FNTRACE_PROFILE_H
#define FNTRACE_PROFILE_H

#include <stdint.h>
#include "../rec/event.h"
#include "../util/addrmap.h"

/* One function, all threads and processes added up. Total counts a recursive function's nested
 * calls once, as -c does; Self excludes the callees. */
struct pfunc {
	const char *name;         /* interned (funcs.h): the same name in two traces is one pointer */
	uint64_t calls, total, self;
	uint64_t sum, min, max;   /* of single calls' durations, for Avg, Min and Max as -c shows */
	struct addrmap callees;   /* callee's pfunc -> struct pedge */
};

/* The calls of one function from another: each call's duration added up (a recursive call's
 * time is counted in every call that holds it) and its self time. */
struct pedge {
	struct pfunc *caller, *callee;   /* caller is profile_root() for a thread's outermost calls */
	uint64_t calls, total, self;
};

struct profile;

struct profile *profile_new(void);
/* Adds one event (entries and exits count; the rest are ignored). */
void profile_event(struct profile *pf, const struct event *ev);
/* The stand-in caller of outermost calls, named "(outermost)". */
struct pfunc *profile_root(struct profile *pf);
/* The function called name (interned), or NULL if it was never called. */
struct pfunc *profile_find(const struct profile *pf, const char *name);
/* Every function that was called, in a malloc'd array the caller frees; *n is its length. */
struct pfunc **profile_funcs(const struct profile *pf, size_t *n);
/* The calls into f from each caller, or out of f to each callee, the largest total first (then by
 * name): a malloc'd array the caller frees, of edges owned by pf; *n is its length. */
struct pedge **profile_callers(struct profile *pf, const struct pfunc *f, size_t *n);
struct pedge **profile_callees(const struct pfunc *f, size_t *n);
void profile_free(struct profile *pf);

#endif
