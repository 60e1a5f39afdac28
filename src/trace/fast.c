/* trace/fast: the fast path in the traced program: trampolines mapped and written, function
 * entries and return sites patched with a jmp to them, per-thread record blocks, the records
 * drained into the call stacks at every stop of their thread, and the traps and faults the
 * trampolines raise on purpose answered. What a trampoline does is src/fast/tramp.h; where one
 * may go is src/fast/window.h. Everything a window's checker cannot accept stays on int3. */
#include "trace.h"
#include "stop.h"
#include "../fast/clock.h"
#include "../fast/evict.h"
#include "../fast/image.h"
#include "../fast/mapfile.h"
#include "../fast/record.h"
#include "../fast/tramp.h"
#include "../fast/window.h"
#include "../elf/discache.h"
#include "../args/choose.h"
#include "../elf/discover.h"
#include "../rec/funcs.h"
#include "../util/addrbits.h"
#include "../util/dcache.h"
#include "../util/hash.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#define REGION_SIZE (1u << 20)        /* trampolines, mapped r-x near the code they serve */
#define BLOCK_SIZE (256u << 10)       /* one thread's records (8,192), then a guard page: a stop
				      * per 4,096 calls */
#define GUARD_SIZE 4096u
#define SITES_BITS 18                 /* the table of known return sites: 2 MiB */
#define STEP_MAX 160                  /* single-steps to leave a trampoline (it has no loop) */
#define IDLE_NS 10000000ull           /* running threads' records are read this often at most */

/* ---- the maps of the files, read once, shared by every process that maps them ---- */

struct fmap {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct fast_image im;
	struct fast_map map;
	bool ok;
	bool cached;   /* the map came from the disk cache */
};

static struct fmap **fmaps;
static size_t nfmaps;

/* The map of f's image from the disk cache, or built and put there. The key covers the image
 * and the symbols' starts; a stripped file's discovered starts follow from those (discovery
 * reads the same file and table), so a map from the cache needs no discovery either. */
static void map_of(struct fmap *f, const struct module *m)
{
	uint8_t key[16];
	bool cache = dcache_on();
	if (cache) {
		struct hash128 h;
		uint8_t sub[16];
		fast_map_key(&f->im, m->st->funcs, m->st->nfuncs, sub);
		hash_init(&h);
		hash_add(&h, sub, sizeof(sub));
		hash_add_u64(&h, m->st->stripped);   /* (discovery's starts are added, or not) */
		hash_final(&h, key);
		size_t len;
		uint8_t *p = dcache_get("map", key, &len);
		int rc = p ? fast_map_decode(&f->map, &f->im, p, len) : -1;
		free(p);
		if (rc == 0) {
			f->cached = true;
			return;
		}
		if (p)
			DEBUG(DBG_FAST, "%s: the cache's map does not check: built again", m->path);
	}
	size_t n;
	struct func *starts = discache_starts(m->st, &n);
	fast_map_build(&f->map, &f->im, starts, n);
	free(starts);
	if (cache) {
		size_t len;
		uint8_t *p = fast_map_encode(&f->map, &len);
		dcache_put("map", key, p, len);
		free(p);
	}
}

static struct fmap *fmap_find(const struct module *m)
{
	struct stat sb;
	if (stat(m->st->path, &sb))
		return NULL;
	for (size_t i = 0; i < nfmaps; i++)
		if (fmaps[i]->dev == sb.st_dev && fmaps[i]->ino == sb.st_ino && fmaps[i]->size == sb.st_size &&
		    fmaps[i]->mtime.tv_sec == sb.st_mtim.tv_sec && fmaps[i]->mtime.tv_nsec == sb.st_mtim.tv_nsec)
			return fmaps[i]->ok ? fmaps[i] : NULL;
	struct fmap *f = xcalloc(1, sizeof(*f));
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->size = sb.st_size;
	f->mtime = sb.st_mtim;
	char err[512];
	uint64_t t0 = util_now_ns();
	if (fast_image_load(m->st->path, &f->im, err, sizeof(err)) == 0) {
		map_of(f, m);
		f->ok = true;
	} else {
		DEBUG(DBG_FAST, "%s", err);
	}
	DEBUG(DBG_FAST, "%s: map of %zu functions, %zu targets, %zu jump tables, %zu landing pads, "
	      "%zu indirect jumps unresolved, %s in %.1f ms", m->path, m->st->nfuncs, f->map.ntargets, f->map.ntables,
	      f->map.npads, f->map.nunresolved, f->cached ? "from cache" : "built", (util_now_ns() - t0) / 1e6);
	fmaps = xrealloc(fmaps, (nfmaps + 1) * sizeof(*fmaps));
	fmaps[nfmaps++] = f;
	return f->ok ? f : NULL;
}

/* The map of m's file. Looked up once per module, not once per function: a stat() each time
 * was 7% of planting 100,000 functions. */
static struct fmap *fmap_get(struct module *m)
{
	if (!m->fmap_tried) {
		m->fmap = fmap_find(m);
		m->fmap_tried = true;
	}
	return m->fmap;
}

/* ---- per process ---- */

enum patch_kind {
	PATCH_ENTRY,   /* a function's entry window, or (redirect) a copy of a first instruction */
	PATCH_SITE,    /* a return site's window */
	PATCH_CALL,    /* a call rel32 sent to the trampoline of its callee, whose entry is int3 */
	PATCH_EVICT,   /* a neighbour evicted to make a hole (fast/evict.h): its instructions run
			* in a trampoline with no record, and its dead bytes hold another patch's hole */
};

/* A window replaced by a jmp to its trampoline. */
struct patch {
	enum patch_kind kind;
	uint32_t id;                 /* its index in fast_proc.v, which its records carry */
	taddr_t at, tramp;
	struct fast_window w;        /* link-time address; its bytes are the program's */
	struct fast_tramp_info info;
	uint8_t jmp[FAST_JMP_LEN];   /* what replaced the window's first jlen bytes */
	uint8_t jlen;                /* FAST_JMP_LEN, or FAST_JMP8_LEN: a jmp rel8 to hole */
	taddr_t hole;                /* 0, or where the jmp rel32 to the trampoline is, in padding
				      * that never runs (a thread can stop there, between the two) */
	uint8_t hole_jmp[FAST_JMP_LEN], hole_bytes[FAST_JMP_LEN];   /* the hole's new and old bytes */
	taddr_t evicted;             /* 0, or the PATCH_EVICT whose dead bytes hold hole */
	uint32_t host;               /* PATCH_EVICT: the id of the patch whose hole it holds */
	bool redirect;               /* PATCH_ENTRY of a function whose entry stays int3: only its
				      * redirected calls come here; nothing at at is ours */
	bool replaced;               /* jmp is in the program's code at at, over w.bytes, and
				      * hole_jmp at hole (not a redirect, not given back after a
				      * fault, not unloaded) */
	bool active;                 /* PATCH_SITE: a reported call returns here, so its records
				      * count, as an int3 here would since that call (the
				      * breakpoints plant a return site when they first see it) */
	struct bp bp;                /* PATCH_ENTRY: what an entry breakpoint there would be; never
				      * in the proc's table, never planted */
	uint8_t args;                /* PATCH_ENTRY: ARGS_ENTRY_REGS or ARGS_ENTRY_FPREGS when its
				      * records keep the argument registers, else 0 */
	bool x87;                    /* PATCH_ENTRY: its function may return a long double (a site
				      * learned from it keeps st0); PATCH_SITE: its records keep st0 */
	bool stops;                  /* PATCH_SITE: an int3 at tramp, over its first byte (stops),
				      * since a call returning here had a string to return */
	uint8_t first;               /* that byte */
	uint32_t stop_guard;         /* the guardian's entry for it (guard_note) */
};

/* What a record's id says, for the drain: the few fields of its patch that feeding a record
 * reads, packed by id. Reading them in the patches themselves (hundreds of bytes each, spread
 * over the heap) cost one or two cache misses per record on real programs. */
struct dest {
	struct patch *pa;
	taddr_t at;                  /* pa->at */
	uint32_t fn;                 /* PATCH_ENTRY, no redirect: pa->bp.fn once a call of it was
				      * reported and its function described, else BP_NO_FN; from
				      * then on its plain records take the lane (lane_take) */
	uint8_t kind;                /* pa->kind */
	bool redirect, active;       /* pa->redirect, pa->active */
	bool libcall;                /* with fn: pa->bp.libcall */
};

struct region {
	taddr_t base, used;
	uint8_t *stage;              /* while staging: STAGE_CHUNK bytes of the region from written
				      * on, zeroed where no trampoline went; else NULL */
	taddr_t written;             /* bytes up to here are in the program */
};

/* A few bytes of the program's code to replace: a window's jmp, or a redirected call. */
struct code_write {
	taddr_t at;
	uint8_t b[FAST_JMP_LEN];
	uint8_t len;
};

/* The writes of one module's planting, made at its end in a few large ones: trampolines in one
 * write per region, the jmps in spans of text, the table of return sites in runs of pages. One
 * pwrite per patch, then one pread and one pwrite per site, were most of the system time of
 * planting python3's 54,000 windows. Nothing staged runs before the flush: the program is
 * stopped while its modules are planted. */
struct stage {
	bool on;
	struct code_write *code;
	size_t ncode, capcode;
	taddr_t *sites;
	size_t nsites, capsites;
};

/* A thread's block of records. */
struct fthread {
	taddr_t block;               /* 0: none yet */
	taddr_t spare;               /* 0, or its second block, fed and empty: at a full block's
				      * stop the slot goes there at once, and the full one is read
				      * and fed after the thread is resumed (swap_block) */
	taddr_t fs_base;             /* where its TLS slot is */
	taddr_t fed;                 /* the records below this were fed while the thread ran (0:
				      * none); its block is emptied only while it is stopped */
	uint64_t last_ts;            /* records are stamped no earlier than this */
	bool no_tsc;                 /* its rdtsc faults: we run it (said once) */
	bool fed_any;                /* its first records were fed (said once, with --debug=fast) */
};

/* Why an entry or a site stays int3: the window checker's reasons, and these. */
enum { WHY_NO_MAP = FAST_NWHY, WHY_NO_ROOM, WHY_TAKEN, WHY_NO_HOLE, WHY_PC, WHY_RUNNING, WHY_NREASONS };

static const char *why_name(int why)
{
	return why == WHY_NO_MAP ? "file unreadable" : why == WHY_NO_ROOM ? "no room for a trampoline in reach" :
	       why == WHY_TAKEN ? "a breakpoint or window there already" :
	       why == WHY_NO_HOLE ? "no free padding in reach of a jmp rel8" :
	       why == WHY_PC ? "a thread stopped inside the window" :
	       why == WHY_RUNNING ? "other threads run, and may be inside the window" :
	       fast_why_name((enum fast_why)why);
}

/* Counts for --debug=fast, per module. */
struct fcount {
	size_t entries, entries_int3, sites, sites_int3, calls;
	size_t entries_short, sites_short;   /* of those in-process, by a jmp rel8 to a hole */
	size_t entries_evict, sites_evict;   /* of those, the hole made by evicting a neighbour */
	size_t why_entry[WHY_NREASONS], why_site[WHY_NREASONS];
};

struct fast_proc {
	struct patch **v;            /* id -> patch, in the order they were made */
	size_t n, cap;
	struct dest *dests;          /* id -> what its records need (add_patch, set_active) */
	size_t capdests;
	struct addrmap at;           /* window address -> patch */
	struct addrmap redir;        /* function -> its redirect patch */
	struct addrmap holes;        /* hole slot -> the replaced patch whose jmp rel8 goes there */
	struct addrbits win_bytes;   /* every byte of fp->at's windows is set here (at_put), and
				      * of fp->holes' slots in hole_bytes (own_bytes): where no bit
				      * is set, no window or hole lies, without a lookup per byte */
	struct addrbits hole_bytes;
	struct patch **sorted;       /* by trampoline, for lookups by pc (no PATCH_CALL) */
	size_t nsorted;              /* fp->n when sorted was made */
	size_t nsortedv;             /* entries in sorted */
	struct region *regs;
	size_t nregs;
	taddr_t sites;               /* the table of known return sites */
	bool sites_zero;             /* it is still as mapped, all zeros: nothing to read back */
	taddr_t errno_word;          /* after it: errno's offset for site trampolines with values
				      * (FAST_ERRNO_UNKNOWN until errno_set) */
	bool errno_set;
	struct addrmap threads;      /* tid -> struct fthread */
	taddr_t *free_blocks;        /* blocks of threads that ended, to reuse */
	size_t nfree, capfree;
	bool off;                    /* could not be set up: int3 only in this process */
	struct fcount count;         /* of the module being planted */
	struct stage stage;          /* its writes, while it is planted */
	const struct module *loading;/* a library the loader is adding: no thread has run its code */
	int slow_sig;                /* safe mode: the signal of the trampolines' slow paths */
};

/* -p: trampolines in safe mode (see fast_tramp_cfg): the program outlives a killed fntrace. */
static bool safe_mode;

/* The settings every trampoline of fp's process shares. */
static void tramp_cfg_base(const struct fast_proc *fp, struct fast_tramp_cfg *cfg)
{
	cfg->safe = safe_mode || trace_opts.fast_safe;
	cfg->slow_sig = fp->slow_sig;
	cfg->block_size = BLOCK_SIZE;
}

/* -p: while the image of an attached process is planted, every one of its threads is stopped,
 * and here is where (a window must not be patched under a thread that would resume inside it). */
struct held_task {
	pid_t tid;
	taddr_t pc, fs_base;
};

static struct {
	struct proc *p;              /* the process being planted at attach, or NULL */
	bool all;                    /* every thread is stopped and listed */
	struct held_task *v;
	size_t n, cap;
} held;

static struct fast_clock clk;
static bool clk_ready;

static struct fast_proc *fp_of(struct proc *p)
{
	return p->fast;
}

/* Gives pa the next id: its trampoline's records will carry it. */
static void add_patch(struct fast_proc *fp, struct patch *pa)
{
	xgrow(&fp->v, &fp->cap, fp->n + 1, sizeof(*fp->v));
	xgrow(&fp->dests, &fp->capdests, fp->n + 1, sizeof(*fp->dests));
	pa->id = (uint32_t)fp->n;
	fp->dests[fp->n] = (struct dest){ pa, pa->at, BP_NO_FN, (uint8_t)pa->kind, pa->redirect, pa->active, false };
	fp->v[fp->n++] = pa;
}

