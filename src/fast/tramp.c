/* fast/tramp: trampolines as machine code, written out byte by byte (see tramp.h for what they
 * keep intact); tests/unit/test_fast_tramp.c runs them in its own process. */
#include "tramp.h"
#include "record.h"

#include <string.h>

#define SITES_MUL 0x9e3779b97f4a7c15ull   /* 2^64 / golden ratio: Fibonacci hashing */

uint64_t fast_sites_slot(taddr_t ret, unsigned bits)
{
	return ((ret * SITES_MUL) >> (64 - bits)) & ~(uint64_t)1;
}

/* The code being written, at runtime address at. */
struct code {
	uint8_t *p;
	size_t n;
	taddr_t at;
	bool bad;
};

static void emit(struct code *c, const void *b, size_t len)
{
	if (c->n + len > FAST_TRAMP_MAX) {
		c->bad = true;
		return;
	}
	memcpy(c->p + c->n, b, len);
	c->n += len;
}

#define EMIT(c, ...) do { const uint8_t b_[] = { __VA_ARGS__ }; emit(c, b_, sizeof(b_)); } while (0)

static void emit32(struct code *c, uint32_t v)
{
	emit(c, &v, 4);
}

static void emit64(struct code *c, uint64_t v)
{
	emit(c, &v, 8);
}

/* A jcc rel32 whose target is not known yet: returns where its rel32 goes. */
static size_t jcc_fwd(struct code *c, uint8_t cc)
{
	EMIT(c, 0x0f, (uint8_t)(0x80 | cc));
	size_t at = c->n;
	emit32(c, 0);
	return at;
}

static void land(struct code *c, size_t rel_at)
{
	if (c->bad)
		return;
	int32_t d = (int32_t)(c->n - (rel_at + 4));
	memcpy(c->p + rel_at, &d, 4);
}

#define TLS_RCX_STORE  0x64, 0x48, 0x89, 0x0c, 0x25, FAST_TLS_SPILL, 0, 0, 0   /* mov %rcx,%fs:SPILL */
#define TLS_RCX_LOAD   0x64, 0x48, 0x8b, 0x0c, 0x25, FAST_TLS_SPILL, 0, 0, 0   /* mov %fs:SPILL,%rcx */
#define TLS_BLOCK_LOAD 0x64, 0x48, 0x8b, 0x0c, 0x25, FAST_TLS_SLOT, 0, 0, 0    /* mov %fs:SLOT,%rcx */
#define LOAD_RET       0x48, 0x8b, 0x04, 0x24                                /* mov (%rsp),%rax */
#define TLS_RDX_LOAD   0x64, 0x48, 0x8b, 0x14, 0x25, FAST_TLS_SPILL, 0, 0, 0   /* mov %fs:SPILL,%rdx */

/* A jmp rel32 to offset to of the code being written. */
static void jmp_to(struct code *c, size_t to)
{
	EMIT(c, 0xe9);
	emit32(c, (uint32_t)(int32_t)((int64_t)to - (int64_t)(c->n + 4)));
}

/* Safe mode's slow paths, after the relocated code. Each one saves registers below the red
 * zone with where it goes on without a tracer (its "dead" code) and jumps to the common part:
 * the thread's signal to itself, unblocked meanwhile (rt_sigprocmask, gettid, tkill,
 * rt_sigprocmask: rcx and r11 are the only registers a syscall changes besides rax, and sysret
 * gives the flags back from r11), then the registers back and a jump to the dead code. The
 * tracer, at the signal's stop, puts the mask and the registers back itself and sends the
 * thread on. */
