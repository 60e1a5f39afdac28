/* format: argument and return values as text, the way strace and uftrace print them: integers in
 * decimal (or hex when asked), pointers as 0x..., NULL, flags by name, strings read from the
 * program at most strsize bytes and escaped like strace's ("a\tb\33[0m\n"...), an unreadable
 * pointer as its address, printf's values for a literal format. Every read is bounded. */
#ifndef FNTRACE_ARGS_FORMAT_H
#define FNTRACE_ARGS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "abi.h"
#include "proto.h"

struct text;

/* strace's default -s. */
#define ARGS_STRSIZE_DEFAULT 32
/* The most of a printf format read to find its conversions, and the most values shown. */
#define ARGS_FMT_MAX 1024
#define ARGS_VALUES_MAX 32

/* What a value is read from and how it is shown. */
struct args_input {
	struct abi_regs regs;
	args_read_fn read;
	void *rctx;
	unsigned strsize;       /* bytes of a string shown, at most; the rest is "..." */
	bool names;             /* "len=31" where the prototype names the parameter */
	/* The name of the function at addr, or NULL (then a function pointer shows as its
	 * address). May be NULL. The string is the caller's. */
	const char *(*symbolize)(void *sctx, taddr_t addr);
	void *sctx;
};

/* A value located by a -A/-R spec (spec.h) rather than by a prototype. */
struct arg_slot {
	struct arg_type type;
	struct arg_loc loc;
};

/* Appends the arguments of a call to pr, read at its entry: "3, 0x7ffd1000, 4096" (no
 * parentheses). A printf-family format is followed by the values it names. */
void args_format_entry(const struct proto *pr, const struct args_input *in, struct text *t);
/* Appends the values of n slots, as args_format_entry does. */
void args_format_slots(const struct arg_slot *slots, size_t n, const struct args_input *in,
		       struct text *t);
/* Appends the value of a return of type ret, read at the return site: "3", "-1 ENOENT (No such
 * file or directory)" when err_on_minus1 and errnum > 0, nothing for void. */
void args_format_return(const struct arg_type *ret, bool err_on_minus1, int errnum,
			const struct args_input *in, struct text *t);

/* Appends one value of type ty, as fetched (abi_fetch). */
void args_format_value(const struct arg_type *ty, const struct arg_value *v,
		       const struct args_input *in, struct text *t);
/* Appends the string at addr, read at most in->strsize bytes: "text"..., NULL, or the address
 * when nothing there is readable. */
void args_format_string(taddr_t addr, const struct args_input *in, struct text *t);
/* Appends the n bytes of s quoted and escaped as strace does, with "..." after when cut. */
void args_quote(const char *s, size_t n, bool cut, struct text *t);

#endif
