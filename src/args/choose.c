/* choose: one decision per traced function, made at its first call and kept by function id. */
#include "choose.h"

#include "abi.h"
#include "dwarf.h"
#include "protolist.h"
#include "../util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct args_config *cfg;

struct entry {
	bool decided;
	bool shown;                 /* choice holds something to show */
	struct args_choice choice;
	struct proto *owned;        /* a DWARF prototype, freed with the entry */
};
static struct entry *tab;       /* by function id */
static size_t ntab;

static bool *arg_used, *ret_used;   /* per spec: it matched a function */

void args_configure(const struct args_config *c)
{
	cfg = c;
	free(arg_used);
	free(ret_used);
	arg_used = xcalloc(c->nargspecs + 1, sizeof(*arg_used));
	ret_used = xcalloc(c->nretspecs + 1, sizeof(*ret_used));
}

bool args_enabled(void)
{
	return cfg && (cfg->automatic || cfg->nargspecs || cfg->nretspecs);
}

unsigned args_strsize(void)
{
	return cfg ? cfg->strsize : 32;
}

/* The name a prototype is known by: the shown name without a library's "@soname". */
static void base_name(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s", name);
	char *at = strchr(out, '@');
	if (at && at != out)
		*at = '\0';
}

static bool spec_matches(const struct args_spec *sp, const char *name, const char *base)
{
	return args_spec_matches(sp, name) || args_spec_matches(sp, base);
}

/* The first spec of v that names the function, or NULL; it is marked used if used. */
static const struct args_spec *first_match(const struct args_spec *v, size_t n, bool *used,
					   const char *name, const char *base)
{
	for (size_t i = 0; i < n; i++)
		if (spec_matches(&v[i], name, base)) {
			if (used)
				used[i] = true;
			return &v[i];
		}
	return NULL;
}

/* A gcc clone's ABI may differ from its source's: DWARF and the list describe the source. */
static bool is_clone(const char *sym)
{
	static const char *const marks[] = { ".isra.", ".constprop.", ".part.", ".cold" };
	for (size_t i = 0; i < sizeof(marks) / sizeof(*marks); i++)
		if (strstr(sym, marks[i]))
			return true;
	return false;
}

/* The prototype DWARF or the list gives, or NULL; *owned is set to what the caller frees. */
static const struct proto *known_proto(const struct args_site *site, const char *base, struct proto **owned)
{
	const char *sym = site->sym ? site->sym : site->name;
	*owned = NULL;
	if (is_clone(sym))
		return NULL;
	const struct proto *listed = protolist_find(protolist_builtin(), base);
	if (listed && site->in_library)
		return listed;
	if (site->dwarf_ok && site->path) {
		struct args_dwarf *d = args_dwarf_cached(site->path, site->realname);
		if (d && (*owned = args_dwarf_proto(d, NULL, site->addr)))
			return *owned;
	}
	return listed;
}

static bool type_is_fp(const struct arg_type *ty)
{
	return ty->kind == ARG_FLOAT || (ty->kind == ARG_STRUCT && (ty->cls[0] == CLASS_SSE || ty->cls[1] == CLASS_SSE));
}

static bool needs_fp(const struct args_choice *c)
{
	if (c->ret && type_is_fp(c->ret_type))
		return true;
	if (!c->args)
		return false;
	if (c->slots) {
		for (size_t i = 0; i < c->nslots; i++)
			if (type_is_fp(&c->slots[i].type))
				return true;
		return false;
	}
	for (size_t i = 0; i < c->pr->nparams; i++)
		if (type_is_fp(&c->pr->params[i].type))
			return true;
	return c->pr->printf_fmt >= 0;   /* a %f names a value in xmm */
}