/* A reported call returns at site pa: its records count from now on. */
static void set_active(struct fast_proc *fp, struct patch *pa)
{
	pa->active = true;
	fp->dests[pa->id].active = true;
}

/* Whether the program's threads keep glibc's TCB, whose two unused words the trampolines use:
 * glibc's dynamic loader is mapped, or a static executable has glibc's TLS setup. */
static bool glibc_tcb(const struct proc *p)
{
	if (!p->nmods)
		return false;
	if (p->mods[0]->st->interp) {
		char path[64], line[4096 + 128];
		bool found = false;
		snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
		FILE *f = fopen(path, "re");
		while (f && !found && fgets(line, sizeof(line), f))
			found = strstr(line, "/ld-linux-x86-64.so.2\n") != NULL;
		if (f)
			fclose(f);
		return found;
	}
	const struct symtab *st = p->mods[0]->st;
	for (size_t i = 0; i < st->nfuncs; i++)
		if (!strcmp(st->funcs[i].name, "__libc_setup_tls"))
			return true;
	return false;
}

/* Sets the fast path up in t's process: the table of return sites. Returns it, or NULL. */
static struct fast_proc *fp_init(struct task *t)
{
	struct proc *p = t->p;
	if (p->fast)
		return fp_of(p)->off ? NULL : fp_of(p);
	struct fast_proc *fp = p->fast = xcalloc(1, sizeof(*fp));
	const char *why = NULL;
	if (!fast_clock_usable())
		why = "the TSC is not invariant";
	else if (p->go)
		why = "Go programs switch stacks under their threads";
	else if (trace_opts.once)
		why = "--once removes entries after their first call";
	else if (!glibc_tcb(p))
		why = "not a glibc program (its threads' TCB is unknown)";
	if (!why && trace_opts.returns) {
		if (!p->nscr)
			proc_scratch_slot(t, p->nmods ? p->mods[0]->text.lo : 0);   /* the syscall gadget first */
		size_t size = (sizeof(taddr_t) << SITES_BITS) + 4096;   /* a page for the errno word */
		fp->sites = proc_map_near(t, 0, size, PROT_READ);
		if (!fp->sites)
			why = "no memory for the table of return sites";
		else {
			p->scr = xrealloc(p->scr, (p->nscr + 1) * sizeof(*p->scr));
			p->scr[p->nscr++] = (struct scratch){ fp->sites, size, size };
			fp->errno_word = fp->sites + (sizeof(taddr_t) << SITES_BITS);
			fp->sites_zero = true;   /* (anonymous memory) */
			int64_t unknown = FAST_ERRNO_UNKNOWN;
			proc_write(p, fp->errno_word, &unknown, sizeof(unknown));
		}
	}
	if (why) {
		DEBUG(DBG_FAST, "pid %d: fast path off: %s", p->pid, why);
		fp->off = true;
		return NULL;
	}
	/* A signal whose default action is to ignore it, and that the program does not catch:
	 * delivered after fntrace is gone, it does nothing. */
	unsigned long caught = proc_status_mask(p->pid, "SigCgt");
	fp->slow_sig = !(caught & 1ul << (SIGURG - 1)) || (caught & 1ul << (SIGWINCH - 1)) ? SIGURG : SIGWINCH;
	if (!clk_ready) {
		fast_clock_init(&clk);
		clk_ready = true;
	}
	return fp;
}

/* A region with room for a trampoline within reach of at. */
static struct region *region_near(struct task *t, struct fast_proc *fp, taddr_t at)
{
	for (size_t i = 0; i < fp->nregs; i++) {
		struct region *r = &fp->regs[i];
		taddr_t far = r->base > at ? r->base + REGION_SIZE - at : at - r->base;
		if (r->used + FAST_TRAMP_MAX <= REGION_SIZE && far < 0x7ff00000u)
			return r;
	}
	struct proc *p = t->p;
	if (!p->nscr)
		proc_scratch_slot(t, at);   /* the syscall gadget lives in the first scratch region */
	taddr_t base = proc_map_near(t, at, REGION_SIZE, PROT_READ | PROT_EXEC);
	if (!base)
		return NULL;
	/* Listed as scratch, full: unmapped with it at detach and in unfollowed children. */
	p->scr = xrealloc(p->scr, (p->nscr + 1) * sizeof(*p->scr));
	p->scr[p->nscr++] = (struct scratch){ base, REGION_SIZE, REGION_SIZE };
	fp->regs = xrealloc(fp->regs, (fp->nregs + 1) * sizeof(*fp->regs));
	fp->regs[fp->nregs] = (struct region){ .base = base };
	DEBUG(DBG_FAST, "pid %d: trampolines at %#" PRIx64 " for %#" PRIx64, p->pid, base, at);
	return &fp->regs[fp->nregs++];
}

/* The patch whose jmp (or redirected call, or jmp rel32 in a hole) replaced the program's byte
 * at addr, or NULL. The replaced bytes of two patches never overlap, a patch's start is in fp->at
 * and its hole's in fp->holes: a lookup of the five addresses where either can start, rather
 * than a table of every byte (16 MiB for 100,000 patches), made only where a bit of
 * win_bytes or hole_bytes says a window or a hole is. */
static struct patch *replaced_at(struct fast_proc *fp, taddr_t addr)
{
	if (!addrbits_any(&fp->win_bytes, addr, addr + 1) && !addrbits_any(&fp->hole_bytes, addr, addr + 1))
		return NULL;
	for (size_t k = 0; k < FAST_JMP_LEN; k++) {
		struct patch *pa = addrmap_get(&fp->at, addr - k);
		if (pa && pa->replaced && addr < pa->at + pa->jlen)
			return pa;
		pa = fp->holes.n ? addrmap_get(&fp->holes, addr - k) : NULL;
		if (pa && pa->replaced)
			return pa;
	}
	return NULL;
}

/* Whether [at, at+len) overlaps no other window and holds no planted breakpoint. A patch is
 * keyed by its first byte and covers at most FAST_WIN_MAX bytes (its jmp, FAST_JMP_LEN at most,
 * lies within its window), a hole's patch covers FAST_JMP_LEN from its hole: each address that
 * could start an overlapping one is looked up once, and only where the bitmaps have a bit of
 * the range set (those lookups were still a fifth of python3's start-up). */
static bool window_free(struct proc *p, struct fast_proc *fp, taddr_t at, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		struct bp *bp = addrmap_get(&p->bps, at + i);
		if (bp && bp->planted)
			return false;
	}
	if (addrbits_any(&fp->win_bytes, at, at + len)) {   /* (else no window is there) */
		for (size_t i = 0; i < len; i++)
			if (addrmap_get(&fp->at, at + i))
				return false;
		for (size_t k = 1; k < FAST_WIN_MAX; k++) {
			struct patch *pa = addrmap_get(&fp->at, at - k);
			if (pa && pa->at + pa->w.len > at)
				return false;
		}
	}
	if (fp->holes.n && addrbits_any(&fp->hole_bytes, at, at + len))
		for (taddr_t h = at - (FAST_JMP_LEN - 1); h < at + len; h++) {
			struct patch *pa = addrmap_get(&fp->holes, h);
			if (pa && pa->replaced)
				return false;
		}
	return true;
}

/* Which slot of its bucket (slot, two words) ret goes in: 0 or 1, or -1 if it is there already
 * or the bucket is full. */
static int bucket_slot(struct proc *p, struct fast_proc *fp, const taddr_t *slot, taddr_t ret)
{
	if (slot[0] == ret || slot[1] == ret)
		return -1;
	int i = !slot[0] ? 0 : !slot[1] ? 1 : -1;
	if (i < 0)
		DEBUG(DBG_FAST, "pid %d: return site %#" PRIx64 ": its bucket is full (%#" PRIx64 " %#" PRIx64 " at %#" PRIx64 "); calls back to it trap", p->pid, ret, slot[0], slot[1], fp->sites + fast_sites_slot(ret, SITES_BITS) * 8);
	return i;
}

/* Puts a value in the table of known return sites (staged while a module is planted). */
static void sites_put(struct proc *p, struct fast_proc *fp, taddr_t ret)
{
	if (!fp->sites)
		return;
	if (fp->stage.on) {
		xgrow(&fp->stage.sites, &fp->stage.capsites, fp->stage.nsites + 1, sizeof(*fp->stage.sites));
		fp->stage.sites[fp->stage.nsites++] = ret;
		return;
	}
	uint64_t k = fast_sites_slot(ret, SITES_BITS);
	taddr_t slot[2];
	if (proc_read_raw(p, fp->sites + k * sizeof(taddr_t), slot, sizeof(slot)))
		return;
	int i = bucket_slot(p, fp, slot, ret);
	if (i >= 0) {
		fp->sites_zero = false;
		proc_write(p, fp->sites + (k + (uint64_t)i) * sizeof(taddr_t), &ret, sizeof(ret));
	}
}

#define STAGE_CHUNK (64u << 10)   /* trampolines staged per region before they are written */

/* Writes what r has staged. Returns 0 or -1. */
static int flush_region(struct proc *p, struct region *r)
{
	int ret = r->stage && r->used > r->written ? proc_write(p, r->base + r->written, r->stage, r->used - r->written) : 0;
	free(r->stage);
	r->stage = NULL;
	r->written = r->used;
	return ret;
}

/* Puts a trampoline's code at tramp (the region's first free byte), in region r: staged, or
 * written now. Trampolines may be written before the jmps that lead to them, never after, so a
 * full chunk is written at once and the memory staging takes stays small. Returns 0 or -1. */
static int write_tramp(struct proc *p, struct fast_proc *fp, struct region *r, taddr_t tramp, const uint8_t *code,
		       size_t len)
{
	if (!fp->stage.on)
		return proc_write(p, tramp, code, len);
	if (r->stage && tramp + len - (r->base + r->written) > STAGE_CHUNK && flush_region(p, r))
		return -1;
	if (!r->stage)
		r->stage = xcalloc(1, STAGE_CHUNK);
	memcpy(r->stage + (tramp - (r->base + r->written)), code, len);
	return 0;
}

/* Replaces len (at most FAST_JMP_LEN) bytes of code at at: staged, or written now. Returns 0
 * or -1. */
static int write_code(struct proc *p, struct fast_proc *fp, taddr_t at, const uint8_t *b, size_t len)
{
	if (!fp->stage.on)
		return proc_write(p, at, b, len);
	struct stage *sg = &fp->stage;
	xgrow(&sg->code, &sg->capcode, sg->ncode + 1, sizeof(*sg->code));
	sg->code[sg->ncode].at = at;
	sg->code[sg->ncode].len = (uint8_t)len;
	memcpy(sg->code[sg->ncode++].b, b, len);
	return 0;
}

static uint64_t code_write_at(const void *w)
{
	return ((const struct code_write *)w)->at;
}

#define SPAN_GAP 4096u          /* staged code writes closer than this share one write */
#define SPAN_MAX (1u << 20)     /* and one write covers at most this much text */

/* Writes the staged code: each span of nearby writes read, changed and written back whole
 * (with whatever else is there, our int3s included, as it was). */
static void flush_code(struct proc *p, struct stage *sg)
{
	/* (thousands of ascending runs, not a few: a short window's hole is staged before its jmp) */
	util_sort_by_key(sg->code, sg->ncode, sizeof(*sg->code), code_write_at);
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (size_t i = 0, j; i < sg->ncode; i = j) {
		taddr_t lo = sg->code[i].at, hi = lo + sg->code[i].len;
		for (j = i + 1; j < sg->ncode && sg->code[j].at < hi + SPAN_GAP && sg->code[j].at + sg->code[j].len - lo <= SPAN_MAX; j++)
			if (sg->code[j].at + sg->code[j].len > hi)
				hi = sg->code[j].at + sg->code[j].len;
		xgrow(&buf, &cap, hi - lo, 1);
		bool whole = !proc_read_raw(p, lo, buf, hi - lo);
		for (size_t k = i; k < j; k++) {
			if (whole)
				memcpy(buf + (sg->code[k].at - lo), sg->code[k].b, sg->code[k].len);
			else   /* (a span across unmapped memory: one at a time) */
				proc_write(p, sg->code[k].at, sg->code[k].b, sg->code[k].len);
		}
		if (whole)
			proc_write(p, lo, buf, hi - lo);
	}
	free(buf);
	sg->ncode = 0;
}

/* Puts the staged return sites in the table: read whole (unless it is all zeros still: reading
 * its 2 MiB was a tenth of a small program's start-up), filled, and written back where it
 * changed, in runs of pages. */
static void flush_sites(struct proc *p, struct fast_proc *fp)
{
	struct stage *sg = &fp->stage;
	size_t size = sizeof(taddr_t) << SITES_BITS, page = 4096;
	if (!sg->nsites || !fp->sites)
		return;
	taddr_t *table = fp->sites_zero ? xcalloc(1, size) : xmalloc(size);
	bool *dirty = xcalloc(size / page, sizeof(*dirty));
	if (!fp->sites_zero && proc_read_raw(p, fp->sites, table, size))
		goto out;
	fp->sites_zero = false;
	for (size_t i = 0; i < sg->nsites; i++) {
		uint64_t k = fast_sites_slot(sg->sites[i], SITES_BITS);
		int s = bucket_slot(p, fp, &table[k], sg->sites[i]);
		if (s < 0)
			continue;
		table[k + (uint64_t)s] = sg->sites[i];
		dirty[(k + (uint64_t)s) * sizeof(taddr_t) / page] = true;
	}
	for (size_t i = 0, j; i < size / page; i = j + 1) {
		for (j = i; j < size / page && dirty[j]; j++)
			;
		if (j > i)
			proc_write(p, fp->sites + i * page, (uint8_t *)table + i * page, (j - i) * page);
	}
out:
	free(table);
	free(dirty);
	sg->nsites = 0;
}

/* Makes the staged writes: trampolines first, then the table of sites, then the jmps that lead
 * to them. */
static void flush_stage(struct proc *p, struct fast_proc *fp)
{
	for (size_t i = 0; i < fp->nregs; i++)
		flush_region(p, &fp->regs[i]);
	flush_sites(p, fp);
	flush_code(p, &fp->stage);
}

/* Whether [at, at+len) may be replaced now: no thread can be running inside it, or be resumed
 * there. With one thread (stopped: it is the one being handled), or at attach with every thread
 * stopped and none of them inside; or in the code of a library being loaded, which no thread
 * has run yet. Anything else (other threads running) stays on int3. */
