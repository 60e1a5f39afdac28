/* fast/window: the map of a module's arrival points, and the window check that rests on it. */
#include "window.h"
#include "lsda.h"
#include "../arch/x86_64/scan.h"
#include "../arch/x86_64/insn.h"

#include <Zydis/Zydis.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_MAX 65536   /* jump-table entries read at most */

/* The map being built. */
struct build {
	struct fast_map *m;
	size_t tcap, ucap, ccap, rcap;
	bool low_code;   /* code at an address a sign-extended imm8 can name (below 128, or in
			  * the top 128 bytes): every immediate's operands are decoded */
	struct hole *holes;   /* candidates, checked once every target is known */
	size_t nholes, hcap;
	struct flow_pos *fpos;   /* the places flow_made_elsewhere's answers rest on */
	size_t nfpos, fpcap;
	struct flow_site *fsites;
	size_t nfsites, fscap;
	size_t cur_func;         /* the function decode_func is decoding */
	struct xedge *xedges;    /* direct branches from one function's code to outside it */
	size_t nxedges, xcap;
	taddr_t *dend;           /* per start: where decoding it from there stopped */
	struct flow_pos *wpos;   /* the places flow_wide's answers rest on */
	size_t nwpos, wpcap;
	struct flow_site *wsites;
	size_t nwsites, wscap;
	struct flow_site *msites;   /* the jumps made_elsewhere cleared */
	size_t nmsites, mscap;
	taddr_t *tstarts;           /* where each jump table read starts */
	size_t ntstarts, tstcap;
	struct later_table *later;  /* tables of int32 with no guard, read last */
	size_t nlater, lcap;
	struct flow_pos *lpos;      /* the places lea_walk's answers rest on */
	size_t nlpos, lpcap;
	struct flow_site *lsites;   /* the jumps whose table's base lea_walk proved */
	size_t nlsites, lscap;
};

/* A table of int32 offsets whose size no guard gives, and its jump. */
struct later_table {
	taddr_t table, base, fn_lo, fn_hi, jmp;
};

/* A direct jmp or jcc of function func (index into starts) to an address outside it. */
struct xedge {
	taddr_t to;
	uint32_t func;
};

/* A jmp *%reg that flow_made_elsewhere cleared, if no one arrives at the places its walk went
 * through other than by the branches of its function it followed. */
struct flow_site {
	taddr_t fn_lo, fn_hi, jmp;
	uint32_t func;       /* the jump's function (index into starts) */
	ZydisRegister r;     /* its register */
	bool dropped;        /* (flow_wide's) found unsure since */
};

/* One such place: an instruction's address, the direct branches of the function to it that
 * the walk followed, and its site. */
struct flow_pos {
	taddr_t addr;
	uint32_t intra;
	uint32_t site;
	uint8_t len;   /* (lea_walk's) the instruction's length: no target may fall inside it */
};

static void add_target(struct build *b, taddr_t t)
{
	struct fast_map *m = b->m;
	if (!fast_image_in_code(m->im, t))
		return;
	xgrow(&m->targets, &b->tcap, m->ntargets + 1, sizeof(*m->targets));
	m->targets[m->ntargets++] = t;
}

static void add_unsure(struct build *b, taddr_t lo, taddr_t hi)
{
	struct fast_map *m = b->m;
	xgrow(&m->unsure, &b->ucap, m->nunsure + 1, sizeof(*m->unsure));
	m->unsure[m->nunsure++] = (struct range){ lo, hi };
}

/* The linear scan of the whole code, after the functions were decoded from their starts. */
struct linear {
	struct build *b;
	const taddr_t *dend;   /* per start: where decoding it from there stopped */
	size_t next;           /* the first start not below the scan's last address */
};

/* Every reference is a place control may arrive (the scan reports no boundaries and insides,
 * which only describe layout). An immediate stays one, even in position-independent code: the
 * checker would rather refuse a window. */
static void on_ref(taddr_t target, enum code_ref ref, void *arg)
{
	struct linear *l = arg;
	add_target(l->b, target);
}

/* The scan, arriving at a function's start, would decode what decode_func decoded from there,
 * instruction for instruction (the same bytes from the same address), and find a subset of its
 * targets (relative branches, rip-relative lea, mov of an immediate): it goes on where that
 * decoding stopped. Where it is out of step with every start it decodes on its own, as before.
 * The scan's addresses only grow, so one cursor finds the starts. */
static taddr_t skip_decoded(taddr_t a, void *arg)
{
	struct linear *l = arg;
	const struct fast_map *m = l->b->m;
	while (l->next < m->nstarts && m->starts[l->next] < a)
		l->next++;
	return l->next < m->nstarts && m->starts[l->next] == a ? l->dend[l->next] : a;
}

static void on_pad(taddr_t pad, void *arg)
{
	struct build *b = arg;
	b->m->npads++;
	add_target(b, pad);
}

static void on_unsure(taddr_t lo, taddr_t hi, void *arg)
{
	add_unsure(arg, lo, hi);
}

/* The 64-bit register a Zydis register is part of (rax for eax, ax, al), or NONE. */
static ZydisRegister reg64(ZydisRegister r)
{
	ZydisRegister l = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	return ZydisRegisterGetClass(l) == ZYDIS_REGCLASS_GPR64 ? l : ZYDIS_REGISTER_NONE;
}

static bool writes(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops, ZydisRegister r)
{
	for (unsigned i = 0; i < zi->operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
		    reg64(ops[i].reg.value) == r)
			return true;
	return false;
}

/* One decoded instruction of a function body, kept for the jump-table patterns. Its operands
 * are decoded only where something reads them (see decode_func); ops is zero otherwise. */
struct dec {
	taddr_t addr;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	bool has_ops;
};

static void add_table_start(struct build *b, taddr_t t)
{
	xgrow(&b->tstarts, &b->tstcap, b->ntstarts + 1, sizeof(*b->tstarts));
	b->tstarts[b->ntstarts++] = t;
}

/* Reads the table of int32 offsets from base at table (gcc and clang, PIC). With a bound (its
 * number of entries, from the cmp that guards the index), exactly that many, each of which must
 * be code: one that is not says the table is not what it seems, and 0 is returned. Without, every
 * entry while they are code: reading past the table's end only adds targets, which is safe;
 * stopping before it is not, so it stops only where an entry cannot be one, or at limit entries
 * (where the next table starts: see read_later_tables). */
static size_t read_rel_table(struct build *b, taddr_t table, taddr_t base, size_t bound, size_t limit)
{
	size_t n = 0;
	for (; n < (bound ? bound : limit); n++) {
		const uint8_t *p = fast_image_bytes(b->m->im, table + 4 * n, 4);
		int32_t e;
		if (!p)
			break;
		memcpy(&e, p, 4);
		if (!fast_image_in_code(b->m->im, base + (taddr_t)(int64_t)e))
			break;
		add_target(b, base + (taddr_t)(int64_t)e);
	}
	return bound && n < bound ? 0 : n;
}

/* The same for a table of absolute 8-byte addresses (non-PIC). */
static size_t read_abs_table(struct build *b, taddr_t base, size_t bound)
{
	size_t n = 0;
	for (; n < (bound ? bound : TABLE_MAX); n++) {
		const uint8_t *p = fast_image_bytes(b->m->im, base + 8 * n, 8);
		uint64_t e;
		if (!p)
			break;
		memcpy(&e, p, 8);
		if (!fast_image_in_code(b->m->im, e))
			break;
		add_target(b, e);
	}
	return bound && n < bound ? 0 : n;
}

#define LOOKBACK 16   /* instructions searched back for what put a value in a register */

/* The index of the last instruction before d[k] that writes r, looking back in straight-line
 * code; -1 if none is found. Whether a branch target falls between it and the jump is checked
 * once every target is known (see fast_map_build). */
static long last_write(const struct dec *d, size_t k, ZydisRegister r)
{
	for (size_t i = k; i-- > 0 && i + LOOKBACK > k;) {
		if (d[i].zi.meta.category == ZYDIS_CATEGORY_UNCOND_BR || d[i].zi.meta.category == ZYDIS_CATEGORY_RET)
			return -1;
		if (writes(&d[i].zi, d[i].ops, r))
			return (long)i;
	}
	return -1;
}

/* The address d[i] (a lea of a rip-relative address) puts in its register, or 0. */
static taddr_t lea_value(const struct dec *d, long i)
{
	ZyanU64 t;
	if (i < 0 || d[i].zi.mnemonic != ZYDIS_MNEMONIC_LEA || d[i].ops[1].mem.base != ZYDIS_REGISTER_RIP ||
	    d[i].ops[1].mem.index != ZYDIS_REGISTER_NONE ||
	    ZYAN_FAILED(ZydisCalcAbsoluteAddress(&d[i].zi, &d[i].ops[1], d[i].addr, &t)))
		return 0;
	return t;
}

/* How the register of an indirect jmp got its value. */
struct jsrc {
	taddr_t table, base;   /* a table of int32 at table, relative to base */
	size_t bound;          /* its entries, from the guard of its index; 0 if unknown */
	long first;            /* the earliest instruction the decoding rests on */
	long tail;             /* the same without the guard: where table and base are lea'd */
	bool pointer;          /* loaded from memory: a code address the map has from data */
	/* The shape alone, found even where a straight line gives no value (see lea_walk): */
	ZydisRegister treg, breg;   /* the movslq's base register (the table), the added one */
	long tuse, buse;            /* the instructions that read them */
};

/* A recognised jump table's decoding, or a pointer's load, rests on straight-line code from lo
 * to the jmp: a branch into it could bring another value. */
struct table_site {
	taddr_t lo, hi, fn_lo, fn_hi;
	taddr_t jmp;
	taddr_t abs;   /* jmp *abs(,%reg,8): the table is the instruction's, only its bound is the code's */
	bool whole;    /* abs read on while entries are code, so the bound does not matter */
	taddr_t tail;  /* a PIC table read to its guard's size: the lea of its table and base, */
	taddr_t table, base;   /* after which a branch may come in (see reread_rel_tables) */
};

/* What one function's decoding found, for the jumps of the whole function. */
struct func_dec {
	struct dec *d;
	size_t n;
	const uint8_t *code;   /* the function's bytes, for the operands decode_func skipped */
	bool provenance_done;
	uint32_t dirty;        /* registers some instruction of the function computes (bit per GPR) */
	uint32_t copies[16];   /* per register: the registers copied into it */
};

static int gpr_index(ZydisRegister r)
{
	r = reg64(r);
	return r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15 ? (int)(r - ZYDIS_REGISTER_RAX) : -1;
}

#define EPILOGUE_MAX 8   /* instructions from a restore of a register to the ret it precedes */

/* Whether the value d[i] writes can only leave the function: d[i] is followed, in straight line
 * and within a few instructions, by a ret, with no branch, call or anything else that could
 * change rip in between (the epilogue's pop of a callee-saved register). Branch targets in
 * between do not matter: whoever arrives there also goes only to the ret. */
