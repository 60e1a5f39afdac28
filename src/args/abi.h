/* abi: where the System V x86-64 ABI puts each argument at a function's first instruction, and its
 * return value at the return site: integer registers rdi, rsi, rdx, rcx, r8, r9, then stack slots
 * from rsp+8; xmm0-7 for float and double; small aggregates by their eightbytes' classes; long
 * double and big aggregates on the stack; a return in rax/rdx, xmm0/xmm1 or st0, or in memory
 * through the hidden pointer the caller passed in rdi (rax holds it again at the return).
 * The values are read from a register set and a memory-read callback: no ptrace here. */
#ifndef FNTRACE_ARGS_ABI_H
#define FNTRACE_ARGS_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "../util/util.h"

struct user_regs_struct;
struct user_fpregs_struct;

/* Reads up to len bytes of the program at addr into buf; returns how many it read, from 0 (addr
 * unreadable) to len. A short read means what follows is unreadable. Never blocks for long. */
typedef size_t (*args_read_fn)(void *rctx, taddr_t addr, void *buf, size_t len);

/* Registers, by the ABI's names. */
enum abi_reg {
	ABI_RDI, ABI_RSI, ABI_RDX, ABI_RCX, ABI_R8, ABI_R9,     /* the argument order */
	ABI_RAX,
	ABI_XMM0, ABI_XMM7 = ABI_XMM0 + 7,
	ABI_ST0,
	ABI_NOREG,
};

enum arg_where {
	WHERE_NONE,     /* void, or nothing the ABI can name */
	WHERE_REGS,     /* each eightbyte in reg[i] (reg[1] ABI_NOREG for one eightbyte) */
	WHERE_STACK,    /* in memory at rsp + stack, rsp as at the function's first instruction */
	WHERE_REF,      /* reg[0] holds the value's address: a C++ object passed by hidden reference,
			 * or a struct returned in memory (rax at the return) */
};

struct arg_loc {
	enum arg_where where;
	enum abi_reg reg[2];
	uint64_t stack;
};

/* Where the next argument goes: integer and SSE registers used so far, the next stack slot. */
struct abi_cursor {
	unsigned gpr, xmm;
	uint64_t stack;
};

/* A value as the ABI left it. bytes holds the value (size bytes) for registers and for stack
 * slots; addr is where it is in memory, if it is (stack, by reference), else 0. */
struct arg_value {
	bool ok;                /* false: the stack or the referenced memory could not be read */
	uint8_t bytes[16];
	taddr_t addr;
};

/* The registers at a stop, as ptrace(2) gives them. fpregs may be NULL when no value needs them
 * (then a float reads as not ok). */
struct abi_regs {
	const struct user_regs_struct *gp;
	const struct user_fpregs_struct *fp;
};

/* Starts the arguments of a function returning ret: a return in memory takes rdi first. */
void abi_begin(struct abi_cursor *c, const struct arg_type *ret);
/* The location of the next argument, of type ty, and the cursor moved past it. A variadic
 * argument is located the same way (as its promoted type: int, long, pointer, double). */
struct arg_loc abi_next(struct abi_cursor *c, const struct arg_type *ty);
/* The location of the return value of type ret at the return site. */
struct arg_loc abi_return(const struct arg_type *ret);

/* The class of an aggregate made of eightbytes cls (CLASS_NONE past its end), once the ABI's
 * merge rules (3.2.3, step 5) have run: a MEMORY or X87 part, or a size above 16, makes it all
 * MEMORY. Used by the DWARF reader. */
void abi_classify_finish(enum arg_class cls[2], unsigned size);

/* Fetches the value of type ty at loc: from the registers, or reading the stack (size bytes at
 * most, never more than 16 into bytes). */
struct arg_value abi_fetch(const struct arg_loc *loc, const struct arg_type *ty,
			   const struct abi_regs *regs, args_read_fn read, void *rctx);

/* The name of a register as -A specs spell it ("rdi", "xmm0"), and back (ABI_NOREG if unknown). */
const char *abi_reg_name(enum abi_reg r);
enum abi_reg abi_reg_by_name(const char *name);

#endif
