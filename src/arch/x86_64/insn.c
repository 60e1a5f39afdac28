/* insn: Zydis decodes; we classify, emulate the common cases and relocate the rest. */
#include "insn.h"

#include <Zydis/Zydis.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#define REG(name) ((int16_t)offsetof(struct user_regs_struct, name))
#define NOREG ((int16_t)-1)
#define RIPREG ((int16_t)-2)

enum { CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800 };

/* A general-purpose register as Zydis names it: its slot in user_regs_struct and its width. */
static int16_t gpr_slot(ZydisRegister r, uint8_t *width)
{
	static const struct { ZydisRegister r64, r32; int16_t slot; } map[] = {
		{ ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_EAX, REG(rax) },
		{ ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_ECX, REG(rcx) },
		{ ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_EDX, REG(rdx) },
		{ ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_EBX, REG(rbx) },
		{ ZYDIS_REGISTER_RSP, ZYDIS_REGISTER_ESP, REG(rsp) },
		{ ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_EBP, REG(rbp) },
		{ ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_ESI, REG(rsi) },
		{ ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_EDI, REG(rdi) },
		{ ZYDIS_REGISTER_R8,  ZYDIS_REGISTER_R8D,  REG(r8) },
		{ ZYDIS_REGISTER_R9,  ZYDIS_REGISTER_R9D,  REG(r9) },
		{ ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R10D, REG(r10) },
		{ ZYDIS_REGISTER_R11, ZYDIS_REGISTER_R11D, REG(r11) },
		{ ZYDIS_REGISTER_R12, ZYDIS_REGISTER_R12D, REG(r12) },
		{ ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R13D, REG(r13) },
		{ ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R14D, REG(r14) },
		{ ZYDIS_REGISTER_R15, ZYDIS_REGISTER_R15D, REG(r15) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (map[i].r64 == r) {
			*width = 64;
			return map[i].slot;
		}
		if (map[i].r32 == r) {
			*width = 32;
			return map[i].slot;
		}
	}
	return NOREG;
}

static int jcc_cond(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_JO:   return 0;
	case ZYDIS_MNEMONIC_JNO:  return 1;
	case ZYDIS_MNEMONIC_JB:   return 2;
	case ZYDIS_MNEMONIC_JNB:  return 3;
	case ZYDIS_MNEMONIC_JZ:   return 4;
	case ZYDIS_MNEMONIC_JNZ:  return 5;
	case ZYDIS_MNEMONIC_JBE:  return 6;
	case ZYDIS_MNEMONIC_JNBE: return 7;
	case ZYDIS_MNEMONIC_JS:   return 8;
	case ZYDIS_MNEMONIC_JNS:  return 9;
	case ZYDIS_MNEMONIC_JP:   return 10;
	case ZYDIS_MNEMONIC_JNP:  return 11;
	case ZYDIS_MNEMONIC_JL:   return 12;
	case ZYDIS_MNEMONIC_JNL:  return 13;
	case ZYDIS_MNEMONIC_JLE:  return 14;
	case ZYDIS_MNEMONIC_JNLE: return 15;
	default:                  return -1;
	}
}

/* Fills the memory-operand fields of in from op; false if it uses a segment or a register we do
 * not model (then it cannot be emulated). */
static bool take_mem(struct insn *in, const ZydisDecodedOperand *op)
{
	uint8_t w;
	if (op->mem.segment != ZYDIS_REGISTER_NONE && op->mem.segment != ZYDIS_REGISTER_DS &&
	    op->mem.segment != ZYDIS_REGISTER_SS)
		return false;
	in->indirect = true;
	in->disp = op->mem.disp.has_displacement ? op->mem.disp.value : 0;
	in->scale = op->mem.scale;
	if (op->mem.base == ZYDIS_REGISTER_RIP)
		in->base = RIPREG;
	else if (op->mem.base == ZYDIS_REGISTER_NONE)
		in->base = NOREG;
	else if ((in->base = gpr_slot(op->mem.base, &w)) == NOREG || w != 64)
		return false;
	if (op->mem.index == ZYDIS_REGISTER_NONE)
		in->index = NOREG;
	else if ((in->index = gpr_slot(op->mem.index, &w)) == NOREG || w != 64)
		return false;
	return true;
}