static bool dies_at_ret(const struct func_dec *fd, size_t i)
{
	for (size_t j = i + 1; j < fd->n && j <= i + EPILOGUE_MAX; j++) {
		const ZydisDecodedInstruction *zi = &fd->d[j].zi;
		if (fd->d[j].addr != fd->d[j - 1].addr + fd->d[j - 1].zi.length)
			return false;   /* (not decoded in one run: a gap) */
		if (zi->meta.category == ZYDIS_CATEGORY_RET)
			return true;
		if (zi->meta.branch_type != ZYDIS_BRANCH_TYPE_NONE || zi->meta.category == ZYDIS_CATEGORY_SYSCALL ||
		    zi->meta.category == ZYDIS_CATEGORY_INTERRUPT || zi->meta.category == ZYDIS_CATEGORY_SYSTEM)
			return false;
	}
	return false;
}

/* The one address every write of r in the function puts there, each a lea of it (a table's
 * base the compiler hoisted out of a loop: the lea dominates its uses), or 0. A write whose
 * value only leaves the function (the epilogue's pop of a callee-saved base, as gawk's
 * interpreter keeps its table's base in r15) is not one of them. */
static taddr_t unique_lea(const struct func_dec *fd, ZydisRegister r)
{
	taddr_t v = 0;
	for (size_t i = 0; i < fd->n; i++) {
		if (!writes(&fd->d[i].zi, fd->d[i].ops, r))
			continue;
		if (dies_at_ret(fd, i))
			continue;
		taddr_t t = lea_value(fd->d, (long)i);
		if (!t || (v && t != v) || reg64(fd->d[i].ops[0].reg.value) != r)
			return 0;
		v = t;
	}
	return v;
}

/* The value of base register r at d[at]: lea'd by each of the function's writes of r, or in the
 * straight line before d[at] (*first is then that lea, if earlier). 0 if neither. */
static taddr_t base_value(const struct func_dec *fd, long at, ZydisRegister r, long *first)
{
	taddr_t v = unique_lea(fd, r);
	if (v)
		return v;
	long l = last_write(fd->d, (size_t)at, r);
	v = lea_value(fd->d, l);
	if (v && l < *first)
		*first = l;
	return v;
}

/* Whether the upper half of r is zero wherever the function reads it: r is written, and every
 * write of it is a 32-bit one (which zero-extends), but for an epilogue's restore that only
 * leaves the function. Not an argument register or rax, whose value at the entry a use can read
 * before any write (an int argument's upper half is garbage): a callee-saved or scratch register
 * is read by compiled code only after it was written, as unique_lea assumes for a table's base. */
static bool only_32bit_writes(const struct func_dec *fd, ZydisRegister r)
{
	static const ZydisRegister entry_values[] = { ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_RSI,
		ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_R8, ZYDIS_REGISTER_R9, ZYDIS_REGISTER_RSP };
	for (size_t i = 0; i < ARRAY_SIZE(entry_values); i++)
		if (r == entry_values[i])
			return false;
	bool written = false;
	for (size_t i = 0; i < fd->n; i++) {
		const struct dec *c = &fd->d[i];
		if (!c->has_ops)
			return false;
		if (!writes(&c->zi, c->ops, r) || dies_at_ret(fd, i))
			continue;
		for (unsigned k = 0; k < c->zi.operand_count; k++) {
			const ZydisDecodedOperand *op = &c->ops[k];
			if (op->type == ZYDIS_OPERAND_TYPE_REGISTER && (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
			    reg64(op->reg.value) == r && op->size != 32)
				return false;
		}
		written = true;
	}
	return written;
}

/* The number of entries of a table indexed by register idx at d[at], from the guard compilers put
 * before it: `cmp $N, %r` and, right after, `ja` (N + 1 entries) or `jae` (N) to the default, in
 * the straight line before d[at], with r the index or copied into it there (a 32-bit copy
 * zero-extends, so a 32-bit compare bounds the whole register only through one). Anything else
 * that writes the index on the way, or a call, and there is no bound: 0. *first becomes the cmp,
 * so that a branch into the code between it and the jump makes the function unsure (see
 * fast_map_build). Reading a table of the guard's size, not on while entries look like code, keeps
 * the words after it (the next table, constants) from adding targets inside instructions. */
static size_t table_bound(const struct func_dec *fd, long at, ZydisRegister idx, long *first)
{
	const struct dec *d = fd->d;
	ZydisRegister r = reg64(idx);
	bool zext = false;   /* r's upper half is zero at d[at]: a 32-bit copy on the way */
	ZydisRegister narrow = ZYDIS_REGISTER_NONE;   /* the byte or word register a movzx on the way
						       * widened: the guard must compare exactly it */
	unsigned narrow_w = 0;
	for (long i = at - 1; i > 0 && i + LOOKBACK > at; i--) {
		const struct dec *c = &d[i];
		ZydisMnemonic mn = c->zi.mnemonic;
		if (c->zi.meta.category == ZYDIS_CATEGORY_UNCOND_BR || c->zi.meta.category == ZYDIS_CATEGORY_RET ||
		    c->zi.meta.category == ZYDIS_CATEGORY_CALL || !c->has_ops)
			return 0;
		if (mn == ZYDIS_MNEMONIC_JNBE || mn == ZYDIS_MNEMONIC_JNB) {
			const struct dec *k = &d[i - 1];
			if (k->zi.mnemonic != ZYDIS_MNEMONIC_CMP || !k->has_ops ||
			    k->addr + k->zi.length != c->addr || k->ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
			    reg64(k->ops[0].reg.value) != r || k->ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
				continue;   /* another test on the way: its fall-through is ours */
			int64_t n = k->ops[1].imm.value.s + (mn == ZYDIS_MNEMONIC_JNBE);
			long from = i - 1;
			if (narrow != ZYDIS_REGISTER_NONE) {
				/* `cmp $N, %al; ja; movzbl %al, %eax` (clang): the unsigned compare bounds
				 * the byte, and the index is that byte zero-extended */
				if (k->ops[0].reg.value != narrow || k->zi.operand_width != narrow_w)
					return 0;
			} else if (k->zi.operand_width == 32 && !zext && !only_32bit_writes(fd, r)) {
				/* `sub $K, %eax; cmp $N, %eax`: made by a 32-bit write just before */
				if (from < 1 || !d[from - 1].has_ops || !writes(&d[from - 1].zi, d[from - 1].ops, r) ||
				    d[from - 1].ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
				    reg64(d[from - 1].ops[0].reg.value) != r || d[from - 1].ops[0].size != 32)
					return 0;
				from--;
			} else if (k->zi.operand_width != 64 && k->zi.operand_width != 32) {
				return 0;
			}
			if (n <= 0 || n > TABLE_MAX)
				return 0;
			if (from < *first)
				*first = from;
			return (size_t)n;
		}
		if (!writes(&c->zi, c->ops, r))
			continue;
		const ZydisDecodedOperand *dst = &c->ops[0], *src = &c->ops[1];
		if (mn == ZYDIS_MNEMONIC_MOVZX && narrow == ZYDIS_REGISTER_NONE && dst->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    reg64(dst->reg.value) == r && (dst->size == 32 || dst->size == 64) &&
		    src->type == ZYDIS_OPERAND_TYPE_REGISTER && (src->size == 8 || src->size == 16) &&
		    gpr_index(src->reg.value) >= 0) {
			narrow = src->reg.value;
			narrow_w = src->size;
			r = reg64(src->reg.value);
			continue;
		}
		if (narrow != ZYDIS_REGISTER_NONE)
			return 0;   /* (anything else written on the way: keep to the plain shape) */
		if (mn != ZYDIS_MNEMONIC_MOV || dst->type != ZYDIS_OPERAND_TYPE_REGISTER || reg64(dst->reg.value) != r ||
		    src->type != ZYDIS_OPERAND_TYPE_REGISTER || src->size != dst->size || gpr_index(src->reg.value) < 0 ||
		    (dst->size != 32 && dst->size != 64))
			return 0;
		zext |= dst->size == 32;
		r = reg64(src->reg.value);
	}
	return 0;
}

/* The two addends of J = P + Q: one an int32 loaded from a table, movslq (B,I,4), the other a
 * lea'd base; B itself lea'd. The PIC jump tables of gcc and clang, and glibc's assembly. */
static bool table_sum(const struct func_dec *fd, long at, ZydisRegister p, ZydisRegister q, struct jsrc *js)
{
	const struct dec *d = fd->d;
	for (int swap = 0; swap < 2; swap++) {
		ZydisRegister e = swap ? q : p, b = swap ? p : q;
		long le = last_write(d, (size_t)at, e);
		if (le < 0 || d[le].zi.mnemonic != ZYDIS_MNEMONIC_MOVSXD ||
		    d[le].ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY || d[le].ops[1].mem.scale != 4 ||
		    d[le].ops[1].mem.disp.value || d[le].zi.operand_width != 64)
			continue;
		js->treg = reg64(d[le].ops[1].mem.base);
		js->breg = b;
		js->tuse = le;
		js->buse = at;
		js->first = le;
		js->base = base_value(fd, at, b, &js->first);
		js->table = base_value(fd, le, reg64(d[le].ops[1].mem.base), &js->first);
		js->tail = js->first;
		js->bound = table_bound(fd, le, d[le].ops[1].mem.index, &js->first);
		if (js->base && js->table)
			return true;
	}
	return false;
}

/* Where the register j of the indirect jmp at d[k] came from; false if unknown. */
static bool jump_source(const struct func_dec *fd, size_t k, ZydisRegister j, struct jsrc *js)
{
	const struct dec *d = fd->d;
	memset(js, 0, sizeof(*js));
	long w = last_write(d, k, j);
	if (w < 0)
		return false;
	const struct dec *c = &d[w];
	if (c->zi.mnemonic == ZYDIS_MNEMONIC_POP ||
	    (c->zi.mnemonic == ZYDIS_MNEMONIC_MOV && c->ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY)) {
		js->pointer = true;
		js->first = w;
		return true;
	}
	if (c->zi.mnemonic == ZYDIS_MNEMONIC_ADD && c->ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    c->zi.operand_width == 64)
		return table_sum(fd, w, j, reg64(c->ops[1].reg.value), js);
	if (c->zi.mnemonic == ZYDIS_MNEMONIC_LEA && c->ops[1].mem.scale == 1 && !c->ops[1].mem.disp.value &&
	    c->ops[1].mem.base != ZYDIS_REGISTER_RIP && c->ops[1].mem.index != ZYDIS_REGISTER_NONE)
		return table_sum(fd, w, reg64(c->ops[1].mem.base), reg64(c->ops[1].mem.index), js);
	return false;
}

/* Whether the write of register r by c leaves a value made elsewhere (loaded from memory,
 * popped, a taken address, an immediate, zero); *copied, if not NONE, is a register whose value
 * it copies. False for arithmetic and everything else. */
static bool clean_write(const struct dec *c, ZydisRegister r, ZydisRegister *copied)
{
	const ZydisDecodedOperand *dst = &c->ops[0], *src = &c->ops[1];
	*copied = ZYDIS_REGISTER_NONE;
	if (dst->type != ZYDIS_OPERAND_TYPE_REGISTER || reg64(dst->reg.value) != r)
		return false;   /* written implicitly (mul, cpuid, syscall...) or partly */
	switch (c->zi.mnemonic) {
	case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVL:
	case ZYDIS_MNEMONIC_CMOVLE: case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE: case ZYDIS_MNEMONIC_CMOVNL:
	case ZYDIS_MNEMONIC_CMOVNLE: case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVNP: case ZYDIS_MNEMONIC_CMOVNS:
	case ZYDIS_MNEMONIC_CMOVNZ: case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVS:
	case ZYDIS_MNEMONIC_CMOVZ:
		if (src->type == ZYDIS_OPERAND_TYPE_REGISTER && dst->size >= 32 && src->size == dst->size &&
		    gpr_index(src->reg.value) >= 0) {
			*copied = reg64(src->reg.value);
			return true;
		}
		/* A whole pointer from memory: a 32-bit load could be a table's offset. */
		if (src->type == ZYDIS_OPERAND_TYPE_MEMORY && dst->size == 64)
			return true;
		return src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && c->zi.mnemonic == ZYDIS_MNEMONIC_MOV;
	case ZYDIS_MNEMONIC_POP:
		return dst->size == 64;
	case ZYDIS_MNEMONIC_LEA:
		return src->mem.base == ZYDIS_REGISTER_RIP && src->mem.index == ZYDIS_REGISTER_NONE;
	case ZYDIS_MNEMONIC_XOR:
		return src->type == ZYDIS_OPERAND_TYPE_REGISTER && reg64(src->reg.value) == r;   /* zeroing */
	default:
		return false;
	}
}

/* For each register, whether the function ever computes it, and which registers it copies. */
static void provenance(struct func_dec *fd)
{
	fd->provenance_done = true;
	for (size_t i = 0; i < fd->n; i++) {
		const struct dec *c = &fd->d[i];
		for (unsigned k = 0; k < c->zi.operand_count; k++) {
			const ZydisDecodedOperand *op = &c->ops[k];
			int g = op->type == ZYDIS_OPERAND_TYPE_REGISTER && (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) ?
				gpr_index(op->reg.value) : -1;
			if (g < 0 || g == 4)   /* (rsp: pushes and calls write it; no jump goes through it) */
				continue;
			ZydisRegister from;
			if (!clean_write(c, reg64(op->reg.value), &from))
				fd->dirty |= 1u << g;
			else if (from != ZYDIS_REGISTER_NONE)
				fd->copies[g] |= 1u << gpr_index(from);
		}
	}
}

/* Whether every value the function can leave in r was made elsewhere: r and the registers it is
 * copied from, transitively, are only ever loaded, popped, set to a taken address or constant,
 * or not written at all (arguments, and a call's results). Flow-insensitive, over the whole
 * function: one computation anywhere of any of them and the answer is no. Such a value is a code
 * address the map already has (from data, relocations, immediates and lea), or none: only
 * arithmetic makes new ones, and that is what jump tables do. */
static bool made_elsewhere(struct func_dec *fd, ZydisRegister r)
{
	if (!fd->provenance_done)
		provenance(fd);
	int g = gpr_index(r);
	if (g < 0)
		return false;
	uint32_t seen = 1u << g, todo = seen;
	while (todo) {
		int k = __builtin_ctz(todo);
		todo &= todo - 1;
		if (fd->dirty & (1u << k))
			return false;
		todo |= fd->copies[k] & ~seen;
		seen |= fd->copies[k];
	}
	return true;
}

/* Records the targets of one instruction's operands: direct branches, immediates and
 * rip-relative or absolute addresses. */
static void operand_targets(struct build *b, const struct dec *c)
{
	ZyanU64 t;
	for (unsigned i = 0; i < c->zi.operand_count_visible; i++) {
		const ZydisDecodedOperand *op = &c->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative &&
		    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&c->zi, op, c->addr, &t)))
			add_target(b, t);
		else if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->size >= 32)
			add_target(b, op->imm.value.u);
		else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->mem.base == ZYDIS_REGISTER_RIP &&
			 ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&c->zi, op, c->addr, &t)))
			add_target(b, t);
		else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->mem.base == ZYDIS_REGISTER_NONE &&
			 op->mem.disp.has_displacement)
			add_target(b, (taddr_t)op->mem.disp.value);
	}
}