static bool may_patch(const struct proc *p, const struct fast_proc *fp, taddr_t at, size_t len)
{
	if (held.p == p) {
		for (size_t i = 0; held.all && i < held.n; i++)
			if (held.v[i].pc > at && held.v[i].pc < at + len)
				return false;
		return held.all || p->ntasks == 1;
	}
	if (p->ntasks == 1)
		return true;
	return fp->loading && at >= fp->loading->text.lo && at + len <= fp->loading->text.hi;
}

/* What a hole slot must be to take a jmp rel32: outside the window, in no other window, holding
 * none of our bytes and no breakpoint. */
struct slot_ask {
	struct proc *p;
	struct fast_proc *fp;
	taddr_t bias, lo, hi;   /* the window, at run time */
};

static bool slot_usable(taddr_t h, void *arg)
{
	struct slot_ask *q = arg;
	taddr_t at = h + q->bias;
	return (at >= q->hi || at + FAST_JMP_LEN <= q->lo) && window_free(q->p, q->fp, at, FAST_JMP_LEN);
}

/* A neighbour to evict for a short window with no padding in reach (fast/evict.h): chosen by
 * short_window, evicted by make_patch. */
struct evict_plan {
	taddr_t at;               /* at run time; 0: none */
	struct fast_window w;
};

struct evict_ask {
	struct proc *p;
	struct fast_proc *fp;
	taddr_t bias;
};

/* Whether a neighbour's window [n, n+len) (link-time) is free for us and may be patched now. */
static bool evict_usable(taddr_t n, unsigned len, void *arg)
{
	struct evict_ask *q = arg;
	return window_free(q->p, q->fp, n + q->bias, len) && may_patch(q->p, q->fp, n + q->bias, len);
}

/* The window at at, whose 5-byte form was refused, for a jmp rel8 to a hole: pa->w and
 * pa->hole filled, and with no padding in reach, the neighbour whose eviction makes the hole
 * in ev. Returns FAST_OK, or why not. */
static int short_window(struct proc *p, struct fast_proc *fp, const struct module *m, const struct fmap *f,
			taddr_t at, struct patch *pa, struct evict_plan *ev)
{
	int why = (int)fast_window_short(&f->map, at - m->bias, &pa->w);
	if (why == FAST_OK && !window_free(p, fp, at, pa->w.len))
		why = WHY_TAKEN;
	struct slot_ask q = { p, fp, m->bias, at, at + pa->w.len };
	taddr_t h = why == FAST_OK ? fast_map_hole(&f->map, at - m->bias, slot_usable, &q) : 0;
	/* (Only where the map knows every function's start: a library that is not traced has
	 * its exported functions only, and an IFUNC implementation chosen later may start in a
	 * neighbour taken meanwhile.) */
	if (why == FAST_OK && !h && (m->exe || m->traced)) {
		struct evict_ask e = { p, fp, m->bias };
		taddr_t n = fast_evict_find(&f->map, at - m->bias, at - m->bias + pa->w.len, evict_usable, &e, &ev->w);
		ev->at = n ? n + m->bias : 0;
		h = n ? n + FAST_JMP_LEN : 0;
	}
	if (why == FAST_OK && !h)
		why = WHY_NO_HOLE;
	if (why == FAST_OK) {
		pa->hole = h + m->bias;
		pa->jlen = FAST_JMP8_LEN;
	}
	return why;
}

/* Makes the jumps and writes them (staged, or now): the hole's first, so that the jmp rel8 never
 * lands on padding. Returns false if they cannot be made. */
static bool write_jumps(struct proc *p, struct fast_proc *fp, struct patch *pa)
{
	if (!pa->hole)
		return fast_tramp_jump(pa->at, pa->tramp, pa->jmp) && !write_code(p, fp, pa->at, pa->jmp, FAST_JMP_LEN);
	int64_t d = (int64_t)pa->hole - (int64_t)(pa->at + FAST_JMP8_LEN);
	pa->jmp[0] = 0xeb;
	pa->jmp[1] = (uint8_t)(int8_t)d;
	return d >= -128 && d <= 127 && fast_tramp_jump(pa->hole, pa->tramp, pa->hole_jmp) &&
	       !proc_read_raw(p, pa->hole, pa->hole_bytes, FAST_JMP_LEN) &&
	       !write_code(p, fp, pa->hole, pa->hole_jmp, FAST_JMP_LEN) &&
	       !write_code(p, fp, pa->at, pa->jmp, FAST_JMP8_LEN);
}

/* Marks pa's jumps as in the program: its bytes are ours from now on. */
static void own_bytes(struct fast_proc *fp, struct patch *pa)
{
	pa->replaced = true;
	if (pa->hole) {
		addrmap_put(&fp->holes, pa->hole, pa);
		addrbits_set(&fp->hole_bytes, pa->hole, pa->hole + FAST_JMP_LEN);
	}
}

/* The program's bytes are back (or gone) where pa's jumps were. */
static void disown_bytes(struct fast_proc *fp, struct patch *pa)
{
	if (pa->hole && addrmap_get(&fp->holes, pa->hole) == pa) {
		addrmap_del(&fp->holes, pa->hole);
		addrbits_clear(&fp->hole_bytes, pa->hole, pa->hole + FAST_JMP_LEN);
		for (taddr_t h = pa->hole - (FAST_JMP_LEN - 1); h < pa->hole + FAST_JMP_LEN; h++) {
			const struct patch *q = addrmap_get(&fp->holes, h);   /* (a neighbour's bits back) */
			if (q)
				addrbits_set(&fp->hole_bytes, h, h + FAST_JMP_LEN);
		}
	}
	pa->replaced = false;
}

/* The end of the bytes of pa's window (its jmp too, and one byte at least). */
static taddr_t window_end(const struct patch *pa)
{
	unsigned len = pa->w.len > pa->jlen ? pa->w.len : pa->jlen;
	return pa->at + (len ? len : 1);
}

/* Puts pa in fp->at, by its window's address. */
static void at_put(struct fast_proc *fp, struct patch *pa)
{
	addrmap_put(&fp->at, pa->at, pa);
	addrbits_set(&fp->win_bytes, pa->at, window_end(pa));
}

/* Takes pa out of fp->at, if it is there. */
static void at_del(struct fast_proc *fp, struct patch *pa)
{
	if (addrmap_get(&fp->at, pa->at) != pa)
		return;
	addrmap_del(&fp->at, pa->at);
	addrbits_clear(&fp->win_bytes, pa->at, window_end(pa));
	for (taddr_t a = pa->at - (FAST_WIN_MAX - 1); a < window_end(pa); a++) {
		const struct patch *q = addrmap_get(&fp->at, a);   /* (a neighbour's bits back) */
		if (q)
			addrbits_set(&fp->win_bytes, q->at, window_end(q));
	}
}

/* Puts the program's own bytes back in `in` where pa's jumps are. */
static void restore_bytes(struct proc *in, const struct patch *pa)
{
	proc_write(in, pa->at, pa->w.bytes, pa->jlen);
	if (pa->hole)
		proc_write(in, pa->hole, pa->hole_bytes, FAST_JMP_LEN);
}

_Static_assert(ARGS_STACK_WORDS == FAST_STACK_WORDS, "an entry record copies the stack words args may read");

/* What a trampoline's records keep for the values asked for: an entry's argument registers
 * (args, an enum args_entry_need) and stack words, a site's st0. */
struct keep {
	int args;
	unsigned stack;
	bool x87;
};

/* Writes pa's trampoline (code, built at pa->tramp in region r) and its jumps, and makes pa one
 * of fp's patches: its bytes owned, its window looked up and marked in the bitmap. One place for
 * every kind, so that no kind misses a part of it. Returns false if a write failed. */
static bool install(struct proc *p, struct fast_proc *fp, struct region *r, struct patch *pa, const uint8_t *code)
{
	if (write_tramp(p, fp, r, pa->tramp, code, pa->info.len) || !write_jumps(p, fp, pa))
		return false;
	r->used += (pa->info.len + 15) & ~15u;
	own_bytes(fp, pa);
	at_put(fp, pa);
	add_patch(fp, pa);
	return true;
}

/* Evicts the neighbour ev names: its instructions go to a trampoline of their own, and a jmp
 * rel32 to it over their first 5 bytes leaves the next 5 dead, for a hole. Returns the patch, or
 * NULL. */
static struct patch *make_evict(struct task *t, struct fast_proc *fp, const struct evict_plan *ev)
{
	struct region *r = region_near(t, fp, ev->at);
	if (!r)
		return NULL;
	struct patch *ep = xcalloc(1, sizeof(*ep));
	ep->kind = PATCH_EVICT;
	ep->at = ev->at;
	ep->w = ev->w;
	ep->jlen = FAST_JMP_LEN;
	ep->host = UINT32_MAX;
	ep->tramp = r->base + r->used;
	uint8_t code[FAST_TRAMP_MAX];
	if (!fast_tramp_build_plain(&ep->w, ep->at, ep->tramp, code, &ep->info) || !install(t->p, fp, r, ep, code)) {
		free(ep);
		return NULL;
	}
	return ep;
}

/* Makes and writes the trampoline for a window at runtime address at of module m: a jmp rel32
 * over the window, or, where that window is refused, a jmp rel8 to a jmp rel32 in a hole (made
 * by evicting a neighbour if no padding is in reach). Returns
 * the patch, or NULL (the reason in *why, the 5-byte window's) if it cannot be had. */
static struct patch *make_patch(struct task *t, struct fast_proc *fp, const struct module *m,
				const struct fmap *f, enum patch_kind kind, taddr_t at, struct keep k, int *why)
{
	struct proc *p = t->p;
	struct patch *pa = xcalloc(1, sizeof(*pa));
	pa->jlen = FAST_JMP_LEN;
	*why = (int)fast_window_check(&f->map, at - m->bias, &pa->w);
	if (*why == FAST_OK && !window_free(p, fp, at, pa->w.len))
		*why = WHY_TAKEN;
	struct evict_plan ev = { 0 };
	if (*why != FAST_OK && *why != FAST_NO_CODE && short_window(p, fp, m, f, at, pa, &ev) == FAST_OK)
		*why = FAST_OK;
	if (*why == FAST_OK && !may_patch(p, fp, at, pa->w.len))
		*why = held.p == p && held.all ? WHY_PC : WHY_RUNNING;
	/* (First, as its trampoline takes room in the region: should this one then fail, the
	 * neighbour stays evicted, which only costs it two jumps.) */
	struct patch *ep = NULL;
	if (*why == FAST_OK && ev.at && !(ep = make_evict(t, fp, &ev)))
		*why = WHY_NO_ROOM;
	struct region *r = *why == FAST_OK ? region_near(t, fp, at) : NULL;
	if (*why == FAST_OK && !r)
		*why = WHY_NO_ROOM;
	if (*why != FAST_OK) {
		free(pa);
		return NULL;
	}
	pa->kind = kind;
	pa->at = at;
	pa->tramp = r->base + r->used;
	struct fast_tramp_cfg cfg = { .kind = kind == PATCH_ENTRY ? FAST_TRAMP_ENTRY : FAST_TRAMP_SITE,
				      .id = (uint32_t)fp->n, .at = pa->tramp };
	tramp_cfg_base(fp, &cfg);
	if (kind == PATCH_ENTRY && trace_opts.returns) {
		cfg.sites = fp->sites;
		cfg.sites_bits = SITES_BITS;
	}
	if (kind == PATCH_ENTRY && (k.args == ARGS_ENTRY_REGS || k.args == ARGS_ENTRY_FPREGS)) {
		pa->args = (uint8_t)k.args;
		cfg.args = true;
		cfg.fpargs = k.args == ARGS_ENTRY_FPREGS;
		cfg.stack_words = k.stack;
	}
	pa->x87 = k.x87;
	if (kind == PATCH_SITE && values_sites_need_more()) {
		cfg.vals = true;
		cfg.errno_word = fp->errno_word;
		cfg.x87 = k.x87;
	}
	if (kind == PATCH_ENTRY && !m->exe && !m->traced && p->nmods) {
		cfg.from_lo = p->mods[0]->text.lo;   /* a library call: from the executable only */
		cfg.from_hi = p->mods[0]->text.hi;
	}
	uint8_t code[FAST_TRAMP_MAX];
	if (!fast_tramp_build(&cfg, &pa->w, at, code, &pa->info) || !install(p, fp, r, pa, code)) {
		*why = WHY_NO_ROOM;
		free(pa);
		return NULL;
	}
	if (ep) {
		ep->host = pa->id;
		pa->evicted = ep->at;
	}
	if (kind == PATCH_SITE)
		sites_put(p, fp, at);
	return pa;
}

/* The dynamic loader (a static executable has _r_debug too). */
static bool is_loader(const struct module *m)
{
	return !m->exe && m->st->r_debug;
}

/* Functions that end the process's image: their entries stay int3, so the records before them
 * are drained at their stop (exec leaves no memory to drain afterwards). */
