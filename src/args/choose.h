/* choose: which values fntrace shows for each traced function, and from where: the first -A or
 * -R spec that names it, else (under -a, or a spec of the function's name alone) its DWARF, else
 * the shipped list by name (first, for a library's function), else nothing. Decided once per function, at its first call, so that
 * tracing without values costs one test of args_enabled(). */
#ifndef FNTRACE_ARGS_CHOOSE_H
#define FNTRACE_ARGS_CHOOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "spec.h"

struct args_config {
	bool automatic;                  /* -a */
	struct args_spec *argspecs;      /* -A, in the order given; the caller keeps them */
	size_t nargspecs;
	struct args_spec *retspecs;      /* -R */
	size_t nretspecs;
	unsigned strsize;
};

/* What is shown of one function's calls. */
struct args_choice {
	const struct proto *pr;          /* the prototype, or NULL (then only spec slots) */
	const struct arg_slot *slots;    /* a -A spec's values, shown instead of pr's parameters */
	size_t nslots;
	bool args;                       /* arguments are shown: pr's parameters, or the slots */
	bool ret;                        /* the return value is shown, of type *ret_type */
	const struct arg_type *ret_type;
	bool ret_errno;                  /* -1 is an error (the list's [errno]) */
	bool fp;                         /* a value needs the floating-point registers */
	bool names;                      /* "len=31": DWARF's prototypes; the list's show values
					  * only, as strace does */
};

/* Keeps cfg (not copied: it must outlive the trace). */
void args_configure(const struct args_config *cfg);
/* Whether any option asked for values. */
bool args_enabled(void);
unsigned args_strsize(void);

/* Where a function is, for choosing its prototype. */
struct args_site {
	const char *name;       /* as shown: "open", "f@libfoo.so.1", "S::get() const" */
	const char *sym;        /* its symbol (mangled), or NULL */
	const char *path;       /* the ELF file holding it, or NULL */
	const char *realname;   /* that file's name as the program knows it (for .gnu_debuglink) */
	uint64_t addr;          /* its link-time address in that file */
	bool dwarf_ok;          /* false at an IFUNC's symbol: its DWARF is the resolver's */
	bool in_library;        /* in a shared library: the shipped list, where it has the name,
				 * knows more than DWARF (flags by name, printf's values, errno) */
};

/* The choice for function id fn, made at its first call from site (used only then; NULL asks
 * for a choice already made). NULL when nothing is shown for it. Owned by this module; valid
 * until args_reset(). */
const struct args_choice *args_choose(uint32_t fn, const struct args_site *site);
/* Whether rax alone holds every return value asked for, as the fast path's plain site records
 * keep it: false when a return value of a type known only at tracing time is asked for (-a,
 * -R FUNC: it may be a double, or -1 with errno) or one outside rax (a -R retval/f); then the
 * site records keep rdx, xmm0, xmm1 and errno too. */
bool args_rax_enough(void);
/* Whether values would be shown for the function at site: asked at planting, before the
 * function has an id (the fast path leaves such a function's entry to its int3). */
bool args_wanted(const struct args_site *site);
/* What a function's entry must give for its values to be shown (the fast path plants its
 * entry accordingly): nothing (none are shown); a frame that takes the return value; the
 * integer argument registers (every argument shown sits in rdi..r9, or in the first
 * ARGS_STACK_WORDS stack words above the return address, and needs no other memory read: no
 * string, no printf format), with *stack_words of those words (0: none); those and xmm0-7; a
 * stop, where the memory is read (a string returned, too: the stop makes the return site
 * stop). */
#define ARGS_STACK_WORDS 7
enum args_entry_need {
	ARGS_ENTRY_NONE,
	ARGS_ENTRY_RET,
	ARGS_ENTRY_REGS,
	ARGS_ENTRY_FPREGS,
	ARGS_ENTRY_STOP,
};
enum args_entry_need args_entry_need(const struct args_site *site, unsigned *stack_words);
/* Whether the function at site returns a long double (in st0) that is shown. */
bool args_returns_x87(const struct args_site *site);
/* Whether function id fn's choice is made (args_choose(fn, NULL) then gives it). */
bool args_decided(uint32_t fn);
/* Names each spec whose glob matched no function, with warn_msg. */
void args_warn_unused(void);
/* Frees every choice, prototype and DWARF handle. */
void args_reset(void);

#endif
