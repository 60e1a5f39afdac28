/* bp: the breakpoint table of an address space: plant in bulk, look up, step over, remove. */
#include "trace.h"
#include "../rec/funcs.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define BP_INSN 0xcc
/* Breakpoints closer than this share one write to /proc/PID/mem. */
#define SPAN_GAP 4096

struct trace_opts trace_opts;

static bool matches_any(char **globs, const char *name)
{
	for (; globs && *globs; globs++)
		if (!fnmatch(*globs, name, 0))
			return true;
	return false;
}

static bool wanted(const char *name)
{
	if (trace_opts.include && !matches_any(trace_opts.include, name))
		return false;
	return !matches_any(trace_opts.exclude, name);
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

size_t bp_plant_image(struct task *t)
{
	struct proc *p = t->p;
	const struct symtab *st = &p->st;
	struct slot_batch *batch = xmalloc(sizeof(*batch));
	size_t planted = 0;
	batch->len = 0;

	for (size_t s = 0; s < st->nxsegs; s++) {
		taddr_t lo = st->xsegs[s].lo + p->bias, hi = st->xsegs[s].hi + p->bias;
		size_t len = hi - lo;
		uint8_t *text = xmalloc(len);
		if (proc_read_raw(p, lo, text, len)) {
			/* A segment whose file part is shorter than memsz: read what is there. */
			memset(text, 0, len);
			for (size_t off = 0; off < len; off += 4096)
				proc_read_raw(p, lo + off, text + off, len - off < 4096 ? len - off : 4096);
		}
		taddr_t *addrs = xmalloc((st->nfuncs + 1) * sizeof(*addrs));
		size_t naddrs = 0;
		for (size_t i = 0; i < st->nfuncs; i++) {
			const struct func *f = &st->funcs[i];
			taddr_t a = f->addr + p->bias;
			if (a < lo || a >= hi || !wanted(f->name))
				continue;
			struct bp *bp = addrmap_get(&p->bps, a);
			if (!bp) {
				bp = xcalloc(1, sizeof(*bp));
				bp->addr = a;
				bp->orig = text[a - lo];
				size_t avail = hi - a < INSN_MAX ? hi - a : INSN_MAX;
				insn_decode(text + (a - lo), avail, a, &bp->insn);
				uint8_t slot[INSN_SLOT_SIZE];
				if (bp->orig == BP_INSN || !prepare_slot(t, bp, slot)) {
					if (bp->orig == BP_INSN)
						bp->insn.kind = INSN_BAD;
					describe(bp, f->name);
					free(bp);
					continue;
				}
				if (bp->slot)
					batch_add(p, batch, bp->slot, slot);
				addrmap_put(&p->bps, a, bp);
			}
			describe(bp, f->name);
			bp->entry = true;
			bp->fn = funcs_add(f->name, a);
			if (!bp->planted) {
				text[a - lo] = BP_INSN;
				bp->planted = bp->ever_planted = true;
				addrs[naddrs++] = a;
			}
		}
		batch_flush(p, batch);
		write_spans(p, lo, text, addrs, naddrs);
		planted += naddrs;
		free(addrs);
		free(text);
	}
	free(batch);
	DEBUG(DBG_BP, "pid %d: %zu entry breakpoints planted", p->pid, planted);
	return planted;
}

/* Finds how many bytes can be read at addr inside its executable mapping, at most INSN_MAX. */
static size_t text_avail(const struct proc *p, taddr_t addr)
{
	for (size_t i = 0; i < p->nxmaps; i++)
		if (addr >= p->xmaps[i].lo && addr < p->xmaps[i].hi)
			return p->xmaps[i].hi - addr < INSN_MAX ? p->xmaps[i].hi - addr : INSN_MAX;
	return 0;
}

void bp_ensure_retsite(struct task *t, taddr_t addr)
{
	struct proc *p = t->p;
	struct bp *bp = addrmap_get(&p->bps, addr);
	if (bp) {
		if (!bp->retsite && bp->insn.kind != INSN_BAD) {
			bp->retsite = true;
			if (!bp->planted) {
				uint8_t cc = BP_INSN;
				if (!proc_write(p, addr, &cc, 1))
					bp->planted = bp->ever_planted = true;
			}
		}
		return;
	}
	bp = xcalloc(1, sizeof(*bp));
	bp->addr = addr;
	bp->insn.kind = INSN_BAD;
	addrmap_put(&p->bps, addr, bp);   /* also remembers addresses we could not use */

	uint8_t code[INSN_MAX], slot[INSN_SLOT_SIZE];
	size_t avail;
	if (!proc_is_text(p, addr) || !(avail = text_avail(p, addr)) || proc_read(p, addr, code, avail))
		return;
	bp->orig = code[0];
	insn_decode(code, avail, addr, &bp->insn);
	if (bp->orig == BP_INSN || !prepare_slot(t, bp, slot)) {
		bp->insn.kind = INSN_BAD;
		DEBUG(DBG_STEP, "return site %#" PRIx64 ": not usable", addr);
		return;
	}
	if (bp->slot && proc_write(p, bp->slot, slot, sizeof(slot))) {
		bp->insn.kind = INSN_BAD;
		return;
	}
	uint8_t cc = BP_INSN;
	if (proc_write(p, addr, &cc, 1)) {
		bp->insn.kind = INSN_BAD;
		return;
	}
	bp->retsite = true;
	bp->planted = bp->ever_planted = true;
	DEBUG(DBG_STEP, "return site %#" PRIx64 ": %s (%u bytes)", addr, insn_kind_name(bp->insn.kind), bp->insn.len);
}

void bp_unplant(struct proc *p, struct bp *bp)
{
	if (!bp->planted)
		return;
	if (proc_write(p, bp->addr, &bp->orig, 1) == 0 || errno == ESRCH)
		bp->planted = false;
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
}
