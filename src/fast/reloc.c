/* fast/reloc: instruction-by-instruction rewriting; every form that depends on its own address
 * is one of the window's fast_op kinds, and every other instruction is copied as it is. */
#include "reloc.h"

#include <string.h>

/* The output being written. */
struct emit {
	uint8_t *out;
	size_t cap, n;
	taddr_t to;
	bool bad;
};

static void put(struct emit *e, const void *p, size_t len)
{
	if (e->n + len > e->cap) {
		e->bad = true;
		return;
	}
	memcpy(e->out + e->n, p, len);
	e->n += len;
}

static void put8(struct emit *e, uint8_t b)
{
	put(e, &b, 1);
}

/* A rel32 to target from the end of a field ending at the current position + tail. */
static void put_rel32(struct emit *e, taddr_t target, size_t tail)
{
	int64_t d = (int64_t)(target - (e->to + e->n + 4 + tail));
	if (d != (int32_t)d) {
		e->bad = true;
		return;
	}
	int32_t d32 = (int32_t)d;
	put(e, &d32, 4);
}

/* Copies an instruction, rebasing its rip-relative disp32 (at disp_off) to the copy's address. */
static void put_moved(struct emit *e, const uint8_t *b, unsigned len, unsigned disp_off, taddr_t orig)
{
	size_t at = e->n;
	put(e, b, len);
	if (!disp_off || e->bad)
		return;
	int32_t d;
	memcpy(&d, b + disp_off, 4);
	taddr_t target = orig + len + (taddr_t)(int64_t)d;
	int64_t nd = (int64_t)(target - (e->to + at + len));
	if (nd != (int32_t)nd) {
		e->bad = true;
		return;
	}
	d = (int32_t)nd;
	memcpy(e->out + at + disp_off, &d, 4);
}

/* Emits the window; if off is not NULL, records where each instruction's copy starts. */
static size_t relocate(const struct fast_window *w, taddr_t from, taddr_t to, uint8_t *out, size_t cap,
		       uint8_t *off)
{
	struct emit e = { out, cap, 0, to, false };
	taddr_t bias = from - w->addr;
	/* push qword [rip+X] instructions whose X points at literals, patched once they are placed */
	size_t lit_at[FAST_WIN_INSNS];
	taddr_t lit_val[FAST_WIN_INSNS];
	unsigned nlit = 0;
	bool stopped = false;
	for (unsigned i = 0; i < w->n && !e.bad; i++) {
		const struct fast_insn *fi = &w->insn[i];
		const uint8_t *b = w->bytes + fi->off;
		taddr_t orig = from + fi->off;
		if (off)
			off[i] = (uint8_t)e.n;
		switch (fi->op) {
		case FOP_PAD:
			break;
		case FOP_COPY:
			put_moved(&e, b, fi->len, fi->disp_off, orig);
			break;
		case FOP_JMP:
			put8(&e, 0xe9);
			put_rel32(&e, fi->target + bias, 0);
			break;
		case FOP_JCC:
			put8(&e, 0x0f);
			put8(&e, (uint8_t)(0x80 | fi->cond));
			put_rel32(&e, fi->target + bias, 0);
			break;
		case FOP_CALL:
		case FOP_CALL_IND: {
			static const uint8_t push_rip[2] = { 0xff, 0x35 };   /* push qword [rip+disp32] */
			put(&e, push_rip, 2);
			lit_at[nlit] = e.n;
			lit_val[nlit++] = orig + fi->len;
			put(&e, "\0\0\0\0", 4);
			if (fi->op == FOP_CALL) {
				put8(&e, 0xe9);
				put_rel32(&e, fi->target + bias, 0);
			} else {
				/* the same operand with /4 (jmp) instead of /2 (call) */
				size_t at = e.n;
				put_moved(&e, b, fi->len, fi->disp_off, orig);
				if (!e.bad)
					e.out[at + fi->modrm_off] = (uint8_t)((b[fi->modrm_off] & ~0x38) | (4 << 3));
			}
			break;
		}
		}
		stopped = stopped || fi->stop || fi->op == FOP_CALL || fi->op == FOP_CALL_IND;
	}
	if (!stopped) {
		put8(&e, 0xe9);
		put_rel32(&e, from + w->len, 0);
	}
	while (nlit && (e.n & 7) && !e.bad)
		put8(&e, 0xcc);
	for (unsigned k = 0; k < nlit && !e.bad; k++) {
		int32_t d = (int32_t)(e.n - (lit_at[k] + 4));
		memcpy(e.out + lit_at[k], &d, 4);
		put(&e, &lit_val[k], 8);
	}
	return e.bad ? 0 : e.n;
}

size_t fast_reloc(const struct fast_window *w, taddr_t from, taddr_t to, uint8_t *out, size_t cap)
{
	return relocate(w, from, to, out, cap, NULL);
}

bool fast_reloc_map(const struct fast_window *w, taddr_t from, taddr_t to, uint8_t *off)
{
	uint8_t tmp[FAST_RELOC_MAX];
	return relocate(w, from, to, tmp, sizeof(tmp), off) != 0;
}
