/* fast/tramp: the code of one trampoline: record an entry or a return, then run the displaced
 * instructions and jump back.
 *
 * The record is written with rax, rdx and rcx only, saved in the thread's block and its TLS
 * spill word, so it needs no stack; it makes no call and no system call, and leaves every
 * register and flag as it found them (the entry trampolines' filters, which compare, keep the
 * flags with lahf and seto: a library function called from its own library is not reported; a
 * return address that no site covers traps once). */
#ifndef FNTRACE_FAST_TRAMP_H
#define FNTRACE_FAST_TRAMP_H

#include <stdbool.h>
#include "reloc.h"

#define FAST_TRAMP_MAX 512   /* bytes one trampoline takes at most (safe mode's are longer) */
#define FAST_SITES_BITS_MAX 24

enum fast_tramp_kind {
	FAST_TRAMP_ENTRY,
	FAST_TRAMP_SITE,
};

struct fast_tramp_cfg {
	enum fast_tramp_kind kind;
	uint32_t id;              /* written in the record */
	taddr_t at;               /* runtime address of the trampoline */
	/* FAST_TRAMP_ENTRY only: */
	taddr_t sites;            /* runtime address of the table of known return sites (taddr_t
				   * [1 << sites_bits], buckets of two), or 0: no check */
	unsigned sites_bits;
	/* FAST_TRAMP_ENTRY only: the arguments' registers in the record (FAST_REC_ENTRY_ARGS), and
	 * with fpargs xmm0-7 too (FAST_REC_ENTRY_FPARGS). */
	bool args, fpargs;
	/* FAST_TRAMP_ENTRY with args: the first stack_words words above the return address too
	 * (FAST_REC_ENTRY_STACK, FAST_REC_ENTRY_FPSTACK), at most FAST_STACK_WORDS. */
	unsigned stack_words;
	/* FAST_TRAMP_SITE only: a FAST_REC_SITE_VALS record (rdx, xmm0, xmm1 and errno besides
	 * rax), errno read at %fs:(the offset at errno_word, a runtime address the tracer
	 * writes). */
	bool vals;
	taddr_t errno_word;
	/* FAST_TRAMP_SITE with vals: st(0) too (FAST_REC_SITE_X87), for a callee that may return
	 * a long double, through fxsave, which changes nothing the program sees. */
	bool x87;
	taddr_t from_lo, from_hi; /* record only calls whose return address is in [lo, hi); 0, 0:
				   * every call */
	/* Safe mode (-p: the program must outlive a killed tracer): no trap and no fault on
	 * purpose, whose signal would kill the program once the tracer is gone. A thread with no
	 * block, a full block (block_size bytes, header included) and an unknown return address
	 * instead send their own thread signal slow_sig (one whose default action is to ignore
	 * it), which the tracer answers at its stop; without a tracer the signal is ignored and
	 * the trampoline goes on: no record (no block), records written over (full), or the
	 * record as if the site were known (miss). */
	bool safe;
	int slow_sig;
	uint32_t block_size;
};

/* Safe mode's slow paths. */
enum fast_slow {
	FAST_SLOW_NOBLOCK,   /* resumed at the start, or at reloc with rcx from the spill word */
	FAST_SLOW_FULL,      /* resumed at full_check with rcx the block (its cur reset) */
	FAST_SLOW_MISS,      /* resumed at miss_resume */
	FAST_NSLOW,
};

/* What a slow path pushed below rsp - 128 before its signal, from rsp up: the thread's signal
 * mask before, the set it unblocked, its dead code's address (which says which slow path it
 * is), then r11, r10, rsi, rdi, rdx, rax. */
#define FAST_SLOW_SAVED 9
#define FAST_SLOW_RED 128

/* Offsets, in a built trampoline, that the tracer acts on. */
struct fast_tramp_info {
	uint16_t len;
	uint16_t tls_store;   /* the first instruction: faults if the thread has no TLS yet */
	uint16_t block_store; /* faults (address 8) if the thread has no block */
	uint16_t miss_trap;   /* the int3 run when the return address is no known site (0: none) */
	uint16_t cursor;      /* the load of the block's cursor: from there until the cursor is
			       * written back, emptying the block would lose that write's
			       * meaning (the old cursor + 32 is written over the emptied one) */
	uint16_t rec_store;   /* the first store into the record: faults when the buffer is full;
			       * rcx then holds the record's address */
	uint16_t tsc;         /* the rdtsc: faults where the kernel forbids it (seccomp strict) */
	uint16_t reloc;       /* where the relocated instructions start */
	/* Safe mode: where a slow path's thread stops with slow_sig (0: no slow path), where each
	 * one goes on without a tracer (its dead code), where the full block's check is, and
	 * where the code goes on after a miss. */
	uint16_t slow_stop;
	uint16_t slow_dead[FAST_NSLOW];
	uint16_t full_check, miss_resume;
	uint8_t insn_off[FAST_WIN_INSNS];   /* each displaced instruction's copy, from reloc */
};

/* Builds into out (FAST_TRAMP_MAX bytes) the trampoline for window w, mapped at runtime address
 * from. Returns false if the relocated code cannot reach. */
bool fast_tramp_build(const struct fast_tramp_cfg *c, const struct fast_window *w, taddr_t from, uint8_t *out,
		      struct fast_tramp_info *info);

/* An offset a trampoline has no instruction at (fast_tramp_build_plain's have no record). */
#define FAST_TRAMP_NONE 0xffff

/* Builds into out the trampoline of an evicted neighbour (fast/evict.h): window w's instructions
 * relocated, then the jump back; no record, nothing saved, no flag changed. info's offsets of
 * the record's instructions are FAST_TRAMP_NONE (miss_trap and slow_stop 0: none), reloc is 0.
 * Returns false if the relocated code cannot reach. */
bool fast_tramp_build_plain(const struct fast_window *w, taddr_t from, taddr_t at, uint8_t *out,
			    struct fast_tramp_info *info);

/* The first slot of the bucket of two where a return address goes in the table of known sites
 * (it may take either). */
uint64_t fast_sites_slot(taddr_t ret, unsigned bits);

/* The 5 bytes that replace the window: jmp rel32 from from to the trampoline at to. Returns
 * false if it cannot reach. */
bool fast_tramp_jump(taddr_t from, taddr_t to, uint8_t out[FAST_JMP_LEN]);

#endif