static bool drain_point(const char *name)
{
	static const char *const names[] = { "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle",
					     "fexecve", "execveat", "__execve", "__execvpe" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

bool fast_plant_entry(struct task *t, struct module *m, const struct func *f, taddr_t a, const char *name)
{
	if (!trace_opts.fast || is_loader(m) || drain_point(f->name) || sigtrap_watched(f->name))
		return false;   /* the loader's functions (its hook among them) stay int3, and so do
				 * those whose stop follows the program's SIGTRAP setup (sigtrap.c) */
	unsigned stack = 0;
	int need = values_entry_need(m, f, a, name, &stack);
	if (need == ARGS_ENTRY_STOP) {
		DEBUG(DBG_FAST, "%s at %#" PRIx64 ": int3 (its values are read from memory at its entry)", name, a);
		return false;   /* (values.c) */
	}
	struct fast_proc *fp = fp_init(t);
	if (!fp)
		return false;
	const struct fmap *fm = fmap_get(m);
	int why = WHY_NO_MAP;
	struct patch *pa = NULL;
	taddr_t at = fm ? fast_window_entry(&fm->map, a - m->bias) + m->bias : 0;
	struct patch *had = fm ? addrmap_get(&fp->at, at) : NULL;
	if (had && had->kind == PATCH_ENTRY) {
		/* One implementation for several names (IFUNCs: memcpy, memmove): the simplest */
		if (symtab_alias_cmp(name, STB_GLOBAL, had->bp.name, STB_GLOBAL) < 0) {
			had->bp.name = name;
			had->bp.fn = fp->dests[had->id].fn = BP_NO_FN;
		}
		return true;
	}
	if (fm)
		pa = make_patch(t, fp, m, fm, PATCH_ENTRY, at,
				(struct keep){ need, stack, values_x87_return(m, f, a, name) }, &why);
	if (!pa) {
		fp->count.entries_int3++;
		fp->count.why_entry[why]++;
		DEBUG(DBG_FAST, "%s at %#" PRIx64 ": int3 (%s)", name, a, why_name(why));
		return false;
	}
	fp->count.entries++;
	fp->count.entries_short += pa->hole != 0;
	fp->count.entries_evict += pa->evicted != 0;
	pa->bp.addr = a;
	pa->bp.name = name;
	pa->bp.fn = BP_NO_FN;
	pa->bp.entry = true;
	pa->bp.libcall = !m->exe && !m->traced;
	pa->bp.planted = true;   /* (for trace_entry's checks; it is not an int3) */
	if (pa->evicted)
		DEBUG(DBG_FAST, "%s at %#" PRIx64 ": in-process (%u bytes relocated, jmp rel8 to %#" PRIx64
		      ", by eviction of %#" PRIx64 ")", name, a, pa->w.len, pa->hole, pa->evicted);
	else if (pa->hole)
		DEBUG(DBG_FAST, "%s at %#" PRIx64 ": in-process (%u bytes relocated, jmp rel8 to %#" PRIx64 ")", name, a,
		      pa->w.len, pa->hole);
	else
		DEBUG(DBG_FAST, "%s at %#" PRIx64 ": in-process (%u bytes relocated)", name, a, pa->w.len);
	return true;
}

/* What plant_calls works on: one module's calls. */
struct calls {
	struct task *t;
	struct fast_proc *fp;
	struct module *m;
	const struct fmap *fm;
	bool sites;   /* patch return sites (a return at least is tracked) */
};

/* Whether addr lies inside a window (its instructions run relocated, not there). */
static bool in_window(struct fast_proc *fp, taddr_t addr)
{
	if (!addrbits_any(&fp->win_bytes, addr, addr + 1))
		return false;
	for (size_t k = 0; k < FAST_WIN_MAX; k++) {
		struct patch *pa = addrmap_get(&fp->at, addr - k);
		if (pa && pa->at + pa->w.len > addr)
			return true;
	}
	return false;
}

/* The trampoline that calls of the int3 entry bp are redirected to: the entry's record, then a
 * copy of the function's first instruction and a jump to the second. NULL if none can be had. */
static struct patch *redirect_of(struct task *t, struct fast_proc *fp, struct bp *bp, taddr_t near)
{
	struct patch *pa = addrmap_get(&fp->redir, bp->addr);
	if (pa)
		return pa;
	struct module *m = modules_find(t->p, bp->addr);
	const struct fmap *fm = m ? fmap_get(m) : NULL;
	struct region *r = fm ? region_near(t, fp, near) : NULL;
	if (!r)
		return NULL;
	pa = xcalloc(1, sizeof(*pa));
	if (fast_window_one(&fm->map, bp->addr - m->bias, &pa->w) != FAST_OK) {
		free(pa);
		return NULL;
	}
	pa->kind = PATCH_ENTRY;
	pa->redirect = true;
	pa->jlen = FAST_JMP_LEN;   /* (never replaced: nothing at at is ours) */
	pa->at = bp->addr;
	pa->tramp = r->base + r->used;
	pa->bp = *bp;
	pa->bp.slot = 0;
	struct fast_tramp_cfg cfg = { .kind = FAST_TRAMP_ENTRY, .id = (uint32_t)fp->n, .at = pa->tramp };
	tramp_cfg_base(fp, &cfg);
	if (trace_opts.returns) {
		cfg.sites = fp->sites;
		cfg.sites_bits = SITES_BITS;
	}
	if (bp->libcall && t->p->nmods) {
		cfg.from_lo = t->p->mods[0]->text.lo;
		cfg.from_hi = t->p->mods[0]->text.hi;
	}
	uint8_t code[FAST_TRAMP_MAX];
	if (!fast_tramp_build(&cfg, &pa->w, pa->at, code, &pa->info) ||
	    write_tramp(t->p, fp, r, pa->tramp, code, pa->info.len)) {
		free(pa);
		return NULL;
	}
	r->used += (pa->info.len + 15) & ~15u;
	add_patch(fp, pa);
	addrmap_put(&fp->redir, bp->addr, pa);
	return pa;
}

/* Whether the call at runtime address c (its bytes b, len of them) may return a long double, as
 * far as its target can be told: a direct call to a function or to a PLT entry, or a call
 * through a GOT slot. (An indirect call's target is not known: its site keeps no st0.) */
static bool callee_x87(const struct calls *cs, taddr_t c, const uint8_t *b, unsigned len)
{
	int32_t d;
	if (len == FAST_JMP_LEN && b[0] == 0xe8) {
		memcpy(&d, b + 1, 4);
		return values_x87_call(cs->t->p, cs->m, c + len + (taddr_t)(int64_t)d, 0);
	}
	if (len == 6 && b[0] == 0xff && b[1] == 0x15) {   /* call *disp32(%rip) */
		memcpy(&d, b + 2, 4);
		return values_x87_call(cs->t->p, cs->m, 0, c + len + (taddr_t)(int64_t)d);
	}
	return false;
}

/* For each call of the module: its return site (the instruction after it) patched, and a direct
 * call to a function whose entry stays int3 (a window there was refused) sent to that function's
 * redirect trampoline: only the call's rel32 changes, so no window, no branch target and no
 * return address is involved; other callers still stop at the int3. */
static void plant_call(taddr_t call, const uint8_t *b, unsigned len, taddr_t end, void *arg)
{
	struct calls *cs = arg;
	struct fast_proc *fp = cs->fp;
	taddr_t site = call + len + cs->m->bias, c = call + cs->m->bias;
	if (cs->sites && site - cs->m->bias < end &&
	    (!addrbits_any(&fp->win_bytes, site, site + 1) || !addrmap_get(&fp->at, site))) {
		int why;
		struct keep k = { .x87 = values_sites_need_more() && callee_x87(cs, c, b, len) };
		struct patch *pa = make_patch(cs->t, fp, cs->m, cs->fm, PATCH_SITE, site, k, &why);
		if (pa) {
			fp->count.sites++;
			fp->count.sites_short += pa->hole != 0;
			fp->count.sites_evict += pa->evicted != 0;
			if (pa->evicted)
				DEBUG(DBG_FAST, "return site %#" PRIx64 ": in-process (jmp rel8 to %#" PRIx64 ", by eviction of %#"
				      PRIx64 ")", site, pa->hole, pa->evicted);
		} else {
			fp->count.sites_int3++;
			fp->count.why_site[why]++;
		}
	}
	if (len != FAST_JMP_LEN || b[0] != 0xe8)
		return;
	int32_t rel;
	memcpy(&rel, b + 1, 4);
	struct bp *bp = addrmap_get(&cs->t->p->bps, c + FAST_JMP_LEN + (taddr_t)(int64_t)rel);
	if (!bp || !bp->entry || !bp->planted || in_window(fp, c) || replaced_at(fp, c))
		return;
	if (bp->sigwatch || drain_point(bp->name) || values_wanted_bp(cs->t->p, bp))
		return;   /* its stop is what matters (the redirect would skip it), not only its record:
			   * a watch, a drain, the values read there */
	struct patch *rp = redirect_of(cs->t, fp, bp, c);
	if (!rp)
		return;
	struct patch *pa = xcalloc(1, sizeof(*pa));
	pa->kind = PATCH_CALL;
	pa->at = c;
	pa->jlen = FAST_JMP_LEN;
	pa->tramp = rp->tramp;
	pa->w.addr = call;
	pa->w.len = FAST_JMP_LEN;
	memcpy(pa->w.bytes, b, FAST_JMP_LEN);
	pa->jmp[0] = 0xe8;
	int64_t d = (int64_t)(rp->tramp - (c + FAST_JMP_LEN));
	int32_t d32 = (int32_t)d;
	memcpy(pa->jmp + 1, &d32, 4);
	if (d != d32 || write_code(cs->t->p, fp, c, pa->jmp, FAST_JMP_LEN)) {
		free(pa);
		return;
	}
	pa->replaced = true;
	at_put(fp, pa);
	add_patch(fp, pa);
	fp->count.calls++;
}

static void print_counts(const struct proc *p, const struct module *m, const struct fcount *c)
{
	char buf[1024];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "pid %d: %s: entries %zu in-process (%zu by jmp rel8, %zu by eviction), "
				    "%zu int3", p->pid, m->path, c->entries, c->entries_short, c->entries_evict,
				    c->entries_int3);
	for (int k = 0; k < WHY_NREASONS && n < sizeof(buf); k++)
		if (c->why_entry[k])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " (%s: %zu)", why_name(k), c->why_entry[k]);
	if (n < sizeof(buf) && c->calls)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; %zu calls of int3 entries redirected in-process",
				      c->calls);
	if (n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; return sites %zu in-process (%zu by jmp rel8, %zu by "
				      "eviction), %zu int3 when reached", c->sites, c->sites_short, c->sites_evict,
				      c->sites_int3);
	for (int k = 0; k < WHY_NREASONS && n < sizeof(buf); k++)
		if (c->why_site[k])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " (%s: %zu)", why_name(k), c->why_site[k]);
	DEBUG(DBG_FAST, "%s", buf);
}

static void errno_word_update(struct task *t, struct fast_proc *fp);

void fast_module_begin(struct task *t, struct module *m)
{
	struct fast_proc *fp = trace_opts.fast && !is_loader(m) ? fp_init(t) : NULL;
	if (!fp)
		return;
	fp->stage.on = true;
	for (size_t i = 0; i < fp->nregs; i++)
		fp->regs[i].written = fp->regs[i].used;
	/* (The executable and what an attach finds have run: only a library added later is new.) */
	if (!m->exe && held.p != t->p)
		fp->loading = m;
}

void fast_module_done(struct task *t, struct module *m)
{
	struct fast_proc *fp = trace_opts.fast ? fp_of(t->p) : NULL;
	if (!fp || fp->off)
		return;
	/* The exec family stops, traced or not (-i), so the records before it are drained while
	 * the memory that holds them is still there. */
	for (size_t i = 0; i < m->st->nfuncs; i++)
		if (drain_point(m->st->funcs[i].name) && !addrmap_get(&t->p->bps, m->st->funcs[i].addr + m->bias))
			bp_at(t, m->st->funcs[i].addr + m->bias);
	/* (The loader's code runs before the TLS is set up: its calls stay on int3, sites too.) */
	const struct fmap *fm = (m->exe || m->traced) && !is_loader(m) ? fmap_get(m) : NULL;
	if (fm) {
		struct calls cs = { t, fp, m, fm, trace_opts.returns };
		fast_map_each_call(&fm->map, plant_call, &cs);
	}
	if (fp->stage.on)
		flush_stage(t->p, fp);
	fp->stage.on = false;
	if (fp->count.entries || fp->count.entries_int3 || fp->count.sites || fp->count.sites_int3)
		print_counts(t->p, m, &fp->count);
	memset(&fp->count, 0, sizeof(fp->count));
	fp->loading = NULL;
	errno_word_update(t, fp);   /* (the C library may be the module just planted) */
}

/* Stops u, a thread of the process being held, and notes where it is. */
static void hold_one(struct task *u, void *arg)
{
	struct task *t = arg;
	if (u->p != t->p)
		return;
	if (u != t && !stop_queued(u->tid)) {
		if (!u->attaching) {
			held.all = false;   /* (it may be running: it has no stop of the attach to come) */
			return;
		}
		struct stop s;
		stop_wait(&s, u->tid);   /* its attach's stop (or its end): put back for the loop */
		if (s.kind == STOP_NONE)
			return;   /* ended, to be reported later */
		stop_requeue(&s);
		if (stop_is_end(&s))
			return;
	}
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, u->tid, 0, &r)) {
		held.all = held.all && errno == ESRCH;
		return;
	}
	xgrow(&held.v, &held.cap, held.n + 1, sizeof(*held.v));
	held.v[held.n++] = (struct held_task){ u->tid, r.rip, r.fs_base };
}

void fast_attach_hold(struct task *t)
{
	if (!trace_opts.fast)
		return;
	safe_mode = true;   /* (every process of this run was attached, or comes from one) */
	held.p = t->p;
	held.all = true;
	held.n = 0;
	task_each(hold_one, t);
	DEBUG(DBG_FAST, "pid %d: %zu threads stopped for patching%s", t->p->pid, held.n,
	      held.all ? "" : " (not all: only code no thread runs is patched)");
}

static struct fthread *thread_of(struct fast_proc *fp, pid_t tid);

/* A slot that a fntrace killed before it could detach left set names that fntrace's block. It
 * is not cleared (the thread may be inside one of that fntrace's trampolines, which read the
 * slot again and would fault on 0): the block becomes the thread's, emptied, and goes with our
 * scratch at detach. */
static void adopt_block(struct proc *p, struct fast_proc *fp, const struct held_task *h)
{
	uint64_t b, cur;
	if (!h->fs_base || addrmap_get(&fp->threads, (taddr_t)h->tid) ||
	    proc_read_raw(p, h->fs_base + FAST_TLS_SLOT, &b, sizeof(b)) || !b ||
	    proc_read_raw(p, b, &cur, sizeof(cur)) || cur < b + FAST_BLOCK_HDR || cur > b + BLOCK_SIZE)
		return;
	struct fthread *ft = thread_of(fp, h->tid);
	ft->block = b;
	ft->fs_base = h->fs_base;
	uint64_t first = b + FAST_BLOCK_HDR;
	proc_write(p, b, &first, sizeof(first));
	p->scr = xrealloc(p->scr, (p->nscr + 1) * sizeof(*p->scr));
	p->scr[p->nscr++] = (struct scratch){ b, BLOCK_SIZE + GUARD_SIZE, BLOCK_SIZE + GUARD_SIZE };
	DEBUG(DBG_FAST, "tid %d: records at %#" PRIx64 ", left by a fntrace killed before it detached", h->tid, b);
}

static bool give_block_to(struct task *t, pid_t tid, struct fast_proc *fp, struct fthread *ft, taddr_t fs_base);

void fast_attach_release(struct task *t)
{
	struct proc *p = t->p;
	if (held.p != p)
		return;
	struct fast_proc *fp = fp_of(p);
	for (size_t i = 0; fp && !fp->off && i < held.n; i++)
		adopt_block(p, fp, &held.v[i]);
	/* Every held thread gets its block now, mapped through t while they all wait: else each
	 * would stop for it at its first traced call, with fntrace running code in it (a mmap),
	 * and a fntrace killed right then would leave it in that code, to die of its int3. */
	for (size_t i = 0; fp && !fp->off && i < held.n; i++) {
		const struct held_task *h = &held.v[i];
		struct fthread *ft = thread_of(fp, h->tid);
		if (!ft->block)
			give_block_to(t, h->tid, fp, ft, h->fs_base);
	}
	held.p = NULL;
	held.n = 0;
}

