/* fast/evict: which neighbour a short window borrows the room for its jmp rel32 from. The
 * neighbours are found by decoding in step, from a place the map knows to be an instruction's
 * start (a function's start, or the end of one of its calls), and checked as any window is. */
#include "evict.h"
#include "../arch/x86_64/insn.h"

#include <Zydis/Zydis.h>
#include <stdlib.h>
#include <string.h>

#define STEP_MAX 1024   /* bytes decoded before the reach, at most, to get in step there */
#define NEAR_MAX 256    /* instructions looked at per function */

/* One instruction decoded in step. */
struct near {
	taddr_t at;
	uint8_t len;
	bool call;
};

/* Where decoding function j may start to be in step at lo: the end of its last call before lo,
 * else its start. Calls are kept by function, in the order their functions were decoded, each
 * function's in address order; whichever call is found, its end is an instruction's start. */
static taddr_t in_step_from(const struct fast_map *m, size_t j, taddr_t lo)
{
	size_t a = 0, z = m->ncalls;
	while (a < z) {   /* the first call of function j or later */
		size_t mid = a + (z - a) / 2;
		if (m->calls[mid].func < j)
			a = mid + 1;
		else
			z = mid;
	}
	size_t first = a;
	z = m->ncalls;
	while (a < z) {   /* then the first of them that ends after lo */
		size_t mid = a + (z - a) / 2;
		if (m->calls[mid].func == j && m->calls[mid].at + m->calls[mid].len <= lo)
			a = mid + 1;
		else
			z = mid;
	}
	taddr_t from = m->ext[j].lo;
	if (a > first && m->calls[a - 1].func == j) {
		taddr_t end = m->calls[a - 1].at + m->calls[a - 1].len;
		if (end > from && end <= lo)
			from = end;
	}
	return from;
}

/* Decodes function j in step up to hi, from start (an instruction's start: the site, the
 * function's start) or else from before lo: its instructions into v (NEAR_MAX at most). Returns
 * how many. */
static size_t decode_near(const struct fast_map *m, size_t j, taddr_t start, taddr_t lo, taddr_t hi, struct near *v)
{
	const struct range *e = &m->ext[j];
	taddr_t a = start ? start : in_step_from(m, j, lo), end = hi < e->hi ? hi : e->hi;
	if (a >= end || (lo > a && lo - a > STEP_MAX))
		return 0;
	const uint8_t *code = fast_image_bytes(m->im, a, end - a);
	if (!code)
		return 0;
	size_t n = 0;
	for (taddr_t p = a; p < end && n < NEAR_MAX;) {
		ZydisDecodedInstruction zi;
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(insn_decoder(), NULL, code + (p - a), end - p, &zi)))
			break;
		if (p + zi.length > lo - (lo > FAST_WIN_MAX ? FAST_WIN_MAX : lo))   /* (what cannot reach lo is not kept) */
			v[n++] = (struct near){ p, zi.length, zi.meta.category == ZYDIS_CATEGORY_CALL };
		p += zi.length;
	}
	return n;
}

/* Whether some window may start at v[k]: a function's entry, a return site, or the start of
 * what was decoded (which is one of those). */
static bool may_start_window(const struct fast_map *m, const struct near *v, size_t k)
{
	if (k == 0 || v[k - 1].call)
		return true;
	size_t i = util_upper(m->starts, m->nstarts, v[k].at);
	return i && (m->starts[i - 1] == v[k].at || fast_window_entry(m, m->starts[i - 1]) == v[k].at);
}

/* Where the 5-byte window of whole instructions from v[k] ends (v has n). */
static taddr_t cover_end(const struct near *v, size_t n, size_t k)
{
	size_t i = k;
	while (i + 1 < n && v[i].at + v[i].len - v[k].at < FAST_JMP_LEN)
		i++;
	return v[i].at + v[i].len;
}

/* A neighbour's place and how far its borrowed jmp is from the jmp rel8's end. */
struct cand {
	taddr_t at;
	uint64_t dist;
};

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	return a->dist < b->dist ? -1 : a->dist > b->dist ? 1 : a->at < b->at ? -1 : a->at > b->at;
}

/* Whether the neighbour from v[k] (v has n) may pass the window checker, as far as what was
 * decoded tells, and so is worth its check: at most FAST_WIN_INSNS instructions cover
 * FAST_EVICT_LEN bytes, within the function (end), none of them a call, no target inside. */
static bool worth_checking(const struct fast_map *m, const struct near *v, size_t n, size_t k, taddr_t end)
{
	size_t i = k;
	for (; i < n && i - k < FAST_WIN_INSNS; i++) {
		if (v[i].call)
			return false;
		if (v[i].at + v[i].len - v[k].at >= FAST_EVICT_LEN)
			break;
	}
	return i < n && i - k < FAST_WIN_INSNS && v[i].at + v[i].len <= end &&
	       !fast_map_target_in(m, v[k].at, v[i].at + v[i].len);
}

