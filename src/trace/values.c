/* values: the arguments and return values of traced calls, read from a stopped thread: its
 * registers (those of the stop, and the floating-point ones only when a value needs them) and
 * its memory, through reads that hide our breakpoints and never go past what is shown. What
 * the values are and how they print is src/args/. */
#include "trace.h"
#include "../args/choose.h"
#include "../args/format.h"
#include "../args/text.h"
#include "../elf/demangle.h"
#include "../rec/funcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#define PAGE 4096u

/* args_read_fn over the program's memory: page by page, so a string that ends just before an
 * unmapped page is still read, and nothing past the first unreadable page is asked for. */
static size_t read_mem(void *rctx, taddr_t addr, void *buf, size_t len)
{
	struct proc *p = rctx;
	size_t done = 0;
	while (done < len) {
		size_t n = PAGE - (size_t)((addr + done) % PAGE);
		if (n > len - done)
			n = len - done;
		if (proc_read(p, addr + done, (uint8_t *)buf + done, n))
			break;
		done += n;
	}
	return done;
}

/* The function at runtime address a of module m (NULL: none known), shown as name, whose symbol
 * is sym (NULL: the one at a), as the args module looks it up. */
static struct args_site site_in(struct module *m, taddr_t a, const char *sym, const char *name)
{
	struct args_site site = { .name = name, .sym = sym, .dwarf_ok = true };
	if (!m)
		return site;
	const struct func *f = sym ? NULL : symtab_at(m->st, a - m->bias);
	if (f)
		site.sym = f->name;
	site.path = site.realname = m->path;
	site.addr = a - m->bias;
	site.in_library = !m->exe;
	/* An IFUNC's symbol is its resolver: DWARF there describes the resolver. */
	for (size_t i = 0; i < m->st->nifuncs; i++)
		site.dwarf_ok &= m->st->ifuncs[i].addr != site.addr;
	return site;
}

static const struct args_choice *choice_of(struct task *t, const struct bp *bp, uint32_t fn)
{
	if (args_decided(fn))   /* (every call after the first: no lookup) */
		return args_choose(fn, NULL);
	struct args_site site = site_in(modules_find(t->p, bp->addr), bp->addr, NULL,
					bp->name ? bp->name : funcs_name(fn));
	return args_choose(fn, &site);
}

bool values_wanted_bp(struct proc *p, const struct bp *bp)
{
	if (!args_enabled() || !bp->name)
		return false;
	struct args_site site = site_in(modules_find(p, bp->addr), bp->addr, NULL, bp->name);
	return args_wanted(&site);
}

int values_entry_need(struct module *m, const struct func *f, taddr_t a, const char *name, unsigned *stack_words)
{
	*stack_words = 0;
	if (!args_enabled())
		return ARGS_ENTRY_NONE;
	if (values_wanted_impl(m, f))
		return ARGS_ENTRY_STOP;
	struct args_site site = site_in(m, a, f->name, name);
	return args_entry_need(&site, stack_words);
}

bool values_x87_return(struct module *m, const struct func *f, taddr_t a, const char *name)
{
	if (!args_enabled())
		return false;
	struct args_site site = site_in(m, a, f->name, name);
	return args_returns_x87(&site);
}

/* The name of the function whose address the loader puts in module m's GOT slot at runtime
 * address slot, or NULL. */
static const char *got_name(const struct module *m, taddr_t slot)
{
	for (size_t i = 0; i < m->st->ngots; i++)
		if (m->st->gots[i].slot + m->bias == slot)
			return m->st->gots[i].name;
	return NULL;
}

/* The GOT slot a PLT entry at runtime address a jumps through (endbr64, bnd, then jmp
 * *disp32(%rip)), or 0. */
static taddr_t plt_slot(struct proc *p, taddr_t a)
{
	uint8_t code[16];
	if (proc_read(p, a, code, sizeof(code)))
		return 0;
	size_t at = memcmp(code, "\xf3\x0f\x1e\xfa", 4) ? 0 : 4;
	at += code[at] == 0xf2;   /* bnd */
	if (code[at] != 0xff || code[at + 1] != 0x25)
		return 0;
	int32_t disp;
	memcpy(&disp, code + at + 2, 4);
	return a + at + 6 + (taddr_t)(int64_t)disp;
}

bool values_x87_call(struct proc *p, struct module *m, taddr_t target, taddr_t slot)
{
	if (!args_enabled())
		return false;
	if (target) {
		const struct func *f = symtab_at(m->st, target - m->bias);
		if (f && f->addr + m->bias == target)
			return values_x87_return(m, f, target, f->name);
		slot = plt_slot(p, target);
	}
	const char *name = slot ? got_name(m, slot) : NULL;
	if (!name)
		return false;
	/* A library's function, named only: the shipped list knows it (strtold, sqrtl). */
	struct args_site site = { .name = name, .sym = name, .in_library = true };
	return args_returns_x87(&site);
}