/* ---- looking up a pc ---- */

/* The index in fp->sorted of the first patch whose trampoline starts after pc. */
static size_t sorted_after(const struct fast_proc *fp, taddr_t pc)
{
	size_t lo = 0, hi = fp->nsortedv;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fp->sorted[mid]->tramp <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define INSERT_MAX 64   /* patches added since the last sort that are inserted one by one */

static uint64_t tramp_of(const void *pa)
{
	return (*(struct patch *const *)pa)->tramp;
}

/* Brings fp->sorted up to date with fp->v. A few new patches (sites learnt at miss traps) are
 * inserted in place: sorting python3's 54,000 patches again after each was most of the cost of
 * a miss trap. More are sorted on their own and merged in: sorting all again after each module
 * was 5% of python3's start-up. */
static void sort_patches(struct fast_proc *fp)
{
	if (fp->nsorted == fp->n)
		return;
	fp->sorted = xrealloc(fp->sorted, (fp->n + 1) * sizeof(*fp->sorted));
	if (fp->n - fp->nsorted > INSERT_MAX) {
		struct patch **add = xmalloc((fp->n - fp->nsorted) * sizeof(*add));
		size_t k = 0;
		for (size_t i = fp->nsorted; i < fp->n; i++)
			if (fp->v[i]->kind != PATCH_CALL)
				add[k++] = fp->v[i];
		util_sort_by_key(add, k, sizeof(*add), tramp_of);   /* (regions lie in no order) */
		/* (merged from the top down, in place: the sorted ones move up by at most k) */
		for (size_t i = fp->nsortedv, j = k, out = fp->nsortedv + k; j;)
			fp->sorted[--out] = i && fp->sorted[i - 1]->tramp > add[j - 1]->tramp ? fp->sorted[--i] : add[--j];
		fp->nsortedv += k;
		free(add);
	} else {
		for (size_t i = fp->nsorted; i < fp->n; i++) {
			if (fp->v[i]->kind == PATCH_CALL)
				continue;
			size_t at = sorted_after(fp, fp->v[i]->tramp);
			memmove(fp->sorted + at + 1, fp->sorted + at, (fp->nsortedv - at) * sizeof(*fp->sorted));
			fp->sorted[at] = fp->v[i];
			fp->nsortedv++;
		}
	}
	fp->nsorted = fp->n;
}

/* The patch whose trampoline holds pc, or NULL. */
static struct patch *patch_at_pc(struct fast_proc *fp, taddr_t pc)
{
	sort_patches(fp);
	size_t lo = sorted_after(fp, pc);
	struct patch *pa = lo ? fp->sorted[lo - 1] : NULL;
	return pa && pc < pa->tramp + pa->info.len ? pa : NULL;
}

/* Whether pc is in code of ours: a trampoline, or a hole's jmp rel32, where a thread is between
 * a window's jmp rel8 and its trampoline. */
static bool in_injected(struct fast_proc *fp, taddr_t pc)
{
	return patch_at_pc(fp, pc) || (fp->holes.n && addrmap_get(&fp->holes, pc));
}

/* ---- threads, blocks, records ---- */

static struct fthread *thread_of(struct fast_proc *fp, pid_t tid)
{
	struct fthread *ft = addrmap_get(&fp->threads, (taddr_t)tid);
	if (!ft) {
		ft = xcalloc(1, sizeof(*ft));
		addrmap_put(&fp->threads, (taddr_t)tid, ft);
	}
	return ft;
}

/* Whether another thread of the process has its block in the TCB at fs_base: a vfork child runs
 * on its parent's. */
struct tcb_owner {
	taddr_t fs_base;
	pid_t tid;
	bool found;
};

static void find_tcb(taddr_t key, void *val, void *arg)
{
	struct tcb_owner *o = arg;
	const struct fthread *ft = val;
	if (ft->block && ft->fs_base == o->fs_base && (pid_t)key != o->tid)
		o->found = true;
}

/* Two blocks for t's records, each followed by its guard page, in one mapping of t's process (t
 * is stopped), or blocks that ended threads left. The second is the spare, b[1]: mapped now,
 * with the first, so that no full block's stop injects a system call. Under -p (safe_mode) there
 * is none, b[1] is 0: the program must outlive a killed fntrace, and blocks are mapped at
 * the attach, for every thread at once, when it matters least what they cost (the copy a spare
 * saves costs the thread about 16 us per 8,192 records). Listed as scratch, so unmapped at detach and in unfollowed children. Returns
 * false if they cannot be had. */
static bool new_blocks(struct task *t, struct fast_proc *fp, taddr_t b[2])
{
	struct proc *p = t->p;
	const size_t one = BLOCK_SIZE + GUARD_SIZE;
	if (fp->nfree >= 2 || (safe_mode && fp->nfree)) {
		b[0] = fp->free_blocks[--fp->nfree];
		b[1] = safe_mode ? 0 : fp->free_blocks[--fp->nfree];
		return true;
	}
	int k = safe_mode ? 1 : 2;
	taddr_t m = proc_map_near(t, 0, k * one, PROT_READ | PROT_WRITE);
	if (!m)
		return false;
	for (int i = 0; i < k; i++) {
		const long args[6] = { (long)(m + i * one + BLOCK_SIZE), GUARD_SIZE, PROT_NONE, 0, 0, 0 };
		if (proc_inject_syscall(t, SYS_mprotect, args)) {
			const long un[6] = { (long)m, (long)(k * one), 0, 0, 0, 0 };
			proc_inject_syscall(t, SYS_munmap, un);
			return false;
		}
	}
	p->scr = xrealloc(p->scr, (p->nscr + 1) * sizeof(*p->scr));
	p->scr[p->nscr++] = (struct scratch){ m, k * one, k * one };
	b[0] = m;
	b[1] = k == 2 ? m + one : 0;
	return true;
}

/* Gives t a block and puts it in its TLS slot. Returns false if it cannot have one (then its
 * records are taken at each trampoline's fault, one stop per call). */
static bool give_block_to(struct task *t, pid_t tid, struct fast_proc *fp, struct fthread *ft, taddr_t fs_base)
{
	struct proc *p = t->p;
	uint64_t tcb[3], slot[2];
	struct tcb_owner o = { fs_base, tid, false };
	addrmap_each(&fp->threads, find_tcb, &o);
	if (o.found)
		return false;
	/* glibc's tcbhead_t: tcb and self point at itself; our two words are free */
	if (!fs_base || proc_read_raw(p, fs_base, tcb, sizeof(tcb)) || tcb[0] != fs_base || tcb[2] != fs_base ||
	    proc_read_raw(p, fs_base + FAST_TLS_SLOT, slot, sizeof(slot)))
		return false;
	taddr_t two[2];
	if (!new_blocks(t, fp, two))
		return false;
	taddr_t b = two[0];
	uint64_t cur = b + FAST_BLOCK_HDR;
	if (proc_write(p, b, &cur, sizeof(cur)) || proc_write(p, fs_base + FAST_TLS_SLOT, &b, sizeof(b)))
		return false;
	ft->block = b;
	ft->spare = two[1];
	ft->fs_base = fs_base;
	DEBUG(DBG_FAST, "tid %d: records at %#" PRIx64 " (spare block: %#" PRIx64 ")", tid, b, ft->spare);
	return true;
}

static bool give_block(struct task *t, struct fast_proc *fp, struct fthread *ft, taddr_t fs_base)
{
	return give_block_to(t, t->tid, fp, ft, fs_base);
}

/* The entry an entry record is a call of. A redirect's function also has its int3 (its other
 * callers stop there): both must be one function, under one id, in the views. */
static struct bp *entry_bp(struct proc *p, const struct dest *d)
{
	struct bp *bp = d->redirect ? addrmap_get(&p->bps, d->pa->bp.addr) : NULL;
	return bp && bp->entry ? bp : &d->pa->bp;
}

static bool entry_kind(uint32_t kind)
{
	return kind == FAST_REC_ENTRY || kind == FAST_REC_ENTRY_ARGS || kind == FAST_REC_ENTRY_FPARGS ||
	       kind == FAST_REC_ENTRY_STACK || kind == FAST_REC_ENTRY_FPSTACK;
}

static bool site_kind(uint32_t kind)
{
	return kind == FAST_REC_SITE || kind == FAST_REC_SITE_VALS || kind == FAST_REC_SITE_X87;
}

/* The return registers a site's record kept (ext: what follows it, or NULL) into rr, whose gp
 * is r. */
static void record_regs(const struct fast_rec *rec, const struct fast_rec *ext, taddr_t block,
			struct user_regs_struct *r, struct ret_regs *rr)
{
	*r = (struct user_regs_struct){ .rax = rec->ret, .rsp = rec->sp };
	*rr = (struct ret_regs){ .r = r };
	if (!ext || rec->kind == FAST_REC_SITE)
		return;
	const struct fast_rec_vals *vals = (const void *)ext;
	r->rdx = vals->rdx;
	rr->rdx_xmm = true;
	rr->xmm0 = vals->xmm0;
	rr->xmm1 = vals->xmm1;
	rr->have_errno = vals->err != (uint32_t)block;   /* (see FAST_ERRNO_UNKNOWN) */
	rr->errnum = (int)vals->err;
	if (rec->kind != FAST_REC_SITE_X87)
		return;
	const struct fast_rec_x87 *x = (const void *)(vals + 1);
	rr->have_st0 = true;
	memcpy(rr->st0, x->st0, sizeof(rr->st0));
}

/* An entry record's arguments (ext: what follows it) as a stop's registers would give them, and
 * its stack words. */
static void entry_regs_of(const struct fast_rec *rec, const struct fast_rec *ext, struct user_regs_struct *r,
			  struct user_fpregs_struct *fpr, struct entry_regs *er)
{
	bool fp = rec->kind == FAST_REC_ENTRY_FPARGS || rec->kind == FAST_REC_ENTRY_FPSTACK;
	const struct fast_rec_args *a = (const void *)((const char *)ext + (fp ? sizeof(struct fast_rec_fpargs) : 0));
	*r = (struct user_regs_struct){ .rdi = a->rdi, .rsi = a->rsi, .rdx = a->rdx, .rcx = a->rcx, .r8 = a->r8,
					.r9 = a->r9, .rsp = rec->sp };
	*er = (struct entry_regs){ .r = r };
	if (rec->kind == FAST_REC_ENTRY_STACK || rec->kind == FAST_REC_ENTRY_FPSTACK) {
		const struct fast_rec_stack *st = (const void *)(a + 1);
		er->stack = st->w;
		er->nstack = st->n < FAST_STACK_WORDS ? st->n : FAST_STACK_WORDS;
	}
	if (!fp)
		return;
	const struct fast_rec_fpargs *x = (const void *)ext;
	memset(fpr, 0, sizeof(*fpr));
	for (int i = 0; i < 8; i++)
		memcpy(&fpr->xmm_space[4 * i], &x->xmm[i], 8);
	er->fp = fpr;
}

/* What one record says (ext: the 32-byte units after it, for the kinds that have them), fed
 * to the call stack as the breakpoint at its place would. */
static void take_record(struct task *t, struct fast_proc *fp, const struct fast_rec *rec, const struct fast_rec *ext,
			taddr_t block, uint64_t ts)
{
	if (rec->id >= fp->n || t->role != ROLE_TRACED)
		return;
	const struct dest *d = &fp->dests[rec->id];
	if (entry_kind(rec->kind) && d->kind == PATCH_ENTRY) {
		if (trace_opts.returns)
			callstack_observe(&t->cs, rec->sp, ts);
		if (rec->kind == FAST_REC_ENTRY || !ext) {
			trace_entry(t, entry_bp(t->p, d), rec->sp, rec->ret, true, ts);
			return;
		}
		struct user_regs_struct r;
		struct user_fpregs_struct fpr;
		struct entry_regs er;
		entry_regs_of(rec, ext, &r, &fpr, &er);
		trace_entry_args(t, entry_bp(t->p, d), rec->sp, rec->ret, ts, &er);
	} else if (site_kind(rec->kind) && d->kind == PATCH_SITE && d->active && trace_opts.returns) {
		struct user_regs_struct r;
		struct ret_regs rr;
		record_regs(rec, ext, block, &r, &rr);
		trace_return(t, d->at, &rr, ts);
	}
}

/* How many 32-byte units follow recs[i] as part of it, within the n records: 0 for a plain
 * record, or for one whose last unit lacks its kind word (not one of ours: taken as plain). */
static size_t rec_extra(const struct fast_rec *recs, size_t i, size_t n)
{
	size_t k;
	uint32_t last;
	switch (recs[i].kind) {
	case FAST_REC_SITE_VALS: k = sizeof(struct fast_rec_vals); last = FAST_REC_VALS; break;
	case FAST_REC_SITE_X87:
		k = sizeof(struct fast_rec_vals) + sizeof(struct fast_rec_x87);
		last = FAST_REC_X87;
		break;
	case FAST_REC_ENTRY_ARGS: k = sizeof(struct fast_rec_args); last = FAST_REC_ARGS; break;
	case FAST_REC_ENTRY_FPARGS:
		k = sizeof(struct fast_rec_fpargs) + sizeof(struct fast_rec_args);
		last = FAST_REC_ARGS;
		break;
	case FAST_REC_ENTRY_STACK:
		k = sizeof(struct fast_rec_args) + sizeof(struct fast_rec_stack);
		last = FAST_REC_STACK;
		break;
	case FAST_REC_ENTRY_FPSTACK:
		k = sizeof(struct fast_rec_fpargs) + sizeof(struct fast_rec_args) + sizeof(struct fast_rec_stack);
		last = FAST_REC_STACK;
		break;
	default: return 0;
	}
	k /= sizeof(struct fast_rec);   /* (every kind word ends its 32-byte unit, as rec.kind does) */
	return i + k < n && recs[i + k].kind == last ? k : 0;
}

/* The index of the last record that starts in recs[0..n), n > 0. */
static size_t last_record(const struct fast_rec *recs, size_t n)
{
	size_t last = 0;
	for (size_t i = 0; i < n; i += 1 + rec_extra(recs, i, n))
		last = i;
	return last;
}

/* Writes errno's offset where the site trampolines read it, once the C library is relocated:
 * at the loader's announcement of the libraries it has mapped and relocated
 * (fast_module_done), before their code runs, so that the first records have it; else tried at
 * each stop and feed until it is known (an attach, a library whose relocation comes later). */
static void errno_word_update(struct task *t, struct fast_proc *fp)
{
	int64_t off;
	if (fp->errno_set || !fp->errno_word || !values_sites_need_more() || !values_errno_offset(t->p, &off))
		return;
	if (proc_write(t->p, fp->errno_word, &off, sizeof(off)) == 0) {
		fp->errno_set = true;
		DEBUG(DBG_FAST, "pid %d: errno at %%fs:%" PRId64 " for the site records' values", t->p->pid, off);
	}
}

/* Copies the records of the block at block, whose cursor is *cur, from fed on (or from its
 * first if fed is not in it), into a buffer that every block shares: they are fed before the
 * next are read. Read with process_vm_readv, which copies 256 KiB in about half the time a pread
 * of /proc/PID/mem takes (16 against 30 us here), or with that pread if it fails. *cur becomes
 * where the records end (a cursor out of bounds is not trusted: the whole block is read).
 * Returns the records (*n of them), or NULL if there are none. */
static struct fast_rec *read_records(struct proc *p, taddr_t block, uint64_t *cur, taddr_t fed, size_t *n)
{
	static struct fast_rec *buf;
	taddr_t first = block + FAST_BLOCK_HDR;
	*n = 0;
	if (*cur <= first)
		return NULL;
	if (*cur > block + BLOCK_SIZE || (*cur - first) % sizeof(struct fast_rec))
		*cur = block + BLOCK_SIZE;
	taddr_t from = fed > first && fed <= *cur ? fed : first;
	size_t len = *cur - from;
	if (!len)
		return NULL;
	if (!buf)
		buf = xmalloc(BLOCK_SIZE);
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)from, len };
	if (process_vm_readv(p->pid, &local, 1, &remote, 1, 0) != (ssize_t)len && proc_read_raw(p, from, buf, len))
		return NULL;
	*n = len / sizeof(*buf);
	return buf;
}