static void emit_slow(struct code *c, const struct fast_tramp_cfg *cfg, size_t at[FAST_NSLOW][2],
		      const unsigned nat[FAST_NSLOW], struct fast_tramp_info *info)
{
	for (int k = 0; k < FAST_NSLOW; k++) {
		if (!nat[k])
			continue;
		info->slow_dead[k] = (uint16_t)c->n;
		switch (k) {
		case FAST_SLOW_NOBLOCK:   /* no record: the displaced instructions, as they were */
			EMIT(c, TLS_RCX_LOAD);
			jmp_to(c, info->reloc);
			break;
		case FAST_SLOW_FULL:      /* nobody reads the records any more: the block starts again */
			EMIT(c, TLS_BLOCK_LOAD);
			EMIT(c, 0x48, 0x8d, 0x51, FAST_BLOCK_HDR);   /* lea HDR(%rcx),%rdx */
			EMIT(c, 0x48, 0x89, 0x11);                   /* mov %rdx,(%rcx) */
			jmp_to(c, info->full_check);
			break;
		default:                  /* the record, as for a known site */
			jmp_to(c, info->miss_resume);
			break;
		}
	}
	size_t common = c->n;
	EMIT(c, 0x68);                                       /* push $(1 << (sig - 1)): the set */
	emit32(c, 1u << (cfg->slow_sig - 1));
	EMIT(c, 0x6a, 0x00);                                 /* push $0: the old mask */
	EMIT(c, 0xbf, 0x01, 0, 0, 0);                        /* mov $SIG_UNBLOCK,%edi */
	EMIT(c, 0x48, 0x8d, 0x74, 0x24, 0x08);               /* lea 8(%rsp),%rsi */
	EMIT(c, 0x48, 0x89, 0xe2);                           /* mov %rsp,%rdx */
	EMIT(c, 0x41, 0xba, 0x08, 0, 0, 0);                  /* mov $8,%r10d */
	EMIT(c, 0xb8, 0x0e, 0, 0, 0);                        /* mov $SYS_rt_sigprocmask,%eax */
	EMIT(c, 0x0f, 0x05);                                 /* syscall */
	EMIT(c, 0xb8, 0xba, 0, 0, 0);                        /* mov $SYS_gettid,%eax */
	EMIT(c, 0x0f, 0x05);                                 /* syscall */
	EMIT(c, 0x89, 0xc7);                                 /* mov %eax,%edi */
	EMIT(c, 0xbe);                                       /* mov $sig,%esi */
	emit32(c, (uint32_t)cfg->slow_sig);
	EMIT(c, 0xb8, 0xc8, 0, 0, 0);                        /* mov $SYS_tkill,%eax */
	EMIT(c, 0x0f, 0x05);                                 /* syscall */
	info->slow_stop = (uint16_t)c->n;
	EMIT(c, 0xbf, 0x02, 0, 0, 0);                        /* mov $SIG_SETMASK,%edi */
	EMIT(c, 0x48, 0x89, 0xe6);                           /* mov %rsp,%rsi */
	EMIT(c, 0xba, 0, 0, 0, 0);                           /* mov $0,%edx (no flag touched) */
	EMIT(c, 0x41, 0xba, 0x08, 0, 0, 0);                  /* mov $8,%r10d */
	EMIT(c, 0xb8, 0x0e, 0, 0, 0);                        /* mov $SYS_rt_sigprocmask,%eax */
	EMIT(c, 0x0f, 0x05);                                 /* syscall */
	EMIT(c, 0x48, 0x8d, 0x64, 0x24, 0x10);               /* lea 16(%rsp),%rsp */
	EMIT(c, 0x59);                                       /* pop %rcx: the dead code */
	EMIT(c, 0x41, 0x5b, 0x41, 0x5a, 0x5e, 0x5f, 0x5a, 0x58);   /* pop r11 r10 rsi rdi rdx rax */
	EMIT(c, 0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0);      /* lea 128(%rsp),%rsp */
	EMIT(c, 0xff, 0xe1);                                 /* jmp *%rcx */
	for (int k = 0; k < FAST_NSLOW; k++) {
		if (!nat[k])
			continue;
		for (unsigned i = 0; i < nat[k]; i++)
			land(c, at[k][i]);
		EMIT(c, 0x48, 0x8d, 0x64, 0x24, 0x80);       /* lea -128(%rsp),%rsp */
		EMIT(c, 0x50, 0x52, 0x57, 0x56, 0x41, 0x52, 0x41, 0x53);   /* push rax rdx rdi rsi r10 r11 */
		EMIT(c, 0x48, 0x8d, 0x0d);                   /* lea dead(%rip),%rcx */
		emit32(c, (uint32_t)(int32_t)((int64_t)info->slow_dead[k] - (int64_t)(c->n + 4)));
		EMIT(c, 0x51);                               /* push %rcx */
		jmp_to(c, common);
	}
}

