/* fastcov: the fast path's coverage of one ELF file, read offline (no process): every function
 * entry and every return site checked by the window checker, counted by reason, as
 * `--debug=fast` would count them with -l on that file. With -v, one line per refusal, to
 * classify them. Usage: fastcov [-v] FILE... */
#include "elf/symtab.h"
#include "fast/evict.h"
#include "fast/image.h"
#include "fast/window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cov {
	const struct symtab *st;
	const struct fast_map *m;
	uint8_t *taken;              /* per byte of code: covered by a window already */
	taddr_t lo, hi;              /* what taken covers */
	taddr_t win_lo, win_hi;      /* the window a hole is looked for */
	size_t n[2], ok[2], why[2][FAST_NWHY + 1], shortjmp[2], evicted[2];
	bool verbose;
};

enum { ENTRY, SITE };
#define WHY_TAKEN FAST_NWHY

static const char *func_name(const struct symtab *st, taddr_t a, taddr_t *off)
{
	size_t i = symtab_first_from(st, a + 1);
	if (!i) {
		*off = a;
		return "?";
	}
	*off = a - st->funcs[i - 1].addr;
	return st->funcs[i - 1].name;
}

/* Whether [at, at+len) overlaps a window already taken; if not, takes it. */
static bool take(struct cov *c, taddr_t at, size_t len)
{
	if (at < c->lo || at + len > c->hi)
		return true;
	for (size_t i = 0; i < len; i++)
		if (c->taken[at - c->lo + i])
			return false;
	memset(c->taken + (at - c->lo), 1, len);
	return true;
}

static bool slot_free(taddr_t h, void *arg)
{
	struct cov *c = arg;
	if (h < c->lo || h + FAST_JMP_LEN > c->hi || (h < c->win_hi && h + FAST_JMP_LEN > c->win_lo))
		return false;
	for (size_t i = 0; i < FAST_JMP_LEN; i++)
		if (c->taken[h - c->lo + i])
			return false;
	return true;
}

/* Whether a neighbour's window [n, n+len) is free to evict (no window taken in it). */
static bool evict_free(taddr_t n, unsigned len, void *arg)
{
	struct cov *c = arg;
	if (n < c->lo || n + len > c->hi)
		return false;
	for (size_t i = 0; i < len; i++)
		if (c->taken[n - c->lo + i])
			return false;
	return true;
}

/* A window for a jmp rel8 to a slot in a hole, as fntrace tries when the 5-byte one is refused;
 * with no hole in reach, one made by evicting a neighbour (*evicted). */
static bool check_short(struct cov *c, taddr_t at, bool *evicted)
{
	struct fast_window w, nw;
	if (fast_window_short(c->m, at, &w) != FAST_OK)
		return false;
	c->win_lo = at;
	c->win_hi = at + w.len;
	taddr_t h = fast_map_hole(c->m, at, slot_free, c);
	taddr_t n = h || !evict_free(at, w.len, c) ? 0 : fast_evict_find(c->m, at, at + w.len, evict_free, c, &nw);
	if ((!h && !n) || !take(c, at, w.len))
		return false;
	*evicted = !h;
	if (n)
		take(c, n, nw.len);
	else
		take(c, h, FAST_JMP_LEN);
	return true;
}

static void check(struct cov *c, int kind, taddr_t at)
{
	struct fast_window w;
	enum fast_why why = fast_window_check(c->m, at, &w);
	int k = why;
	if (why == FAST_OK && !take(c, at, w.len))
		k = WHY_TAKEN;
	bool evicted = false;
	if (k != FAST_OK && check_short(c, at, &evicted)) {
		c->shortjmp[kind]++;
		c->evicted[kind] += evicted;
		k = FAST_OK;
	}
	c->n[kind]++;
	c->why[kind][k]++;
	if (k == FAST_OK) {
		c->ok[kind]++;
		return;
	}
	if (!c->verbose)
		return;
	taddr_t off;
	const char *fn = func_name(c->st, at, &off);
	printf("%s %#lx %s+%#lx: %s", kind == ENTRY ? "entry" : "site", (unsigned long)at, fn,
	       (unsigned long)off, k == WHY_TAKEN ? "window taken" : fast_why_name(why));
	size_t lo = 0, hi = c->m->ntargets;   /* the first target after at */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->m->targets[mid] <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (why == FAST_TARGET && lo < c->m->ntargets)
		printf(" (%#lx)", (unsigned long)c->m->targets[lo]);
	printf("\n");
}

