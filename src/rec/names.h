/* names: what processes and threads are called, for views that label them (Chrome tracks). */
#ifndef FNTRACE_NAMES_H
#define FNTRACE_NAMES_H

#include <stdint.h>

/* Records the name of a process (its executable's base name) or of a thread (its comm), as of
 * now; a later call replaces it. The name is copied, escaped like function names. */
void names_process(int32_t pid, const char *name);
void names_thread(int32_t tid, const char *name);
/* The recorded name, or NULL. Valid until the next call that sets it. */
const char *names_of_process(int32_t pid);
const char *names_of_thread(int32_t tid);
/* Records the command that was traced, as a shell would take it ("./abc 'a b'"); copied, escaped. */
void names_command(const char *cmd);
/* The recorded command, or NULL. */
const char *names_of_command(void);
/* Calls fn for every recorded process and thread name (kind 'p' or 't'), in no particular order. */
void names_each(void (*fn)(char kind, int32_t id, const char *name, void *arg), void *arg);
/* Calls fn with every name set from now on (escaped, as stored; kind 'c' for the command, with id
 * 0), right after it is set: the
 * trace-file writer keeps names in step with events this way. NULL stops it. */
void names_listen(void (*fn)(char kind, int32_t id, const char *name));

#endif
