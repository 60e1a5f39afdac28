/* protolist: prototypes written as C declarations, one a line; the list fntrace ships for the C
 * library and common libraries (src/args/protos.list, built into fntrace) is one of them.
 *   int openat(int{dirfd} dirfd, const char *path, int{open} flags, ...) [errno];
 * A {set} after a type prints it with that set's symbolic names (flags.h; {ptr} shows a char *
 * as an address, for buffers the call fills, and {printf} marks a printf-family format);
 * [errno] says -1 is an error whose errno is shown. "#" starts a comment. */
#ifndef FNTRACE_ARGS_PROTOLIST_H
#define FNTRACE_ARGS_PROTOLIST_H

#include <stddef.h>

#include "proto.h"

struct protolist;

/* Parses text (what names it in messages). Returns the list, or NULL with "what:LINE: cause"
 * in err. Free with protolist_free(). */
struct protolist *protolist_parse(const char *text, const char *what, char *err, size_t errlen);
/* The shipped list, parsed on first use and kept. Owned by this module. */
const struct protolist *protolist_builtin(void);
/* The prototype of the function called name, or NULL. Owned by the list. */
const struct proto *protolist_find(const struct protolist *pl, const char *name);
size_t protolist_count(const struct protolist *pl);
void protolist_free(struct protolist *pl);

#endif