/* Copies out of t's block the records not fed yet. With empty (t is stopped), the block is
 * emptied too; else t may be running and writing the next record: the block is left as it is
 * and how far it was read is remembered. A trampoline stores the record, then cur (and x86
 * keeps stores in order), so every record below the cur we read is whole. Returns the records
 * (*n of them), or NULL if there are none (read_records: valid until the next call). */
static struct fast_rec *take_block(struct task *t, struct fthread *ft, bool empty, size_t *n)
{
	struct proc *p = t->p;
	uint64_t cur;
	taddr_t first = ft->block + FAST_BLOCK_HDR;
	*n = 0;
	if (!ft->block || proc_read_raw(p, ft->block, &cur, sizeof(cur)) || cur <= first)
		return NULL;
	struct fast_rec *recs = read_records(p, ft->block, &cur, ft->fed, n);
	if (!recs && ft->fed != cur)
		return NULL;   /* (a read that failed: the records stay for later) */
	if (empty) {
		proc_write(p, ft->block, &first, sizeof(first));
		ft->fed = 0;
	} else {
		ft->fed = cur;
	}
	return recs;
}

/* Whether the records of one feed may take the lane, decided once for all of them: plain
 * tracing, with returns tracked and no values, --once or Go restarts to look at (what
 * report_entry does for them). */
static bool lane_on(const struct task *t)
{
	return t->role == ROLE_TRACED && trace_opts.returns && !trace_opts.once && !t->p->go && !args_enabled();
}

/* The lane: a plain record (FAST_REC_ENTRY or FAST_REC_SITE, no extra units) of a site, or of
 * an entry whose call was reported before, taken in a few tests: what take_record and
 * report_entry would do for it, without the tests whose answers are known (no arguments, no
 * stop, its function described). Returns false, having done nothing the general way would not
 * do again, for a record that needs the general way. On sort -nr, -c, the chain of calls and
 * tests per record was most of the tracer's time. */
static inline bool lane_take(struct task *t, struct fast_proc *fp, const struct fast_rec *rec, uint64_t ts)
{
	if (rec->id >= fp->n)
		return false;
	const struct dest *d = &fp->dests[rec->id];
	if (rec->kind == FAST_REC_SITE) {
		if (d->kind != PATCH_SITE)
			return false;
		if (d->active)
			callstack_observe(&t->cs, rec->sp, ts);   /* (trace_return, with no value asked for) */
		return true;
	}
	if (rec->kind != FAST_REC_ENTRY || d->fn == BP_NO_FN)
		return false;
	if (d->libcall) {
		callstack_observe(&t->cs, rec->sp, ts);
		if (!trace_libcall_reported(t, rec->sp, rec->ret))
			return true;
	}
	callstack_enter(&t->cs, d->fn, rec->sp, rec->ret, ts);
	if (!bp_retsite_known(t->p, rec->ret)) {
		callstack_batch_flush();   /* (a new site may be planted, and that may print) */
		bp_ensure_retsite(t, rec->ret);
	}
	return true;
}

/* After take_record: an entry whose call it reported, its function described, takes the lane
 * from now on. */
static void lane_learn(struct fast_proc *fp, const struct fast_rec *rec)
{
	if (rec->id >= fp->n)
		return;
	struct dest *d = &fp->dests[rec->id];
	const struct bp *bp = &d->pa->bp;
	if (d->kind == PATCH_ENTRY && !d->redirect && d->fn == BP_NO_FN && bp->fn != BP_NO_FN && funcs_described(bp->fn)) {
		d->fn = bp->fn;
		d->libcall = bp->libcall;
	}
}

/* Feeds records of t, oldest first, to its call stack. Their times are bounded by now: a stopped
 * thread wrote them before it. A running thread (running) may have written some after now was
 * read (the tracer can be descheduled for milliseconds in between): they are bounded by the
 * clock sample taken here instead, after the read of its block, or they would all be stamped
 * now, their durations lost. */
static void feed(struct task *t, struct fast_proc *fp, struct fthread *ft, struct fast_rec *recs, size_t n,
		 bool running, uint64_t now)
{
	if (!n)
		return;
	if (!ft->fed_any) {
		ft->fed_any = true;
		DEBUG(DBG_FAST, "tid %d: its first records", t->tid);
	}
	uint64_t tsc, ns;
	fast_clock_sample(&tsc, &ns);
	fast_clock_anchor(&clk, tsc, ns);
	if (running)
		now = ns;
	errno_word_update(t, fp);
	bool lane = lane_on(t);
	if (lane)
		callstack_batch_begin();   /* (the lane's events, handed on together) */
	const struct fast_clock c = clk;   /* (a copy the loop's calls cannot change: kept in registers) */
	uint64_t last = ft->last_ts;
	for (size_t i = 0; i < n; i++) {
		uint64_t ts = fast_clock_ns(&c, recs[i].tsc_lo | (uint64_t)recs[i].tsc_hi << 32);
		ts = ts > now ? now : ts < last ? last : ts;
		last = ts;
		bool plain = recs[i].kind == FAST_REC_ENTRY || recs[i].kind == FAST_REC_SITE;   /* (no extra units) */
		if (lane && plain && lane_take(t, fp, &recs[i], ts))
			continue;
		ft->last_ts = last;
		size_t k = rec_extra(recs, i, n);
		if (lane)
			callstack_batch_flush();   /* (the general way may print, or emit otherwise) */
		take_record(t, fp, &recs[i], k ? &recs[i + 1] : NULL, ft->block, ts);
		if (lane)
			lane_learn(fp, &recs[i]);
		i += k;
	}
	ft->last_ts = last;
	if (lane)
		callstack_batch_end();
}

/* Feeds t's new records to its call stack; with empty (t is stopped), empties its block, and now
 * bounds the records' times (see feed). */
static void drain(struct task *t, struct fast_proc *fp, struct fthread *ft, bool empty, uint64_t now)
{
	size_t n;
	struct fast_rec *recs = take_block(t, ft, empty, &n);
	feed(t, fp, ft, recs, n, !empty, now);
}

/* What fast_idle does for each task. */
struct idle {
	uint64_t now;
	bool due;       /* drain now (else only count the blocks) */
	bool blocks;    /* some thread has a block */
};

static void idle_task(struct task *t, void *arg)
{
	struct idle *id = arg;
	struct fast_proc *fp = fp_of(t->p);
	struct fthread *ft = fp && !fp->off ? addrmap_get(&fp->threads, (taddr_t)t->tid) : NULL;
	if (!ft || !ft->block || t->role != ROLE_TRACED)
		return;
	id->blocks = true;
	if (id->due)
		drain(t, fp, ft, false, id->now);
}

bool fast_idle(uint64_t now)
{
	static uint64_t last;
	struct idle id = { now, now - last >= IDLE_NS, false };
	if (id.due)
		last = now;
	task_each(idle_task, &id);
	return id.blocks;
}

/* A trampoline that could not record (no TLS yet, no block, a vfork child on its parent's): its
 * event is taken here, from the registers, and the task goes on at the relocated instructions
 * with the registers the trampoline had saved put back. */
static void emulate(struct task *t, struct fast_proc *fp, struct patch *pa, struct user_regs_struct *r,
		    bool rcx_spilled, uint64_t ts)
{
	struct proc *p = t->p;
	if (rcx_spilled)
		proc_read_raw(p, r->fs_base + FAST_TLS_SPILL, &r->rcx, sizeof(r->rcx));
	struct fast_rec rec = { .sp = r->rsp, .id = pa->id, .kind = pa->kind == PATCH_ENTRY ? FAST_REC_ENTRY : FAST_REC_SITE };
	if (pa->kind == PATCH_ENTRY && proc_read_raw(p, r->rsp, &rec.ret, sizeof(rec.ret)))
		rec.ret = 0;
	if (pa->kind == PATCH_SITE && pa->active && trace_opts.returns && t->role == ROLE_TRACED) {
		struct ret_regs rr = { .r = r, .stopped = true };   /* the program's registers, all */
		trace_return(t, pa->at, &rr, ts);
	} else if (pa->kind == PATCH_ENTRY && pa->args && rec.id < fp->n && t->role == ROLE_TRACED) {
		struct entry_regs er = { .r = r, .stopped = true };   /* (rcx is the program's again) */
		if (trace_opts.returns)
			callstack_observe(&t->cs, rec.sp, ts);
		trace_entry_args(t, entry_bp(p, &fp->dests[pa->id]), rec.sp, rec.ret, ts, &er);
	} else if (pa->kind == PATCH_ENTRY) {
		take_record(t, fp, &rec, NULL, 0, ts);
	}
	r->rip = pa->tramp + pa->info.reloc;
	ptrace(PTRACE_SETREGS, t->tid, 0, r);
}

/* The miss trap: a return address no site covers. It gets a site (a patch if it can take one
 * and no other thread could be in its window (may_patch), else an int3) and goes in the
 * table. */
static void learn_site(struct task *t, struct fast_proc *fp, taddr_t ret, bool x87)
{
	struct proc *p = t->p;
	if (!addrmap_get(&fp->at, ret)) {
		struct module *m = modules_find(p, ret);
		const struct fmap *fm = m && !is_loader(m) ? fmap_get(m) : NULL;
		int why;
		struct patch *pa = fm ? make_patch(t, fp, m, fm, PATCH_SITE, ret, (struct keep){ .x87 = x87 }, &why) : NULL;
		if (pa)
			set_active(fp, pa);   /* the call being made is reported (else no record trapped) */
		else
			bp_ensure_retsite(t, ret);
	}
	sites_put(p, fp, ret);
}

/* Single-steps t until its pc leaves every trampoline (a signal must not find it there).
 * A signal that comes meanwhile is kept for later. */
static void step_out(struct task *t, struct fast_proc *fp, struct user_regs_struct *r)
{
	for (int i = 0; i < STEP_MAX && in_injected(fp, r->rip); i++) {
		struct stop s;
		stop_step(&s, t->tid);
		if (s.kind == STOP_NONE)
			return;
		if (stop_is_end(&s)) {
			stop_requeue(&s);
			return;
		}
		if (s.kind == STOP_SIGNAL && s.sig != fp->slow_sig && !t->pending_sig)
			t->pending_sig = s.sig;   /* (a slow path's own signal is dropped: it goes on) */
		if (s.kind == STOP_TRAP)
			sigtrap_gadget_trap(t);   /* the step's trap may be the program's own SIGTRAP */
		if (ptrace(PTRACE_GETREGS, t->tid, 0, r))
			return;
	}
}

/* Whether s is a fault of the relocated instructions of pa's trampoline, off into it. */
static bool fault_in_copy(const struct stop *s, const struct patch *pa, taddr_t off)
{
	return s->kind == STOP_SIGNAL && off >= pa->info.reloc &&
	       (s->sig == SIGSEGV || s->sig == SIGBUS || s->sig == SIGILL || s->sig == SIGFPE);
}

/* Which of pa's displaced instructions the copy at off into its trampoline is part of. */
static unsigned copy_index(const struct patch *pa, taddr_t off)
{
	unsigned i = pa->w.n - 1;
	while (i > 0 && off < pa->info.reloc + (taddr_t)pa->info.insn_off[i])
		i--;
	return i;
}

/* Whether t faulted in the copy of an entry's first instruction, rec being the last record of
 * its block: the entry of that call. The fault is reported where the jmp (or the int3, for a
 * redirect) is, so the call's entry is taken again when the handler returns there; this record
 * is dropped, or the call would count twice. */