static void add_unresolved(struct build *b, taddr_t at)
{
	struct fast_map *m = b->m;
	xgrow(&m->unresolved, &b->rcap, m->nunresolved + 1, sizeof(*m->unresolved));
	m->unresolved[m->nunresolved++] = at;
}

static void add_site(struct table_site **ts, size_t *nts, size_t *tscap, struct table_site site)
{
	xgrow(ts, tscap, *nts + 1, sizeof(**ts));
	(*ts)[(*nts)++] = site;
}

/* Decodes the operands of d[from..to) that were not (what an indirect jmp's
 * register rules read). */
static void decode_operands(struct dec *d, size_t from, size_t to, const uint8_t *code, taddr_t lo, taddr_t hi)
{
	for (size_t i = from; i < to; i++)
		if (!d[i].has_ops)
			d[i].has_ops = ZYAN_SUCCESS(ZydisDecoderDecodeFull(insn_decoder(), code + (d[i].addr - lo), hi - d[i].addr,
									   &d[i].zi, d[i].ops));
}

#define FLOW_STEPS 4096   /* (instruction, register) states a walk visits at most */

/* A direct branch of a function to one of its own instructions: d[src] goes to d[dst]. */
struct edge {
	taddr_t to;
	size_t src;
};

static int edge_cmp(const void *pa, const void *pb)
{
	const struct edge *a = pa, *b = pb;
	return a->to < b->to ? -1 : a->to > b->to;
}

/* The direct branches of fd to its own instructions, sorted by target (*ne of them). The caller
 * frees them. */
static struct edge *intra_edges(const struct func_dec *fd, size_t *ne)
{
	struct edge *e = xmalloc((fd->n + 1) * sizeof(*e));
	size_t n = 0;
	for (size_t i = 0; i < fd->n; i++) {
		const struct dec *c = &fd->d[i];
		ZyanU64 t;
		if ((c->zi.meta.category == ZYDIS_CATEGORY_COND_BR || c->zi.meta.category == ZYDIS_CATEGORY_UNCOND_BR) &&
		    c->has_ops && c->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&c->zi, &c->ops[0], c->addr, &t)) &&
		    t >= fd->d[0].addr && t <= fd->d[fd->n - 1].addr)
			e[n++] = (struct edge){ t, i };
	}
	qsort(e, n, sizeof(*e), edge_cmp);
	*ne = n;
	return e;
}

/* The first of the sorted edges e that goes to `to`, or e + ne if none does. */
static const struct edge *edges_to(const struct edge *e, size_t ne, taddr_t to)
{
	size_t lo = 0, hi = ne;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e[mid].to < to)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ne && e[lo].to == to ? &e[lo] : e + ne;
}

static bool caller_saved(ZydisRegister r)
{
	int g = gpr_index(r);
	return g >= 0 && ((1u << g) & 0x0fc7u);   /* rax rcx rdx rsi rdi r8-r11 */
}

/* The code a walk of flow_walk goes over: one function's instructions, or those of several
 * functions joined in address order (flow_wide). */
struct flow_code {
	const struct func_dec *fd;
	size_t entry;            /* the first instruction of the jump's function: its callers' values
				  * are made elsewhere, so no one's arrival there matters */
	size_t nfunc;            /* 0: the jump's function alone; else the functions joined: */
	const uint32_t *func;    /* each one's index in starts, */
	const size_t *head;      /* and the index of its first instruction in fd */
};

enum flow_res { FLOW_NO, FLOW_YES, FLOW_WIDER };

#define WIDE_FUNCS 8   /* functions a walk joins at most (a function and its cold fragments) */

