/* bp: the breakpoint table of an address space: plant in bulk, look up, step over, remove. */
#include "trace.h"
#include "../util/glob.h"
#include "../rec/funcs.h"
#include "../elf/demangle.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BP_INSN 0xcc
/* Breakpoints closer than this share one write to /proc/PID/mem. */
#define SPAN_GAP 4096

struct trace_opts trace_opts;

static bool matches_any(char **globs, const char *name)
{
	return glob_any(globs, name);
}

static int mem_read_cb(void *arg, taddr_t addr, void *buf, size_t len)
{
	return proc_read(arg, addr, buf, len);
}

static int mem_write_cb(void *arg, taddr_t addr, const void *buf, size_t len)
{
	return proc_write(arg, addr, buf, len);
}

/* Gives bp its out-of-line slot if its instruction needs one; returns false if it cannot be
 * stepped over at all. The slot bytes go to *buf (INSN_SLOT_SIZE) for the caller to write. */
static bool prepare_slot(struct task *t, struct bp *bp, uint8_t *buf)
{
	if (bp->insn.kind == INSN_BAD)
		return false;
	if (bp->insn.kind != INSN_OOL)
		return true;
	taddr_t near = bp->addr;
	if (bp->insn.disp_off)
		near = bp->addr + bp->insn.len + (taddr_t)bp->insn.disp;
	bp->slot = proc_scratch_slot(t, near);
	if (!bp->slot)
		DEBUG(DBG_STEP, "%#" PRIx64 ": its instruction must run out of line, and there is no scratch "
		      "memory for it: no breakpoint", bp->addr);
	if (!bp->slot || !insn_build_slot(&bp->insn, bp->addr, bp->slot, buf)) {
		bp->insn.kind = INSN_BAD;
		bp->slot = 0;
		return false;
	}
	return true;
}

static void describe(const struct bp *bp, const char *name)
{
	DEBUG(DBG_STEP, "%s at %#" PRIx64 ": %s (%u bytes)%s", name, bp->addr, insn_kind_name(bp->insn.kind),
	      bp->insn.len, bp->insn.disp_off ? ", rip-relative" : "");
}

/* Collects slot bytes into runs of consecutive slots, one write per run. */
struct slot_batch {
	taddr_t start;
	uint8_t buf[64 * 1024];
	size_t len;
};

static void batch_flush(struct proc *p, struct slot_batch *b)
{
	if (b->len && proc_write(p, b->start, b->buf, b->len))
		warn_errno("writing scratch at %#" PRIx64 " in pid %d", b->start, p->pid);
	b->len = 0;
}

static void batch_add(struct proc *p, struct slot_batch *b, taddr_t slot, const uint8_t *bytes)
{
	if (b->len && (b->start + b->len != slot || b->len + INSN_SLOT_SIZE > sizeof(b->buf)))
		batch_flush(p, b);
	if (!b->len)
		b->start = slot;
	memcpy(b->buf + b->len, bytes, INSN_SLOT_SIZE);
	b->len += INSN_SLOT_SIZE;
}

/* Plants every bp in [lo, hi) of one segment whose bytes are in text (already patched with 0xCC
 * at each planted address), in spans of nearby breakpoints. */
static void write_spans(struct proc *p, taddr_t lo, uint8_t *text, const taddr_t *addrs, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j + 1 < n && addrs[j + 1] - addrs[j] < SPAN_GAP)
			j++;
		taddr_t a = addrs[i], b = addrs[j] + 1;
		if (proc_write(p, a, text + (a - lo), b - a))
			warn_errno("planting breakpoints at %#" PRIx64 " in pid %d", a, p->pid);
		i = j + 1;
	}
}

/* Puts the program's bytes back where buf (a copy of [addr, addr+len)) holds our 0xCCs. */
static void hide_bps(struct proc *p, taddr_t addr, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		struct bp *bp = addrmap_get(&p->bps, addr + i);
		if (bp && bp->planted && buf[i] == BP_INSN)
			buf[i] = bp->orig;
	}
}

/* The name a function is shown by (interned), or NULL if the user's globs do not want it: some
 * -i glob (if any) must match one of its names and no -x glob any. Its names are the raw one,
 * the demangled one, and name@module for library functions. */
