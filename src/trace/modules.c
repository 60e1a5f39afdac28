/* modules: the ELF objects a process has mapped: its executable, the dynamic loader, and the
 * libraries the loader lists in its rendezvous structure (r_debug), which it updates and
 * announces by calling r_brk (_dl_debug_state) whenever a library comes or goes. */
#include "trace.h"
#include "../util/glob.h"
#include "../args/dwarf.h"
#include "../elf/symcache.h"
#include "../rec/funcs.h"

#include <elf.h>
#include <fcntl.h>
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

/* Reads the module open at fd, known as shown (the path the kernel gives); NULL if it is no
 * ELF we can read. */
static struct module *module_open(int fd, const char *shown, taddr_t bias, taddr_t lmap, bool exe)
{
	char err[512];
	uint64_t t0 = util_now_ns();
	struct module *m = xcalloc(1, sizeof(*m));
	if (!(m->st = symcache_get_fd(fd, shown, err, sizeof(err)))) {
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
		/* every function: from the debug file of a stripped one, then discovery; the file
		 * is opened again through fd, the very file checked */
		char file[64];
		snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
		m->st = symcache_complete(m->st, file, shown);
		m->name = m->st->soname ? m->st->soname : base ? base + 1 : m->path;
	}
	/* --srcline: its DWARF is indexed now, at a stop that starts no call, rather than at its
	 * first function's call, whose duration (and its callers') would include the reading. */
	if (trace_opts.srcline)
		args_dwarf_cached(m->path, m->path);
	m->read_ns = util_now_ns() - t0;
	return m;
}

/* The same for the file of mapping mf of process pid, opened as the kernel maps it. */
static struct module *module_open_mapped(pid_t pid, const struct mapped_file *mf, taddr_t bias, taddr_t lmap)
{
	int fd = proc_open_mapped(pid, mf);
	if (fd < 0) {
		DEBUG(DBG_ELF, "pid %d: %s: not the file mapped at %#" PRIx64, pid, mf->path, mf->lo);
		return NULL;
	}
	struct module *m = module_open(fd, mf->path, bias, lmap, false);
	close(fd);
	return m;
}

static void module_free(struct module *m)
{
	symcache_put(m->st);
	free(m->path);
	free(m);
}

/* Whether m's code lies where the file mf came from is mapped: a list entry whose load address
 * was made up would have us write breakpoints over other memory. */
static bool text_is_mapped(pid_t pid, const struct module *m, const struct mapped_file *mf)
{
	struct mapped_file at;
	return !m->text.hi || (!proc_mapping_at(pid, m->text.lo, &at) && at.dev == mf->dev && at.ino == mf->ino);
}

static void add(struct task *t, struct module *m)
{
	struct proc *p = t->p;
	p->mods = xrealloc(p->mods, (p->nmods + 1) * sizeof(*p->mods));
	p->mods[p->nmods++] = m;
	uint64_t t0 = util_now_ns();
	fast_module_begin(t, m);
	size_t planted = bp_plant_module(t, m);
	fast_module_done(t, m);
	DEBUG(DBG_BP, "pid %d: %s: %zu entry breakpoints planted in %.1f ms (%zu functions read in %.1f ms)",
	      p->pid, m->path, planted, (util_now_ns() - t0) / 1e6, m->st->nfuncs, m->read_ns / 1e6);
	p->go |= m->st->go;
	bp_plant_resolvers(t, m);
	DEBUG(DBG_ELF, "pid %d: %s at %#" PRIx64 "%s", p->pid, m->path, m->bias, m->traced ? " (traced)" : "");
}

static void read_resolutions(struct task *t);

