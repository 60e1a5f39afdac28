/* spec: the -A/-R specs uftrace takes (uftrace-record(1), ARGUMENTS), parsed into located values:
 *   FUNC[@ITEM[,ITEM]...]    ITEM: argN[/FMT[SIZE]][%REG|%stack+N]  fpargN[/SIZE][%REG|%stack+N]
 *                                  retval[/FMT[SIZE]]
 * FMT: d (the default: long), i, u, x, s (string), c, f (floating point), S (std::string), p
 * (function pointer); SIZE: 8, 16, 32, 64 (80 for a long double). FUNC is a glob (fnmatch(3)).
 * argN counts integer and pointer arguments and fpargN floating-point ones, each on its own, as
 * uftrace does: arg1 is rdi, arg7 the first stack slot, fparg1 xmm0. FUNC alone asks for the
 * prototype fntrace knows (DWARF, the shipped list). */
#ifndef FNTRACE_ARGS_SPEC_H
#define FNTRACE_ARGS_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "format.h"

struct args_spec {
	char *glob;
	bool automatic;         /* FUNC alone: the known prototype's arguments (or return) */
	struct arg_slot *slots; /* the argN and fpargN items, in the order given */
	size_t nslots;
	bool has_ret;           /* a retval item: ret says how to show it */
	struct arg_type ret;
};

/* Parses text, given to -A or -R (the same grammar: which option says what FUNC alone asks for).
 * Returns true and fills *sp (free it with args_spec_free()); false with a one-line message
 * naming the item and the cause in err. */
bool args_spec_parse(const char *text, struct args_spec *sp, char *err, size_t errlen);
void args_spec_free(struct args_spec *sp);
/* Whether the spec applies to the function called name. */
bool args_spec_matches(const struct args_spec *sp, const char *name);

#endif