static const char *shown_name(const struct module *m, const struct func *f)
{
	char *dem = trace_opts.demangle ? demangle(f->name) : NULL;
	const char *shown = dem ? dem : f->name;
	char *full = NULL;
	if (!m->exe) {
		full = xmalloc(strlen(shown) + strlen(m->name) + 2);
		sprintf(full, "%s@%s", shown, m->name);
	}
	const char *names[] = { f->name, dem, full };
	bool inc = !trace_opts.include, exc = false;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!names[i])
			continue;
		inc = matches_any(trace_opts.include, names[i]) || inc;   /* every name: globs note a match */
		exc = matches_any(trace_opts.exclude, names[i]) || exc;
	}
	const char *name = inc && !exc ? funcs_intern(m->traced && full ? full : shown) : NULL;
	free(dem);
	free(full);
	return name;
}

uint32_t bp_fn(struct bp *bp)
{
	if (bp->fn == BP_NO_FN)
		bp->fn = funcs_add_interned(bp->name, bp->addr);
	return bp->fn;
}

/* Makes bp the entry of the function called name. */
static void set_entry(struct bp *bp, const struct module *m, const char *name)
{
	if (!bp->entry || bp->name != name)
		bp->fn = BP_NO_FN;
	bp->name = name;
	bp->entry = true;
	bp->libcall = !m->exe && !m->traced;
}

/* Stops (unreported) at the functions that change the program's signal setup, whatever the
 * user asked to trace: sigtrap.c follows their system calls. */
static void plant_watches(struct task *t, struct module *m)
{
	const struct symtab *st = m->st;
	for (size_t i = 0; i < st->nfuncs; i++) {
		const struct func *f = &st->funcs[i];
		if ((!m->exe && !f->exported) || !sigtrap_watched(f->name))
			continue;
		struct bp *bp = bp_at(t, f->addr + m->bias);
		if (bp)
			bp->sigwatch = true;
	}
}

size_t bp_plant_module(struct task *t, struct module *m)
{
	struct proc *p = t->p;
	const struct symtab *st = m->st;
	struct slot_batch *batch = xmalloc(sizeof(*batch));
	size_t planted = 0;
	batch->len = 0;
	if (!m->exe && !m->traced && !trace_opts.libcalls) {
		free(batch);
		plant_watches(t, m);
		return 0;
	}

	for (size_t s = 0; s < st->nxsegs; s++) {
		taddr_t lo = st->xsegs[s].lo + m->bias, hi = st->xsegs[s].hi + m->bias;
		size_t len = hi - lo;
		/* Raw bytes, our 0xCCs included: the spans written back below must keep them. */
		uint8_t *text = xmalloc(len);
		if (proc_read_raw(p, lo, text, len)) {
			/* A segment whose file part is shorter than memsz: read what is there. */
			memset(text, 0, len);
			for (size_t off = 0; off < len; off += 4096)
				proc_read_raw(p, lo + off, text + off, len - off < 4096 ? len - off : 4096);
		}
		/* The functions of this segment, found by bisection: a file of many segments and
		 * many functions costs n log n, not segments times functions. */
		size_t first = symtab_first_from(st, st->xsegs[s].lo), end = symtab_first_from(st, st->xsegs[s].hi);
		taddr_t *addrs = xmalloc((end - first + 1) * sizeof(*addrs));
		size_t naddrs = 0;
		for (size_t i = first; i < end; i++) {
			const struct func *f = &st->funcs[i];
			taddr_t a = f->addr + m->bias;
			if (!m->exe && !m->traced && !f->exported)
				continue;
			const char *name = shown_name(m, f);
			if (!name || fast_plant_entry(t, m, f, a, name))
				continue;
			struct bp *bp = addrmap_get(&p->bps, a);
			if (!bp) {
				bp = xcalloc(1, sizeof(*bp));
				bp->addr = a;
				bp->orig = text[a - lo];
				size_t avail = hi - a < INSN_MAX ? hi - a : INSN_MAX;
				uint8_t code[INSN_MAX];
				memcpy(code, text + (a - lo), avail);
				hide_bps(p, a, code, avail);   /* the decoder sees the program's bytes */
				insn_decode(code, avail, a, &bp->insn);
				uint8_t slot[INSN_SLOT_SIZE];
				if (bp->orig == BP_INSN || !prepare_slot(t, bp, slot)) {
					bp->insn.kind = INSN_BAD;
					describe(bp, name);
					free(bp);
					continue;
				}
				if (bp->slot)
					batch_add(p, batch, bp->slot, slot);
				addrmap_put(&p->bps, a, bp);
			}
			describe(bp, name);
			set_entry(bp, m, name);
			if (!bp->planted) {
				text[a - lo] = BP_INSN;
				bp->planted = bp->ever_planted = true;
				bp->guard = guard_note(p->pid, a, bp->orig);
				addrs[naddrs++] = a;
			}
		}
		batch_flush(p, batch);
		fast_overlay(p, lo, text, len);   /* the text was read before the fast path's jmps */
		write_spans(p, lo, text, addrs, naddrs);
		planted += naddrs;
		free(addrs);
		free(text);
	}
	free(batch);
	plant_watches(t, m);
	return planted;
}