void modules_load_exe(struct task *t)
{
	struct proc *p = t->p;
	char exe[64], path[4096];
	taddr_t entry, base;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", p->pid);
	ssize_t n = readlink(exe, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	const char *base_name = strrchr(path, '/');
	util_status("reading symbols of %s", base_name ? base_name + 1 : exe);
	/* The file as the process has it, even if its path was replaced or deleted since. */
	int fd = open(exe, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct module *m = fd < 0 ? NULL : module_open(fd, n > 0 ? path : exe, 0, 0, true);
	if (fd >= 0)
		close(fd);
	if (!m) {
		util_status_clear();
		char err[512];
		symtab_load(exe, &(struct symtab){ 0 }, err, sizeof(err));
		warn_msg("%s", err);
		return;
	}
	if (proc_auxv(p, AT_ENTRY, &entry)) {
		util_status_clear();
		warn_errno("cannot read the auxiliary vector of pid %d", p->pid);
		module_free(m);
		return;
	}
	m->bias = entry - m->st->entry;
	text_range(m);
	p->inject_at = entry;
	/* A stop at the entry point: the loader is done (see the README's start-up timing). */
	if (m->st->interp)
		bp_at(t, entry);
	add(t, m);

	/* The dynamic loader: its r_brk tells us of every library it loads or unloads. */
	struct mapped_file *mf = xmalloc(sizeof(*mf));
	struct module *ld = NULL;
	if (m->st->interp && !proc_auxv(p, AT_BASE, &base) && base && !proc_mapping_at(p->pid, base, mf))
		ld = module_open_mapped(p->pid, mf, base, 0);
	free(mf);
	if (!ld) {
		util_status_clear();
		return;
	}
	add(t, ld);
	p->r_debug = ld->st->r_debug ? ld->st->r_debug + base : 0;
	for (size_t i = 0; i < ld->st->nfuncs; i++)
		if (!strcmp(ld->st->funcs[i].name, "_dl_debug_state")) {
			struct bp *bp = bp_at(t, ld->st->funcs[i].addr + base);
			if (bp)
				bp->hook = true;
		}
	modules_sync(t);   /* attached to a running process: its libraries are there already */
	util_status_clear();
}

struct lib {
	taddr_t lmap, addr;
	struct mapped_file mf;   /* the mapping that holds its dynamic section */
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
	bool added = false;
	taddr_t lm = (taddr_t)rd.r_map;
	for (int i = 0; lm && i < MAX_LIBS; i++) {
		struct link_map l;
		char name[8];
		if (proc_read_raw(p, lm, &l, sizeof(l)))
			break;
		xgrow(&libs, &cap, nlibs + 1, sizeof(*libs));
		struct lib *b = &libs[nlibs];
		b->lmap = lm;
		b->addr = (taddr_t)l.l_addr;
		/* The list is the program's memory, and so is l_name: the file is the one the kernel
		 * maps where the library's dynamic section is, whatever path the list names. (The
		 * executable's entry has an empty name; the vDSO's mapping is no file.) */
		if (l.l_name && !proc_read_str(p, (taddr_t)l.l_name, name, sizeof(name)) && name[0] && l.l_ld &&
		    !proc_mapping_at(p->pid, (taddr_t)l.l_ld, &b->mf) && b->mf.ino && b->mf.path[0] == '/')
			nlibs++;
		lm = (taddr_t)l.l_next;
	}
	/* Gone: forget their breakpoints; their memory is unmapped already. */
	for (size_t i = 0; i < p->nmods;) {
		struct module *m = p->mods[i];
		bool present = !m->lmap;
		for (size_t j = 0; j < nlibs && !present; j++)
			present = libs[j].lmap == m->lmap && libs[j].addr == m->bias && !strcmp(libs[j].mf.path, m->path);
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
		const char *base = strrchr(libs[j].mf.path, '/');
		util_status("reading symbols of %s (%zu/%zu)", base ? base + 1 : libs[j].mf.path, j + 1, nlibs);
		struct module *m = module_open_mapped(p->pid, &libs[j].mf, libs[j].addr, libs[j].lmap);
		if (m && !text_is_mapped(p->pid, m, &libs[j].mf)) {
			DEBUG(DBG_ELF, "pid %d: %s: its code is not mapped at %#" PRIx64, p->pid, m->path, m->bias);
			module_free(m);
			m = NULL;
		}
		if (m)
			add(t, m);
		added |= m != NULL;
	}
	util_status_clear();
	free(libs);
	if (added)
		read_resolutions(t);   /* the loader has relocated what it announces as consistent */
}

/* The IFUNC of module m whose resolver is at addr, or NULL. */
static const struct func *ifunc_at(const struct module *m, taddr_t addr)
{
	for (size_t i = 0; m && i < m->st->nifuncs; i++)
		if (m->st->ifuncs[i].addr + m->bias == addr)
			return &m->st->ifuncs[i];
	return NULL;
}

void modules_resolver_entered(struct task *t, taddr_t resolver, taddr_t rsp)
{
	taddr_t ret;
	if (proc_read_raw(t->p, rsp, &ret, sizeof(ret)) || !bp_at(t, ret))
		return;
	t->resolver = resolver;
	t->resolver_sp = rsp;
}

void modules_resolver_returned(struct task *t, const struct user_regs_struct *r)
{
	taddr_t ret;
	if (!t->resolver || r->rsp != t->resolver_sp + 8 || proc_read_raw(t->p, t->resolver_sp, &ret, sizeof(ret)) ||
	    r->rip - 1 != ret)
		return;
	struct module *m = modules_find(t->p, t->resolver);
	const struct func *f = ifunc_at(m, t->resolver);
	t->resolver = 0;
	DEBUG(DBG_STEP, "tid %d: the loader resolved %s to %#llx", t->tid, f ? f->name : "?", r->rax);
	if (f && r->rax >= m->text.lo && r->rax < m->text.hi)
		bp_plant_at(t, m, f, r->rax);
}

/* When the loader announces its list as consistent, it has relocated the objects it lists
 * (at start-up, and at every attach), so the IFUNCs it resolved are in the GOT slots it filled (IRELATIVE relocations in the IFUNC's own
 * library, and JUMP_SLOT or GLOB_DAT ones naming the symbol anywhere). A lazily bound slot still
 * points at its PLT, outside the library: such a call is caught at its resolver later. */
static void read_resolutions(struct task *t)
{
	struct proc *p = t->p;
	for (size_t i = 0; i < p->nmods; i++) {
		struct module *m = p->mods[i];
		if (!m->st->nifuncs || (!m->traced && !trace_opts.libcalls))
			continue;
		for (size_t j = 0; j < m->st->nifuncs; j++) {
			const struct func *f = &m->st->ifuncs[j];
			for (size_t k = 0; k < p->nmods; k++) {
				const struct module *u = p->mods[k];
				for (size_t g = 0; g < u->st->ngots; g++) {
					const struct gotref *r = &u->st->gots[g];
					taddr_t impl;
					if (r->name ? strcmp(r->name, f->name) : u != m || r->resolver != f->addr)
						continue;
					if (proc_read_raw(p, r->slot + u->bias, &impl, sizeof(impl)) || impl < m->text.lo ||
					    impl >= m->text.hi || impl == f->addr + m->bias)
						continue;
					DEBUG(DBG_STEP, "%s: resolved to %#" PRIx64 " (GOT of %s)", f->name, impl, u->path);
					bp_plant_at(t, m, f, impl);
					goto next;
				}
			}
		next:;
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

void modules_describe(struct proc *p, uint32_t fn)
{
	taddr_t a = funcs_addr(fn);
	struct module *m = modules_find(p, a);
	char line[512];
	bool has_line = false;
	if (m && trace_opts.srcline)
		has_line = args_dwarf_srcline(args_dwarf_cached(m->path, m->path), a - m->bias, line, sizeof(line));
	funcs_describe(fn, m ? m->name : NULL, has_line ? line : NULL);
}

void modules_copy(struct proc *child, const struct proc *parent)
{
	child->mods = xcalloc(parent->nmods + 1, sizeof(*child->mods));
	child->r_debug = parent->r_debug;
	child->go = parent->go;
	for (size_t i = 0; i < parent->nmods; i++) {
		/* The same mappings: the same files, read already. */
		const struct module *pm = parent->mods[i];
		struct module *m = xmalloc(sizeof(*m));
		*m = *pm;
		m->st = symcache_ref(pm->st);
		m->path = xstrdup(pm->path);
		const char *base = strrchr(m->path, '/');
		m->name = m->st->soname ? m->st->soname : base ? base + 1 : m->path;
		child->mods[child->nmods++] = m;
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
