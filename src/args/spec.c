/* spec: uftrace's argument specs. Each error names the item and what is wrong with it, so that a
 * script written for uftrace fails with a message that says which part fntrace does not take. */
#include "spec.h"

#include "../util/util.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NGPR = 6, NXMM = 8 };

struct item {
	const char *text;       /* the item as given, NUL-terminated */
	char *err;
	size_t errlen;
};

static bool fail(const struct item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(const struct item *it, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	char esc[128];
	util_escape(it->text, esc, sizeof(esc));
	snprintf(it->err, it->errlen, "'%s': %s", esc, why);
	return false;
}

/* A decimal number at *p (moved past it); false if there is none or it is absurd. */
static bool number(const char **p, unsigned *n)
{
	if (**p < '0' || **p > '9')
		return false;
	unsigned long v = strtoul(*p, (char **)p, 10);
	if (v > 1000)
		return false;
	*n = (unsigned)v;
	return true;
}

/* "/FMT[SIZE]" for an integer or retval item: the type to show. */
static bool parse_format(const struct item *it, const char **p, bool retval, struct arg_type *ty)
{
	char f = **p;
	if (!f || !strchr("diuxscfSp", f)) {
		char c[2] = { f ? f : ' ', '\0' }, esc[8];
		util_escape(c, esc, sizeof(esc));       /* a spec is the user's text: no raw escapes */
		return fail(it, "unknown format '%s' (d, i, u, x, s, c, f, S or p)", esc);
	}
	(*p)++;
	unsigned bits = 0;
	bool sized = **p && **p != '%';
	if (sized && !number(p, &bits))
		return fail(it, "a size is a number of bits: 8, 16, 32 or 64");
	if (sized && strchr("sSp", f))
		return fail(it, "format '%c' takes no size", f);
	if (f == 'f') {
		if (sized && bits != 32 && bits != 64 && bits != 80)
			return fail(it, "a floating-point size is 32, 64 or 80, not %u", bits);
		if (!retval)
			return fail(it, "format 'f' is for a return value: use fpargN for an argument");
		*ty = arg_type_float(!sized ? 8 : bits / 8 + (bits == 80) * 6);
		return true;
	}
	if (sized && bits != 8 && bits != 16 && bits != 32 && bits != 64)
		return fail(it, "size %u: an integer is 8, 16, 32 or 64 bits", bits);
	if (f == 'c' && sized && bits != 8)
		return fail(it, "a character is 8 bits");
	unsigned size = sized ? bits / 8 : 8;
	switch (f) {
	case 'd': case 'i': *ty = arg_type_int(ARG_SINT, size); break;
	case 'u': *ty = arg_type_int(ARG_UINT, size); break;
	case 'x': *ty = arg_type_int(ARG_UINT, size); ty->base = BASE_HEX; break;
	case 'c': *ty = arg_type_int(ARG_CHAR, 1); break;
	case 's': *ty = arg_type_ptr(ARG_STRING); break;
	case 'S': *ty = arg_type_ptr(ARG_STDSTRING); break;
	case 'p': *ty = arg_type_ptr(ARG_FUNCPTR); break;
	}
	return true;
}

/* "%REG" or "%stack+N" / "%stackN": where the value is instead of where argN would be. */
static bool parse_where(const struct item *it, const char *p, bool fp, struct arg_loc *loc)
{
	if (!strncmp(p, "stack", 5)) {
		p += 5;
		if (*p == '+')
			p++;
		unsigned slot;
		if (!number(&p, &slot) || *p)
			return fail(it, "a stack slot is %%stack+N, N counting 8-byte slots from 1");
		if (slot == 0)
			return fail(it, "stack slots count from 1 (slot 0 is the return address)");
		*loc = (struct arg_loc){ WHERE_STACK, { ABI_NOREG, ABI_NOREG }, 8 * (uint64_t)slot };
		return true;
	}
	enum abi_reg r = abi_reg_by_name(p);
	if (r == ABI_NOREG || r == ABI_RAX || r == ABI_ST0)
		return fail(it, "unknown register '%s' (rdi, rsi, rdx, rcx, r8, r9, xmm0-xmm7)", p);
	bool is_xmm = r >= ABI_XMM0 && r <= ABI_XMM7;
	if (is_xmm != fp)
		return fail(it, "%s is no %s register", p, fp ? "floating-point" : "integer");
	*loc = (struct arg_loc){ WHERE_REGS, { r, ABI_NOREG }, 0 };
	return true;
}

/* argN or fpargN, with what follows it. */
static bool parse_arg(const struct item *it, const char *p, bool fp, struct arg_slot *slot)
{
	unsigned n;
	if (!number(&p, &n))
		return fail(it, "expected a number after '%s'", fp ? "fparg" : "arg");
	if (n == 0)
		return fail(it, "arguments count from 1");
	slot->type = fp ? arg_type_float(8) : arg_type_int(ARG_SINT, 8);
	if (*p == '/') {
		p++;
		if (fp) {
			unsigned bits;
			if (!number(&p, &bits) || (bits != 32 && bits != 64 && bits != 80))
				return fail(it, "a floating-point argument takes a size only: 32, 64 or 80");
			slot->type = arg_type_float(bits == 80 ? 16 : bits / 8);
		} else if (!parse_format(it, &p, false, &slot->type)) {
			return false;
		}
	}
	bool on_stack = fp && slot->type.size == 16;    /* long double: X87 class, in memory */
	if (on_stack && strncmp(p, "%stack", 6))
		return fail(it, "a long double is passed on the stack: give its slot with %%stack+N");
	if (*p == '%')
		return parse_where(it, p + 1, fp, &slot->loc);
	if (*p)
		return fail(it, "unexpected '%s'", p);
	if (fp && n > NXMM)
		return fail(it, "fparg%u is on the stack: give its slot with %%stack+N", n);
	if (fp)
		slot->loc = (struct arg_loc){ WHERE_REGS, { ABI_XMM0 + n - 1, ABI_NOREG }, 0 };
	else if (n <= NGPR)
		slot->loc = (struct arg_loc){ WHERE_REGS, { ABI_RDI + n - 1, ABI_NOREG }, 0 };
	else            /* arg7 is the first stack slot, as uftrace counts */
		slot->loc = (struct arg_loc){ WHERE_STACK, { ABI_NOREG, ABI_NOREG }, 8 * (uint64_t)(n - NGPR) };
	return true;
}

static bool parse_item(const struct item *it, struct args_spec *sp)
{
	const char *p = it->text;
	if (!strncmp(p, "retval", 6)) {
		if (sp->has_ret)
			return fail(it, "a second retval");
		p += 6;
		sp->ret = arg_type_int(ARG_SINT, 8);
		if (*p == '/') {
			p++;
			if (!parse_format(it, &p, true, &sp->ret))
				return false;
		}
		if (*p == '%')
			return fail(it, "a return value is where the ABI puts it: no register or stack slot");
		if (*p)
			return fail(it, "unexpected '%s'", p);
		if (sp->ret.kind == ARG_FLOAT && sp->ret.size == 16)
			sp->ret.align = 16;
		sp->has_ret = true;
		return true;
	}
	bool fp = !strncmp(p, "fparg", 5);
	if (!fp && strncmp(p, "arg", 3))
		return fail(it, "expected argN, fpargN or retval");
	struct arg_slot slot;
	if (!parse_arg(it, p + (fp ? 5 : 3), fp, &slot))
		return false;
	sp->slots = xrealloc(sp->slots, (sp->nslots + 1) * sizeof(*sp->slots));
	sp->slots[sp->nslots++] = slot;
	return true;
}

bool args_spec_parse(const char *text, struct args_spec *sp, char *err, size_t errlen)
{
	*sp = (struct args_spec){ 0 };
	char *copy = xstrdup(text);
	char *at = strchr(copy, '@');
	if (at)
		*at = '\0';
	struct item whole = { text, err, errlen };
	bool ok = true;
	if (!*copy)
		ok = fail(&whole, "no function before '@'");
	else if (at && !at[1])
		ok = fail(&whole, "nothing after '@'");
	else if (at && (at[1] == ',' || strstr(at + 1, ",,") || at[strlen(at + 1)] == ','))
		ok = fail(&whole, "an empty item between commas");
	sp->glob = xstrdup(copy);
	sp->automatic = !at;
	for (char *save = NULL, *s = at ? strtok_r(at + 1, ",", &save) : NULL; ok && s;
	     s = strtok_r(NULL, ",", &save)) {
		struct item it = { s, err, errlen };
		ok = parse_item(&it, sp);
	}
	free(copy);
	if (!ok)
		args_spec_free(sp);
	return ok;
}

void args_spec_free(struct args_spec *sp)
{
	free(sp->glob);
	free(sp->slots);
	*sp = (struct args_spec){ 0 };
}

bool args_spec_matches(const struct args_spec *sp, const char *name)
{
	return fnmatch(sp->glob, name, 0) == 0;
}
