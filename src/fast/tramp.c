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

bool fast_tramp_build(const struct fast_tramp_cfg *cfg, const struct fast_window *w, taddr_t from, uint8_t *out,
		      struct fast_tramp_info *info)
{
	struct code c = { out, 0, cfg->at, false };
	memset(info, 0, sizeof(*info));
	memset(out, 0xcc, FAST_TRAMP_MAX);
	bool entry = cfg->kind == FAST_TRAMP_ENTRY;
	size_t skip[2] = { 0, 0 };
	unsigned nskip = 0;
	bool have_ret = false;

	info->tls_store = (uint16_t)c.n;
	EMIT(&c, TLS_RCX_STORE);
	EMIT(&c, TLS_BLOCK_LOAD);
	info->block_store = (uint16_t)c.n;
	EMIT(&c, 0x48, 0x89, 0x41, offsetof(struct fast_block, spill[0]));   /* mov %rax,8(%rcx) */
	EMIT(&c, 0x48, 0x89, 0x51, offsetof(struct fast_block, spill[1]));   /* mov %rdx,16(%rcx) */

	/* The checks below change flags: they are kept in the spill (lahf, seto: no pushf, which
	 * costs ten times more), for code that passes flags across a call, as no ABI does. */
	bool checks = entry && (cfg->from_lo || cfg->from_hi || cfg->sites);
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
		EMIT(&c, 0x74, 0x08);                         /* je +8: past the second check and the int3 */
		EMIT(&c, 0x48, 0x39, 0x44, 0xd1, 0x08);       /* cmp %rax,8(%rcx,%rdx,8) */
		EMIT(&c, 0x74, 0x01);                         /* je +1 */
		info->miss_trap = (uint16_t)c.n;
		EMIT(&c, 0xcc);                               /* int3: a return site to plant */
		EMIT(&c, TLS_BLOCK_LOAD);
	}

	info->cursor = (uint16_t)c.n;
	EMIT(&c, 0x48, 0x8b, 0x09);                           /* mov (%rcx),%rcx: the record */
	if (entry) {
		if (!have_ret)
			EMIT(&c, LOAD_RET);
		info->rec_store = (uint16_t)c.n;
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
	emit32(&c, entry ? FAST_REC_ENTRY : FAST_REC_SITE);
	info->tsc = (uint16_t)c.n;
	EMIT(&c, 0x0f, 0x31);                                                 /* rdtsc */
	EMIT(&c, 0x89, 0x01);                                                 /* mov %eax,(%rcx) */
	EMIT(&c, 0x89, 0x51, offsetof(struct fast_rec, tsc_hi));              /* mov %edx,4(%rcx) */
	EMIT(&c, 0x48, 0x8d, 0x41, sizeof(struct fast_rec));                  /* lea 32(%rcx),%rax */
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
	info->len = (uint16_t)(c.n + n);
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
