/* fast/window: where a 5-byte jump may replace a module's code, and how the instructions it
 * displaces run elsewhere.
 *
 * A window is the run of whole instructions starting at a patch address (a function's entry,
 * after any endbr64, or a return site) that a jmp rel32 overwrites. The instructions run
 * relocated in the trampoline, and the jump back lands after the window. That is only correct
 * if nothing ever jumps into the window other than at its first byte: no branch target, jump
 * table entry, landing pad or taken code address strictly inside it, and no call before its
 * last instruction (the return would land inside). The map collects every such address of the
 * module; where it cannot be sure it has them all (an indirect jump it cannot resolve, an LSDA
 * it cannot read), only windows of one instruction, which have no inside, are allowed.
 * Addresses here are link-time. */
#ifndef FNTRACE_FAST_WINDOW_H
#define FNTRACE_FAST_WINDOW_H

#include <stdbool.h>
#include "../util/util.h"
#include "../elf/symtab.h"
#include "image.h"

#define FAST_JMP_LEN 5
#define FAST_JMP8_LEN 2      /* a jmp rel8, to a jmp rel32 in a hole nearby */
#define FAST_WIN_MAX 24      /* bytes a window may cover: 4 instructions' worth at most */
#define FAST_WIN_INSNS 5

/* Why a window was refused (FAST_OK: it was not). */
enum fast_why {
	FAST_OK,
	FAST_NO_CODE,       /* not in the module's code */
	FAST_SHORT,         /* the function ends before 5 bytes, and no padding follows */
	FAST_UNDECODABLE,   /* bytes that are no instruction */
	FAST_TARGET,        /* a branch target, jump-table entry, landing pad or taken address inside */
	FAST_UNSURE,        /* several instructions, in code whose targets are not all known */
	FAST_PINNED,        /* an instruction that cannot run elsewhere (syscall, int, loop, ud2...) */
	FAST_CALL_INSIDE,   /* a call that is not the window's last instruction */
	FAST_STACK_CALL,    /* a call through memory addressed by rsp */
	FAST_FUNC_INSIDE,   /* another function starts inside */
	FAST_NWHY
};

/* How one displaced instruction is relocated. */
enum fast_op {
	FOP_COPY,     /* as it is; disp_off, if nonzero, is a rip-relative disp32 to rebase */
	FOP_JMP,      /* jmp rel8/rel32 to target */
	FOP_JCC,      /* jcc rel8/rel32 to target, condition cond */
	FOP_CALL,     /* call rel32 to target: push the original return address, then jmp */
	FOP_CALL_IND, /* call through a register or memory: push the return address, then the same
		       * operand as jmp (modrm at modrm_off) */
	FOP_PAD,      /* padding after the last instruction: not relocated */
};

struct fast_insn {
	uint8_t op;         /* enum fast_op */
	uint8_t off, len;   /* within the window */
	uint8_t disp_off;   /* rip-relative disp32 within the instruction, 0 if none */
	uint8_t modrm_off;  /* FOP_CALL_IND */
	uint8_t cond;       /* FOP_JCC: the low nibble of the opcode */
	bool stop;          /* ret or jmp: nothing after it runs (no jump back) */
	taddr_t target;     /* FOP_JMP, FOP_JCC, FOP_CALL */
};

struct fast_window {
	taddr_t addr;                 /* link-time */
	uint8_t len;                  /* bytes covered, >= FAST_JMP_LEN */
	uint8_t n;
	struct fast_insn insn[FAST_WIN_INSNS];
	uint8_t bytes[FAST_WIN_MAX];  /* the original bytes */
};

/* A call instruction, as decoding its function from the start found it. */
struct fast_call {
	taddr_t at;
	uint32_t func;          /* the function (index into starts) it was found in */
	uint8_t len;
};

/* Padding that no control reaches, where a jmp rel32 can go for a window too short for one:
 * the window gets a jmp rel8 to it. */
struct hole {
	taddr_t lo, hi;
	bool trailing;   /* up to the next function */
};

/* What a module's code says about where control can arrive. */
struct fast_map {
	const struct fast_image *im;
	taddr_t *targets;       /* sorted, unique */
	size_t ntargets;
	struct range *unsure;   /* sorted by lo; may overlap */
	size_t nunsure;
	taddr_t *starts;        /* function starts, sorted */
	size_t nstarts;
	struct range *ext;      /* per start: its extent as decoded */
	struct fast_call *calls;   /* every call of every function, in the order of starts */
	size_t ncalls;
	size_t npads, ntables;  /* landing pads, jump tables read */
	taddr_t *unresolved;    /* indirect jumps whose targets are not known, and those reading a
				 * table from a lea a branch may skip; in decoding order */
	size_t nunresolved;
	struct hole *holes;     /* sorted, disjoint */
	size_t nholes;
};

/* Builds the map of im from its code, data, relocations and exception tables. funcs are the
 * module's functions (symtab order), used as the places where decoding is in step. */
void fast_map_build(struct fast_map *m, const struct fast_image *im, const struct func *funcs, size_t nfuncs);
void fast_map_free(struct fast_map *m);
/* Whether any known target lies in (lo, hi). */
bool fast_map_target_in(const struct fast_map *m, taddr_t lo, taddr_t hi);
bool fast_map_unsure(const struct fast_map *m, taddr_t addr);

/* Checks the window at addr (a function entry, after endbr64, or a return site) and fills w.
 * Returns FAST_OK or why not; w is then partly filled. */
enum fast_why fast_window_check(const struct fast_map *m, taddr_t addr, struct fast_window *w);

/* The same for a window that a jmp rel8 replaces: FAST_JMP8_LEN bytes covered. One instruction
 * of 2 bytes or more is a window whatever the code around it. */
enum fast_why fast_window_short(const struct fast_map *m, taddr_t addr, struct fast_window *w);

/* The same for a window of need bytes (at most 10, so that whole instructions stay within FAST_WIN_MAX), under the same
 * rules: what an evicted neighbour covers (fast/evict.h). */
enum fast_why fast_window_cover(const struct fast_map *m, taddr_t addr, unsigned need, struct fast_window *w);

/* A 5-byte slot in a hole that the jmp rel8 at from reaches and usable() accepts (the caller
 * knows which slots and windows it has used), or 0. */
taddr_t fast_map_hole(const struct fast_map *m, taddr_t from, bool (*usable)(taddr_t slot, void *arg), void *arg);

/* The first instruction at addr alone, to run a copy of it elsewhere (a function whose entry
 * keeps its int3, reached by calls redirected to a trampoline): nothing is overwritten, so only
 * whether the instruction can move matters. */
enum fast_why fast_window_one(const struct fast_map *m, taddr_t addr, struct fast_window *w);

/* Calls fn for every call instruction of every function of m, decoded from the function's start:
 * its address, bytes and length, and the end of its function. */
void fast_map_each_call(const struct fast_map *m,
			void (*fn)(taddr_t call, const uint8_t *bytes, unsigned len, taddr_t end, void *arg), void *arg);

/* Where a function's entry window starts: after its endbr64 (which stays, for indirect calls
 * under IBT), else at its first byte. */
taddr_t fast_window_entry(const struct fast_map *m, taddr_t fn);

/* Short text of a reason, for --debug=fast. */
const char *fast_why_name(enum fast_why why);

#endif
