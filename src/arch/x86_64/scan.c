/* scan: linear decoding with Zydis, for call targets and for main's address in _start. */
#include "scan.h"
#include "insn.h"

#include <Zydis/Zydis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

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

/* The decoding state at a part's edges, for scan_calls_split to join parts as one scan. */
struct edges {
	bool no_fallthrough;   /* in: before the first instruction; out: after the last */
	taddr_t first;         /* out: the first instruction that is no padding, if no undecodable
				* byte came before it; 0 if none */
	bool pads_only;        /* out: nothing but padding: the state passes through unchanged */
	taddr_t (*skip)(taddr_t at, void *arg);   /* in, if set: where to go on from at (see
						   * scan_calls_skipping); no boundaries then */
};

static void scan(const uint8_t *code, size_t len, taddr_t vaddr, struct edges *e,
		 void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg)
{
	ZydisDecoderContext ctx;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	bool no_fallthrough = e->no_fallthrough, clean = true;
	e->first = 0;
	for (size_t off = 0; off < len;) {
		if (e->skip) {
			taddr_t to = e->skip(vaddr + off, arg);
			if (to > vaddr + off) {
				off = to - vaddr;
				continue;
			}
		}
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(insn_decoder(), &ctx, code + off, len - off, &zi))) {
			off++;
			no_fallthrough = clean = false;
			continue;
		}
		bool pad = zi.mnemonic == ZYDIS_MNEMONIC_NOP || zi.mnemonic == ZYDIS_MNEMONIC_INT3;
		if (!pad && clean) {
			e->first = vaddr + off;
			clean = false;
		}
		if (no_fallthrough && !pad && !((vaddr + off) & 15) && !e->skip)
			fn(vaddr + off, REF_BOUNDARY, arg);
		if (!pad)
			no_fallthrough = zi.mnemonic == ZYDIS_MNEMONIC_RET || zi.mnemonic == ZYDIS_MNEMONIC_JMP ||
					 zi.mnemonic == ZYDIS_MNEMONIC_UD2 || zi.mnemonic == ZYDIS_MNEMONIC_HLT;
		taddr_t aligned = ((vaddr + off) | 15) + 1;   /* at most one: an instruction is <= 15 bytes */
		if (aligned < vaddr + off + zi.length && !e->skip)
			fn(aligned, REF_INSIDE, arg);
		if (!may_refer(&zi) ||
		    ZYAN_FAILED(ZydisDecoderDecodeOperands(insn_decoder(), &ctx, &zi, ops, zi.operand_count))) {
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
			fn(ops[1].imm.value.u, REF_IMM, arg);
		off += zi.length;
	}
	e->no_fallthrough = no_fallthrough;
	e->pads_only = clean;
}

void scan_calls(const uint8_t *code, size_t len, taddr_t vaddr,
		void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg)
{
	struct edges e = { .no_fallthrough = true };   /* nothing before the first instruction */
	scan(code, len, vaddr, &e, fn, arg);
}

void scan_calls_skipping(const uint8_t *code, size_t len, taddr_t vaddr, taddr_t (*skip)(taddr_t at, void *arg),
			 void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg)
{
	struct edges e = { .no_fallthrough = true, .skip = skip };
	scan(code, len, vaddr, &e, fn, arg);
}

/* One part of a split scan: its references, kept to be replayed in order. */
struct part {
	size_t off, len;
	struct edges e;
	taddr_t *targets;
	uint8_t *refs;
	size_t n, cap;
};

struct split {
	const uint8_t *code;
	taddr_t vaddr;
	struct part *parts;
	size_t nparts;
	atomic_size_t next;   /* the next part to decode */
};

static void keep(taddr_t target, enum code_ref ref, void *arg)
{
	struct part *p = arg;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 4096;
		p->targets = xrealloc(p->targets, p->cap * sizeof(*p->targets));
		p->refs = xrealloc(p->refs, p->cap);
	}
	p->targets[p->n] = target;
	p->refs[p->n++] = (uint8_t)ref;
}

static void *decode_parts(void *arg)
{
	struct split *sp = arg;
	size_t k;
	while ((k = atomic_fetch_add(&sp->next, 1)) < sp->nparts) {
		struct part *p = &sp->parts[k];
		p->e.no_fallthrough = k == 0;   /* a later part's start is settled when joining */
		scan(sp->code + p->off, p->len, sp->vaddr + p->off, &p->e, keep, p);
	}
	return NULL;
}

void scan_calls_split(const uint8_t *code, size_t len, taddr_t vaddr, const taddr_t *splits, size_t nsplits,
		      void (*fn)(taddr_t target, enum code_ref ref, void *arg), void *arg)
{
	struct split sp = { .code = code, .vaddr = vaddr };
	sp.parts = xcalloc(nsplits + 1, sizeof(*sp.parts));
	size_t at = 0;
	for (size_t i = 0; i < nsplits; i++) {
		if (splits[i] <= vaddr + at || splits[i] >= vaddr + len)
			continue;
		sp.parts[sp.nparts++] = (struct part){ .off = at, .len = splits[i] - vaddr - at };
		at = splits[i] - vaddr;
	}
	sp.parts[sp.nparts++] = (struct part){ .off = at, .len = len - at };
	if (sp.nparts == 1) {
		free(sp.parts);
		scan_calls(code, len, vaddr, fn, arg);
		return;
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = cpus > 1 ? (size_t)cpus - 1 : 0;
	if (nthreads > sp.nparts - 1)
		nthreads = sp.nparts - 1;
	if (nthreads > 15)
		nthreads = 15;
	pthread_t th[15];
	size_t started = 0;
	while (started < nthreads && pthread_create(&th[started], NULL, decode_parts, &sp) == 0)
		started++;
	decode_parts(&sp);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);

	/* Joined as one scan would have seen them: a part's first real instruction is a boundary
	 * if what came before it ended with nothing to fall through. */
	bool carry = true;
	for (size_t k = 0; k < sp.nparts; k++) {
		struct part *p = &sp.parts[k];
		if (k && carry && p->e.first && !(p->e.first & 15))
			fn(p->e.first, REF_BOUNDARY, arg);
		if (!k || !p->e.pads_only)
			carry = p->e.no_fallthrough;
		for (size_t i = 0; i < p->n; i++)
			fn(p->targets[i], (enum code_ref)p->refs[i], arg);
		free(p->targets);
		free(p->refs);
	}
	free(sp.parts);
}

bool scan_thunk_target(const uint8_t *code, size_t len, taddr_t vaddr, taddr_t *target)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	for (size_t off = 0, n = 0; off < len && n < 4; n++) {
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(insn_decoder(), code + off, len - off, &zi, ops)))
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
	while (off < len && ZYAN_SUCCESS(ZydisDecoderDecodeFull(insn_decoder(), code + off, len - off, &zi, ops)) &&
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
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(insn_decoder(), code + off, len - off, &zi, ops)))
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