static void on_call(taddr_t call, const uint8_t *bytes, unsigned len, taddr_t end, void *arg)
{
	if (call + len < end)
		check(arg, SITE, call + len);
}

/* With -v: the indirect jumps whose targets the map does not know, the usual cause of unsure code. */
static void list_unresolved(const struct cov *c)
{
	for (size_t i = 0; i < c->m->nunresolved; i++) {
		taddr_t off;
		const char *fn = func_name(c->st, c->m->unresolved[i], &off);
		printf("jump %#lx %s+%#lx\n", (unsigned long)c->m->unresolved[i], fn, (unsigned long)off);
	}
}

static void report(const char *path, const struct cov *c)
{
	static const char *const kinds[2] = { "entries", "return sites" };
	printf("%s:\n", path);
	for (int k = 0; k < 2; k++) {
		printf("  %s: %zu of %zu (%.2f%%, %zu by a jmp rel8 to a hole, %zu of them made by eviction)", kinds[k],
		       c->ok[k], c->n[k], c->n[k] ? 100.0 * (double)c->ok[k] / (double)c->n[k] : 0.0, c->shortjmp[k],
		       c->evicted[k]);
		for (int r = 1; r <= FAST_NWHY; r++)
			if (c->why[k][r])
				printf("; %s %zu", r == WHY_TAKEN ? "window taken" : fast_why_name((enum fast_why)r),
				       c->why[k][r]);
		printf("\n");
	}
	printf("  map: %zu targets, %zu jump tables, %zu landing pads, %zu indirect jumps unresolved, %zu holes\n",
	       c->m->ntargets, c->m->ntables, c->m->npads, c->m->nunresolved, c->m->nholes);
}

static int cover(const char *path, bool verbose)
{
	struct symtab st;
	struct fast_image im;
	struct fast_map m;
	char err[512];
	if (symtab_load(path, &st, err, sizeof(err)) || fast_image_load(path, &im, err, sizeof(err))) {
		fprintf(stderr, "fastcov: %s\n", err);
		return 1;
	}
	if (st.stripped)
		symtab_discover(&st);
	fast_map_build(&m, &im, st.funcs, st.nfuncs);
	struct cov c = { .st = &st, .m = &m, .verbose = verbose, .lo = ~(taddr_t)0 };
	for (size_t i = 0; i < im.nsecs; i++)
		if (im.secs[i].exec) {
			if (im.secs[i].addr < c.lo)
				c.lo = im.secs[i].addr;
			if (im.secs[i].addr + im.secs[i].size > c.hi)
				c.hi = im.secs[i].addr + im.secs[i].size;
		}
	c.taken = calloc(c.hi > c.lo ? c.hi - c.lo : 1, 1);
	/* Entries first, as fntrace plants them, then the return sites of every call. */
	for (size_t i = 0; i < st.nfuncs; i++)
		check(&c, ENTRY, fast_window_entry(&m, st.funcs[i].addr));
	fast_map_each_call(&m, on_call, &c);
	if (verbose)
		list_unresolved(&c);
	report(path, &c);
	free(c.taken);
	fast_map_free(&m);
	fast_image_free(&im);
	symtab_free(&st);
	return 0;
}

int main(int argc, char **argv)
{
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");
	int rc = 0;
	for (int i = 1 + verbose; i < argc; i++)
		rc |= cover(argv[i], verbose);
	return rc;
}
