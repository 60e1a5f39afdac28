/* fast/record: what the injected trampolines write, and where: the shared layout of the
 * tracer's reader and the generated code. Version it with FAST_REC_VERSION. */
#ifndef FNTRACE_FAST_RECORD_H
#define FNTRACE_FAST_RECORD_H

#include <stdint.h>

#define FAST_REC_VERSION 2

/* The thread's block is found at %fs:FAST_TLS_SLOT: glibc's tcbhead_t.unused_vgetcpu_cache,
 * two words no code of glibc reads or writes. The second holds rcx while a trampoline runs. */
#define FAST_TLS_SLOT  0x38
#define FAST_TLS_SPILL 0x40

/* One record, 32 bytes, written by a trampoline at the block's cur. */
struct fast_rec {
	uint32_t tsc_lo, tsc_hi;   /* rdtsc at the entry or the return */
	uint64_t sp;               /* rsp: at entry it points at the return address */
	uint64_t ret;              /* FAST_REC_ENTRY: the return address; FAST_REC_SITE: rax, the
				    * value returned (-a, -A, -R show it) */
	uint32_t id;               /* FAST_REC_ENTRY: the entry's id; FAST_REC_SITE: the site's */
	uint32_t kind;             /* enum fast_rec_kind */
};

enum fast_rec_kind {
	FAST_REC_ENTRY = 1,
	FAST_REC_SITE = 2,
	FAST_REC_SITE_VALS = 3,   /* a site's record followed by a struct fast_rec_vals */
	FAST_REC_VALS = 4,        /* (the kind word of a struct fast_rec_vals) */
	FAST_REC_ENTRY_ARGS = 5,  /* an entry's record followed by a struct fast_rec_args */
	FAST_REC_ENTRY_FPARGS = 6,/* an entry's record, a struct fast_rec_fpargs, a fast_rec_args */
	FAST_REC_ARGS = 7,        /* (the kind word of a struct fast_rec_args) */
	FAST_REC_SITE_X87 = 8,    /* a site's record, a struct fast_rec_vals, a fast_rec_x87 */
	FAST_REC_X87 = 9,         /* (the kind word of a struct fast_rec_x87) */
	FAST_REC_ENTRY_STACK = 10,   /* FAST_REC_ENTRY_ARGS followed by a struct fast_rec_stack */
	FAST_REC_ENTRY_FPSTACK = 11, /* FAST_REC_ENTRY_FPARGS followed by a struct fast_rec_stack */
	FAST_REC_STACK = 12,      /* (the kind word of a struct fast_rec_stack) */
};

/* The second half of a FAST_REC_SITE_VALS record: what a return value may take besides rax
 * (System V: rdx for a second integer eightbyte, xmm0 and xmm1 for floating-point ones) and
 * errno. Written only when some value asked for may need them (-a, -R FUNC, a -R retval/f), so
 * that plain tracing keeps 32-byte site records. The kind word is stored first: a record that
 * would cross into the block's guard page faults at that store, as a plain one does at its
 * first. */
struct fast_rec_vals {
	uint64_t rdx;
	uint64_t xmm0, xmm1;       /* their low eightbytes */
	uint32_t err;              /* the 32 bits at %fs:(errno word): errno once the tracer has
				    * found errno's TLS offset, before that %fs:FAST_TLS_SLOT's low
				    * half (the block's address: see FAST_ERRNO_UNKNOWN) */
	uint32_t kind;             /* FAST_REC_VALS */
};

/* The third part of a FAST_REC_SITE_X87 record: st(0), where a long double is returned, as
 * fxsave leaves it (the trampoline saves the x87 state at the record's second unit, 512 bytes
 * that the record's parts then overwrite, so that ST0's 10 bytes land here: nothing the program
 * sees changes, no pop, no tag, no status word). Only sites whose callee may return a long
 * double take it. */
struct fast_rec_x87 {
	uint8_t st0[10];
	uint8_t pad[18];           /* (fxsave's reserved bytes and st1's first: not read) */
	uint32_t kind;             /* FAST_REC_X87 */
};

/* Where fxsave writes, from the record's start (16-byte aligned): at the values unit, so that
 * st0, which fxsave keeps at +32, lands in the struct fast_rec_x87 after it. */
#define FAST_REC_FXSAVE_AT 32
#define FAST_FXSAVE_SIZE 512

/* An entry's arguments in registers (-a, -A on a function whose values need no memory read at
 * its entry: no string, no printf format, nothing on the stack), after its record: the six
 * integer argument registers as the function found them. Its kind word is stored first (see
 * struct fast_rec_vals). */
struct fast_rec_args {
	uint64_t rdi, rsi, rdx, rcx, r8, r9;
	uint64_t pad;
	uint32_t pad2;
	uint32_t kind;             /* FAST_REC_ARGS: the record's last word */
};

/* The floating-point argument registers' low eightbytes, between an entry's record and its
 * fast_rec_args when the function takes floating-point arguments. */
struct fast_rec_fpargs {
	uint64_t xmm[8];
};

/* The first stack words above an entry's return address (rsp + 8 on), after its
 * fast_rec_args: the arguments the ABI passes on the stack (a seventh integer, a ninth double,
 * a struct in memory), copied from the program's own stack at the entry. */
#define FAST_STACK_WORDS 7
struct fast_rec_stack {
	uint64_t w[FAST_STACK_WORDS];
	uint32_t n;                /* how many of w are copied */
	uint32_t kind;             /* FAST_REC_STACK: the record's last word */
};

/* What the errno word holds until the tracer writes errno's offset there: a TLS offset always
 * readable, whose value no errno can be (the low half of the block's address). */
#define FAST_ERRNO_UNKNOWN FAST_TLS_SLOT

/* A thread's block: the header, then records up to a PROT_NONE guard page. A record that would
 * cross into the guard page faults at its first store; the tracer then drains the records,
 * puts cur back at the first one and lets the store run again (see fast_tramp). */
struct fast_block {
	uint64_t cur;       /* where the next record goes (a tracee address) */
	uint64_t spill[3];  /* rax, rdx while a trampoline runs */
};

#define FAST_BLOCK_HDR 32   /* the first record's offset: records stay 32-byte aligned */

#endif