/* Takes the target of a call or jmp; false if it cannot be emulated. */
static bool take_target(struct insn *in, const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *op,
			taddr_t addr)
{
	uint8_t w;
	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_IMMEDIATE: {
		ZyanU64 t;
		if (!op->imm.is_relative || ZYAN_FAILED(ZydisCalcAbsoluteAddress(zi, op, addr, &t)))
			return false;
		in->target = t;
		return true;
	}
	case ZYDIS_OPERAND_TYPE_REGISTER:
		in->src = gpr_slot(op->reg.value, &w);
		return in->src != NOREG && w == 64;
	case ZYDIS_OPERAND_TYPE_MEMORY:
		return op->size == 64 && take_mem(in, op);
	default:
		return false;
	}
}

/* Instructions that must not run anywhere but where they are, and that we do not emulate. */
static bool pinned(const ZydisDecodedInstruction *zi)
{
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_SYSCALL:   /* leaves the address of the next instruction in rcx */
	case ZYDIS_MNEMONIC_SYSENTER:
	case ZYDIS_MNEMONIC_INT:
	case ZYDIS_MNEMONIC_INT1:
	case ZYDIS_MNEMONIC_INT3:
	case ZYDIS_MNEMONIC_INTO:
	case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_IRETQ:
	case ZYDIS_MNEMONIC_XBEGIN:
	case ZYDIS_MNEMONIC_LOOP:
	case ZYDIS_MNEMONIC_LOOPE:
	case ZYDIS_MNEMONIC_LOOPNE:
	case ZYDIS_MNEMONIC_JCXZ:
	case ZYDIS_MNEMONIC_JECXZ:
	case ZYDIS_MNEMONIC_JRCXZ:
	case ZYDIS_MNEMONIC_UD0:
	case ZYDIS_MNEMONIC_UD1:
	case ZYDIS_MNEMONIC_UD2:
	case ZYDIS_MNEMONIC_HLT:
		return true;
	default:
		return false;
	}
}

static ZydisDecoder the_decoder;

static void decoder_init(void)
{
	ZydisDecoderInit(&the_decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
}

const ZydisDecoder *insn_decoder(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, decoder_init);
	return &the_decoder;
}

enum insn_kind insn_decode(const uint8_t *buf, size_t avail, taddr_t addr, struct insn *in)
{
	const ZydisDecoder *dec = insn_decoder();
	memset(in, 0, sizeof(*in));
	in->dst = in->src = in->base = in->index = NOREG;
	in->kind = INSN_BAD;

	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	if (ZYAN_FAILED(ZydisDecoderDecodeFull(dec, buf, avail, &zi, ops)))
		return INSN_BAD;
	in->len = zi.length;
	memcpy(in->bytes, buf, zi.length);
	if (pinned(&zi) || zi.meta.category == ZYDIS_CATEGORY_SYSTEM)
		return INSN_BAD;