/* A site's second half (struct fast_rec_vals, after the record at rcx), its kind word first:
 * that store is the one a full block faults at (but for emit_x87's, before it). rax and rdx are the program's; rdx is used up,
 * rax is not (it is stored after). No flag changes. */
static void emit_vals(struct code *c, taddr_t errno_word)
{
	enum { V = sizeof(struct fast_rec) };
	EMIT(c, 0xc7, 0x41, V + offsetof(struct fast_rec_vals, kind));    /* movl $VALS,kind(%rcx) */
	emit32(c, FAST_REC_VALS);
	EMIT(c, 0x48, 0x89, 0x51, V + offsetof(struct fast_rec_vals, rdx));          /* mov %rdx,32(%rcx) */
	EMIT(c, 0x66, 0x0f, 0xd6, 0x41, V + offsetof(struct fast_rec_vals, xmm0));   /* movq %xmm0,40(%rcx) */
	EMIT(c, 0x66, 0x0f, 0xd6, 0x49, V + offsetof(struct fast_rec_vals, xmm1));   /* movq %xmm1,48(%rcx) */
	EMIT(c, 0x48, 0xba);                                                          /* movabs $word,%rdx */
	emit64(c, errno_word);
	EMIT(c, 0x48, 0x8b, 0x12);                                                    /* mov (%rdx),%rdx */
	EMIT(c, 0x64, 0x8b, 0x12);                                                    /* mov %fs:(%rdx),%edx */
	EMIT(c, 0x89, 0x51, V + offsetof(struct fast_rec_vals, err));                 /* mov %edx,56(%rcx) */
}

/* An instruction opcode... reg, off(%rcx): op's bytes, then the ModRM byte for register reg
 * and base rcx with a disp8, or a disp32 past 127. */
static void emit_at_rcx(struct code *c, const uint8_t *op, size_t nop, unsigned reg, size_t off)
{
	emit(c, op, nop);
	bool near = off < 128;
	EMIT(c, (uint8_t)((near ? 0x40 : 0x80) | (reg & 7) << 3 | 1));
	if (near)
		EMIT(c, (uint8_t)off);
	else
		emit32(c, (uint32_t)off);
}

#define AT_RCX(c, reg, off, ...) do { const uint8_t op_[] = { __VA_ARGS__ }; \
	emit_at_rcx(c, op_, sizeof(op_), reg, off); } while (0)

static size_t args_at(bool fp)
{
	return sizeof(struct fast_rec) + (fp ? sizeof(struct fast_rec_fpargs) : 0);
}

/* An entry's arguments (struct fast_rec_fpargs if fp, then struct fast_rec_args, after the
 * record at rcx), the kind word first: the store a full block faults at, unless a stack unit
 * follows (emit_stack, first). rax holds the return address and is kept; rdx is used up (the
 * program's rcx and rdx are in the spills). */