bool values_wanted(struct module *m, const struct func *f, taddr_t a, const char *name)
{
	if (!args_enabled())
		return false;
	struct args_site site = site_in(m, a, f->name, name);
	return args_wanted(&site);
}

bool values_wanted_impl(struct module *m, const struct func *f)
{
	if (!args_enabled() || f->exported || strncmp(f->name, "__", 2))
		return false;
	for (size_t i = 0; i < m->st->nifuncs; i++) {
		const struct func *ifn = &m->st->ifuncs[i];
		size_t n = strlen(ifn->name);
		if (!strncmp(f->name + 2, ifn->name, n) && f->name[2 + n] == '_' &&
		    values_wanted(m, ifn, ifn->addr + m->bias, ifn->name))
			return true;
	}
	return false;
}

/* The name of the function starting at addr, as the trace names it (demangled unless
 * --no-demangle), for a function pointer: &t_cmp. Valid until the next call. */
static const char *symbolize(void *sctx, taddr_t addr)
{
	static char name[256];
	struct module *m = modules_find(sctx, addr);
	const struct func *f = m ? symtab_at(m->st, addr - m->bias) : NULL;
	if (!f)
		return NULL;
	char *dem = trace_opts.demangle ? demangle(f->name) : NULL;
	snprintf(name, sizeof(name), "%s", dem ? dem : f->name);
	free(dem);
	return name;
}

/* What a record's values may be read from: the stack words it copied at the entry (none for a
 * return's record). */
struct rec_mem {
	taddr_t lo;               /* the first word's address: rsp + 8 at the entry */
	const uint64_t *words;
	unsigned n;
};

/* args_read_fn for values from a record: the memory has moved on since, so nothing but the
 * record's own copy of the stack is read (a value that would need more shows as its address,
 * or as "?"). */
static size_t read_record(void *rctx, taddr_t addr, void *buf, size_t len)
{
	const struct rec_mem *rm = rctx;
	uint64_t end = rm->lo + 8 * (uint64_t)rm->n;
	if (!rm->n || addr < rm->lo || addr >= end)
		return 0;
	size_t n = end - addr < len ? (size_t)(end - addr) : len;
	memcpy(buf, (const uint8_t *)rm->words + (addr - rm->lo), n);
	return n;
}

/* stopped: t is stopped where r was read, so its floating-point registers are those of r, and
 * its memory is as it was; else nothing but r and rm (a record's) is read. */
static struct args_input input_of(struct task *t, const struct args_choice *c, const struct user_regs_struct *r,
				  struct user_fpregs_struct *fp, bool stopped, const struct rec_mem *rm)
{
	struct args_input in = { .regs = { r, NULL }, .read = stopped ? read_mem : read_record,
				 .rctx = stopped ? (void *)t->p : (void *)rm, .strsize = args_strsize(),
				 .names = c->names, .symbolize = symbolize, .sctx = t->p };
	if (stopped && c->fp && ptrace(PTRACE_GETFPREGS, t->tid, 0, fp) == 0)
		in.regs.fp = fp;
	return in;
}

char *values_entry(struct task *t, const struct bp *bp, uint32_t fn, const struct entry_regs *er,
		   bool *want_ret)
{
	const struct args_choice *c = choice_of(t, bp, fn);
	*want_ret = c && c->ret;
	if (!c || !c->args || !er)
		return NULL;
	struct user_fpregs_struct fp;
	struct rec_mem rm = { er->r->rsp + 8, er->stack, er->stack ? er->nstack : 0 };
	struct args_input in = input_of(t, c, er->r, &fp, er->stopped, &rm);
	if (!er->stopped)
		in.regs.fp = er->fp;
	struct text tx = { 0 };
	if (c->slots)
		args_format_slots(c->slots, c->nslots, &in, &tx);
	else
		args_format_entry(c->pr, &in, &tx);
	return text_take(&tx);   /* no arguments: "", not NULL */
}

/* glibc's __errno_location is `mov GOT(%rip),%rax; add %fs:0,%rax; ret`: the GOT slot holds
 * errno's offset from the thread pointer, which the loader writes there (TPOFF64) when it
 * relocates the C library. The slot's address, or 0 if module m has no such function. */
