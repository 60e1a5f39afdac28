/* abi: the System V x86-64 calling convention (AMD64 ABI 3.2.3), for locating and reading
 * arguments and return values. */
#include "abi.h"

#include <string.h>
#include <sys/user.h>

enum { NGPR = 6, NXMM = 8 };

static const char *const reg_names[] = {
	"rdi", "rsi", "rdx", "rcx", "r8", "r9", "rax",
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "st0",
};

const char *abi_reg_name(enum abi_reg r)
{
	return r < ABI_NOREG ? reg_names[r] : "?";
}

enum abi_reg abi_reg_by_name(const char *name)
{
	for (unsigned r = 0; r < ABI_NOREG; r++)
		if (!strcmp(reg_names[r], name))
			return r;
	return ABI_NOREG;
}

void abi_classify_finish(enum arg_class cls[2], unsigned size)
{
	bool memory = size > 16 || size == 0;
	for (int i = 0; i < 2; i++)
		if (cls[i] == CLASS_MEMORY || cls[i] == CLASS_X87)
			memory = true;
	if (memory) {
		cls[0] = CLASS_MEMORY;
		cls[1] = CLASS_NONE;
	} else if (size <= 8) {
		cls[1] = CLASS_NONE;
	} else if (cls[1] == CLASS_NONE) {
		cls[1] = CLASS_SSE;     /* an eightbyte of padding only: any class does, none is read */
	}
	if (!memory && cls[0] == CLASS_NONE)
		cls[0] = CLASS_SSE;
}

/* The classes of a scalar or aggregate's eightbytes. */
static void classes_of(const struct arg_type *ty, enum arg_class cls[2])
{
	cls[0] = cls[1] = CLASS_NONE;
	switch (ty->kind) {
	case ARG_VOID:
		return;
	case ARG_FLOAT:
		cls[0] = ty->size == 16 ? CLASS_X87 : CLASS_SSE;
		return;
	case ARG_STRUCT:
		cls[0] = ty->cls[0];
		cls[1] = ty->cls[1];
		return;
	default:
		cls[0] = CLASS_INTEGER;
		if (ty->size == 16)
			cls[1] = CLASS_INTEGER;     /* __int128 */
		return;
	}
}

void abi_begin(struct abi_cursor *c, const struct arg_type *ret)
{
	*c = (struct abi_cursor){ .stack = 8 };
	enum arg_class cls[2];
	classes_of(ret, cls);
	if (ret->kind == ARG_STRUCT && (cls[0] == CLASS_MEMORY || ret->by_ref))
		c->gpr = 1;
}

static struct arg_loc on_stack(struct abi_cursor *c, const struct arg_type *ty)
{
	/* rsp + 8, where the arguments start, is 16-byte aligned (the caller's rsp before its
	 * call): alignment counts from there, not from rsp. */
	uint64_t align = ty->align > 8 ? 16 : 8;
	c->stack = 8 + ((c->stack - 8 + align - 1) & ~(align - 1));
	struct arg_loc loc = { WHERE_STACK, { ABI_NOREG, ABI_NOREG }, c->stack };
	c->stack += ((uint64_t)ty->size + 7) & ~UINT64_C(7);
	return loc;
}

struct arg_loc abi_next(struct abi_cursor *c, const struct arg_type *ty)
{
	struct arg_loc loc = { WHERE_NONE, { ABI_NOREG, ABI_NOREG }, 0 };
	if (ty->kind == ARG_VOID)
		return loc;
	if (ty->kind == ARG_STRUCT && ty->by_ref) {     /* the caller's copy, by its address */
		if (c->gpr < NGPR)
			return (struct arg_loc){ WHERE_REF, { ABI_RDI + c->gpr++, ABI_NOREG }, 0 };
		struct arg_type ptr = arg_type_ptr(ARG_PTR);
		loc = on_stack(c, &ptr);
		loc.where = WHERE_REF;  /* the address is in that slot */
		return loc;
	}
	enum arg_class cls[2];
	classes_of(ty, cls);
	if (cls[0] == CLASS_MEMORY || cls[0] == CLASS_X87)
		return on_stack(c, ty);
	unsigned need_gpr = 0, need_xmm = 0;
	for (int i = 0; i < 2; i++) {
		need_gpr += cls[i] == CLASS_INTEGER;
		need_xmm += cls[i] == CLASS_SSE;
	}
	if (c->gpr + need_gpr > NGPR || c->xmm + need_xmm > NXMM)
		return on_stack(c, ty);         /* all of it: no eightbyte in a register then */
	loc.where = WHERE_REGS;
	for (int i = 0; i < 2; i++) {
		if (cls[i] == CLASS_INTEGER)
			loc.reg[i] = ABI_RDI + c->gpr++;
		else if (cls[i] == CLASS_SSE)
			loc.reg[i] = ABI_XMM0 + c->xmm++;
	}
	return loc;
}