void bp_plant_at(struct task *t, struct module *m, const struct func *f, taddr_t impl)
{
	const char *name = shown_name(m, f);
	if (!name || fast_plant_entry(t, m, f, impl, name))
		return;
	struct bp *bp = bp_at(t, impl);
	if (!bp)
		return;
	/* One implementation can serve several names (memcpy, memmove): keep the simplest. */
	if (bp->entry && symtab_alias_cmp(name, STB_GLOBAL, bp->name, STB_GLOBAL) >= 0)
		return;
	set_entry(bp, m, name);
	DEBUG(DBG_STEP, "%s: IFUNC implementation at %#" PRIx64 ": %s", name, impl, insn_kind_name(bp->insn.kind));
}

void bp_plant_resolvers(struct task *t, struct module *m)
{
	if (!m->traced && !trace_opts.libcalls)
		return;
	for (size_t i = 0; i < m->st->nifuncs; i++) {
		const struct func *f = &m->st->ifuncs[i];
		if (!shown_name(m, f))
			continue;
		struct bp *bp = bp_at(t, f->addr + m->bias);
		if (bp)
			bp->resolver = true;
	}
}

/* Finds how many bytes can be read at addr inside its executable mapping, at most INSN_MAX. */
static size_t text_avail(const struct proc *p, taddr_t addr)
{
	for (size_t i = 0; i < p->nxmaps; i++)
		if (addr >= p->xmaps[i].lo && addr < p->xmaps[i].hi)
			return p->xmaps[i].hi - addr < INSN_MAX ? p->xmaps[i].hi - addr : INSN_MAX;
	return 0;
}

/* Decodes bp's instruction again from code (the program's bytes now: avail of them), after the
 * program changed it: a new slot if it runs out of line. Returns false if it can no longer be
 * stepped over: the breakpoint is then dropped (the caller takes our byte out). */
static bool redecode(struct task *t, struct bp *bp, const uint8_t *code, size_t avail)
{
	uint8_t slot[INSN_SLOT_SIZE];
	bp->orig = code[0];
	bp->slot = 0;
	insn_decode(code, avail, bp->addr, &bp->insn);
	bool ok = bp->orig != BP_INSN && prepare_slot(t, bp, slot) &&
		  (!bp->slot || proc_write(t->p, bp->slot, slot, sizeof(slot)) == 0);
	if (!ok)
		bp->insn.kind = INSN_BAD;
	DEBUG(DBG_BP, "pid %d: code at %#" PRIx64 " changed under a breakpoint: %s (%u bytes)%s", t->p->pid,
	      bp->addr, insn_kind_name(bp->insn.kind), bp->insn.len, ok ? "" : ", breakpoint dropped");
	return ok;
}

/* Whether the program has changed the instruction bp displaces since it was decoded (a JIT, an
 * inline hook, a patched immediate). If so it is decoded again; returns true if it then cannot
 * be stepped over (its breakpoint is dropped). Our own byte stays where it still is: the program
 * kept it, or it is not planted. */
static bool code_changed(struct task *t, struct bp *bp, const uint8_t *raw)
{
	struct proc *p = t->p;
	uint8_t code[INSN_MAX];
	size_t avail = text_avail(p, bp->addr);
	if (avail < bp->insn.len)
		return false;   /* unmapped meanwhile: nothing to compare; the trap says the rest */
	if (raw) {
		memcpy(code, raw, bp->insn.len);
		proc_hide(p, bp->addr, code, bp->insn.len);
	} else if (proc_read(p, bp->addr, code, avail)) {
		return false;
	}
	size_t from = bp->planted ? 1 : 0;   /* a planted bp's byte 0 is ours (the read saw it) */
	if (!memcmp(code + from, bp->insn.bytes + from, bp->insn.len - from) && (from || code[0] == bp->orig))
		return false;
	if (raw && proc_read(p, bp->addr, code, avail))   /* the new instruction may be longer */
		return false;
	if (bp->planted)
		code[0] = bp->orig;   /* the program's bytes after it, our byte's own under it */
	if (redecode(t, bp, code, avail))
		return false;
	if (bp->planted) {
		uint8_t cc;
		if (proc_read_raw(p, bp->addr, &cc, 1) == 0 && cc == BP_INSN)
			proc_write(p, bp->addr, &bp->orig, 1);
		bp_unplanted(bp);
	}
	return true;
}