static taddr_t errno_slot_in(struct proc *p, const struct module *m)
{
	const struct symtab *st = m->st;
	for (size_t i = 0; i < st->nfuncs; i++) {
		if (strcmp(st->funcs[i].name, "__errno_location"))
			continue;
		taddr_t a = st->funcs[i].addr + m->bias;
		uint8_t code[11];
		int32_t disp;
		if (proc_read(p, a, code, sizeof(code)))
			return 0;
		size_t at = memcmp(code, "\xf3\x0f\x1e\xfa", 4) ? 0 : 4;   /* endbr64 */
		if (memcmp(code + at, "\x48\x8b\x05", 3))
			return 0;
		memcpy(&disp, code + at + 3, 4);
		return a + at + 7 + (taddr_t)(int64_t)disp;
	}
	return 0;
}

bool values_errno_offset(struct proc *p, int64_t *off)
{
	for (; !p->errno_slot && p->errno_mods < p->nmods; p->errno_mods++)
		p->errno_slot = errno_slot_in(p, p->mods[p->errno_mods]);
	/* Variant II TLS: the C library's block is below the thread pointer, so a relocated slot
	 * holds a negative offset; before its relocation it holds 0. */
	int64_t v;
	if (!p->errno_known && p->errno_slot && proc_read(p, p->errno_slot, &v, sizeof(v)) == 0 && v < 0 &&
	    v > INT32_MIN) {
		p->errno_tpoff = v;
		p->errno_known = true;
	}
	*off = p->errno_tpoff;
	return p->errno_known;
}

/* errno in t, read at a return: 0 if it cannot be read. */
static int read_errno(struct task *t, const struct user_regs_struct *r)
{
	int64_t off;
	int e = 0;
	if (!values_errno_offset(t->p, &off) || proc_read(t->p, r->fs_base + (taddr_t)off, &e, sizeof(e)))
		return 0;
	return e;
}

/* Whether the ABI returns a value of type ty in rax alone (or its address, in memory). */
static bool in_rax(const struct arg_type *ty)
{
	struct arg_loc loc = abi_return(ty);
	return loc.where == WHERE_REF || (loc.where == WHERE_REGS && loc.reg[0] == ABI_RAX && loc.reg[1] == ABI_NOREG);
}

/* Whether a record's registers hold a value of type ty: rax alone, or with the values half
 * every register a return uses but st0 (a long double), which only the sites of calls known to
 * return one keep. A struct shows as {...}: no register is read for it. */
static bool in_record(const struct arg_type *ty, const struct ret_regs *rr)
{
	if (in_rax(ty) || ty->kind == ARG_STRUCT)
		return true;
	struct arg_loc loc = abi_return(ty);
	return rr->rdx_xmm && (!(loc.where == WHERE_REGS && loc.reg[0] == ABI_ST0) || rr->have_st0);
}

char *values_return(struct task *t, uint32_t fn, const struct ret_regs *rr)
{
	const struct args_choice *c = args_choose(fn, NULL);   /* decided at the entry */
	if (!c || !c->ret)
		return NULL;
	if (!rr->stopped && !in_record(c->ret_type, rr))
		return xstrdup("?");   /* in xmm0, rdx or st0: not in the record */
	struct user_fpregs_struct fp;
	struct rec_mem none = { 0 };
	struct args_input in = input_of(t, c, rr->r, &fp, rr->stopped, &none);
	if (!rr->stopped && rr->rdx_xmm) {   /* the record's xmm0, xmm1, st0, where abi_fetch reads them */
		memset(&fp, 0, sizeof(fp));
		memcpy(&fp.xmm_space[0], &rr->xmm0, 8);
		memcpy(&fp.xmm_space[4], &rr->xmm1, 8);
		if (rr->have_st0)
			memcpy(&fp.st_space[0], rr->st0, sizeof(rr->st0));
		in.regs.fp = &fp;
	}
	struct text tx = { 0 };
	int64_t v = arg_sign_extend(rr->r->rax, c->ret_type->size);
	int errnum = 0;
	if (c->ret_errno && v == -1)
		errnum = rr->stopped ? read_errno(t, rr->r) : rr->have_errno ? rr->errnum : 0;
	args_format_return(c->ret_type, c->ret_errno, errnum, &in, &tx);
	if (!tx.len) {
		text_free(&tx);
		return NULL;
	}
	return text_take(&tx);
}

bool values_ret_reads_memory(uint32_t fn)
{
	const struct args_choice *c = args_choose(fn, NULL);
	return c && c->ret && (c->ret_type->kind == ARG_STRING || c->ret_type->kind == ARG_STDSTRING);
}

bool values_sites_need_more(void)
{
	return args_enabled() && !args_rax_enough();
}