static bool refaulting_entry(struct task *t, struct fast_proc *fp, const struct stop *s, const struct fast_rec *rec)
{
	struct user_regs_struct r;
	if (s->kind != STOP_SIGNAL || ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		return false;
	struct patch *pa = patch_at_pc(fp, r.rip);
	return pa && pa->kind == PATCH_ENTRY && fault_in_copy(s, pa, r.rip - pa->tramp) &&
	       copy_index(pa, r.rip - pa->tramp) == 0 && rec->id < fp->n &&
	       entry_kind(rec->kind) && fp->v[rec->id] == pa;
}

static void give_back(struct task *t, struct fast_proc *fp, struct patch *pa);

/* The fault of a relocated instruction, off into pa's trampoline, moved to the original
 * instruction. At the window's first, the jmp stays: the handler may return there and run the
 * whole trampoline again. Further in, the window gets its bytes back (the handler may return
 * into it), and its function's entry or its return site goes on with an int3. */
static void report_at_original(struct task *t, struct fast_proc *fp, struct patch *pa, taddr_t off,
			       struct user_regs_struct *r)
{
	unsigned i = copy_index(pa, off);
	r->rip = pa->at + pa->w.insn[i].off;
	ptrace(PTRACE_SETREGS, t->tid, 0, r);
	if (i == 0)
		return;
	DEBUG(DBG_FAST, "tid %d: a fault in the relocated code of %#" PRIx64 ": window restored, int3 there", t->tid,
	      pa->at);
	give_back(t, fp, pa);
}

/* Gives pa's window its own bytes back, for good: its function's entry or its return site goes
 * on with an int3. An evicted neighbour takes with it the window whose hole is in its bytes. */
static void give_back(struct task *t, struct fast_proc *fp, struct patch *pa)
{
	if (!pa->replaced)
		return;
	restore_bytes(t->p, pa);
	disown_bytes(fp, pa);
	at_del(fp, pa);
	if (pa->kind == PATCH_EVICT) {
		struct patch *host = pa->host < fp->n ? fp->v[pa->host] : NULL;
		if (host && host->evicted == pa->at)
			give_back(t, fp, host);
		return;
	}
	if (pa->kind == PATCH_SITE) {
		if (pa->active)
			bp_ensure_retsite(t, pa->at);
		return;
	}
	struct bp *bp = bp_at(t, pa->bp.addr);
	if (bp) {
		bp->entry = true;
		bp->name = pa->bp.name;
		bp->fn = bp_fn(&pa->bp);   /* the same function in the views */
		bp->libcall = pa->bp.libcall;
	}
}

/* A fault of a trampoline's rdtsc, which the kernel forbids to this thread (seccomp's strict
 * mode turns it off, and so does prctl(PR_SET_TSC)): the rdtsc is run here, one stop per
 * record, and the thread goes on. Its block is left alone: it holds the cursor. */
static bool run_rdtsc(struct task *t, struct fast_proc *fp, struct fthread *ft, const struct stop *s)
{
	struct user_regs_struct r;
	if (s->kind != STOP_SIGNAL || s->sig != SIGSEGV || ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		return false;
	struct patch *pa = patch_at_pc(fp, r.rip);
	if (!pa || r.rip - pa->tramp != pa->info.tsc)
		return false;
	if (ft && !ft->no_tsc)
		DEBUG(DBG_FAST, "tid %d: rdtsc faults in the program (seccomp strict mode, or PR_SET_TSC): each "
		      "record stops", t->tid);
	if (ft)
		ft->no_tsc = true;
	uint64_t tsc, ns;
	fast_clock_sample(&tsc, &ns);
	r.rax = (uint32_t)tsc;
	r.rdx = tsc >> 32;
	r.rip += 2;
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	ptrace(PTRACE_CONT, t->tid, 0, 0);
	return true;
}

/* Which slow path (FAST_SLOW_*) of pa's trampoline t stopped in, off into it, with r its
 * registers, and what that slow path saved (saved); -1 if it is in none. */
static int slow_kind(struct task *t, const struct patch *pa, const struct user_regs_struct *r, taddr_t off,
		     uint64_t saved[FAST_SLOW_SAVED])
{
	if (!pa->info.slow_stop || off != pa->info.slow_stop ||
	    proc_read_raw(t->p, r->rsp, saved, FAST_SLOW_SAVED * sizeof(saved[0])))
		return -1;
	int k = -1;
	for (int i = 0; i < FAST_NSLOW; i++)
		if (pa->info.slow_dead[i] && saved[2] == pa->tramp + pa->info.slow_dead[i])
			k = i;
	return k;
}

/* Puts back the signal mask and the registers a slow path saved (r: to be set by the caller). */
static void slow_restore(struct task *t, struct user_regs_struct *r, const uint64_t saved[FAST_SLOW_SAVED])
{
	ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(saved[0]), &saved[0]);
	r->r11 = saved[3];
	r->r10 = saved[4];
	r->rsi = saved[5];
	r->rdi = saved[6];
	r->rdx = saved[7];
	r->rax = saved[8];
	r->rsp += FAST_SLOW_SAVED * sizeof(saved[0]) + FAST_SLOW_RED;
}

/* At a full block's stop (t is stopped): t's TLS slot goes to its spare block, which takes the
 * full one's spill words, since the trampoline, once resumed at its first store, reads rax, rdx
 * and the flags back from the block its slot names. *cur is the full block's cursor. Returns
 * false, nothing changed in the program, if there is no spare to go to. */
static bool swap_block(struct task *t, struct fthread *ft, uint64_t *cur)
{
	struct proc *p = t->p;
	struct fast_block hdr;
	if (!ft->spare || proc_read_raw(p, ft->block, &hdr, sizeof(hdr)))
		return false;
	*cur = hdr.cur;
	hdr.cur = ft->spare + FAST_BLOCK_HDR;
	return !proc_write(p, ft->spare, &hdr, sizeof(hdr)) &&
	       !proc_write(p, ft->fs_base + FAST_TLS_SLOT, &ft->spare, sizeof(ft->spare));
}

/* A full block's stop: the fault at a trampoline's first store into the guard page, or in safe
 * mode its full slow path's signal. t goes on at once, and the full block's records are fed
 * while it runs (before any later stop of t is handled: this is the tracer's one thread, so t's
 * events keep their order): t goes on in its spare block, with nothing copied while it waits;
 * a thread with no spare (-p) has its block copied out and emptied first. Returns false, with
 * nothing done, if s is no such stop. */
static bool on_full(struct task *t, struct fast_proc *fp, struct fthread *ft, const struct stop *s)
{
	struct user_regs_struct r;
	if (!ft || !ft->block || s->kind != STOP_SIGNAL || (s->sig != SIGSEGV && s->sig != fp->slow_sig) ||
	    ptrace(PTRACE_GETREGS, t->tid, 0, &r) || r.fs_base != ft->fs_base)
		return false;
	struct patch *pa = patch_at_pc(fp, r.rip);
	taddr_t off = pa ? r.rip - pa->tramp : 0;
	uint64_t saved[FAST_SLOW_SAVED], cur;
	bool slow = pa && s->sig == fp->slow_sig && slow_kind(t, pa, &r, off, saved) == FAST_SLOW_FULL;
	if (!slow && !(pa && s->sig == SIGSEGV && off == pa->info.rec_store))
		return false;
	size_t n = 0;
	struct fast_rec *recs = NULL;
	taddr_t full = ft->block;
	bool swapped = swap_block(t, ft, &cur);
	if (!swapped && !(recs = take_block(t, ft, true, &n)))
		return false;   /* (nothing to feed, or the block unreadable: as at any stop) */
	taddr_t go = swapped ? ft->spare : ft->block;
	if (slow) {
		slow_restore(t, &r, saved);
		r.rcx = go;   /* (the check passes now) */
		r.rip = pa->tramp + pa->info.full_check;
	} else {
		r.rcx = go + FAST_BLOCK_HDR;   /* the store runs again, at the first record */
	}
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	ptrace(PTRACE_CONT, t->tid, 0, 0);
	if (swapped)
		recs = read_records(t->p, full, &cur, ft->fed, &n);
	feed(t, fp, ft, recs, n, false, s->ts);   /* (ft->block is still the full one, as feed needs) */
	if (swapped) {
		ft->block = ft->spare;
		ft->spare = full;
	}
	ft->fed = 0;
	return true;
}

/* Safe mode: a trampoline's slow path signalled its thread (no block, a full block, an unknown
 * return address). The mask and the registers it saved are put back here, and the thread is
 * sent on as the faults and the trap of the other mode are. Returns false if the stop is none
 * of those. */
static bool on_slow(struct task *t, struct fast_proc *fp, struct fthread *ft, struct patch *pa,
		    struct user_regs_struct *r, taddr_t off, uint64_t ts)
{
	uint64_t saved[FAST_SLOW_SAVED];
	int k = slow_kind(t, pa, r, off, saved);
	if (k < 0)
		return false;
	slow_restore(t, r, saved);
	if (k == FAST_SLOW_NOBLOCK) {
		if (!ft)
			ft = thread_of(fp, t->tid);
		if (t->role == ROLE_TRACED && !ft->block && give_block(t, fp, ft, r->fs_base)) {
			proc_read_raw(t->p, r->fs_base + FAST_TLS_SPILL, &r->rcx, sizeof(r->rcx));
			r->rip = pa->tramp;   /* again, from the start */
			ptrace(PTRACE_SETREGS, t->tid, 0, r);
		} else {
			emulate(t, fp, pa, r, true, ts);
		}
	} else if (k == FAST_SLOW_FULL && ft && ft->block) {
		r->rcx = ft->block;   /* drained before: the check passes now */
		r->rip = pa->tramp + pa->info.full_check;
		ptrace(PTRACE_SETREGS, t->tid, 0, r);
	} else {
		uint64_t ret;
		if (k == FAST_SLOW_MISS && !proc_read_raw(t->p, r->rsp, &ret, sizeof(ret)))
			learn_site(t, fp, ret, pa->x87);
		r->rip = pa->tramp + (k == FAST_SLOW_MISS ? pa->info.miss_resume : pa->info.full_check);
		if (k == FAST_SLOW_FULL && !proc_read_raw(t->p, r->fs_base + FAST_TLS_SLOT, &r->rcx, sizeof(r->rcx))) {
			uint64_t first = r->rcx + FAST_BLOCK_HDR;   /* a block we do not know: emptied */
			proc_write(t->p, r->rcx, &first, sizeof(first));
		}
		ptrace(PTRACE_SETREGS, t->tid, 0, r);
	}
	ptrace(PTRACE_CONT, t->tid, 0, 0);
	return true;
}

/* Whether t's block may be emptied at stop s. A thread stopped inside a trampoline between
 * its load of the block's cursor and the write of the cursor + 32 (an asynchronous signal, an
 * interrupt) would write that back over the emptied block, and the records taken now would be
 * taken again at its next drain, with its order lost. At a signal it is stepped out first (the
 * signal is then delivered outside, as it must be anyway); at any other stop its records are
 * left for later. The full block's fault, at the first store, is where rcx is set back. */
static bool settled(struct task *t, struct fast_proc *fp, const struct stop *s)
{
	struct user_regs_struct r;
	if (s->kind == STOP_TRAP || s->kind == STOP_EXIT_EVENT || ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		return true;   /* (a trampoline's int3 comes before its cursor's load; an exiting
				* thread writes nothing more) */
	struct patch *pa = patch_at_pc(fp, r.rip);
	taddr_t off = pa ? r.rip - pa->tramp : 0;
	if (!pa || off <= pa->info.cursor || off >= pa->info.reloc ||
	    (s->kind == STOP_SIGNAL && s->sig == SIGSEGV && off == pa->info.rec_store))
		return true;
	if (s->kind != STOP_SIGNAL)
		return false;
	step_out(t, fp, &r);
	return true;
}

/* The int3 of a site that stops (pa->stops), at t's stop there: the return as an int3 site's,
 * its value read now; then on at the relocated instructions, with no record. */
static void on_site_stop(struct task *t, struct patch *pa, struct user_regs_struct *r, uint64_t ts)
{
	sigtrap_trap_seen(t);
	if (pa->active && trace_opts.returns && t->role == ROLE_TRACED) {
		struct ret_regs rr = { .r = r, .stopped = true };
		trace_return(t, pa->at, &rr, ts);
	}
	int sig = sigtrap_after_trap(t, r->rsp) ? SIGTRAP : 0;
	r->rip = pa->tramp + pa->info.reloc;
	ptrace(PTRACE_SETREGS, t->tid, 0, r);
	if (sig)
		t->resumed_rip = r->rip;
	ptrace(t->sysmon ? PTRACE_SYSCALL : PTRACE_CONT, t->tid, 0, sig);
}

bool fast_on_stop(struct task *t, const struct stop *s)
{
	struct fast_proc *fp = fp_of(t->p);
	if (!fp || fp->off)
		return false;
	struct fthread *ft = addrmap_get(&fp->threads, (taddr_t)t->tid);
	if (s->kind == STOP_EXITED || s->kind == STOP_KILLED) {
		if (ft) {   /* its block, if the process lives on, serves the next thread */
			if (ft->block && t->tid != t->tgid) {
				xgrow(&fp->free_blocks, &fp->capfree, fp->nfree + 2, sizeof(*fp->free_blocks));
				fp->free_blocks[fp->nfree++] = ft->block;
				if (ft->spare)
					fp->free_blocks[fp->nfree++] = ft->spare;
			}
			free(addrmap_del(&fp->threads, (taddr_t)t->tid));
		}
		return false;
	}
	errno_word_update(t, fp);   /* (at every stop until found: before the records that need it) */
	if (run_rdtsc(t, fp, ft, s) || on_full(t, fp, ft, s))
		return true;
	if (ft && ft->block && !settled(t, fp, s))
		return false;   /* its records wait for its next stop */
	size_t nrecs = 0;
	struct fast_rec *recs = ft ? take_block(t, ft, true, &nrecs) : NULL;
	if (recs && refaulting_entry(t, fp, s, &recs[last_record(recs, nrecs)]))
		nrecs = last_record(recs, nrecs);   /* (that entry's record and what follows it) */
	feed(t, fp, ft, recs, nrecs, false, s->ts);
	if (s->kind == STOP_VFORK || s->kind == STOP_VFORK_DONE) {
		fast_vfork(t, s->kind == STOP_VFORK_DONE);
		return false;
	}
	if (s->kind == STOP_EVENT_STOP && t->fresh) {
		/* A new thread: its TCB may be a dead thread's, its slot still naming that block */
		struct user_regs_struct r;
		uint64_t zero = 0;
		if (!ptrace(PTRACE_GETREGS, t->tid, 0, &r) && r.fs_base && !addrmap_get(&fp->threads, (taddr_t)t->tid))
			proc_write(t->p, r.fs_base + FAST_TLS_SLOT, &zero, sizeof(zero));
		return false;
	}
	if (s->kind != STOP_TRAP && s->kind != STOP_SIGNAL)
		return false;
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		return false;
	struct patch *pa = patch_at_pc(fp, s->kind == STOP_TRAP ? r.rip - 1 : r.rip);
	if (!pa && s->kind == STOP_SIGNAL && fp->holes.n && addrmap_get(&fp->holes, r.rip))
		step_out(t, fp, &r);   /* (a signal must not find it at a hole either) */
	if (!pa)
		return false;
	taddr_t off = (s->kind == STOP_TRAP ? r.rip - 1 : r.rip) - pa->tramp;
	if (s->kind == STOP_SIGNAL && s->sig == fp->slow_sig && on_slow(t, fp, ft, pa, &r, off, s->ts))
		return true;
	if (s->kind == STOP_TRAP && off == 0 && pa->stops) {
		on_site_stop(t, pa, &r, s->ts);
		return true;
	}
	if (s->kind == STOP_TRAP && off == pa->info.miss_trap && pa->info.miss_trap) {
		/* Our int3, as a breakpoint's: the program's SIGTRAP pending while blocked was
		 * dequeued in its place and goes back, and its syscalls stay followed if they were. */
		sigtrap_trap_seen(t);
		uint64_t ret;
		if (!proc_read_raw(t->p, r.rsp, &ret, sizeof(ret)))
			learn_site(t, fp, ret, pa->x87);
		int sig = sigtrap_after_trap(t, r.rsp) ? SIGTRAP : 0;
		if (sig)
			t->resumed_rip = r.rip;   /* (it becomes pending again: blocked) */
		ptrace(t->sysmon ? PTRACE_SYSCALL : PTRACE_CONT, t->tid, 0, sig);
		return true;
	}
	if (s->kind == STOP_SIGNAL && s->sig == SIGSEGV && (off == pa->info.tls_store || off == pa->info.block_store)) {
		/* No TLS yet (before the program set it up), or no block: give one if we can */
		if (!ft)
			ft = thread_of(fp, t->tid);
		if (off == pa->info.block_store && t->role == ROLE_TRACED && !ft->block &&
		    give_block(t, fp, ft, r.fs_base)) {
			proc_read_raw(t->p, r.fs_base + FAST_TLS_SPILL, &r.rcx, sizeof(r.rcx));
			r.rip = pa->tramp;   /* again, from the start */
			ptrace(PTRACE_SETREGS, t->tid, 0, &r);
		} else {
			emulate(t, fp, pa, &r, off == pa->info.block_store, s->ts);
		}
		ptrace(PTRACE_CONT, t->tid, 0, 0);
		return true;
	}
	if (s->kind == STOP_SIGNAL && s->sig == SIGSEGV && off == pa->info.rec_store && ft && ft->block) {
		/* The block is full: drained above; the store runs again at its first record */
		r.rcx = ft->block + FAST_BLOCK_HDR;
		ptrace(PTRACE_SETREGS, t->tid, 0, &r);
		ptrace(PTRACE_CONT, t->tid, 0, 0);
		return true;
	}
	/* Any other signal: not delivered in here. A fault of a relocated instruction is the
	 * program's own, reported at the original instruction; anything else waits until the
	 * task is out. */
	if (fault_in_copy(s, pa, off)) {
		report_at_original(t, fp, pa, off, &r);
		return false;
	}
	if (s->kind == STOP_SIGNAL)
		step_out(t, fp, &r);
	return false;
}

/* Puts into buf, a copy of [addr, addr+len), either the jmps of the patches there (jmp) or the
 * program's own bytes (!jmp), where those replaced them. */
static void each_replaced(struct fast_proc *fp, taddr_t addr, uint8_t *buf, size_t len, bool jmp)
{
	if (!fp || !fp->at.n)
		return;
	/* (a patch or a hole that starts up to FAST_JMP_LEN - 1 bytes before addr reaches into buf) */
	for (taddr_t a = addr >= FAST_JMP_LEN - 1 ? addr - (FAST_JMP_LEN - 1) : 0; a < addr + len; a++) {
		if (!addrbits_any(&fp->win_bytes, a, a + 1) && !addrbits_any(&fp->hole_bytes, a, a + 1))
			continue;   /* (neither starts there) */
		const struct patch *pa = addrmap_get(&fp->at, a);
		for (size_t k = 0; pa && pa->replaced && k < pa->jlen; k++)
			if (a + k >= addr && a + k < addr + len)
				buf[a + k - addr] = jmp ? pa->jmp[k] : pa->w.bytes[k];
		pa = fp->holes.n ? addrmap_get(&fp->holes, a) : NULL;
		for (size_t k = 0; pa && pa->replaced && k < FAST_JMP_LEN; k++)
			if (a + k >= addr && a + k < addr + len)
				buf[a + k - addr] = jmp ? pa->hole_jmp[k] : pa->hole_bytes[k];
	}
}

void fast_hide(struct proc *p, taddr_t addr, void *buf, size_t len)
{
	each_replaced(fp_of(p), addr, buf, len, false);
}

void fast_forget_range(struct proc *p, taddr_t lo, taddr_t hi)
{
	struct fast_proc *fp = fp_of(p);
	for (size_t i = 0; fp && i < fp->n; i++) {
		struct patch *pa = fp->v[i];
		if (pa->at < lo || pa->at >= hi)
			continue;
		at_del(fp, pa);
		if (addrmap_get(&fp->redir, pa->at) == pa)
			addrmap_del(&fp->redir, pa->at);
		disown_bytes(fp, pa);
		pa->at = fp->dests[i].at = 0;   /* its trampoline stays mapped, unused; its id stays taken */
	}
}

/* Puts the n bytes b meant for at into buf, a copy of [addr, addr+len), where they fall in it. */
static void overlay_one(taddr_t at, const uint8_t *b, size_t n, taddr_t addr, uint8_t *buf, size_t len)
{
	if (at + n <= addr || at >= addr + len)
		return;   /* (most are other modules') */
	for (size_t k = 0; k < n; k++)
		if (at + k >= addr && at + k < addr + len)
			buf[at + k - addr] = b[k];
}

void fast_overlay(struct proc *p, taddr_t addr, uint8_t *buf, size_t len)
{
	struct fast_proc *fp = fp_of(p);
	/* (A replaced jmp or hole is in fp->at or fp->holes, so its bytes are in the bitmaps: a
	 * library being planted has none yet, and walking python3's 56,000 patches for each was
	 * a cache miss apiece.) */
	taddr_t from = addr >= FAST_JMP_LEN - 1 ? addr - (FAST_JMP_LEN - 1) : 0;
	if (fp && !addrbits_any(&fp->win_bytes, from, addr + len) && !addrbits_any(&fp->hole_bytes, from, addr + len))
		return;
	for (size_t i = 0; fp && i < fp->n; i++) {
		const struct patch *pa = fp->v[i];
		if (!pa->replaced)
			continue;
		overlay_one(pa->at, pa->jmp, pa->jlen, addr, buf, len);
		if (pa->hole)
			overlay_one(pa->hole, pa->hole_jmp, FAST_JMP_LEN, addr, buf, len);
	}
}

bool fast_owns(struct proc *p, taddr_t addr)
{
	struct fast_proc *fp = fp_of(p);
	return fp && (replaced_at(fp, addr) || addrmap_get(&fp->at, addr));
}

bool fast_activate_site(struct proc *p, taddr_t addr)
{
	struct fast_proc *fp = fp_of(p);
	struct patch *pa = fp ? addrmap_get(&fp->at, addr) : NULL;
	if (pa && pa->kind == PATCH_SITE) {
		set_active(fp, pa);
		return true;
	}
	return pa || (fp && replaced_at(fp, addr));
}

void fast_stop_at_site(struct task *t, taddr_t addr)
{
	struct fast_proc *fp = fp_of(t->p);
	struct patch *pa = fp && !fp->off ? addrmap_get(&fp->at, addr) : NULL;
	uint8_t cc = 0xcc;
	if (!pa || pa->kind != PATCH_SITE || pa->stops || proc_read_raw(t->p, pa->tramp, &pa->first, 1))
		return;
	uint32_t guard = guard_note(t->p->pid, pa->tramp, pa->first);   /* (first: fntrace may die between) */
	if (proc_write(t->p, pa->tramp, &cc, 1)) {
		guard_forget(guard);
		return;
	}
	pa->stops = true;
	pa->stop_guard = guard;
	DEBUG(DBG_FAST, "pid %d: return site %#" PRIx64 ": stops (a string is returned there)", t->p->pid, addr);
}

void fast_note_site(struct proc *p, taddr_t addr)
{
	struct fast_proc *fp = fp_of(p);
	if (fp && !fp->off)
		sites_put(p, fp, addr);
}

void fast_restore_all(struct proc *p, struct proc *in)
{
	struct fast_proc *fp = fp_of(p);
	for (size_t i = 0; fp && i < fp->n; i++) {
		struct patch *pa = fp->v[i];
		if (pa->replaced)
			restore_bytes(in, pa);
		if (pa->stops && proc_write(in, pa->tramp, &pa->first, 1) == 0 && in == p) {
			guard_forget(pa->stop_guard);   /* (a thread there goes on through the record) */
			pa->stops = false;
		}
	}
}

/* Clears a thread's TLS slot and its spill word at detach. */
static void clear_slot(taddr_t key, void *val, void *arg)
{
	struct fthread *ft = val;
	uint64_t zero[2] = { 0, 0 };
	(void)key;
	if (ft->block && ft->fs_base)
		proc_write(arg, ft->fs_base + FAST_TLS_SLOT, zero, sizeof(zero));
}

void fast_detach_task(struct task *t, int *sig)
{
	struct fast_proc *fp = fp_of(t->p);
	if (!fp || fp->off)
		return;
	struct fthread *ft = addrmap_get(&fp->threads, (taddr_t)t->tid);
	struct user_regs_struct r;
	uint64_t now = util_now_ns();
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r)) {
		if (ft)
			drain(t, fp, ft, false, now);
		return;
	}
	/* The stop the detach caught may be a trampoline's own trap or fault: never delivered (the
	 * program would die of it), but answered as fast_on_stop would, then stepped out. */
	struct patch *pa = *sig == SIGTRAP ? patch_at_pc(fp, r.rip - 1) : patch_at_pc(fp, r.rip);
	taddr_t off = pa ? (*sig == SIGTRAP ? r.rip - 1 : r.rip) - pa->tramp : 0;
	if (pa && *sig == SIGTRAP && pa->info.miss_trap && off == pa->info.miss_trap) {
		*sig = 0;   /* (past the int3 already: it goes on from there) */
	} else if (pa && *sig == SIGTRAP && pa->stops && off == 0) {
		*sig = 0;   /* a site that stops: on without its return (the int3 goes) */
		r.rip = pa->tramp + pa->info.reloc;
		ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	} else if (pa && *sig == fp->slow_sig && pa->info.slow_stop && off == pa->info.slow_stop) {
		*sig = 0;   /* a slow path: it goes on as without a tracer */
	} else if (pa && *sig == SIGSEGV && (off == pa->info.tls_store || off == pa->info.block_store)) {
		*sig = 0;
		emulate(t, fp, pa, &r, off == pa->info.block_store, now);
	} else if (pa && *sig == SIGSEGV && off == pa->info.rec_store && ft && ft->block) {
		*sig = 0;
		drain(t, fp, ft, true, now);   /* the full block: its record then goes first */
		r.rcx = ft->block + FAST_BLOCK_HDR;
		ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	}
	if (in_injected(fp, r.rip))
		step_out(t, fp, &r);   /* first: a record being written is finished, then drained */
	if (ft)
		drain(t, fp, ft, true, now);
}