struct arg_loc abi_return(const struct arg_type *ret)
{
	struct arg_loc loc = { WHERE_NONE, { ABI_NOREG, ABI_NOREG }, 0 };
	enum arg_class cls[2];
	classes_of(ret, cls);
	if (cls[0] == CLASS_NONE)
		return loc;
	if (cls[0] == CLASS_MEMORY || (ret->kind == ARG_STRUCT && ret->by_ref))
		return (struct arg_loc){ WHERE_REF, { ABI_RAX, ABI_NOREG }, 0 };
	if (cls[0] == CLASS_X87)
		return (struct arg_loc){ WHERE_REGS, { ABI_ST0, ABI_NOREG }, 0 };
	static const enum abi_reg gprs[] = { ABI_RAX, ABI_RDX };
	unsigned gpr = 0, xmm = 0;
	loc.where = WHERE_REGS;
	for (int i = 0; i < 2; i++) {
		if (cls[i] == CLASS_INTEGER)
			loc.reg[i] = gprs[gpr++];
		else if (cls[i] == CLASS_SSE)
			loc.reg[i] = ABI_XMM0 + xmm++;
	}
	return loc;
}

static uint64_t gpr_value(const struct user_regs_struct *gp, enum abi_reg r)
{
	switch (r) {
	case ABI_RDI: return gp->rdi;
	case ABI_RSI: return gp->rsi;
	case ABI_RDX: return gp->rdx;
	case ABI_RCX: return gp->rcx;
	case ABI_R8: return gp->r8;
	case ABI_R9: return gp->r9;
	case ABI_RAX: return gp->rax;
	default: return 0;
	}
}

/* Copies register r's low bytes (8, or 16 for st0's 80-bit value in its slot) to out. */
static bool reg_bytes(const struct abi_regs *regs, enum abi_reg r, uint8_t *out, size_t n)
{
	if (r >= ABI_XMM0 && r <= ABI_XMM7) {
		if (!regs->fp)
			return false;
		memcpy(out, &regs->fp->xmm_space[4 * (r - ABI_XMM0)], n);
		return true;
	}
	if (r == ABI_ST0) {     /* FXSAVE keeps ST(0) first, whatever the stack top */
		if (!regs->fp)
			return false;
		memcpy(out, &regs->fp->st_space[0], n);
		return true;
	}
	uint64_t v = gpr_value(regs->gp, r);
	memcpy(out, &v, n);
	return true;
}

static void read_memory(struct arg_value *v, taddr_t addr, unsigned size, args_read_fn read,
			void *rctx)
{
	size_t n = size < sizeof(v->bytes) ? size : sizeof(v->bytes);
	v->addr = addr;
	v->ok = read(rctx, addr, v->bytes, n) == n;
}

struct arg_value abi_fetch(const struct arg_loc *loc, const struct arg_type *ty,
			   const struct abi_regs *regs, args_read_fn read, void *rctx)
{
	struct arg_value v = { 0 };
	switch (loc->where) {
	case WHERE_NONE:
		break;
	case WHERE_STACK:
		read_memory(&v, regs->gp->rsp + loc->stack, ty->size, read, rctx);
		break;
	case WHERE_REF: {
		uint64_t addr = 0;
		if (loc->reg[0] != ABI_NOREG)
			addr = gpr_value(regs->gp, loc->reg[0]);
		else if (read(rctx, regs->gp->rsp + loc->stack, &addr, 8) != 8)
			break;
		/* Only the address is shown ({...} at it): nothing more to read. */
		v.addr = addr;
		v.ok = true;
		break;
	}
	case WHERE_REGS:
		v.ok = true;
		for (int i = 0; i < 2 && loc->reg[i] != ABI_NOREG; i++)
			if (!reg_bytes(regs, loc->reg[i], v.bytes + 8 * i, loc->reg[i] == ABI_ST0 ? 10 : 8))
				v.ok = false;
		break;
	}
	return v;
}