static void decide(struct entry *e, const struct args_site *site, bool mark)
{
	char base[512];
	base_name(site->name, base, sizeof(base));
	const struct args_spec *as = first_match(cfg->argspecs, cfg->nargspecs, mark ? arg_used : NULL, site->name, base);
	const struct args_spec *rs = first_match(cfg->retspecs, cfg->nretspecs, mark ? ret_used : NULL, site->name, base);
	bool want_args = cfg->automatic || (as && as->automatic);
	bool want_ret = cfg->automatic || (rs && rs->automatic);
	const struct proto *pr = NULL;
	if (want_args || want_ret)
		pr = known_proto(site, base, &e->owned);
	struct args_choice *c = &e->choice;
	c->pr = pr;
	if (as && as->nslots) {              /* a manual spec suppresses the prototype's arguments */
		c->slots = as->slots;
		c->nslots = as->nslots;
		c->args = true;
	} else {
		c->args = want_args && pr;
	}
	const struct args_spec *explicit_ret = rs && rs->has_ret ? rs : as && as->has_ret ? as : NULL;
	if (explicit_ret) {
		c->ret = true;
		c->ret_type = &explicit_ret->ret;
	} else if (want_ret && pr && pr->ret.kind != ARG_VOID) {
		c->ret = true;
		c->ret_type = &pr->ret;
		c->ret_errno = pr->ret_errno;
	}
	c->fp = needs_fp(c);
	c->names = e->owned && c->pr == e->owned;
	e->shown = c->args || c->ret;
}

const struct args_choice *args_choose(uint32_t fn, const struct args_site *site)
{
	if (!args_enabled())
		return NULL;
	if (fn >= ntab) {
		size_t n = fn + 1 > 2 * ntab ? fn + 1 : 2 * ntab;
		tab = xrealloc(tab, n * sizeof(*tab));
		memset(tab + ntab, 0, (n - ntab) * sizeof(*tab));
		ntab = n;
	}
	struct entry *e = &tab[fn];
	if (!e->decided && !site)
		return NULL;
	if (!e->decided) {
		e->decided = true;
		decide(e, site, true);
	}
	return e->shown ? &e->choice : NULL;
}

/* Whether a spec's return value is one the ABI returns in rax. */
static bool spec_ret_in_rax(const struct args_spec *sp)
{
	if (sp->automatic && !sp->has_ret)
		return false;   /* -R FUNC: the prototype's type, not known yet */
	if (!sp->has_ret)
		return true;
	struct arg_loc loc = abi_return(&sp->ret);
	return loc.where == WHERE_REGS && loc.reg[0] == ABI_RAX && loc.reg[1] == ABI_NOREG;
}

bool args_rax_enough(void)
{
	if (!args_enabled())
		return true;
	if (cfg->automatic)
		return false;
	for (size_t i = 0; i < cfg->nretspecs; i++)
		if (!spec_ret_in_rax(&cfg->retspecs[i]))
			return false;
	for (size_t i = 0; i < cfg->nargspecs; i++)
		if (cfg->argspecs[i].has_ret && !spec_ret_in_rax(&cfg->argspecs[i]))
			return false;
	return true;
}

bool args_wanted(const struct args_site *site)
{
	if (!args_enabled())
		return false;
	struct entry e = { 0 };
	decide(&e, site, false);   /* a spec is used by a call, not by a function planted */
	proto_free(e.owned);
	return e.shown;
}

/* Where one argument of type ty at loc is read from: false if it needs memory other than the
 * first ARGS_STACK_WORDS words above the return address (a string's characters, an argument
 * further up) or a register an entry record does not keep (rax). *fp: it is in an xmm
 * register; *words: the stack words it needs, counted from rsp + 8, raised to cover it. */