static void emit_args(struct code *c, bool fp)
{
	enum { RDX = 2, RSI = 6, RDI = 7, R8 = 0, R9 = 1 };
	size_t at = args_at(fp);
	AT_RCX(c, 0, at + offsetof(struct fast_rec_args, kind), 0xc7);            /* movl $ARGS,kind(%rcx) */
	emit32(c, FAST_REC_ARGS);
	AT_RCX(c, RDI, at + offsetof(struct fast_rec_args, rdi), 0x48, 0x89);     /* mov %rdi */
	AT_RCX(c, RSI, at + offsetof(struct fast_rec_args, rsi), 0x48, 0x89);     /* mov %rsi */
	AT_RCX(c, R8, at + offsetof(struct fast_rec_args, r8), 0x4c, 0x89);       /* mov %r8 */
	AT_RCX(c, R9, at + offsetof(struct fast_rec_args, r9), 0x4c, 0x89);       /* mov %r9 */
	EMIT(c, TLS_RDX_LOAD);                                                      /* rcx's spill */
	AT_RCX(c, RDX, at + offsetof(struct fast_rec_args, rcx), 0x48, 0x89);     /* mov %rdx */
	EMIT(c, 0x64, 0x48, 0x8b, 0x14, 0x25, FAST_TLS_SLOT, 0, 0, 0);             /* mov %fs:SLOT,%rdx */
	EMIT(c, 0x48, 0x8b, 0x52, offsetof(struct fast_block, spill[1]));          /* mov 16(%rdx),%rdx */
	AT_RCX(c, RDX, at + offsetof(struct fast_rec_args, rdx), 0x48, 0x89);     /* mov %rdx */
	for (unsigned i = 0; fp && i < 8; i++)                                      /* movq %xmmI */
		AT_RCX(c, i, sizeof(struct fast_rec) + offsetof(struct fast_rec_fpargs, xmm) + 8 * i, 0x66, 0x0f, 0xd6);
}

/* An entry's stack words (struct fast_rec_stack, after its fast_rec_args), its kind word first:
 * the record's last, the store a full block faults at. The words are the program's own stack
 * above the return address, mapped at every entry; rdx is used up (see emit_args). */
static void emit_stack(struct code *c, bool fp, unsigned n)
{
	enum { RDX = 2 };
	size_t at = args_at(fp) + sizeof(struct fast_rec_args);
	AT_RCX(c, 0, at + offsetof(struct fast_rec_stack, kind), 0xc7);           /* movl $STACK,kind(%rcx) */
	emit32(c, FAST_REC_STACK);
	AT_RCX(c, 0, at + offsetof(struct fast_rec_stack, n), 0xc7);              /* movl $n,n(%rcx) */
	emit32(c, n);
	for (unsigned i = 0; i < n; i++) {
		EMIT(c, 0x48, 0x8b, 0x54, 0x24, (uint8_t)(8 + 8 * i));               /* mov 8+8i(%rsp),%rdx */
		AT_RCX(c, RDX, at + offsetof(struct fast_rec_stack, w) + 8 * i, 0x48, 0x89);   /* mov %rdx */
	}
}

/* A site's st(0) (struct fast_rec_x87, after its fast_rec_vals): fxsave at the values unit,
 * which the values then overwrite, leaves st0's 10 bytes in place. fxsave is the record's first
 * store, the one a full block faults at (512 bytes from the values unit: a block with room for
 * the record but not for them faults too, and is drained as a full one). It changes no register,
 * flag or x87 state; rcx is 32-byte aligned, as fxsave needs 16. */
static void emit_x87(struct code *c)
{
	AT_RCX(c, 0, FAST_REC_FXSAVE_AT, 0x0f, 0xae);                              /* fxsave 32(%rcx) */
	AT_RCX(c, 0, sizeof(struct fast_rec) + sizeof(struct fast_rec_vals) + offsetof(struct fast_rec_x87, kind),
	       0xc7);                                                                /* movl $X87,kind(%rcx) */
	emit32(c, FAST_REC_X87);
}

static uint32_t entry_kind(bool args, bool fpargs, unsigned stack)
{
	if (!args)
		return FAST_REC_ENTRY;
	if (stack)
		return fpargs ? FAST_REC_ENTRY_FPSTACK : FAST_REC_ENTRY_STACK;
	return fpargs ? FAST_REC_ENTRY_FPARGS : FAST_REC_ENTRY_ARGS;
}