size_t bp_code_len(const struct bp *bp)
{
	return bp->planted && bp->insn.len > 1 ? bp->insn.len : 0;   /* one byte is all ours */
}

bool bp_check_code(struct task *t, struct bp *bp, const uint8_t *raw)
{
	return bp_code_len(bp) && code_changed(t, bp, raw);
}

struct bp *bp_at(struct task *t, taddr_t addr)
{
	struct proc *p = t->p;
	struct bp *bp = addrmap_get(&p->bps, addr);
	if (!bp && fast_owns(p, addr))
		return NULL;   /* a trampoline's jmp is there already */
	if (bp) {
		if (!bp->planted && bp->insn.kind != INSN_BAD && !code_changed(t, bp, NULL)) {
			uint8_t cc = BP_INSN;
			uint32_t guard = guard_note(p->pid, addr, bp->orig);   /* (first: fntrace may die between) */
			if (!proc_write(p, addr, &cc, 1)) {
				bp->planted = bp->ever_planted = true;
				bp->guard = guard;
			} else {
				guard_forget(guard);
			}
		}
		return bp->planted ? bp : NULL;
	}
	bp = xcalloc(1, sizeof(*bp));
	bp->addr = addr;
	bp->insn.kind = INSN_BAD;
	addrmap_put(&p->bps, addr, bp);   /* also remembers addresses we could not use */

	uint8_t code[INSN_MAX], slot[INSN_SLOT_SIZE];
	size_t avail;
	if (!proc_is_text(p, addr) || !(avail = text_avail(p, addr)) || proc_read(p, addr, code, avail))
		return NULL;
	bp->orig = code[0];
	insn_decode(code, avail, addr, &bp->insn);
	if (bp->orig == BP_INSN || !prepare_slot(t, bp, slot)) {
		bp->insn.kind = INSN_BAD;
		DEBUG(DBG_STEP, "breakpoint at %#" PRIx64 ": not usable", addr);
		return NULL;
	}
	uint8_t cc = BP_INSN;
	uint32_t guard = guard_note(p->pid, addr, bp->orig);   /* (first: fntrace may die between) */
	if ((bp->slot && proc_write(p, bp->slot, slot, sizeof(slot))) || proc_write(p, addr, &cc, 1)) {
		guard_forget(guard);
		bp->insn.kind = INSN_BAD;
		return NULL;
	}
	bp->planted = bp->ever_planted = true;
	bp->guard = guard;
	DEBUG(DBG_STEP, "breakpoint at %#" PRIx64 ": %s (%u bytes)", addr, insn_kind_name(bp->insn.kind), bp->insn.len);
	return bp;
}

void bp_ensure_retsite(struct task *t, taddr_t addr)
{
	taddr_t *seen = bp_site_seen(t->p, addr);
	if (*seen == addr)
		return;   /* a site already, and sites stay until forgotten */
	struct bp *bp = addrmap_get(&t->p->bps, addr);
	if ((bp && bp->retsite) || fast_activate_site(t->p, addr)) {
		*seen = addr;
		return;
	}
	if ((bp = bp_at(t, addr))) {
		bp->retsite = true;
		fast_note_site(t->p, addr);
		*seen = addr;
	}
}

struct forget {
	struct proc *p;
	taddr_t lo, hi;
	taddr_t *v;
	size_t n, cap;
};

static void forget_one(taddr_t key, void *val, void *arg)
{
	struct forget *f = arg;
	(void)val;
	if (key >= f->lo && key < f->hi) {
		xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
		f->v[f->n++] = key;
	}
}

void bp_forget_range(struct proc *p, taddr_t lo, taddr_t hi)
{
	struct forget f = { p, lo, hi, NULL, 0, 0 };
	addrmap_each(&p->bps, forget_one, &f);
	for (size_t i = 0; i < f.n; i++)
		free(addrmap_del(&p->bps, f.v[i]));
	free(f.v);
	memset(p->sites_seen, 0, sizeof(p->sites_seen));
	fast_forget_range(p, lo, hi);
}

void bp_unplanted(struct bp *bp)
{
	bp->planted = false;
	guard_forget(bp->guard);
	bp->guard = 0;
}

