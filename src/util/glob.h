/* glob: the user's globs (-i, -x, -l) matched against names, remembering which ever matched. */
#ifndef FNTRACE_GLOB_H
#define FNTRACE_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Whether name matches some glob of globs (NULL-terminated, or NULL), by fnmatch(3). Every glob
 * that matches is noted as used, even after one has: glob_unused() tells the others. */
bool glob_any(char **globs, const char *name);
/* glob_any for a function's name as events show it, or without its "@library" (the tracer
 * matches the bare name of a library function too). */
bool glob_any_func(char **globs, const char *name);
/* The first glob of globs from *i on that never matched a name, or NULL; *i moves past it. */
const char *glob_unused(char **globs, size_t *i);

#endif