static bool in_set(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* The first of the sorted cross-function branches that goes to `to`, or the end. */
static size_t xedge_first(const struct build *b, taddr_t to)
{
	size_t lo = 0, hi = b->nxedges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->xedges[mid].to < to)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Joined code (fc->nfunc): whoever arrives at d[at] from code that is not joined, which must be
 * joined before the walk can answer; the functions are added to need. False if the arrival cannot
 * be followed at all. */
static bool flow_outside(const struct build *b, const struct flow_code *fc, size_t at, uint32_t *need, size_t *nneed)
{
	const struct dec *d = fc->fd->d;
	for (size_t x = xedge_first(b, d[at].addr); x < b->nxedges && b->xedges[x].to == d[at].addr; x++) {
		uint32_t g = b->xedges[x].func;
		if (in_set(fc->func, fc->nfunc, g) || in_set(need, *nneed, g))
			continue;
		if (*nneed == WIDE_FUNCS)
			return false;
		need[(*nneed)++] = g;
	}
	/* The first instruction of a joined function other than the jump's: the code before it may
	 * fall into it. Joined, that code is the instruction before, if it ends here. */
	for (size_t i = 0; i < fc->nfunc; i++) {
		if (fc->head[i] != at || at == fc->entry)
			continue;
		const struct dec *prev = at ? &d[at - 1] : NULL;
		const struct fast_sec *sec = fast_image_sec(b->m->im, d[at].addr);
		if ((prev && prev->addr + prev->zi.length == d[at].addr) || (sec && sec->addr == d[at].addr))
			return true;   /* (nothing falls into the first byte of a section) */
		uint32_t g = fc->func[i];
		if (!g || in_set(fc->func, fc->nfunc, g - 1))
			return false;   /* a gap the decoding of the function before did not cover */
		if (in_set(need, *nneed, g - 1))
			return true;
		if (*nneed == WIDE_FUNCS)
			return false;
		need[(*nneed)++] = g - 1;
	}
	return true;
}

/* Whether every value the jmp *%r at fd->d[k] can jump to was made elsewhere (loaded, popped, a
 * taken address or a constant, an argument, a call's result), on every path within the code
 * that leads to it: made_elsewhere's rule, path by path instead of over the whole function (a
 * dealloc function that masks a pointer somewhere and tail-calls a loaded function pointer
 * elsewhere). The walk goes back from the jmp along fall-through and the code's own direct
 * branches; each place it passes is recorded in *pos (with the branches it followed there), and
 * the caller drops the answer if anything else arrives at one of them (a jump table, a taken
 * address, a landing pad, another function's branch: a path the walk did not see). Over joined
 * code, the functions whose branches arrive at a place the walk passes are added to need, and the
 * answer is FLOW_WIDER if there are any. */
static enum flow_res flow_walk(struct build *b, const struct flow_code *fc, size_t k, ZydisRegister r,
			       struct flow_pos **pos, size_t *npos, size_t *pcap, uint32_t site,
			       uint32_t *need, size_t *nneed)
{
	const struct func_dec *fd = fc->fd;
	size_t ne;
	struct edge *e = intra_edges(fd, &ne);
	uint8_t *seen = xcalloc(fd->n, 16);
	struct { size_t at; ZydisRegister r; } *todo = xmalloc(FLOW_STEPS * sizeof(*todo));
	size_t ntodo = 0, steps = 0, first_pos = *npos;
	bool ok = true;
	todo[ntodo++].at = k;
	todo[0].r = r;
	seen[k * 16 + gpr_index(r)] = 1;
	while (ok && ntodo) {
		size_t at = todo[--ntodo].at;
		ZydisRegister cur = todo[ntodo].r;
		/* Who runs just before d[at]: the instruction before it if it falls through, and the
		 * code's branches to it. At the entry, also the caller: an argument, or a
		 * callee-saved register's value from the caller, made elsewhere as for made_elsewhere;
		 * so calls and jumps from elsewhere to the entry are expected, and it is no place. */
		size_t preds[64], np = 0;
		const struct dec *prev = at != fc->entry && at ? &fd->d[at - 1] : NULL;
		if (prev && prev->zi.meta.category != ZYDIS_CATEGORY_UNCOND_BR &&
		    prev->zi.meta.category != ZYDIS_CATEGORY_RET && prev->addr + prev->zi.length == fd->d[at].addr)
			preds[np++] = at - 1;
		if (fc->nfunc && at != fc->entry && !flow_outside(b, fc, at, need, nneed)) {
			ok = false;
			break;
		}
		const struct edge *x = edges_to(e, ne, fd->d[at].addr);
		uint32_t intra = 0;
		for (; x < e + ne && x->to == fd->d[at].addr; x++, intra++) {
			if (np == ARRAY_SIZE(preds)) {
				ok = false;
				break;
			}
			preds[np++] = x->src;
		}
		if (at != fc->entry) {
			xgrow(pos, pcap, *npos + 1, sizeof(**pos));
			(*pos)[(*npos)++] = (struct flow_pos){ fd->d[at].addr, intra, site, 0 };
		}
		for (size_t i = 0; ok && i < np; i++) {
			const struct dec *c = &fd->d[preds[i]];
			ZydisRegister next = cur, copied;
			if (c->zi.meta.category == ZYDIS_CATEGORY_CALL && caller_saved(cur))
				continue;   /* a call's result (or a scratch value no compiled code reads) */
			if (!c->has_ops || c->zi.meta.category == ZYDIS_CATEGORY_SYSCALL) {
				ok = false;
				break;
			}
			if (writes(&c->zi, c->ops, cur)) {
				if (!clean_write(c, cur, &copied)) {
					ok = false;
					break;
				}
				if (copied == ZYDIS_REGISTER_NONE)
					continue;
				next = copied;
			}
			uint8_t *sn = &seen[preds[i] * 16 + gpr_index(next)];
			if (*sn)
				continue;
			if (++steps >= FLOW_STEPS) {
				ok = false;
				break;
			}
			*sn = 1;
			todo[ntodo].at = preds[i];
			todo[ntodo++].r = next;
		}
	}
	free(todo);
	free(seen);
	free(e);
	if (!ok || *nneed)
		*npos = first_pos;
	return !ok ? FLOW_NO : *nneed ? FLOW_WIDER : FLOW_YES;
}

/* flow_walk over the function alone, while it is decoded: the answer is kept as a flow_site. */
static bool flow_made_elsewhere(struct build *b, const struct func_dec *fd, size_t k, ZydisRegister r,
				taddr_t lo, taddr_t hi)
{
	struct flow_code fc = { .fd = fd, .entry = 0 };
	uint32_t need[1];
	size_t nneed = 0;
	if (flow_walk(b, &fc, k, r, &b->fpos, &b->nfpos, &b->fpcap, (uint32_t)b->nfsites, need, &nneed) != FLOW_YES)
		return false;
	xgrow(&b->fsites, &b->fscap, b->nfsites + 1, sizeof(*b->fsites));
	b->fsites[b->nfsites++] = (struct flow_site){ lo, hi, fd->d[k].addr, (uint32_t)b->cur_func, r, false };
	return true;
}

static int taddr_cmp(const void *pa, const void *pb)
{
	taddr_t a = *(const taddr_t *)pa, b = *(const taddr_t *)pb;
	return a < b ? -1 : a > b;
}

#define LEA_CANDIDATES 16   /* distinct addresses a function lea's into one register, tried */

/* The distinct addresses the function's 64-bit lea's of a rip-relative address put in r, at
 * most LEA_CANDIDATES, in v. Returns how many. */
static size_t lea_candidates(const struct func_dec *fd, ZydisRegister r, taddr_t *v)
{
	size_t n = 0;
	for (size_t i = 0; i < fd->n; i++) {
		const struct dec *c = &fd->d[i];
		taddr_t t;
		if (c->zi.mnemonic != ZYDIS_MNEMONIC_LEA || !c->has_ops || reg64(c->ops[0].reg.value) != r ||
		    c->ops[0].size != 64 || !(t = lea_value(fd->d, (long)i)))
			continue;
		size_t k = 0;
		while (k < n && v[k] != t)
			k++;
		if (k == n && n < LEA_CANDIDATES)
			v[n++] = t;
	}
	return n;
}

/* What one lea_walk looks for: the jump fd->d[jmp], the sorted targets of its table (the walk
 * arrives at them from the jump itself), and the address every path must lea into the register. */
struct lea_goal {
	const struct func_dec *fd;
	const struct edge *e;
	size_t ne, jmp;
	const taddr_t *entries;
	size_t nentries;
	taddr_t value;
};

/* How many of the table's entries name addr. */
static uint32_t entries_to(const struct lea_goal *g, taddr_t addr)
{
	size_t lo = 0, hi = g->nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->entries[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t n = 0;
	while (lo + n < g->nentries && g->entries[lo + n] == addr)
		n++;
	return n;
}

/* Whether the instruction c, run just before a place of the walk, leaves r as the walk needs it:
 * 1 if it puts g->value there (`lea value(%rip), %r`, 64 bits), 0 if it does not touch r (the walk
 * goes on before it), -1 if it may change r (any other write, a call if r is caller-saved, a
 * syscall, operands not decoded). */
static int lea_step(const struct lea_goal *g, size_t i, ZydisRegister r)
{
	const struct dec *c = &g->fd->d[i];
	if (!c->has_ops || c->zi.meta.category == ZYDIS_CATEGORY_SYSCALL ||
	    (c->zi.meta.category == ZYDIS_CATEGORY_CALL && caller_saved(r)))
		return -1;
	if (!writes(&c->zi, c->ops, r))
		return 0;
	return lea_value(g->fd->d, (long)i) == g->value && reg64(c->ops[0].reg.value) == r && c->ops[0].size == 64 ?
	       1 : -1;
}

/* Whether every path within the function that reaches fd->d[use] has lea'd g->value into r last:
 * a walk back from use along fall-through, the function's own direct branches and, at the table's
 * entries, the jump itself (whose register is, by induction, that value too: the first time the
 * jump runs, control came by another path), each path ending at such a lea; it fails at any other
 * write of r and at the function's entry (the caller's r is not known). Each place it passes is
 * recorded in *pos with the arrivals the walk followed there: anything else that arrives there (a
 * branch from another function, another table, a landing pad, a taken address) is a path the walk
 * did not see, and check_lea_sites drops the answer once every target is known. */
static bool lea_walk(struct build *b, const struct lea_goal *g, size_t use, ZydisRegister r, uint32_t site)
{
	const struct func_dec *fd = g->fd;
	uint8_t *seen = xcalloc(fd->n, 1);
	size_t *todo = xmalloc((fd->n + 1) * sizeof(*todo));
	size_t ntodo = 0, steps = 0, first_pos = b->nlpos;
	bool ok = true;
	todo[ntodo++] = use;
	seen[use] = 1;
	while (ok && ntodo) {
		size_t at = todo[--ntodo];
		taddr_t addr = fd->d[at].addr;
		if (!at) {
			ok = false;   /* the entry: r is whatever the caller left */
			break;
		}
		const struct dec *prev = &fd->d[at - 1];
		size_t preds[66], np = 0;
		if (prev->zi.meta.category != ZYDIS_CATEGORY_UNCOND_BR && prev->zi.meta.category != ZYDIS_CATEGORY_RET &&
		    prev->addr + prev->zi.length == addr)
			preds[np++] = at - 1;
		uint32_t arrivals = 0;
		for (const struct edge *x = edges_to(g->e, g->ne, addr); x < g->e + g->ne && x->to == addr; x++) {
			if (np == ARRAY_SIZE(preds) - 1) {
				ok = false;   /* (room is kept for the jump) */
				break;
			}
			preds[np++] = x->src;
			arrivals++;
		}
		if (!ok)
			break;
		uint32_t from_jump = entries_to(g, addr);
		if (from_jump)
			preds[np++] = g->jmp;
		xgrow(&b->lpos, &b->lpcap, b->nlpos + 1, sizeof(*b->lpos));
		b->lpos[b->nlpos++] = (struct flow_pos){ addr, arrivals + from_jump, site, fd->d[at].zi.length };
		for (size_t i = 0; ok && i < np; i++) {
			int step = lea_step(g, preds[i], r);
			if (step < 0 || ++steps >= FLOW_STEPS)
				ok = false;
			else if (!step && !seen[preds[i]]) {
				seen[preds[i]] = 1;
				todo[ntodo++] = preds[i];
			}
		}
	}
	free(todo);
	free(seen);
	if (!ok)
		b->nlpos = first_pos;
	return ok;
}

/* The targets of a table of bound int32 offsets at table from base, sorted, in *out (the caller
 * frees it), if every one is code; else NULL. */
static taddr_t *rel_entries(const struct build *b, taddr_t table, taddr_t base, size_t bound)
{
	taddr_t *v = xmalloc(bound * sizeof(*v));
	for (size_t n = 0; n < bound; n++) {
		const uint8_t *p = fast_image_bytes(b->m->im, table + 4 * n, 4);
		int32_t e;
		if (p)
			memcpy(&e, p, 4);
		if (!p || !fast_image_in_code(b->m->im, base + (taddr_t)(int64_t)e)) {
			free(v);
			return NULL;
		}
		v[n] = base + (taddr_t)(int64_t)e;
	}
	qsort(v, bound, sizeof(*v), taddr_cmp);
	return v;
}

/* A PIC jump table (js: movslq (T,I,4) added to B, the index guarded) whose T and B no straight
 * line before the jump lea's, because the compiler set them on several paths before a shared
 * jump (jq's jv_parser_next lea's its table into %rcx at the loop's head and again after a call
 * in its body; sub_9e60 keeps it in %r14 across the loop's calls): each candidate address the
 * function lea's into them is tried, and taken if lea_walk proves that every path to the movslq
 * lea's it into T and every path to the add lea's it into B. The table is then read to its
 * guard's size. Returns false, and adds nothing, if no candidate is proved. */
static bool lea_table(struct build *b, struct func_dec *fd, size_t k, const struct jsrc *js, taddr_t lo, taddr_t hi,
		      struct table_site **ts, size_t *nts, size_t *tscap)
{
	long first = js->tuse;
	size_t bound = table_bound(fd, js->tuse, fd->d[js->tuse].ops[1].mem.index, &first);
	taddr_t tv[LEA_CANDIDATES], bv[LEA_CANDIDATES];
	size_t ntv = lea_candidates(fd, js->treg, tv), nbv = lea_candidates(fd, js->breg, bv);
	if (!bound)
		return false;
	struct lea_goal g = { .fd = fd, .jmp = k };
	struct edge *e = intra_edges(fd, &g.ne);
	g.e = e;
	bool found = false;
	for (size_t i = 0; !found && i < ntv; i++)
		for (size_t j = 0; !found && j < nbv; j++) {
			taddr_t *ent = rel_entries(b, tv[i], bv[j], bound);
			if (!ent)
				continue;
			g.entries = ent;
			g.nentries = bound;
			uint32_t site = (uint32_t)b->nlsites;
			size_t npos = b->nlpos;
			g.value = tv[i];
			found = lea_walk(b, &g, (size_t)js->tuse, js->treg, site);
			g.value = bv[j];
			found = found && lea_walk(b, &g, (size_t)js->buse, js->breg, site);
			if (!found) {
				b->nlpos = npos;
				free(ent);
				continue;
			}
			for (size_t n = 0; n < bound; n++)
				add_target(b, ent[n]);
			free(ent);
			add_table_start(b, tv[i]);
			b->m->ntables++;
			xgrow(&b->lsites, &b->lscap, b->nlsites + 1, sizeof(*b->lsites));
			b->lsites[b->nlsites++] = (struct flow_site){ lo, hi, fd->d[k].addr, (uint32_t)b->cur_func,
								      js->breg, false };
			/* (the guard still rests on straight-line code, as a table read to its size does) */
			add_site(ts, nts, tscap, (struct table_site){ fd->d[first].addr, fd->d[k].addr + fd->d[k].zi.length,
								      lo, hi, fd->d[k].addr, 0, false, 0, 0, 0 });
		}
	free(e);
	return found;
}

/* Whether a direct branch of the function lands strictly between d[from] and d[to]: the straight
 * line from a lea that table_sum found to the jump is then another path's too (a loop's head), and
 * the table would be refused once the targets are known (see fast_map_build); lea_walk may prove
 * it instead. */
static bool branch_into(const struct func_dec *fd, long from, size_t to)
{
	taddr_t lo = fd->d[from].addr, hi = fd->d[to].addr;
	for (size_t i = 0; i < fd->n; i++) {
		const struct dec *c = &fd->d[i];
		ZyanU64 t;
		if ((c->zi.meta.category == ZYDIS_CATEGORY_COND_BR || c->zi.meta.category == ZYDIS_CATEGORY_UNCOND_BR) &&
		    c->has_ops && c->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&c->zi, &c->ops[0], c->addr, &t)) && t > lo && t < hi)
			return true;
	}
	return false;
}