bool fast_tramp_build(const struct fast_tramp_cfg *cfg, const struct fast_window *w, taddr_t from, uint8_t *out,
		      struct fast_tramp_info *info)
{
	struct code c = { out, 0, cfg->at, false };
	memset(info, 0, sizeof(*info));
	memset(out, 0xcc, FAST_TRAMP_MAX);
	bool entry = cfg->kind == FAST_TRAMP_ENTRY;
	bool vals = !entry && cfg->vals;
	bool x87 = vals && cfg->x87;
	bool args = entry && cfg->args, fpargs = args && cfg->fpargs;
	unsigned stack = args ? cfg->stack_words : 0;
	uint32_t rec_size = (uint32_t)(sizeof(struct fast_rec) + (vals ? sizeof(struct fast_rec_vals) : 0) +
				       (x87 ? sizeof(struct fast_rec_x87) : 0) +
				       (args ? sizeof(struct fast_rec_args) : 0) +
				       (fpargs ? sizeof(struct fast_rec_fpargs) : 0) +
				       (stack ? sizeof(struct fast_rec_stack) : 0));
	/* (fxsave writes 512 bytes from the values unit: the block must have room for them) */
	uint32_t room = x87 ? FAST_REC_FXSAVE_AT + FAST_FXSAVE_SIZE : rec_size;
	if ((vals && !cfg->errno_word) || stack > FAST_STACK_WORDS)
		return false;
	size_t skip[2] = { 0, 0 };
	unsigned nskip = 0;
	bool have_ret = false;

	size_t slow_at[FAST_NSLOW][2] = { { 0, 0 } };   /* each slow path's jumps, landed at its stub */
	unsigned nslow_at[FAST_NSLOW] = { 0 };
	info->tls_store = (uint16_t)c.n;
	EMIT(&c, TLS_RCX_STORE);
	EMIT(&c, TLS_BLOCK_LOAD);
	if (cfg->safe) {
		EMIT(&c, 0xe3, 0x02);                         /* jrcxz +2: no block (no flag touched) */
		EMIT(&c, 0xeb, 0x05);                         /* jmp +5 */
		EMIT(&c, 0xe9);                               /* jmp slow_noblock */
		slow_at[FAST_SLOW_NOBLOCK][nslow_at[FAST_SLOW_NOBLOCK]++] = c.n;
		emit32(&c, 0);
	}
	info->block_store = (uint16_t)c.n;
	EMIT(&c, 0x48, 0x89, 0x41, offsetof(struct fast_block, spill[0]));   /* mov %rax,8(%rcx) */
	EMIT(&c, 0x48, 0x89, 0x51, offsetof(struct fast_block, spill[1]));   /* mov %rdx,16(%rcx) */

	/* The checks below change flags: they are kept in the spill (lahf, seto: no pushf, which
	 * costs ten times more), for code that passes flags across a call, as no ABI does. */
	bool checks = (entry && (cfg->from_lo || cfg->from_hi || cfg->sites)) || cfg->safe;
	if (checks) {
		EMIT(&c, 0x9f);                                                       /* lahf */
		EMIT(&c, 0x0f, 0x90, 0xc0);                                           /* seto %al */
		EMIT(&c, 0x48, 0x89, 0x41, offsetof(struct fast_block, spill[2]));   /* mov %rax,24(%rcx) */
	}
	if (entry && (cfg->from_lo || cfg->from_hi)) {
		EMIT(&c, LOAD_RET);
		have_ret = true;
		EMIT(&c, 0x48, 0xba);                         /* movabs $lo,%rdx */
		emit64(&c, cfg->from_lo);
		EMIT(&c, 0x48, 0x39, 0xd0);                   /* cmp %rdx,%rax */
		skip[nskip++] = jcc_fwd(&c, 0x2);             /* jb skip */
		EMIT(&c, 0x48, 0xba);
		emit64(&c, cfg->from_hi);
		EMIT(&c, 0x48, 0x39, 0xd0);
		skip[nskip++] = jcc_fwd(&c, 0x3);             /* jae skip */
	}
	if (entry && cfg->sites) {
		if (cfg->sites_bits < 1 || cfg->sites_bits > FAST_SITES_BITS_MAX)
			return false;
		if (!have_ret)
			EMIT(&c, LOAD_RET);
		have_ret = true;
		EMIT(&c, 0x48, 0xba);                         /* movabs $MUL,%rdx */
		emit64(&c, SITES_MUL);
		EMIT(&c, 0x48, 0x0f, 0xaf, 0xd0);             /* imul %rax,%rdx */
		EMIT(&c, 0x48, 0xc1, 0xea, (uint8_t)(64 - cfg->sites_bits));   /* shr $(64-bits),%rdx */
		EMIT(&c, 0x48, 0xb9);                         /* movabs $sites,%rcx */
		emit64(&c, cfg->sites);
		EMIT(&c, 0x48, 0x83, 0xe2, 0xfe);             /* and $-2,%rdx: a bucket of two */
		EMIT(&c, 0x48, 0x39, 0x04, 0xd1);             /* cmp %rax,(%rcx,%rdx,8) */
		EMIT(&c, 0x74, cfg->safe ? 0x0c : 0x08);      /* je: past the second check and the trap */
		EMIT(&c, 0x48, 0x39, 0x44, 0xd1, 0x08);       /* cmp %rax,8(%rcx,%rdx,8) */
		EMIT(&c, 0x74, cfg->safe ? 0x05 : 0x01);      /* je */
		if (cfg->safe) {
			EMIT(&c, 0xe9);                       /* jmp slow_miss */
			slow_at[FAST_SLOW_MISS][nslow_at[FAST_SLOW_MISS]++] = c.n;
			emit32(&c, 0);
		} else {
			info->miss_trap = (uint16_t)c.n;
			EMIT(&c, 0xcc);                       /* int3: a return site to plant */
		}
		info->miss_resume = (uint16_t)c.n;
		EMIT(&c, TLS_BLOCK_LOAD);
	}