void bp_unplant(struct proc *p, struct bp *bp)
{
	uint8_t cc;
	if (!bp->planted)
		return;
	if (proc_read_raw(p, bp->addr, &cc, 1) == 0 && cc != BP_INSN) {
		DEBUG(DBG_BP, "pid %d: %#" PRIx64 ": the program wrote over our breakpoint", p->pid, bp->addr);
		bp_unplanted(bp);   /* never restore over bytes that are no longer ours */
		return;
	}
	if (proc_write(p, bp->addr, &bp->orig, 1) == 0 || errno == ESRCH)
		bp_unplanted(bp);
}

int bp_step_over(struct task *t, struct bp *bp, struct user_regs_struct *r)
{
	r->rip = bp->addr;
	if (!bp->planted)
		return 0;                 /* the program's own byte is back: just run it */
	if (bp->insn.kind == INSN_OOL) {
		r->rip = bp->slot;
		return 0;
	}
	struct insn_mem m = { mem_read_cb, mem_write_cb, t->p };
	return insn_emulate(&bp->insn, bp->addr, r, &m);
}

static void collect_planted(taddr_t key, void *val, void *arg)
{
	struct forget *f = arg;
	(void)key;
	if (((struct bp *)val)->planted) {
		xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
		f->v[f->n++] = key;
	}
}

static int cmp_addr(const void *a, const void *b)
{
	taddr_t x = *(const taddr_t *)a, y = *(const taddr_t *)b;
	return x < y ? -1 : x > y;
}

void bp_restore_all(struct proc *p, struct proc *in)
{
	/* Only where our 0xCC still is: a program that wrote over it (a JIT, an inline hook) keeps
	 * its own bytes. Read in spans of nearby breakpoints, written byte by byte. */
	struct forget f = { p, 0, 0, NULL, 0, 0 };
	addrmap_each(&p->bps, collect_planted, &f);
	qsort(f.v, f.n, sizeof(*f.v), cmp_addr);
	uint8_t *buf = xmalloc(SPAN_GAP + 1);
	for (size_t i = 0, j; i < f.n; i = j + 1) {
		for (j = i; j + 1 < f.n && f.v[j + 1] - f.v[i] < SPAN_GAP;)
			j++;
		size_t len = f.v[j] - f.v[i] + 1;
		bool have = proc_read_raw(in, f.v[i], buf, len) == 0;
		for (size_t k = i; k <= j; k++) {
			struct bp *bp = addrmap_get(&p->bps, f.v[k]);
			uint8_t cc;
			if (have ? buf[f.v[k] - f.v[i]] != BP_INSN :
			    proc_read_raw(in, f.v[k], &cc, 1) == 0 && cc != BP_INSN) {
				DEBUG(DBG_BP, "pid %d: %#" PRIx64 ": the program wrote over our breakpoint, left as it is",
				      in->pid, f.v[k]);
				continue;
			}
			proc_write(in, bp->addr, &bp->orig, 1);
		}
	}
	free(buf);
	free(f.v);
	fast_restore_all(p, in);
}

void bp_restore_in_child(struct proc *p, pid_t child)
{
	struct proc copy = { .pid = child, .memfd = -1 };
	if (proc_open_mem(&copy) == 0) {
		bp_restore_all(p, &copy);
		close(copy.memfd);
	}
}

static void free_bp(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

void bp_free_all(struct proc *p)
{
	addrmap_each(&p->bps, free_bp, NULL);
	addrmap_free(&p->bps);
	memset(p->sites_seen, 0, sizeof(p->sites_seen));
}

/* Finds the breakpoint whose slot holds rip, at its start or at its jump back. */
struct slot_find {
	taddr_t rip;
	struct bp *bp;
};

static void find_slot(taddr_t key, void *val, void *arg)
{
	struct bp *bp = val;
	struct slot_find *f = arg;
	(void)key;
	if (!f->bp && bp->slot && (f->rip == bp->slot || f->rip == bp->slot + bp->insn.len))
		f->bp = bp;
}

bool bp_leave_slot(struct proc *p, struct user_regs_struct *r, bool *before)
{
	bool in_scratch = false;
	for (size_t i = 0; i < p->nscr && !in_scratch; i++)
		in_scratch = r->rip >= p->scr[i].base && r->rip < p->scr[i].base + p->scr[i].size;
	if (!in_scratch)
		return false;
	struct slot_find f = { r->rip, NULL };
	addrmap_each(&p->bps, find_slot, &f);
	if (!f.bp)
		return false;
	*before = r->rip == f.bp->slot;
	r->rip = *before ? f.bp->addr : f.bp->addr + f.bp->insn.len;
	return true;
}