/* The indirect jmp fd->d[k]: its targets added if it reads a jump table. Returns false if where
 * it goes cannot be known. */
static bool indirect_jump(struct build *b, struct func_dec *fd, size_t k, taddr_t lo, taddr_t hi,
			  struct table_site **ts, size_t *nts, size_t *tscap)
{
	const struct dec *c = &fd->d[k];
	const ZydisDecodedOperand *op = &c->ops[0];
	taddr_t end = c->addr + c->zi.length;
	/* Through the GOT (a tail call): it reaches function entries only. */
	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->mem.base == ZYDIS_REGISTER_RIP &&
	    op->mem.index == ZYDIS_REGISTER_NONE)
		return true;
	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->mem.base == ZYDIS_REGISTER_NONE &&
	    op->mem.index != ZYDIS_REGISTER_NONE && op->mem.scale == 8 && op->size == 64) {
		long first = (long)k;
		decode_operands(fd->d, 0, fd->n, fd->code, lo, hi);   /* (only_32bit_writes reads them all) */
		size_t bound = table_bound(fd, (long)k, op->mem.index, &first);
		add_table_start(b, (taddr_t)op->mem.disp.value);
		if (!read_abs_table(b, (taddr_t)op->mem.disp.value, bound))
			return false;
		b->m->ntables++;
		add_site(ts, nts, tscap, (struct table_site){ fd->d[first].addr, end, lo, hi, c->addr,
							      (taddr_t)op->mem.disp.value, !bound, 0, 0, 0 });
		return true;
	}
	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY)
		return true;   /* jmp *off(%reg): a pointer in memory, which the map has from data */
	/* jmp *%reg: the rules below read the writes of the whole function (made_elsewhere,
	 * unique_lea), not only the straight line before the jmp. Rare enough to cost nothing. */
	decode_operands(fd->d, 0, fd->n, fd->code, lo, hi);
	if (made_elsewhere(fd, op->reg.value)) {
		/* (the rule reads the function's own writes: code outside it that branches into it,
		 * a cold fragment, is checked once every branch is known, in check_flow_sites) */
		xgrow(&b->msites, &b->mscap, b->nmsites + 1, sizeof(*b->msites));
		b->msites[b->nmsites++] = (struct flow_site){ lo, hi, c->addr, (uint32_t)b->cur_func,
							      reg64(op->reg.value), false };
		return true;
	}
	/* A pointer loaded before the jump, on every path to it (a straight line is one), or
	 * nothing known: the walk of flow_made_elsewhere. */
	struct jsrc js;
	if (!jump_source(fd, k, reg64(op->reg.value), &js) || js.pointer) {
		if (js.treg && lea_table(b, fd, k, &js, lo, hi, ts, nts, tscap))
			return true;
		return flow_made_elsewhere(b, fd, k, reg64(op->reg.value), lo, hi);
	}
	if (branch_into(fd, js.tail, k) && lea_table(b, fd, k, &js, lo, hi, ts, nts, tscap))
		return true;
	add_table_start(b, js.table);
	if (!js.bound) {
		/* (read once every table's start is known: read_later_tables) */
		xgrow(&b->later, &b->lcap, b->nlater + 1, sizeof(*b->later));
		b->later[b->nlater++] = (struct later_table){ js.table, js.base, lo, hi, c->addr };
	} else if (!read_rel_table(b, js.table, js.base, js.bound, 0)) {
		return false;
	}
	b->m->ntables++;
	struct table_site site = { fd->d[js.first].addr, end, lo, hi, c->addr, 0, false, 0, 0, 0 };
	if (js.bound && js.tail > js.first)
		site = (struct table_site){ fd->d[js.first].addr, end, lo, hi, c->addr, 0, false,
					    fd->d[js.tail].addr, js.table, js.base };
	add_site(ts, nts, tscap, site);
	return true;
}

/* Whether the operands of zi can name a code address, as decode_func reads them: a relative
 * branch, an immediate that can hold an address, a rip-relative or absolute memory operand, an
 * indirect jmp. Most instructions are none of these, and decoding operands costs about as much
 * as decoding the instruction. */
static bool needs_operands(const struct build *b, const ZydisDecodedInstruction *zi)
{
	if (zi->mnemonic == ZYDIS_MNEMONIC_JMP || (zi->attributes & ZYDIS_ATTRIB_IS_RELATIVE))
		return true;
	for (int i = 0; i < 2; i++)
		if (zi->raw.imm[i].size >= 16 || (zi->raw.imm[i].size && b->low_code))
			return true;   /* (an imm8, sign-extended, names 0..127 or the top 128 bytes) */
	if (!(zi->attributes & ZYDIS_ATTRIB_HAS_MODRM))
		return zi->raw.disp.size != 0;   /* mov moffs */
	if (zi->raw.modrm.mod != 0)
		return false;
	return zi->raw.modrm.rm == 5 ||   /* rip-relative */
	       (zi->raw.modrm.rm == 4 && (zi->attributes & ZYDIS_ATTRIB_HAS_SIB) && (zi->raw.sib.base & 7) == 5);
}

static void add_call(struct build *b, taddr_t at, uint8_t len, size_t func)
{
	struct fast_map *m = b->m;
	xgrow(&m->calls, &b->ccap, m->ncalls + 1, sizeof(*m->calls));
	m->calls[m->ncalls++] = (struct fast_call){ at, (uint32_t)func, len };
}

static bool is_stop(const ZydisDecodedInstruction *zi)
{
	return zi->meta.category == ZYDIS_CATEGORY_RET || zi->meta.category == ZYDIS_CATEGORY_UNCOND_BR;
}

static bool is_pad(const ZydisDecodedInstruction *zi)
{
	return zi->mnemonic == ZYDIS_MNEMONIC_NOP || zi->mnemonic == ZYDIS_MNEMONIC_INT3;
}

/* Where the padding (nops, int3) from a stops, before hi. */
static taddr_t pad_end(const struct fast_image *im, taddr_t a, taddr_t hi)
{
	while (a < hi) {
		const struct fast_sec *s = fast_image_sec(im, a);
		ZydisDecodedInstruction zi;
		if (!s || !s->bytes || ZYAN_FAILED(ZydisDecoderDecodeInstruction(insn_decoder(), NULL, s->bytes + (a - s->addr),
										      s->addr + s->size - a < hi - a ?
										      s->addr + s->size - a : hi - a, &zi)) ||
		    !is_pad(&zi))
			break;
		a += zi.length;
	}
	return a;
}

static void add_hole(struct build *b, taddr_t lo, taddr_t hi, bool trailing)
{
	if (hi - lo < FAST_JMP_LEN)
		return;
	xgrow(&b->holes, &b->hcap, b->nholes + 1, sizeof(*b->holes));
	b->holes[b->nholes++] = (struct hole){ lo, hi, trailing };
}

/* The padding after each ret or jmp of a function (no fall-through reaches it), and the
 * padding after its last instruction up to the next function (next). */
static void find_holes(struct build *b, const struct func_dec *fd, taddr_t end, taddr_t next)
{
	for (size_t k = 0; k < fd->n; k++) {
		if (!is_stop(&fd->d[k].zi))
			continue;
		size_t j = k + 1;
		while (j < fd->n && is_pad(&fd->d[j].zi))
			j++;
		taddr_t lo = fd->d[k].addr + fd->d[k].zi.length;
		if (j < fd->n) {
			add_hole(b, lo, fd->d[j].addr, false);
			continue;
		}
		taddr_t hi = pad_end(b->m->im, end, next);
		add_hole(b, lo, hi, hi == next);
	}
}

/* Keeps the direct branches of function func, [lo, hi), that leave it (to its cold fragments,
 * or back from them), for flow_wide. */
static void cross_edges(struct build *b, const struct func_dec *fd, size_t func, taddr_t lo, taddr_t hi)
{
	for (size_t k = 0; k < fd->n; k++) {
		const struct dec *c = &fd->d[k];
		ZyanU64 t;
		if ((c->zi.meta.category != ZYDIS_CATEGORY_COND_BR && c->zi.meta.category != ZYDIS_CATEGORY_UNCOND_BR) ||
		    !c->has_ops || c->ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
		    ZYAN_FAILED(ZydisCalcAbsoluteAddress(&c->zi, &c->ops[0], c->addr, &t)) || (t >= lo && t < hi) ||
		    !fast_image_in_code(b->m->im, t))
			continue;
		xgrow(&b->xedges, &b->xcap, b->nxedges + 1, sizeof(*b->xedges));
		b->xedges[b->nxedges++] = (struct xedge){ t, (uint32_t)func };
	}
}