void fast_detach_proc(struct proc *p)
{
	struct fast_proc *fp = fp_of(p);
	if (fp)
		addrmap_each(&fp->threads, clear_slot, p);
}

void fast_fork(struct proc *child, struct proc *parent, pid_t parent_tid, pid_t child_tid)
{
	struct fast_proc *pp = fp_of(parent);
	if (!pp)
		return;
	struct fast_proc *fp = child->fast = xcalloc(1, sizeof(*fp));
	fp->off = pp->off;
	fp->sites = pp->sites;
	fp->slow_sig = pp->slow_sig;   /* (its trampolines are the parent's) */
	for (size_t i = 0; i < pp->n; i++) {
		struct patch *pa = xmalloc(sizeof(*pa));
		*pa = *pp->v[i];
		pa->stop_guard = 0;   /* (the guardian's entry is the parent's) */
		add_patch(fp, pa);   /* (the same id) */
		if (addrmap_get(&pp->at, pa->at) == pp->v[i])
			at_put(fp, pa);
		if (pa->replaced)
			own_bytes(fp, pa);   /* (its hole, if any) */
		if (pa->redirect)
			addrmap_put(&fp->redir, pa->at, pa);
	}
	fp->regs = xmalloc((pp->nregs + 1) * sizeof(*fp->regs));
	if (pp->nregs)
		memcpy(fp->regs, pp->regs, pp->nregs * sizeof(*fp->regs));
	fp->nregs = pp->nregs;
	for (size_t i = 0; i < fp->nregs; i++)
		fp->regs[i].stage = NULL;   /* (nothing is staged at a fork: planting is done) */
	/* The child's one thread is a copy of the forking one, its block too, with the parent's
	 * records in it: they are the parent's (drained at this stop), so the copy starts empty. */
	struct fthread *pt = addrmap_get(&pp->threads, (taddr_t)parent_tid);
	if (pt && pt->block) {
		struct fthread *ct = thread_of(fp, child_tid);
		*ct = *pt;
		ct->last_ts = 0;
		ct->fed = 0;
		uint64_t first = ct->block + FAST_BLOCK_HDR;
		proc_write(child, ct->block, &first, sizeof(first));
	}
}

/* A vfork child runs on its parent's TCB, so on its parent's block: until the parent goes on,
 * the slot is empty, and the child's calls are taken one fault at a time. */
void fast_vfork(struct task *parent, bool done)
{
	struct fast_proc *fp = fp_of(parent->p);
	struct fthread *ft = fp ? addrmap_get(&fp->threads, (taddr_t)parent->tid) : NULL;
	if (!ft || !ft->block)
		return;
	uint64_t v = done ? ft->block : 0;
	proc_write(parent->p, ft->fs_base + FAST_TLS_SLOT, &v, sizeof(v));
}

static void free_patch_val(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

void fast_free(struct proc *p)
{
	struct fast_proc *fp = fp_of(p);
	if (!fp)
		return;
	for (size_t i = 0; i < fp->n; i++)
		free(fp->v[i]);
	free(fp->v);
	free(fp->dests);
	addrmap_free(&fp->at);
	addrmap_free(&fp->redir);
	addrmap_free(&fp->holes);
	addrbits_free(&fp->win_bytes);
	addrbits_free(&fp->hole_bytes);
	addrmap_each(&fp->threads, free_patch_val, NULL);
	addrmap_free(&fp->threads);
	free(fp->sorted);
	for (size_t i = 0; i < fp->nregs; i++)
		free(fp->regs[i].stage);
	free(fp->regs);
	free(fp->stage.code);
	free(fp->stage.sites);
	free(fp->free_blocks);
	free(fp);
	p->fast = NULL;
}