	const ZydisDecodedOperand *o0 = &ops[0], *o1 = &ops[1];
	uint8_t w0 = 0, w1 = 0;
	int cond;
	switch (zi.mnemonic) {
	case ZYDIS_MNEMONIC_NOP:
	case ZYDIS_MNEMONIC_ENDBR64:
		return in->kind = INSN_SKIP;
	case ZYDIS_MNEMONIC_PUSH:
		if (o0->type == ZYDIS_OPERAND_TYPE_REGISTER && zi.operand_width == 64 &&
		    (in->src = gpr_slot(o0->reg.value, &w0)) != NOREG && w0 == 64)
			return in->kind = INSN_PUSH;
		break;
	case ZYDIS_MNEMONIC_MOV:
		if (o0->type != ZYDIS_OPERAND_TYPE_REGISTER || (in->dst = gpr_slot(o0->reg.value, &w0)) == NOREG)
			break;
		in->width = w0;
		if (o1->type == ZYDIS_OPERAND_TYPE_REGISTER && (in->src = gpr_slot(o1->reg.value, &w1)) != NOREG &&
		    w1 == w0)
			return in->kind = INSN_MOVREG;
		if (o1->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			in->imm = w0 == 32 ? (uint32_t)o1->imm.value.u : o1->imm.value.u;
			return in->kind = INSN_MOVIMM;
		}
		break;
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_ADD:
		if (o0->type == ZYDIS_OPERAND_TYPE_REGISTER && o0->reg.value == ZYDIS_REGISTER_RSP &&
		    o1->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && !(zi.attributes & ZYDIS_ATTRIB_HAS_LOCK)) {
			in->sub = zi.mnemonic == ZYDIS_MNEMONIC_SUB;
			in->imm = o1->imm.value.u;   /* sign-extended to 64 bits by the decoder */
			return in->kind = INSN_ADDSUB_SP;
		}
		break;
	case ZYDIS_MNEMONIC_XOR:
		if (o0->type == ZYDIS_OPERAND_TYPE_REGISTER && o1->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    o0->reg.value == o1->reg.value && (in->dst = gpr_slot(o0->reg.value, &w0)) != NOREG && w0 == 32)
			return in->kind = INSN_XOR_SELF;
		break;
	case ZYDIS_MNEMONIC_JMP:
		/* jmp *mem(%rip) and friends run fine out of line; only rip-relative targets need us. */
		if (o0->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			return in->kind = take_target(in, &zi, o0, addr) ? INSN_JMP : INSN_BAD;
		break;
	case ZYDIS_MNEMONIC_CALL:
		/* A call run out of line would push the scratch address: always emulate it. */
		return in->kind = take_target(in, &zi, o0, addr) ? INSN_CALL : INSN_BAD;
	case ZYDIS_MNEMONIC_RET:
		if (zi.operand_width != 64)
			return INSN_BAD;
		in->imm = zi.operand_count_visible && o0->type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? o0->imm.value.u : 0;
		return in->kind = INSN_RET;
	default:
		if ((cond = jcc_cond(zi.mnemonic)) >= 0) {
			in->cond = (uint8_t)cond;
			return in->kind = take_target(in, &zi, o0, addr) ? INSN_JCC : INSN_BAD;
		}
		break;
	}

	/* Out of line. A relative branch we did not emulate cannot move; a rip-relative memory
	 * operand can, with its disp32 rebased. */
	in->dst = in->src = NOREG;
	for (unsigned i = 0; i < zi.operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative)
			return in->kind = INSN_BAD;
	if (zi.attributes & ZYDIS_ATTRIB_IS_RELATIVE) {
		if (zi.raw.disp.size != 32 || !zi.raw.disp.offset)
			return in->kind = INSN_BAD;
		in->disp_off = zi.raw.disp.offset;
		in->disp = zi.raw.disp.value;
	}
	return in->kind = INSN_OOL;
}

bool insn_build_slot(const struct insn *in, taddr_t addr, taddr_t slot, uint8_t *out)
{
	memset(out, 0xcc, INSN_SLOT_SIZE);
	memcpy(out, in->bytes, in->len);
	if (in->disp_off) {
		int64_t target = (int64_t)(addr + in->len) + in->disp;
		int64_t nd = target - (int64_t)(slot + in->len);
		if (nd != (int32_t)nd)
			return false;
		int32_t d32 = (int32_t)nd;
		memcpy(out + in->disp_off, &d32, 4);
	}
	uint8_t *j = out + in->len;
	int64_t rel = (int64_t)(addr + in->len) - (int64_t)(slot + in->len + 5);
	if (rel == (int32_t)rel) {
		int32_t r32 = (int32_t)rel;
		j[0] = 0xe9;                         /* jmp rel32 */
		memcpy(j + 1, &r32, 4);
	} else {
		static const uint8_t jmp_abs[6] = { 0xff, 0x25, 0, 0, 0, 0 };   /* jmp *0(%rip) */
		uint64_t back = addr + in->len;
		memcpy(j, jmp_abs, 6);
		memcpy(j + 6, &back, 8);
	}
	return true;
}

static unsigned long long *slot_ptr(struct user_regs_struct *r, int16_t off)
{
	return (unsigned long long *)((char *)r + off);
}

static bool parity_even(uint64_t v)
{
	return !__builtin_parity((unsigned)(v & 0xff));
}

static uint64_t logic_flags(uint64_t fl, uint64_t res, int bits)
{
	uint64_t sign = bits == 32 ? (res >> 31) & 1 : res >> 63;
	uint64_t mask = bits == 32 ? 0xffffffffu : ~0ull;
	fl &= ~(uint64_t)(CF | PF | ZF | SF | OF | AF);
	if (!(res & mask))
		fl |= ZF;
	if (sign)
		fl |= SF;
	if (parity_even(res))
		fl |= PF;
	return fl;
}

static uint64_t arith_flags(uint64_t fl, uint64_t a, uint64_t b, uint64_t res, bool sub)
{
	fl = logic_flags(fl, res, 64);
	if (sub ? a < b : res < a)
		fl |= CF;
	if ((sub ? ((a ^ b) & (a ^ res)) : (~(a ^ b) & (a ^ res))) >> 63)
		fl |= OF;
	if ((a ^ b ^ res) & 0x10)
		fl |= AF;
	return fl;
}

static bool cond_true(unsigned cond, uint64_t fl)
{
	bool c = fl & CF, z = fl & ZF, s = fl & SF, o = fl & OF, p = fl & PF;
	bool t;
	switch (cond >> 1) {
	case 0: t = o; break;
	case 1: t = c; break;
	case 2: t = z; break;
	case 3: t = c || z; break;
	case 4: t = s; break;
	case 5: t = p; break;
	case 6: t = s != o; break;
	default: t = z || s != o; break;
	}
	return (cond & 1) ? !t : t;
}

static int branch_target(const struct insn *in, taddr_t addr, struct user_regs_struct *r,
			 const struct insn_mem *m, taddr_t *out)
{
	if (!in->indirect) {
		*out = in->src != NOREG ? *slot_ptr(r, in->src) : in->target;
		return 0;
	}
	taddr_t ea = (taddr_t)in->disp;
	if (in->base == RIPREG)
		ea += addr + in->len;
	else if (in->base != NOREG)
		ea += *slot_ptr(r, in->base);
	if (in->index != NOREG)
		ea += *slot_ptr(r, in->index) * in->scale;
	uint64_t v;
	if (m->read(m->arg, ea, &v, 8))
		return -1;
	*out = v;
	return 0;
}

int insn_emulate(const struct insn *in, taddr_t addr, struct user_regs_struct *r, const struct insn_mem *m)
{
	taddr_t next = addr + in->len, t;
	uint64_t v;
	switch (in->kind) {
	case INSN_SKIP:
		break;
	case INSN_PUSH:
		v = *slot_ptr(r, in->src);
		if (m->write(m->arg, r->rsp - 8, &v, 8))
			return -1;
		r->rsp -= 8;
		break;
	case INSN_MOVREG:
		v = *slot_ptr(r, in->src);
		*slot_ptr(r, in->dst) = in->width == 32 ? (uint32_t)v : v;
		break;
	case INSN_MOVIMM:
		*slot_ptr(r, in->dst) = in->imm;
		break;
	case INSN_ADDSUB_SP:
		v = in->sub ? r->rsp - in->imm : r->rsp + in->imm;
		r->eflags = arith_flags(r->eflags, r->rsp, in->imm, v, in->sub);
		r->rsp = v;
		break;
	case INSN_XOR_SELF:
		*slot_ptr(r, in->dst) = 0;
		r->eflags = logic_flags(r->eflags, 0, 32);
		break;
	case INSN_JMP:
		next = in->target;
		break;
	case INSN_JCC:
		if (cond_true(in->cond, r->eflags))
			next = in->target;
		break;
	case INSN_CALL:
		if (branch_target(in, addr, r, m, &t) || m->write(m->arg, r->rsp - 8, &next, 8))
			return -1;
		r->rsp -= 8;
		next = t;
		break;
	case INSN_RET:
		if (m->read(m->arg, r->rsp, &v, 8))
			return -1;
		r->rsp += 8 + in->imm;
		next = v;
		break;
	default:
		ASSERT(0, "insn_emulate: kind %d at %#" PRIx64 " is not emulated", in->kind, addr);
	}
	r->rip = next;
	return 0;
}

const char *insn_kind_name(enum insn_kind k)
{
	static const char *const names[INSN_NKINDS] = {
		[INSN_BAD] = "none (not traced)", [INSN_SKIP] = "emulate skip", [INSN_PUSH] = "emulate push",
		[INSN_MOVREG] = "emulate mov reg", [INSN_MOVIMM] = "emulate mov imm",
		[INSN_ADDSUB_SP] = "emulate add/sub rsp", [INSN_XOR_SELF] = "emulate xor",
		[INSN_JMP] = "emulate jmp", [INSN_JCC] = "emulate jcc", [INSN_CALL] = "emulate call",
		[INSN_RET] = "emulate ret", [INSN_OOL] = "out of line",
	};
	return k < INSN_NKINDS ? names[k] : "?";
}