/* Decodes function number func, [lo, hi), from its start (where decoding is in step): its direct
 * branch targets, taken code addresses, calls, indirect jumps, and the holes after its rets and
 * jmps (next: where the next function starts). Returns the end of what it decoded. */
static taddr_t decode_func(struct build *b, size_t func, taddr_t lo, taddr_t hi, taddr_t next, struct table_site **ts,
			   size_t *nts, size_t *tscap)
{
	const uint8_t *code = fast_image_bytes(b->m->im, lo, hi - lo);
	if (!code)
		return lo;
	size_t cap = 64;
	struct func_dec fd = { .d = xmalloc(cap * sizeof(*fd.d)), .code = code };
	taddr_t a = lo;
	bool unresolved = false;
	while (a < hi) {
		if (fd.n == cap) {
			cap *= 2;
			fd.d = xrealloc(fd.d, cap * sizeof(*fd.d));
		}
		struct dec *c = &fd.d[fd.n];
		ZydisDecoderContext ctx;
		c->addr = a;
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(insn_decoder(), &ctx, code + (a - lo), hi - a, &c->zi))) {
			unresolved = true;   /* data in code, or out of step: we cannot see past it */
			break;
		}
		c->has_ops = needs_operands(b, &c->zi);
		if (c->has_ops && ZYAN_FAILED(ZydisDecoderDecodeOperands(insn_decoder(), &ctx, &c->zi, c->ops, c->zi.operand_count))) {
			unresolved = true;
			break;
		}
		fd.n++;
		if (c->zi.meta.category == ZYDIS_CATEGORY_CALL)
			add_call(b, a, c->zi.length, func);
		a += c->zi.length;
		if (c->has_ops)
			operand_targets(b, c);
	}
	b->cur_func = func;
	cross_edges(b, &fd, func, lo, hi);
	for (size_t k = 0; k < fd.n; k++)
		if (fd.d[k].zi.mnemonic == ZYDIS_MNEMONIC_JMP && fd.d[k].ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    !indirect_jump(b, &fd, k, lo, hi, ts, nts, tscap)) {
			unresolved = true;
			add_unresolved(b, fd.d[k].addr);
		}
	find_holes(b, &fd, a, a == hi ? next : a);
	free(fd.d);
	if (unresolved)
		add_unsure(b, lo, hi);
	return a;
}

static int func_cmp(const void *pa, const void *pb)
{
	const struct func *a = pa, *b = pb;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int range_cmp(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

bool fast_map_target_in(const struct fast_map *m, taddr_t lo, taddr_t hi)
{
	size_t i = util_upper(m->targets, m->ntargets, lo);
	return i < m->ntargets && m->targets[i] < hi;
}

bool fast_map_unsure(const struct fast_map *m, taddr_t addr)
{
	/* Few ranges in practice; they may overlap, so a scan of those starting at or before addr. */
	for (size_t i = 0; i < m->nunsure && m->unsure[i].lo <= addr; i++)
		if (addr < m->unsure[i].hi)
			return true;
	return false;
}

static int hole_cmp(const void *pa, const void *pb)
{
	const struct hole *a = pa, *b = pb;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The candidate holes that nothing can reach: no target in them (no branch, table entry,
 * landing pad or taken address), and, inside a function, code whose targets are all known.
 * Padding up to the next function is kept even in unsure code: compilers pad before a label,
 * never after the last one, and a computed jump goes to a label. */
static void keep_holes(struct build *b)
{
	struct fast_map *m = b->m;
	m->holes = b->holes;
	m->nholes = 0;
	for (size_t i = 0; i < b->nholes; i++) {
		struct hole h = b->holes[i];
		if (fast_map_target_in(m, h.lo - 1, h.hi) || (!h.trailing && fast_map_unsure(m, h.lo)))
			continue;
		m->holes[m->nholes++] = h;
	}
	if (m->nholes)
		qsort(m->holes, m->nholes, sizeof(*m->holes), hole_cmp);
	/* Functions whose extents overlap (libstdc++ has some) find the same padding twice: the
	 * holes are made disjoint, as fast_map_hole's search and the cache's check want them. */
	size_t n = 0;
	for (size_t i = 0; i < m->nholes; i++) {
		struct hole h = m->holes[i];
		if (n && h.lo < m->holes[n - 1].hi) {
			struct hole *last = &m->holes[n - 1];
			last->hi = h.hi > last->hi ? h.hi : last->hi;
			last->trailing = last->trailing || h.trailing;
			continue;
		}
		m->holes[n++] = h;
	}
	m->nholes = n;
}

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

static int xedge_cmp(const void *pa, const void *pb)
{
	const struct xedge *a = pa, *b = pb;
	return a->to < b->to ? -1 : a->to > b->to;
}

/* Appends function func's instructions, from its start to where decode_func stopped, each with
 * its operands (the walk reads them all). False if it has none or they do not decode. */
static bool decode_whole(const struct build *b, uint32_t func, struct func_dec *fd, size_t *cap)
{
	taddr_t lo = b->m->starts[func], hi = b->dend[func];
	const uint8_t *code = hi > lo ? fast_image_bytes(b->m->im, lo, hi - lo) : NULL;
	if (!code)
		return false;
	for (taddr_t a = lo; a < hi;) {
		if (fd->n == *cap) {
			*cap = *cap ? 2 * *cap : 256;
			fd->d = xrealloc(fd->d, *cap * sizeof(*fd->d));
		}
		struct dec *c = &fd->d[fd->n];
		c->addr = a;
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(insn_decoder(), code + (a - lo), hi - a, &c->zi, c->ops)))
			return false;
		c->has_ops = true;
		fd->n++;
		a += c->zi.length;
	}
	return true;
}

/* A jmp *%r that flow_made_elsewhere cleared over its function, but whose walk passed places that
 * something outside the function arrives at: gcc's cold fragments (.text.unlikely, which
 * discovery may take for functions or join into one) jump back into the function they were split
 * from. The walk again over the function joined with the functions those branches come from, and
 * so on, up to WIDE_FUNCS of them; its places are kept in b->wpos, to be counted as the first
 * walk's were. */
static bool flow_wide(struct build *b, const struct flow_site *s)
{
	const struct fast_map *m = b->m;
	uint32_t func[WIDE_FUNCS], need[WIDE_FUNCS];
	size_t nfunc = 1;
	func[0] = s->func;
	for (;;) {
		qsort(func, nfunc, sizeof(*func), u32_cmp);
		struct func_dec fd = { 0 };
		size_t cap = 0, head[WIDE_FUNCS], entry = 0;
		bool ok = true;
		for (size_t i = 0; ok && i < nfunc; i++) {
			ok = !i || b->dend[func[i - 1]] <= m->starts[func[i]];   /* (decodings that overlap: no) */
			head[i] = fd.n;
			if (func[i] == s->func)
				entry = fd.n;
			ok = ok && decode_whole(b, func[i], &fd, &cap);
		}
		size_t k = entry;
		while (ok && k < fd.n && fd.d[k].addr < s->jmp)
			k++;
		ok = ok && k < fd.n && fd.d[k].addr == s->jmp;
		struct flow_code fc = { &fd, entry, nfunc, func, head };
		size_t nneed = 0;
		enum flow_res res = ok ? flow_walk(b, &fc, k, s->r, &b->wpos, &b->nwpos, &b->wpcap, (uint32_t)b->nwsites,
						   need, &nneed) : FLOW_NO;
		free(fd.d);
		if (res == FLOW_YES) {
			xgrow(&b->wsites, &b->wscap, b->nwsites + 1, sizeof(*b->wsites));
			b->wsites[b->nwsites++] = *s;
			return true;
		}
		if (res == FLOW_NO || nfunc + nneed > WIDE_FUNCS)
			return false;
		memcpy(func + nfunc, need, nneed * sizeof(*need));
		nfunc += nneed;
	}
}

/* Which of nsites sites rest on a place something else arrives at: the targets, before they
 * are made unique, name each place once per branch, table entry, taken address or data word that
 * arrives there, so a place must be named exactly as often as the branches the walk followed
 * there name it. Returns a flag per site (the caller frees it). */
static bool *count_places(const struct fast_map *m, const struct flow_pos *pos, size_t npos, size_t nsites)
{
	bool *bad = xcalloc(nsites + 1, sizeof(*bad));
	if (!npos)
		return bad;
	taddr_t *q = xmalloc(npos * sizeof(*q));
	for (size_t i = 0; i < npos; i++)
		q[i] = pos[i].addr;
	qsort(q, npos, sizeof(*q), taddr_cmp);
	size_t nq = 0;
	for (size_t i = 0; i < npos; i++)
		if (!nq || q[nq - 1] != q[i])
			q[nq++] = q[i];
	uint32_t *count = xcalloc(nq + 1, sizeof(*count));
	for (size_t i = 0; i < m->ntargets; i++) {
		taddr_t *x = bsearch(&m->targets[i], q, nq, sizeof(*q), taddr_cmp);
		if (x)
			count[x - q]++;
	}
	for (size_t i = 0; i < npos; i++) {
		taddr_t *x = bsearch(&pos[i].addr, q, nq, sizeof(*q), taddr_cmp);
		if (count[x - q] != pos[i].intra)
			bad[pos[i].site] = true;
	}
	free(count);
	free(q);
	return bad;
}

static void drop_site(struct build *b, struct flow_site *s)
{
	s->dropped = true;
	add_unsure(b, s->fn_lo, s->fn_hi);
	add_unresolved(b, s->jmp);
}

/* Drops each answer of flow_made_elsewhere that rests on a place something else arrives at,
 * unless flow_wide finds that what arrives there comes from code it can join. Runs once every
 * target is known. */
static void check_flow_sites(struct build *b)
{
	struct fast_map *m = b->m;
	bool *bad = count_places(m, b->fpos, b->nfpos, b->nfsites);
	if (b->nxedges)
		qsort(b->xedges, b->nxedges, sizeof(*b->xedges), xedge_cmp);
	for (size_t i = 0; i < b->nfsites; i++)
		if (bad[i] && !flow_wide(b, &b->fsites[i]))
			drop_site(b, &b->fsites[i]);
	free(bad);
	/* made_elsewhere read the writes of the jump's function alone: where code outside it
	 * branches into it, that code's writes count too, path by path. */
	for (size_t i = 0; i < b->nmsites; i++) {
		struct flow_site *s = &b->msites[i];
		size_t x = xedge_first(b, s->fn_lo + 1);
		if (x < b->nxedges && b->xedges[x].to < s->fn_hi && !flow_wide(b, s))
			drop_site(b, s);
	}
	free(b->msites);
	bad = count_places(m, b->wpos, b->nwpos, b->nwsites);
	for (size_t i = 0; i < b->nwsites; i++)
		if (bad[i])
			drop_site(b, &b->wsites[i]);
	free(bad);
	free(b->fpos);
	free(b->fsites);
}

/* Drops each answer of lea_walk that rests on a place something else arrives at (counted as
 * check_flow_sites counts). Runs once every target is known, before they are made unique. */
static void check_lea_sites(struct build *b)
{
	bool *bad = count_places(b->m, b->lpos, b->nlpos, b->nlsites);
	for (size_t i = 0; i < b->nlsites; i++)
		if (bad[i])
			drop_site(b, &b->lsites[i]);
	free(bad);
}

/* The same for a target inside an instruction the walk passed (code that overlaps it could fall
 * into a place unseen), once the targets are sorted. */
static void check_lea_insides(struct build *b)
{
	for (size_t i = 0; i < b->nlpos; i++) {
		struct flow_site *s = &b->lsites[b->lpos[i].site];
		if (!s->dropped && fast_map_target_in(b->m, b->lpos[i].addr, b->lpos[i].addr + b->lpos[i].len))
			drop_site(b, s);
	}
	free(b->lpos);
	free(b->lsites);
}

/* The answers of flow_wide rest on places in other functions too, and wherever the targets are
 * not all known (an indirect jump unresolved, an LSDA unread), anything may arrive: such an
 * answer is dropped, which makes its own function unsure, which may drop others, until none is
 * left. Runs once the unsure ranges are all known, sorted. */
static void check_wide_sites(struct build *b)
{
	struct fast_map *m = b->m;
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < b->nwpos; i++) {
			struct flow_site *s = &b->wsites[b->wpos[i].site];
			taddr_t a = b->wpos[i].addr;
			if (s->dropped || (a >= s->fn_lo && a < s->fn_hi) || !fast_map_unsure(m, a))
				continue;
			drop_site(b, s);
			changed = true;
		}
		if (changed)
			qsort(m->unsure, m->nunsure, sizeof(*m->unsure), range_cmp);
	}
	free(b->wpos);
	free(b->wsites);
}