	info->cursor = (uint16_t)c.n;   /* (the block's cursor is loaded here, either way) */
	if (cfg->safe) {
		/* The block full: checked on the value the record then goes to (a block that
		 * several threads share, as none should, still stays in bounds). */
		info->full_check = (uint16_t)c.n;
		EMIT(&c, 0x48, 0x8b, 0x11);                   /* mov (%rcx),%rdx */
		EMIT(&c, 0x48, 0x29, 0xca);                   /* sub %rcx,%rdx */
		EMIT(&c, 0x48, 0x81, 0xfa);                   /* cmp $(size - record),%rdx */
		emit32(&c, cfg->block_size - room);
		EMIT(&c, 0x0f, 0x87);                         /* ja slow_full */
		slow_at[FAST_SLOW_FULL][nslow_at[FAST_SLOW_FULL]++] = c.n;
		emit32(&c, 0);
		if (!entry)   /* the checks took al and ah: the value returned is in the spill */
			EMIT(&c, 0x48, 0x8b, 0x41, offsetof(struct fast_block, spill[0]));   /* mov 8(%rcx),%rax */
		if (vals) {   /* rdx took the offset: the program's is in the spill */
			EMIT(&c, 0x48, 0x01, 0xca);                   /* add %rcx,%rdx: the record */
			EMIT(&c, 0x48, 0x87, 0xca);                   /* xchg %rcx,%rdx */
			EMIT(&c, 0x48, 0x8b, 0x52, offsetof(struct fast_block, spill[1]));   /* mov 16(%rdx),%rdx */
		} else {
			EMIT(&c, 0x48, 0x8d, 0x0c, 0x11);             /* lea (%rcx,%rdx),%rcx: the record */
		}
	} else {
		EMIT(&c, 0x48, 0x8b, 0x09);                   /* mov (%rcx),%rcx: the record */
	}
	if (vals) {
		info->rec_store = (uint16_t)c.n;
		if (x87)
			emit_x87(&c);
		emit_vals(&c, cfg->errno_word);
		EMIT(&c, 0x48, 0x89, 0x61, offsetof(struct fast_rec, sp));
		EMIT(&c, 0x48, 0x89, 0x41, offsetof(struct fast_rec, ret));
	} else if (entry) {
		if (!have_ret)
			EMIT(&c, LOAD_RET);
		info->rec_store = (uint16_t)c.n;
		if (stack)
			emit_stack(&c, fpargs, stack);
		if (args)
			emit_args(&c, fpargs);
		EMIT(&c, 0x48, 0x89, 0x41, offsetof(struct fast_rec, ret));   /* mov %rax,16(%rcx) */
		EMIT(&c, 0x48, 0x89, 0x61, offsetof(struct fast_rec, sp));    /* mov %rsp,8(%rcx) */
	} else {
		info->rec_store = (uint16_t)c.n;
		EMIT(&c, 0x48, 0x89, 0x61, offsetof(struct fast_rec, sp));
		EMIT(&c, 0x48, 0x89, 0x41, offsetof(struct fast_rec, ret));   /* mov %rax,16(%rcx): the
									       * value returned */
	}
	EMIT(&c, 0xc7, 0x41, offsetof(struct fast_rec, id));                  /* movl $id,24(%rcx) */
	emit32(&c, cfg->id);
	EMIT(&c, 0xc7, 0x41, offsetof(struct fast_rec, kind));                /* movl $kind,28(%rcx) */
	emit32(&c, entry ? entry_kind(args, fpargs, stack) : x87 ? FAST_REC_SITE_X87 : vals ? FAST_REC_SITE_VALS :
		   FAST_REC_SITE);
	info->tsc = (uint16_t)c.n;
	EMIT(&c, 0x0f, 0x31);                                                 /* rdtsc */
	EMIT(&c, 0x89, 0x01);                                                 /* mov %eax,(%rcx) */
	EMIT(&c, 0x89, 0x51, offsetof(struct fast_rec, tsc_hi));              /* mov %edx,4(%rcx) */
	EMIT(&c, 0x48, 0x8d, 0x81);                                           /* lea size(%rcx),%rax */
	emit32(&c, rec_size);
	EMIT(&c, TLS_BLOCK_LOAD);
	EMIT(&c, 0x48, 0x89, 0x01);                           /* mov %rax,(%rcx): the record is in */
	for (unsigned i = 0; i < nskip; i++)
		land(&c, skip[i]);
	if (checks) {
		EMIT(&c, 0x48, 0x8b, 0x41, offsetof(struct fast_block, spill[2]));   /* mov 24(%rcx),%rax */
		EMIT(&c, 0x04, 0x7f);                         /* add $0x7f,%al: OF back */
		EMIT(&c, 0x9e);                               /* sahf: SF ZF AF PF CF back */
	}
	EMIT(&c, 0x48, 0x8b, 0x41, offsetof(struct fast_block, spill[0]));   /* mov 8(%rcx),%rax */
	EMIT(&c, 0x48, 0x8b, 0x51, offsetof(struct fast_block, spill[1]));   /* mov 16(%rcx),%rdx */
	EMIT(&c, TLS_RCX_LOAD);
	if (c.bad)
		return false;