/* What a search for neighbours collects: the places worth a window check, and how far each one's
 * borrowed jmp is from the jmp rel8's end (slot_from). */
struct cands {
	struct cand *v;
	size_t n, cap;
	taddr_t slot_from;
};

/* Adds the places of function j in [lo, hi] where a neighbour may start: instruction starts
 * where no window may start, and that no window which may start before reaches. Decoded from
 * start, or from before lo (see decode_near). */
static void add_cands(const struct fast_map *m, size_t j, taddr_t start, taddr_t lo, taddr_t hi, struct cands *cs)
{
	if (fast_map_unsure(m, m->ext[j].lo))
		return;   /* (its neighbours are several instructions, in code whose targets are not all known) */
	struct near v[NEAR_MAX];
	size_t n = decode_near(m, j, start, lo, hi + 1 + FAST_WIN_MAX, v);
	size_t next = util_upper(m->starts, m->nstarts, m->ext[j].lo);
	taddr_t end = next < m->nstarts && m->starts[next] < m->ext[j].hi ? m->starts[next] : m->ext[j].hi;
	taddr_t reserved = 0;   /* the end of the windows that may start before */
	for (size_t k = 0; k < n && v[k].at <= hi; k++) {
		if (may_start_window(m, v, k)) {
			taddr_t e = cover_end(v, n, k);
			reserved = e > reserved ? e : reserved;
			continue;
		}
		if (v[k].at < lo || v[k].at < reserved || !worth_checking(m, v, n, k, end))
			continue;
		taddr_t slot = v[k].at + FAST_JMP_LEN;
		xgrow(&cs->v, &cs->cap, cs->n + 1, sizeof(*cs->v));
		cs->v[cs->n++] = (struct cand){ v[k].at, slot > cs->slot_from ? slot - cs->slot_from : cs->slot_from - slot };
	}
}

/* Whether w, a window of FAST_EVICT_LEN bytes or more, is whole instructions that only run
 * (no call, no padding). */
static bool evictable(const struct fast_window *w)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->insn[i].op == FOP_CALL || w->insn[i].op == FOP_CALL_IND || w->insn[i].op == FOP_PAD)
			return false;
	return true;
}

/* The nearest of the places collected whose window passes the checker and the caller's
 * usable(); 0 if none. The collection is emptied. */
static taddr_t pick(const struct fast_map *m, struct cands *cs, taddr_t from, taddr_t own_hi,
		    bool (*usable)(taddr_t n, unsigned len, void *arg), void *arg, struct fast_window *w)
{
	if (cs->n)
		qsort(cs->v, cs->n, sizeof(*cs->v), cand_cmp);
	taddr_t found = 0;
	for (size_t i = 0; i < cs->n && !found; i++) {
		taddr_t at = cs->v[i].at;
		if (i && at == cs->v[i - 1].at)
			continue;
		if (fast_window_cover(m, at, FAST_EVICT_LEN, w) != FAST_OK || !evictable(w) ||
		    (at < own_hi && at + w->len > from) || !usable(at, w->len, arg))
			continue;
		found = at;
	}
	cs->n = 0;
	return found;
}

taddr_t fast_evict_find(const struct fast_map *m, taddr_t from, taddr_t own_hi,
			bool (*usable)(taddr_t n, unsigned len, void *arg), void *arg, struct fast_window *w)
{
	/* The borrowed jmp, at N + 5, within the jmp rel8's reach from its end. */
	taddr_t slot_from = from + FAST_JMP8_LEN;
	if (slot_from < 128 + FAST_JMP_LEN)
		return 0;
	taddr_t lo = slot_from - 128 - FAST_JMP_LEN, hi = slot_from + 127 - FAST_JMP_LEN;
	struct cands cs = { .slot_from = slot_from };
	/* After the window first, decoded from its own start and the next functions' (the code right
	 * after a site also runs about as often as the site: it costs the neighbour its two jumps
	 * no more often); before it only if none will do, decoded from before the reach. */
	size_t j0 = util_upper(m->starts, m->nstarts, from), j = j0;
	if (j0 && m->ext[j0 - 1].hi > from)
		add_cands(m, j0 - 1, from, lo, hi, &cs);
	for (; j < m->nstarts && m->starts[j] <= hi; j++)
		add_cands(m, j, m->ext[j].lo, lo, hi, &cs);
	taddr_t found = pick(m, &cs, from, own_hi, usable, arg, w);
	j = util_upper(m->starts, m->nstarts, lo);
	for (j = j ? j - 1 : 0; !found && j < j0; j++)
		if (m->ext[j].hi > lo)
			add_cands(m, j, 0, lo, from - 1, &cs);
	if (!found)
		found = pick(m, &cs, from, own_hi, usable, arg, w);
	free(cs.v);
	return found;
}