/* The tables of int32 offsets whose size no guard gives (clang's switch over an enum it knows
 * the range of, a byte or word loaded as the index), read on while entries are code, but only up
 * to the next table's start: jump tables are objects of their own, and the next one's words,
 * taken as offsets from this one's base, land inside instructions (libLLVM's tables follow each
 * other in .rodata). A table with no entry leaves its jump unresolved. Runs once every function
 * was decoded, before the targets are counted. */
/* The entries a table at `table` may have before the next table's start (tstarts sorted, n). */
static size_t next_table_limit(const taddr_t *tstarts, size_t n, taddr_t table)
{
	size_t k = util_upper(tstarts, n, table);
	return k < n && (tstarts[k] - table) / 4 < TABLE_MAX ? (size_t)(tstarts[k] - table) / 4 : TABLE_MAX;
}

static void read_later_tables(struct build *b)
{
	size_t n = util_sort_unique(b->tstarts, b->ntstarts);
	for (size_t i = 0; i < b->nlater; i++) {
		const struct later_table *t = &b->later[i];
		if (!read_rel_table(b, t->table, t->base, 0, next_table_limit(b->tstarts, n, t->table))) {
			add_unsure(b, t->fn_lo, t->fn_hi);
			add_unresolved(b, t->jmp);
		}
	}
	b->ntstarts = n;   /* (sorted: reread_rel_tables reads them, and frees them) */
	free(b->later);
}

/* A non-PIC table, jmp *T(,%reg,8), read to the size of the guard before it, whose guard a
 * branch can skip (python3's _Py_VaBuildStack comes to the jmp from a second `cmp`/`jbe`): T is
 * the instruction's own, so it is the right table on every path, and only its size may be
 * another. Read on while entries are code (which only adds targets, the words after the table),
 * it needs no guard. Runs before the flow sites are checked, which count every target. */
static void reread_abs_tables(struct build *b, struct table_site *ts, size_t nts)
{
	struct fast_map *m = b->m;
	size_t nabs = 0;
	for (size_t i = 0; i < nts; i++)
		nabs += ts[i].abs && !ts[i].whole;
	if (!nabs)
		return;
	struct fast_map sorted = { .ntargets = m->ntargets };
	sorted.targets = xmalloc((m->ntargets + 1) * sizeof(*sorted.targets));
	if (m->ntargets)
		memcpy(sorted.targets, m->targets, m->ntargets * sizeof(*m->targets));
	sorted.ntargets = util_sort_unique(sorted.targets, sorted.ntargets);
	for (size_t i = 0; i < nts; i++)
		if (ts[i].abs && !ts[i].whole && fast_map_target_in(&sorted, ts[i].lo, ts[i].hi)) {
			read_abs_table(b, ts[i].abs, 0);
			ts[i].whole = true;
		}
	free(sorted.targets);
}

/* reread_abs_tables' case for a PIC table read to its guard's size, where the branch that skips
 * the guard comes in at or before the lea of the table and of its base, not after it (jq's
 * jq_next: gcc threads a second `cmp $0x51, %bx; jbe` straight to the lea): table and base are
 * then the same on every path, only the index's bound may be another, so the table is read as an
 * unguarded one is (on while entries are code, up to the next table's start), and only a branch
 * after the lea makes the function unsure. A branch between that lea and the jmp keeps it so. */
static void reread_rel_tables(struct build *b, struct table_site *ts, size_t nts)
{
	struct fast_map *m = b->m;
	struct fast_map sorted = { .ntargets = m->ntargets };
	sorted.targets = xmalloc((m->ntargets + 1) * sizeof(*sorted.targets));
	if (m->ntargets)
		memcpy(sorted.targets, m->targets, m->ntargets * sizeof(*m->targets));
	sorted.ntargets = util_sort_unique(sorted.targets, sorted.ntargets);
	for (size_t i = 0; i < nts; i++)
		if (ts[i].tail && fast_map_target_in(&sorted, ts[i].lo, ts[i].hi) &&
		    !fast_map_target_in(&sorted, ts[i].tail, ts[i].hi)) {
			read_rel_table(b, ts[i].table, ts[i].base, 0, next_table_limit(b->tstarts, b->ntstarts, ts[i].table));
			ts[i].lo = ts[i].tail;   /* (checked again with every target, in fast_map_build) */
		}
	free(sorted.targets);
	free(b->tstarts);
}

void fast_map_build(struct fast_map *m, const struct fast_image *im, const struct func *funcs, size_t nfuncs)
{
	memset(m, 0, sizeof(*m));
	m->im = im;
	struct build b = { .m = m };

	/* Function starts, and the extent of each: its size, else up to the next start. */
	struct func *fs = xmalloc((nfuncs + 1) * sizeof(*fs));
	bool sorted = true;   /* (a symtab's are: sorting them again was 5% of planting 100,000) */
	for (size_t i = 1; i < nfuncs && sorted; i++)
		sorted = funcs[i - 1].addr <= funcs[i].addr;
	if (nfuncs)
		memcpy(fs, funcs, nfuncs * sizeof(*fs));
	if (nfuncs && !sorted)
		qsort(fs, nfuncs, sizeof(*fs), func_cmp);   /* (merge sort: stable, as the loop below needs) */
	m->starts = xmalloc((nfuncs + 1) * sizeof(*m->starts));
	m->ext = xmalloc((nfuncs + 1) * sizeof(*m->ext));
	for (size_t i = 0; i < nfuncs; i++) {
		if (m->nstarts && m->starts[m->nstarts - 1] == fs[i].addr)
			continue;
		taddr_t lo = fs[i].addr;
		const struct fast_sec *s = fast_image_sec(im, lo);
		taddr_t hi = s && s->exec ? s->addr + s->size : lo;
		size_t j = i + 1;   /* the next start: a start given twice (symbols, then discovery) is one */
		while (j < nfuncs && fs[j].addr == lo)
			j++;
		if (fs[i].size && fs[i].size < hi - lo)
			hi = lo + fs[i].size;
		else if (!fs[i].size && j < nfuncs && fs[j].addr < hi)
			hi = fs[j].addr;
		m->ext[m->nstarts] = (struct range){ lo, hi };
		m->starts[m->nstarts++] = lo;
	}
	free(fs);


	/* Each function from its start, in step. */
	struct table_site *ts = NULL;
	size_t nts = 0, tscap = 0;
	for (size_t i = 0; i < im->nsecs; i++)
		b.low_code |= im->secs[i].exec && (im->secs[i].addr < 128 || im->secs[i].addr + im->secs[i].size > (taddr_t)-128);
	taddr_t *dend = xmalloc((m->nstarts + 1) * sizeof(*dend));
	for (size_t i = 0; i < m->nstarts; i++) {
		const struct fast_sec *s = fast_image_sec(im, m->ext[i].lo);
		taddr_t next = i + 1 < m->nstarts ? m->starts[i + 1] : m->ext[i].hi;
		if (s && next > s->addr + s->size)
			next = s->addr + s->size;
		if (next < m->ext[i].hi)
			next = m->ext[i].hi;
		dend[i] = m->ext[i].hi > m->ext[i].lo ? decode_func(&b, i, m->ext[i].lo, m->ext[i].hi, next, &ts, &nts, &tscap)
						      : m->ext[i].lo;
	}

	/* The whole code, decoded linearly as discovery does: it sees code no symbol covers, and
	 * code decoded out of step. */
	struct linear lin = { &b, dend, 0 };
	for (size_t i = 0; i < im->nsecs; i++)   /* (sorted by address, as the cursor needs) */
		if (im->secs[i].exec && im->secs[i].bytes)
			scan_calls_skipping(im->secs[i].bytes, im->secs[i].size, im->secs[i].addr, skip_decoded, on_ref, &lin);
	b.dend = dend;

	/* Data that holds code addresses: relocated pointers, and aligned words of the file's data
	 * that look like code addresses (non-PIC tables of labels, function pointers). */
	for (size_t i = 0; i < im->nrelptrs; i++)
		add_target(&b, im->relptrs[i]);
	for (size_t i = 0; i < im->nsecs; i++) {
		const struct fast_sec *s = &im->secs[i];
		if (s->exec || !s->bytes)
			continue;
		for (size_t off = (8 - (s->addr & 7)) & 7; off + 8 <= s->size; off += 8) {
			uint64_t v;
			memcpy(&v, s->bytes + off, 8);
			add_target(&b, v);
		}
	}

	struct lsda_out lo = { on_pad, on_unsure, &b };
	lsda_pads(im, &lo);

	read_later_tables(&b);
	reread_abs_tables(&b, ts, nts);
	reread_rel_tables(&b, ts, nts);
	check_flow_sites(&b);
	check_lea_sites(&b);
	free(dend);
	free(b.xedges);
	m->ntargets = util_sort_unique(m->targets, m->ntargets);

	/* A table read from a lea that a branch can skip may be the wrong table. */
	for (size_t i = 0; i < nts; i++)
		if (!ts[i].whole && fast_map_target_in(m, ts[i].lo, ts[i].hi)) {
			add_unsure(&b, ts[i].fn_lo, ts[i].fn_hi);
			add_unresolved(&b, ts[i].jmp);
		}
	free(ts);
	check_lea_insides(&b);
	if (m->nunsure)   /* (qsort wants a pointer, even for nothing) */
		qsort(m->unsure, m->nunsure, sizeof(*m->unsure), range_cmp);
	check_wide_sites(&b);
	keep_holes(&b);
}