static bool in_entry_regs(const struct arg_type *ty, const struct arg_loc *loc, bool *fp, unsigned *words)
{
	if (ty->kind == ARG_STRING || ty->kind == ARG_STDSTRING)
		return false;
	if (loc->where == WHERE_NONE)
		return true;
	if (loc->where == WHERE_STACK || (loc->where == WHERE_REF && loc->reg[0] == ABI_NOREG)) {
		/* abi_fetch reads 16 bytes at most of a value (a struct shows as {...}), 8 of a
		 * reference's address */
		uint64_t size = loc->where == WHERE_REF ? 8 : ty->size < 16 ? ty->size : 16;
		uint64_t end = loc->stack + size;
		if (loc->stack < 8 || end > 8 + 8 * (uint64_t)ARGS_STACK_WORDS)
			return false;
		unsigned need = (unsigned)((end - 8 + 7) / 8);
		*words = need > *words ? need : *words;
		return true;
	}
	if ((loc->where != WHERE_REGS && loc->where != WHERE_REF) || loc->reg[0] == ABI_NOREG)
		return false;
	for (int i = 0; i < 2 && loc->reg[i] != ABI_NOREG; i++) {
		if (loc->reg[i] == ABI_RAX || loc->reg[i] == ABI_ST0)
			return false;
		*fp |= loc->reg[i] >= ABI_XMM0 && loc->reg[i] <= ABI_XMM7;
	}
	return true;
}

static enum args_entry_need entry_need(const struct args_choice *c, unsigned *words)
{
	bool fp = false;
	if (c->slots) {
		for (size_t i = 0; i < c->nslots; i++)
			if (!in_entry_regs(&c->slots[i].type, &c->slots[i].loc, &fp, words))
				return ARGS_ENTRY_STOP;
	} else {
		const struct proto *pr = c->pr;
		if (pr->printf_fmt >= 0)
			return ARGS_ENTRY_STOP;   /* the format's characters, and the values it names */
		struct abi_cursor cur;
		abi_begin(&cur, &pr->ret);
		for (size_t i = 0; i < pr->nparams; i++) {
			struct arg_loc loc = abi_next(&cur, &pr->params[i].type);
			if (!in_entry_regs(&pr->params[i].type, &loc, &fp, words))
				return ARGS_ENTRY_STOP;
		}
	}
	return fp ? ARGS_ENTRY_FPREGS : ARGS_ENTRY_REGS;
}

enum args_entry_need args_entry_need(const struct args_site *site, unsigned *stack_words)
{
	*stack_words = 0;
	if (!args_enabled())
		return ARGS_ENTRY_NONE;
	struct entry e = { 0 };
	decide(&e, site, false);
	const struct args_choice *c = &e.choice;
	/* A string returned is read at a stop at the return, which the entry's stop prepares */
	bool ret_string = c->ret && (c->ret_type->kind == ARG_STRING || c->ret_type->kind == ARG_STDSTRING);
	enum args_entry_need need = !e.shown ? ARGS_ENTRY_NONE : ret_string ? ARGS_ENTRY_STOP :
				    !c->args ? ARGS_ENTRY_RET : entry_need(c, stack_words);
	if (need == ARGS_ENTRY_STOP)
		*stack_words = 0;
	proto_free(e.owned);
	return need;
}

bool args_returns_x87(const struct args_site *site)
{
	if (!args_enabled())
		return false;
	struct entry e = { 0 };
	decide(&e, site, false);
	const struct args_choice *c = &e.choice;
	bool x87 = false;
	if (e.shown && c->ret) {
		struct arg_loc loc = abi_return(c->ret_type);
		x87 = loc.where == WHERE_REGS && loc.reg[0] == ABI_ST0;
	}
	proto_free(e.owned);
	return x87;
}

bool args_decided(uint32_t fn)
{
	return fn < ntab && tab[fn].decided;
}

void args_warn_unused(void)
{
	for (size_t i = 0; cfg && i < cfg->nargspecs; i++)
		if (!arg_used[i])
			warn_msg("-A/--argument '%s' matched no function", cfg->argspecs[i].glob);
	for (size_t i = 0; cfg && i < cfg->nretspecs; i++)
		if (!ret_used[i])
			warn_msg("-R/--retval '%s' matched no function", cfg->retspecs[i].glob);
}

void args_reset(void)
{
	for (size_t i = 0; i < ntab; i++)
		proto_free(tab[i].owned);
	free(tab);
	tab = NULL;
	ntab = 0;
	args_dwarf_close_cached();
}
