/* insn: decode the instruction a breakpoint displaces, and get past it without single-stepping:
 * either emulate it on the saved registers, or run a relocated copy of it out of line. */
#ifndef FNTRACE_INSN_H
#define FNTRACE_INSN_H

#include <stdbool.h>
#include <sys/user.h>
#include "../../util/util.h"

enum insn_kind {
	INSN_BAD,       /* cannot be stepped over safely: leave no breakpoint here */
	INSN_SKIP,      /* nop, endbr64: only rip moves */
	INSN_PUSH,      /* push %reg */
	INSN_MOVREG,    /* mov %reg, %reg (32 or 64 bits) */
	INSN_MOVIMM,    /* mov $imm, %reg */
	INSN_ADDSUB_SP, /* add/sub $imm, %rsp, flags included */
	INSN_XOR_SELF,  /* xor %r32, %r32 (same register): zero it, flags included */
	INSN_JMP,       /* direct jmp */
	INSN_JCC,       /* direct conditional jump */
	INSN_CALL,      /* call: direct, register or memory target */
	INSN_RET,       /* ret, ret $imm16 */
	INSN_OOL,       /* anything else: execute a relocated copy in a scratch slot */
	INSN_NKINDS
};

#define INSN_MAX 15
#define INSN_SLOT_SIZE 32   /* bytes of scratch one out-of-line instruction takes */

struct insn {
	uint8_t kind;
	uint8_t len;
	uint8_t width;       /* operand width in bits for MOVREG/MOVIMM */
	uint8_t cond;        /* JCC: condition code 0..15 as in the opcode (0 = O, 4 = E...) */
	int16_t dst, src;    /* register offsets in struct user_regs_struct (bytes), -1 if none */
	bool sub;            /* ADDSUB_SP: subtract */
	bool indirect;       /* CALL/JMP: target read from memory at an effective address */
	int16_t base, index; /* memory operand registers (-1 none; -2 rip) */
	uint8_t scale;
	int64_t disp;
	uint64_t imm;        /* MOVIMM value, ADDSUB immediate, RET pop size */
	taddr_t target;      /* direct branches: absolute target */
	uint8_t disp_off;    /* OOL: offset of a rip-relative disp32 to fix up, 0 if none */
	uint8_t bytes[INSN_MAX];
};

/* Decodes the instruction at runtime address addr from buf (avail bytes, the program's real bytes)
 * and classifies it. Returns the kind (also stored in in->kind); INSN_BAD when the bytes are not
 * a complete instruction or it cannot be stepped over. */
/* The one x86-64 decoder every decoding in fntrace uses (Zydis; read-only once set up, so
 * threads may share it). */
struct ZydisDecoder_;
const struct ZydisDecoder_ *insn_decoder(void);

enum insn_kind insn_decode(const uint8_t *buf, size_t avail, taddr_t addr, struct insn *in);

/* Writes into out (INSN_SLOT_SIZE bytes) the out-of-line copy of in, for the instruction at addr
 * executed from slot: the instruction with its rip-relative displacement fixed, then a jump back to
 * addr + len. Returns false if a displacement cannot reach from slot. */
bool insn_build_slot(const struct insn *in, taddr_t addr, taddr_t slot, uint8_t *out);

/* Memory access for emulation, in the traced program. Both return 0 or -1 (errno set). */
struct insn_mem {
	int (*read)(void *arg, taddr_t addr, void *buf, size_t len);
	int (*write)(void *arg, taddr_t addr, const void *buf, size_t len);
	void *arg;
};

/* Emulates in (at addr) on r: registers, flags, rip and any stack write. Returns 0, or -1 if a
 * memory access failed (errno set); r is then unchanged. Not for INSN_OOL or INSN_BAD. */
int insn_emulate(const struct insn *in, taddr_t addr, struct user_regs_struct *r, const struct insn_mem *m);

/* Short name of a kind, for --debug=step. */
const char *insn_kind_name(enum insn_kind k);

#endif