taddr_t fast_map_hole(const struct fast_map *m, taddr_t from, bool (*usable)(taddr_t slot, void *arg), void *arg)
{
	taddr_t lo = from + FAST_JMP8_LEN - 128, hi = from + FAST_JMP8_LEN + 127;   /* what rel8 reaches */
	size_t a = 0, z = m->nholes;
	while (a < z) {   /* the first hole that ends after lo */
		size_t mid = a + (z - a) / 2;
		if (m->holes[mid].hi <= lo)
			a = mid + 1;
		else
			z = mid;
	}
	/* The nearest slot: the jump stays in the code's own cache lines. */
	taddr_t best = 0, dbest = ~(taddr_t)0;
	for (size_t i = a; i < m->nholes && m->holes[i].lo <= hi; i++)
		for (taddr_t h = m->holes[i].lo > lo ? m->holes[i].lo : lo; h <= hi && h + FAST_JMP_LEN <= m->holes[i].hi; h++) {
			taddr_t d = h > from ? h - from : from - h;
			if (d < dbest && usable(h, arg)) {
				best = h;
				dbest = d;
			}
		}
	return best;
}

void fast_map_free(struct fast_map *m)
{
	free(m->calls);
	free(m->holes);
	free(m->targets);
	free(m->unsure);
	free(m->starts);
	free(m->ext);
	free(m->unresolved);
	memset(m, 0, sizeof(*m));
}

/* Instructions that must run where they are: they read their own address (syscall leaves it in
 * rcx), are too short to reach from elsewhere (loop, jrcxz: rel8 only), or trap on purpose. */
static bool pinned(const ZydisDecodedInstruction *zi)
{
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_SYSCALL: case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_INT:
	case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO:
	case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD: case ZYDIS_MNEMONIC_IRETQ:
	case ZYDIS_MNEMONIC_XBEGIN: case ZYDIS_MNEMONIC_XABORT: case ZYDIS_MNEMONIC_XEND:
	case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE:
	case ZYDIS_MNEMONIC_JCXZ: case ZYDIS_MNEMONIC_JECXZ: case ZYDIS_MNEMONIC_JRCXZ:
	case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1: case ZYDIS_MNEMONIC_UD2:
	case ZYDIS_MNEMONIC_HLT:
		return true;
	default:
		return zi->meta.category == ZYDIS_CATEGORY_SYSTEM;
	}
}

/* Classifies one instruction for relocation. Returns FAST_OK or why it cannot move. */
static enum fast_why classify(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops, taddr_t a,
			      struct fast_insn *fi)
{
	if (pinned(zi))
		return FAST_PINNED;
	const ZydisDecodedOperand *o = &ops[0];
	ZyanU64 t;
	bool rel = o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && o->imm.is_relative;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_MODRM && zi->raw.modrm.mod == 0 && zi->raw.modrm.rm == 5) {
		if (zi->raw.disp.size != 32 || !zi->raw.disp.offset)
			return FAST_PINNED;
		fi->disp_off = zi->raw.disp.offset;   /* rip-relative */
	}
	switch (zi->meta.category) {
	case ZYDIS_CATEGORY_RET:
		fi->stop = true;
		return FAST_OK;
	case ZYDIS_CATEGORY_UNCOND_BR:
		fi->stop = true;
		if (!rel)
			return FAST_OK;   /* jmp *reg, jmp *mem: runs anywhere */
		if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(zi, o, a, &t)))
			return FAST_PINNED;
		fi->op = FOP_JMP;
		fi->target = t;
		return FAST_OK;
	case ZYDIS_CATEGORY_COND_BR:
		if (!rel || ZYAN_FAILED(ZydisCalcAbsoluteAddress(zi, o, a, &t)))
			return FAST_PINNED;
		fi->op = FOP_JCC;
		fi->cond = zi->opcode & 0x0f;
		fi->target = t;
		return FAST_OK;
	case ZYDIS_CATEGORY_CALL:
		if (rel) {
			if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(zi, o, a, &t)))
				return FAST_PINNED;
			fi->op = FOP_CALL;
			fi->target = t;
			return FAST_OK;
		}
		if (zi->opcode != 0xff || !(zi->attributes & ZYDIS_ATTRIB_HAS_MODRM) || zi->raw.modrm.reg != 2)
			return FAST_PINNED;   /* far calls */
		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    (reg64(o->mem.base) == ZYDIS_REGISTER_RSP || reg64(o->mem.index) == ZYDIS_REGISTER_RSP))
			return FAST_STACK_CALL;   /* the pushed return address would move its operand */
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER && reg64(o->reg.value) == ZYDIS_REGISTER_RSP)
			return FAST_STACK_CALL;
		fi->op = FOP_CALL_IND;
		fi->modrm_off = zi->raw.modrm.offset;
		return FAST_OK;
	default:
		for (unsigned i = 0; i < zi->operand_count; i++)
			if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative)
				return FAST_PINNED;
		return FAST_OK;
	}
}

/* Empties w for a window at addr. Returns the code section that holds addr, or NULL if addr is
 * not in code whose bytes the image has. */
static const struct fast_sec *window_begin(const struct fast_map *m, taddr_t addr, struct fast_window *w)
{
	memset(w, 0, sizeof(*w));
	w->addr = addr;
	const struct fast_sec *s = fast_image_sec(m->im, addr);
	return s && s->exec && s->bytes ? s : NULL;
}

/* The window of whole instructions at addr that covers need bytes. */
static enum fast_why window_cover(const struct fast_map *m, taddr_t addr, unsigned need, struct fast_window *w)
{
	const struct fast_sec *s = window_begin(m, addr, w);
	if (!s)
		return FAST_NO_CODE;
	taddr_t send = s->addr + s->size;
	/* The function holding addr bounds the instructions; the next function bounds padding. */
	size_t i = util_upper(m->starts, m->nstarts, addr);
	taddr_t next = i < m->nstarts && m->starts[i] < send ? m->starts[i] : send;
	taddr_t fhi = i && m->ext[i - 1].hi > addr ? m->ext[i - 1].hi : next;
	if (fhi > next)
		fhi = next;

	unsigned cov = 0;
	bool stopped = false;
	while (cov < need) {
		taddr_t a = addr + cov;
		taddr_t lim = stopped ? next : fhi;
		if (a >= lim)
			return stopped ? FAST_FUNC_INSIDE : FAST_SHORT;
		if (w->n == FAST_WIN_INSNS)
			return FAST_SHORT;
		size_t avail = lim - a < INSN_MAX ? (size_t)(lim - a) : INSN_MAX;
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(insn_decoder(), s->bytes + (a - s->addr), avail, &zi, ops)))
			return FAST_UNDECODABLE;
		struct fast_insn *fi = &w->insn[w->n++];
		fi->off = (uint8_t)cov;
		fi->len = zi.length;
		if (stopped) {
			if (zi.mnemonic != ZYDIS_MNEMONIC_NOP && zi.mnemonic != ZYDIS_MNEMONIC_INT3)
				return FAST_SHORT;   /* code, not padding, after the ret or jmp */
			fi->op = FOP_PAD;
		} else {
			enum fast_why why = classify(&zi, ops, a, fi);
			if (why != FAST_OK)
				return why;
			stopped = fi->stop;
		}
		cov += zi.length;
		if ((fi->op == FOP_CALL || fi->op == FOP_CALL_IND) && cov < need)
			return FAST_CALL_INSIDE;
	}
	w->len = (uint8_t)cov;
	memcpy(w->bytes, s->bytes + (addr - s->addr), cov);
	if (fast_map_target_in(m, addr, addr + cov))
		return FAST_TARGET;
	if (next < addr + cov)
		return FAST_FUNC_INSIDE;
	if (w->n > 1 && fast_map_unsure(m, addr))
		return FAST_UNSURE;
	return FAST_OK;
}

enum fast_why fast_window_check(const struct fast_map *m, taddr_t addr, struct fast_window *w)
{
	return window_cover(m, addr, FAST_JMP_LEN, w);
}

enum fast_why fast_window_short(const struct fast_map *m, taddr_t addr, struct fast_window *w)
{
	return window_cover(m, addr, FAST_JMP8_LEN, w);
}

enum fast_why fast_window_cover(const struct fast_map *m, taddr_t addr, unsigned need, struct fast_window *w)
{
	return window_cover(m, addr, need, w);
}

enum fast_why fast_window_one(const struct fast_map *m, taddr_t addr, struct fast_window *w)
{
	const struct fast_sec *s = window_begin(m, addr, w);
	if (!s)
		return FAST_NO_CODE;
	taddr_t send = s->addr + s->size;
	size_t avail = send - addr < INSN_MAX ? (size_t)(send - addr) : INSN_MAX;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	if (ZYAN_FAILED(ZydisDecoderDecodeFull(insn_decoder(), s->bytes + (addr - s->addr), avail, &zi, ops)))
		return FAST_UNDECODABLE;
	struct fast_insn *fi = &w->insn[w->n++];
	fi->len = zi.length;
	enum fast_why why = classify(&zi, ops, addr, fi);
	if (why != FAST_OK)
		return why;
	w->len = zi.length;
	memcpy(w->bytes, s->bytes + (addr - s->addr), zi.length);
	return FAST_OK;
}

const char *fast_why_name(enum fast_why why)
{
	static const char *const names[FAST_NWHY] = {
		[FAST_OK] = "patched", [FAST_NO_CODE] = "not code", [FAST_SHORT] = "too short",
		[FAST_UNDECODABLE] = "undecodable", [FAST_TARGET] = "branch target inside",
		[FAST_UNSURE] = "targets not all known", [FAST_PINNED] = "instruction cannot move",
		[FAST_CALL_INSIDE] = "call inside", [FAST_STACK_CALL] = "call through the stack",
		[FAST_FUNC_INSIDE] = "next function inside",
	};
	return why < FAST_NWHY ? names[why] : "?";
}

void fast_map_each_call(const struct fast_map *m,
			void (*fn)(taddr_t call, const uint8_t *bytes, unsigned len, taddr_t end, void *arg), void *arg)
{
	for (size_t i = 0; i < m->ncalls; i++) {
		const struct fast_call *c = &m->calls[i];
		fn(c->at, fast_image_bytes(m->im, c->at, c->len), c->len, m->ext[c->func].hi, arg);
	}
}

taddr_t fast_window_entry(const struct fast_map *m, taddr_t fn)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	const uint8_t *p = fast_image_bytes(m->im, fn, 4);
	return p && !memcmp(p, endbr64, 4) ? fn + 4 : fn;
}
