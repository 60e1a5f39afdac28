/* scan: what machine code says about where functions are, for binaries without symbols. */
#ifndef FNTRACE_SCAN_H
#define FNTRACE_SCAN_H

#include <stdbool.h>
#include "../../util/util.h"

enum code_ref {
	REF_CALL,       /* call rel32 */
	REF_JCC,        /* conditional jump */
	REF_ADDR,       /* an address taken: lea x(%rip) (a function pointer?) */
	REF_IMM,        /* mov $imm32 or $imm64: an address taken only in position-dependent code,
			 * where it is written at link time; elsewhere a constant */
	REF_JMP,        /* unconditional direct jump */
	REF_BOUNDARY,   /* a 16-byte aligned address that nothing falls through to (the code before
			 * it ends in ret, jmp, ud2... then only padding): where functions start */
	REF_INSIDE,     /* a 16-byte aligned address strictly inside a decoded instruction: no
			 * function starts there, whatever constant or pointer names it */
};

/* Decodes code (len bytes at address vaddr) linearly and calls fn with every code reference
 * it finds. Undecodable bytes are skipped one at a time. */
void scan_calls(const uint8_t *code, size_t len, taddr_t vaddr,
		void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg);

/* The same, for a caller that has decoded some runs of the code itself: wherever decoding is
 * about to decode the instruction at an address a, it goes on at skip(a, arg) instead if that is
 * later (the run from a, decoded as scan_calls would have: the references there are the caller's
 * to find). Boundaries and insides, which depend on what came before, are not reported. */
void scan_calls_skipping(const uint8_t *code, size_t len, taddr_t vaddr, taddr_t (*skip)(taddr_t at, void *arg),
			 void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg);

/* The same, decoded in parts on every CPU: the code is cut at splits (sorted addresses where an
 * instruction is known to start, such as function symbols). fn is called from the calling
 * thread, in order, with what scan_calls would report, except that decoding is in step at every
 * cut where scan_calls may still be out of step after data or odd padding. */
void scan_calls_split(const uint8_t *code, size_t len, taddr_t vaddr, const taddr_t *splits, size_t nsplits,
		      void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg);

/* If the code at vaddr is a thunk (endbr64 or nops, then an unconditional direct jmp: a function
 * that only tail-calls another), puts the jump's target in *target and returns true. */
bool scan_thunk_target(const uint8_t *code, size_t len, taddr_t vaddr, taddr_t *target);

/* The address of the first instruction at or after vaddr that is no nop (padding). */
taddr_t scan_skip_padding(const uint8_t *code, size_t len, taddr_t vaddr);

enum main_ref {
	MAIN_NONE,
	MAIN_ADDR,      /* *val is main's address (mov $main or lea main(%rip)) */
	MAIN_POINTER,   /* *val is the address of a pointer to main (mov main@GOTPCREL(%rip)) */
	MAIN_FOLLOW,    /* not here: look in the function at *val, which this calls first (musl's
			 * _start calls _start_c, which passes main on) */
};

/* Finds main in an entry point (_start) that passes it to __libc_start_main in %rdi: decodes
 * up to the first call or jump and reports the last value put in %rdi. */
enum main_ref scan_main_arg(const uint8_t *code, size_t len, taddr_t vaddr, taddr_t *val);

#endif
