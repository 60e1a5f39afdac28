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
