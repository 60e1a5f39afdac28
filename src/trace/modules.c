/* modules: the ELF objects a process has mapped: its executable, the dynamic loader, and the
 * libraries the loader lists in its rendezvous structure (r_debug), which it updates and
 * announces by calling r_brk (_dl_debug_state) whenever a library comes or goes. */
#include "trace.h"
#include "../util/glob.h"
#include "../elf/symcache.h"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LIBS 4096   /* a hostile or corrupt list must not loop forever */

static bool lib_wanted(const struct module *m)
{
	const char *base = strrchr(m->path, '/');
	/* Each name tried, not the first that fits: glob_any notes every glob that matched. */
	bool any = glob_any(trace_opts.libs, m->name);
	any |= glob_any(trace_opts.libs, base ? base + 1 : m->path);
	any |= glob_any(trace_opts.libs, m->path);
	return any;
}

static void text_range(struct module *m)
{
	m->text = (struct range){ 0, 0 };
	for (size_t i = 0; i < m->st->nxsegs; i++) {
		taddr_t lo = m->st->xsegs[i].lo + m->bias, hi = m->st->xsegs[i].hi + m->bias;
		if (!m->text.hi || lo < m->text.lo)
			m->text.lo = lo;
		if (hi > m->text.hi)
			m->text.hi = hi;
	}
}

/* Reads the module at path (file) known as shown; NULL if it is no ELF we can read. */
static struct module *module_open(const char *file, const char *shown, taddr_t bias, taddr_t lmap, bool exe)
{
	char err[512];
	uint64_t t0 = util_now_ns();
	struct module *m = xcalloc(1, sizeof(*m));
	if (!(m->st = symcache_get(file, err, sizeof(err)))) {
		DEBUG(DBG_ELF, "%s", err);
		free(m);
		return NULL;
	}
	m->path = xstrdup(shown);
	const char *base = strrchr(m->path, '/');
	m->name = m->st->soname ? m->st->soname : base ? base + 1 : m->path;
	m->bias = bias;
	m->lmap = lmap;
	m->exe = exe;
	text_range(m);
	m->traced = !exe && lib_wanted(m);
	if (exe || m->traced) {
		/* every function: from the debug file of a stripped one, then discovery */
		m->st = symcache_complete(m->st, file, shown);
		m->name = m->st->soname ? m->st->soname : base ? base + 1 : m->path;
	}
	m->read_ns = util_now_ns() - t0;
	return m;
}

static void module_free(struct module *m)
{
	symcache_put(m->st);
	free(m->path);
	free(m);
}

static void add(struct task *t, struct module *m)
{
	struct proc *p = t->p;
	p->mods = xrealloc(p->mods, (p->nmods + 1) * sizeof(*p->mods));
	p->mods[p->nmods++] = m;
	uint64_t t0 = util_now_ns();
	size_t planted = bp_plant_module(t, m);
	fast_module_done(t, m);
	DEBUG(DBG_BP, "pid %d: %s: %zu entry breakpoints planted in %.1f ms (%zu functions read in %.1f ms)",
	      p->pid, m->path, planted, (util_now_ns() - t0) / 1e6, m->st->nfuncs, m->read_ns / 1e6);
	p->go |= m->st->go;
	if (m->st->nifuncs && (m->traced || trace_opts.libcalls))
		p->ifunc_pending = true;
	DEBUG(DBG_ELF, "pid %d: %s at %#" PRIx64 "%s", p->pid, m->path, m->bias, m->traced ? " (traced)" : "");
}

/* The path of the file mapped at addr, from /proc/PID/maps. */
static bool mapped_path(pid_t pid, taddr_t addr, char *out, size_t len)
{
	char path[64], line[4096 + 128];
	bool found = false;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		int off = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) >= 2 && off && lo == addr) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, len, "%s", line + off);
			found = *out == '/';
		}
	}
	if (f)
		fclose(f);
	return found;
}