	info->reloc = (uint16_t)c.n;
	size_t n = fast_reloc(w, from, cfg->at + c.n, out + c.n, FAST_TRAMP_MAX - c.n);
	if (!n || !fast_reloc_map(w, from, cfg->at + c.n, info->insn_off))
		return false;
	c.n += n;
	if (cfg->safe)
		emit_slow(&c, cfg, slow_at, nslow_at, info);
	if (c.bad)
		return false;
	info->len = (uint16_t)c.n;
	return true;
}

bool fast_tramp_build_plain(const struct fast_window *w, taddr_t from, taddr_t at, uint8_t *out,
			    struct fast_tramp_info *info)
{
	memset(info, 0, sizeof(*info));
	memset(out, 0xcc, FAST_TRAMP_MAX);
	info->tls_store = info->block_store = info->cursor = info->rec_store = info->tsc = FAST_TRAMP_NONE;
	info->full_check = info->miss_resume = FAST_TRAMP_NONE;
	size_t n = fast_reloc(w, from, at, out, FAST_TRAMP_MAX);
	if (!n || !fast_reloc_map(w, from, at, info->insn_off))
		return false;
	info->len = (uint16_t)n;
	return true;
}

bool fast_tramp_jump(taddr_t from, taddr_t to, uint8_t out[FAST_JMP_LEN])
{
	int64_t d = (int64_t)(to - (from + FAST_JMP_LEN));
	if (d != (int32_t)d)
		return false;
	int32_t d32 = (int32_t)d;
	out[0] = 0xe9;
	memcpy(out + 1, &d32, 4);
	return true;
}
