/* scan: linear decoding with Zydis, for call targets and for main's address in _start. */
#include "scan.h"

#include <Zydis/Zydis.h>

static ZydisDecoder *decoder(void)
{
	static ZydisDecoder dec;
	static bool ready;
	if (!ready) {
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		ready = true;
	}
	return &dec;
}

/* Whether scan_calls needs zi's operands: a relative branch, a RIP-relative lea, a mov of a 32- or
 * 64-bit immediate. Most instructions are none of these, and decoding operands costs about as
 * much as decoding the instruction: a big library's code is decoded in half the time. */
static bool may_refer(const ZydisDecodedInstruction *zi)
{
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_LEA:
		return zi->raw.modrm.mod == 0 && zi->raw.modrm.rm == 5;
	case ZYDIS_MNEMONIC_MOV:
		return zi->raw.imm[0].size >= 32;
	default:
		return zi->attributes & ZYDIS_ATTRIB_IS_RELATIVE;
	}
}

void scan_calls(const uint8_t *code, size_t len, taddr_t vaddr,
		void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg)
{
	ZydisDecoderContext ctx;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	bool no_fallthrough = true;   /* nothing before the first instruction */
	for (size_t off = 0; off < len;) {
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(decoder(), &ctx, code + off, len - off, &zi))) {
			off++;
			no_fallthrough = false;
			continue;
		}
		bool pad = zi.mnemonic == ZYDIS_MNEMONIC_NOP || zi.mnemonic == ZYDIS_MNEMONIC_INT3;
		if (no_fallthrough && !pad && !((vaddr + off) & 15))
			fn(vaddr + off, REF_BOUNDARY, arg);
		if (!pad)
			no_fallthrough = zi.mnemonic == ZYDIS_MNEMONIC_RET || zi.mnemonic == ZYDIS_MNEMONIC_JMP ||
					 zi.mnemonic == ZYDIS_MNEMONIC_UD2 || zi.mnemonic == ZYDIS_MNEMONIC_HLT;
		if (!may_refer(&zi) ||
		    ZYAN_FAILED(ZydisDecoderDecodeOperands(decoder(), &ctx, &zi, ops, zi.operand_count))) {
			off += zi.length;
			continue;
		}
		ZyanU64 target;
		bool cond = zi.meta.category == ZYDIS_CATEGORY_COND_BR;
		if ((zi.mnemonic == ZYDIS_MNEMONIC_CALL || cond) && ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&zi, &ops[0], vaddr + off, &target)))
			fn(target, cond ? REF_JCC : REF_CALL, arg);
		else if (zi.mnemonic == ZYDIS_MNEMONIC_JMP && ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
			 ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&zi, &ops[0], vaddr + off, &target)))
			fn(target, REF_JMP, arg);
		else if (zi.mnemonic == ZYDIS_MNEMONIC_LEA && ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
			 ops[1].mem.base == ZYDIS_REGISTER_RIP && ops[1].mem.index == ZYDIS_REGISTER_NONE &&
			 ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&zi, &ops[1], vaddr + off, &target)))
			fn(target, REF_ADDR, arg);
		else if (zi.mnemonic == ZYDIS_MNEMONIC_MOV && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			 ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[1].size >= 32)
			fn(ops[1].imm.value.u, REF_ADDR, arg);
		off += zi.length;
	}
}

bool scan_thunk_target(const uint8_t *code, size_t len, taddr_t vaddr, taddr_t *target)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	for (size_t off = 0, n = 0; off < len && n < 4; n++) {
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(decoder(), code + off, len - off, &zi, ops)))
			return false;
		if (zi.mnemonic == ZYDIS_MNEMONIC_JMP && ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			ZyanU64 t;
			if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(&zi, &ops[0], vaddr + off, &t)))
				return false;
			*target = t;
			return true;
		}
		if (zi.mnemonic != ZYDIS_MNEMONIC_ENDBR64 && zi.mnemonic != ZYDIS_MNEMONIC_NOP)
			return false;
		off += zi.length;
	}
	return false;
}

taddr_t scan_skip_padding(const uint8_t *code, size_t len, taddr_t vaddr)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	size_t off = 0;
	while (off < len && ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder(), code + off, len - off, &zi, ops)) &&
	       zi.mnemonic == ZYDIS_MNEMONIC_NOP)
		off += zi.length;
	return vaddr + off;
}

enum main_ref scan_main_arg(const uint8_t *code, size_t len, taddr_t vaddr, taddr_t *val)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	enum main_ref ref = MAIN_NONE;
	for (size_t off = 0; off < len;) {
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(decoder(), code + off, len - off, &zi, ops)))
			return MAIN_NONE;
		taddr_t here = vaddr + off;
		off += zi.length;
		if (zi.mnemonic == ZYDIS_MNEMONIC_CALL || zi.mnemonic == ZYDIS_MNEMONIC_JMP) {
			ZyanU64 t;
			if (ref == MAIN_NONE && zi.mnemonic == ZYDIS_MNEMONIC_CALL &&
			    ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
			    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&zi, &ops[0], here, &t))) {
				*val = t;
				return MAIN_FOLLOW;
			}
			return ref;
		}
		if (zi.mnemonic == ZYDIS_MNEMONIC_RET)
			return MAIN_NONE;
		if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    (ops[0].reg.value != ZYDIS_REGISTER_RDI && ops[0].reg.value != ZYDIS_REGISTER_EDI))
			continue;
		ZyanU64 a;
		ref = MAIN_NONE;
		if ((zi.mnemonic == ZYDIS_MNEMONIC_MOV) && ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			*val = ops[1].imm.value.u;
			ref = MAIN_ADDR;
		} else if (zi.mnemonic == ZYDIS_MNEMONIC_LEA && ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
			   ops[1].mem.base == ZYDIS_REGISTER_RIP &&
			   ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&zi, &ops[1], here, &a))) {
			*val = a;
			ref = MAIN_ADDR;
		} else if (zi.mnemonic == ZYDIS_MNEMONIC_MOV && ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
			   ops[1].mem.base == ZYDIS_REGISTER_RIP &&
			   ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&zi, &ops[1], here, &a))) {
			*val = a;
			ref = MAIN_POINTER;
		}
	}
	return MAIN_NONE;
}