void modules_load_exe(struct task *t)
{
	struct proc *p = t->p;
	char exe[64], path[4096];
	taddr_t entry, base;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", p->pid);
	ssize_t n = readlink(exe, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	/* The file as the process has it, even if its path was replaced or deleted since. */
	struct module *m = module_open(exe, n > 0 ? path : exe, 0, 0, true);
	if (!m) {
		char err[512];
		symtab_load(exe, &(struct symtab){ 0 }, err, sizeof(err));
		warn_msg("%s", err);
		return;
	}
	if (proc_auxv(p, AT_ENTRY, &entry)) {
		warn_errno("cannot read the auxiliary vector of pid %d", p->pid);
		module_free(m);
		return;
	}
	m->bias = entry - m->st->entry;
	text_range(m);
	p->inject_at = entry;
	/* A stop at the entry point: the loader is done, IFUNCs can be resolved. */
	if (m->st->interp)
		bp_at(t, entry);
	add(t, m);

	/* The dynamic loader: its r_brk tells us of every library it loads or unloads. */
	if (!m->st->interp || proc_auxv(p, AT_BASE, &base) || !base || !mapped_path(p->pid, base, path, sizeof(path)))
		return;
	struct module *ld = module_open(path, path, base, 0, false);
	if (!ld)
		return;
	add(t, ld);
	p->r_debug = ld->st->r_debug ? ld->st->r_debug + base : 0;
	for (size_t i = 0; i < ld->st->nfuncs; i++)
		if (!strcmp(ld->st->funcs[i].name, "_dl_debug_state")) {
			struct bp *bp = bp_at(t, ld->st->funcs[i].addr + base);
			if (bp)
				bp->hook = true;
		}
	modules_sync(t);   /* attached to a running process: its libraries are there already */
}

struct lib {
	taddr_t lmap, addr;
	char name[4096];
};

void modules_sync(struct task *t)
{
	struct proc *p = t->p;
	struct r_debug rd;
	if (!p->r_debug || proc_read_raw(p, p->r_debug, &rd, sizeof(rd)))
		return;
	DEBUG(DBG_ELF, "pid %d: r_debug state %d", p->pid, rd.r_state);
	if (rd.r_state != RT_CONSISTENT)
		return;
	struct lib *libs = NULL;
	size_t nlibs = 0, cap = 0;
	taddr_t lm = (taddr_t)rd.r_map;
	for (int i = 0; lm && i < MAX_LIBS; i++) {
		struct link_map l;
		if (proc_read_raw(p, lm, &l, sizeof(l)))
			break;
		xgrow(&libs, &cap, nlibs + 1, sizeof(*libs));
		struct lib *b = &libs[nlibs];
		b->lmap = lm;
		b->addr = (taddr_t)l.l_addr;
		/* A library opened by a relative path has it in l_name: the mapping tells the file. */
		if (l.l_name && !proc_read_str(p, (taddr_t)l.l_name, b->name, sizeof(b->name)) && b->name[0] &&
		    (b->name[0] == '/' || mapped_path(p->pid, b->addr, b->name, sizeof(b->name))))
			nlibs++;
		lm = (taddr_t)l.l_next;
	}
	/* Gone: forget their breakpoints; their memory is unmapped already. */
	for (size_t i = 0; i < p->nmods;) {
		struct module *m = p->mods[i];
		bool present = !m->lmap;
		for (size_t j = 0; j < nlibs && !present; j++)
			present = libs[j].lmap == m->lmap && libs[j].addr == m->bias && !strcmp(libs[j].name, m->path);
		if (present) {
			i++;
			continue;
		}
		DEBUG(DBG_ELF, "pid %d: %s unloaded", p->pid, m->path);
		bp_forget_range(p, m->text.lo, m->text.hi);
		module_free(m);
		p->mods[i] = p->mods[--p->nmods];
	}
	/* New: load and plant. */
	for (size_t j = 0; j < nlibs; j++) {
		bool known = false;
		for (size_t i = 0; i < p->nmods && !known; i++)
			known = p->mods[i]->bias == libs[j].addr && (p->mods[i]->lmap == libs[j].lmap || !p->mods[i]->lmap);
		if (known)
			continue;
		struct module *m = module_open(libs[j].name, libs[j].name, libs[j].addr, libs[j].lmap, false);
		if (m)
			add(t, m);
	}
	free(libs);
}

void modules_resolve_ifuncs(struct task *t)
{
	struct proc *p = t->p;
	taddr_t hwcap = 0;
	p->ifunc_pending = false;
	proc_auxv(p, AT_HWCAP, &hwcap);
	for (size_t i = 0; i < p->nmods; i++) {
		struct module *m = p->mods[i];
		if (m->ifuncs_done || (!m->traced && !trace_opts.libcalls))
			continue;
		m->ifuncs_done = true;
		for (size_t j = 0; j < m->st->nifuncs; j++) {
			const struct func *f = &m->st->ifuncs[j];
			uint64_t impl;
			/* x86-64 glibc resolvers take (hwcap, hwcap2 info); they read the CPU
			 * features the loader set up, and return the implementation. */
			if (proc_inject_call(t, f->addr + m->bias, (long)hwcap, 0, &impl)) {
				DEBUG(DBG_ELF, "%s: resolver of %s failed", m->path, f->name);
				continue;
			}
			if (impl >= m->text.lo && impl < m->text.hi)
				bp_plant_at(t, m, f, impl);
		}
	}
}

struct module *modules_find(struct proc *p, taddr_t addr)
{
	for (size_t i = 0; i < p->nmods; i++)
		if (addr >= p->mods[i]->text.lo && addr < p->mods[i]->text.hi)
			return p->mods[i];
	return NULL;
}

void modules_copy(struct proc *child, const struct proc *parent)
{
	child->mods = xcalloc(parent->nmods + 1, sizeof(*child->mods));
	child->r_debug = parent->r_debug;
	child->go = parent->go;
	for (size_t i = 0; i < parent->nmods; i++) {
		const struct module *pm = parent->mods[i];
		struct module *m = module_open(pm->path, pm->path, pm->bias, pm->lmap, pm->exe);
		if (m) {
			m->traced = pm->traced;
			child->mods[child->nmods++] = m;
		}
	}
}

void modules_free(struct proc *p)
{
	for (size_t i = 0; i < p->nmods; i++)
		module_free(p->mods[i]);
	free(p->mods);
	p->mods = NULL;
	p->nmods = 0;
}
