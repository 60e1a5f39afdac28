/* format: values as text, strace's way. The reader is the program's memory, which the program may
 * have filled to hurt us: every read has a bound, every byte that could drive a terminal is
 * escaped, and a pointer that cannot be read is shown, not followed further. */
#include "format.h"

#include "flags.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

enum { PAGE = 4096 };

/* ---- strings ---- */

/* Reads the NUL-terminated string at addr into buf (cap bytes, at least 1), page by page, so that
 * a string ending before an unmapped page still reads. Returns the bytes before the NUL (or all
 * read, with *cut set, when no NUL came in cap - 1 bytes); -1 when addr is unreadable. */
static long read_string(const struct args_input *in, taddr_t addr, char *buf, size_t cap, bool *cut)
{
	size_t n = 0, want = cap - 1;
	*cut = false;
	while (n < want) {
		size_t chunk = PAGE - (size_t)((addr + n) % PAGE);
		if (chunk > want - n)
			chunk = want - n;
		size_t got = in->read(in->rctx, addr + n, buf + n, chunk);
		char *nul = memchr(buf + n, '\0', got);
		if (nul)
			return nul - buf;
		n += got;
		if (got < chunk) {       /* unreadable from there on */
			if (!n)
				return -1;
			break;
		}
	}
	buf[n] = '\0';
	*cut = true;
	return (long)n;
}

/* One byte or UTF-8 character at s[i] (s NUL-terminated at n or later) as strace writes it inside
 * quotes; returns how many bytes it took. */
static size_t quote_one(const char *s, size_t i, size_t n, char quote, struct text *t)
{
	unsigned char c = (unsigned char)s[i];
	static const char letters[] = { ['\t'] = 't', ['\n'] = 'n', ['\v'] = 'v', ['\f'] = 'f', ['\r'] = 'r' };
	if (c < sizeof(letters) && letters[c]) {
		text_putc(t, '\\');
		text_putc(t, letters[c]);
		return 1;
	}
	if (c == (unsigned char)quote || c == '\\') {
		text_putc(t, '\\');
		text_putc(t, (char)c);
		return 1;
	}
	if (c >= 0x20 && c < 0x7f) {
		text_putc(t, (char)c);
		return 1;
	}
	if (c >= 0x80) {
		size_t len = util_utf8_char(s + i);
		if (len && i + len <= n) {
			for (size_t k = 0; k < len; k++)
				text_putc(t, s[i + k]);
			return len;
		}
	}
	/* Octal, as short as it can be unless an octal digit follows (then it must be 3 digits
	 * long, or the digit would read as part of it). */
	bool digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
	if (digit_next || c >= 0100)
		text_printf(t, "\\%03o", c);
	else
		text_printf(t, "\\%o", c);
	return 1;
}

static void quote_with(const char *s, size_t n, bool cut, char quote, struct text *t)
{
	/* util_utf8_char looks at most 4 bytes on; a copy makes sure it meets a NUL by n. */
	char *copy = xmalloc(n + 1);
	memcpy(copy, s, n);
	copy[n] = '\0';
	text_putc(t, quote);
	for (size_t i = 0; i < n;)
		i += quote_one(copy, i, n, quote, t);
	text_putc(t, quote);
	if (cut)
		text_puts(t, "...");
	free(copy);
}

void args_quote(const char *s, size_t n, bool cut, struct text *t)
{
	quote_with(s, n, cut, '"', t);
}

static void format_address(taddr_t addr, struct text *t)
{
	if (addr)
		text_u64(t, addr, true);
	else
		text_puts(t, "NULL");
}

void args_format_string(taddr_t addr, const struct args_input *in, struct text *t)
{
	if (!addr) {
		text_puts(t, "NULL");
		return;
	}
	size_t cap = (size_t)in->strsize + 2;  /* strsize + 1 bytes tell a cut string from a full one */
	char *buf = xmalloc(cap);
	bool cut;
	long n = read_string(in, addr, buf, cap, &cut);
	if (n < 0)
		format_address(addr, t);
	else
		args_quote(buf, (size_t)n > in->strsize ? in->strsize : (size_t)n, cut, t);
	free(buf);
}

/* libstdc++'s std::string (the C++11 ABI): the characters' address, then the length. */
static void format_stdstring(taddr_t addr, const struct args_input *in, struct text *t)
{
	uint64_t rep[2];
	if (!addr || in->read(in->rctx, addr, rep, sizeof(rep)) != sizeof(rep)) {
		format_address(addr, t);
		return;
	}
	size_t n = rep[1] < in->strsize ? (size_t)rep[1] : in->strsize;
	char *buf = xmalloc(n + 1);
	if (in->read(in->rctx, rep[0], buf, n) != n)
		format_address(addr, t);
	else
		args_quote(buf, n, rep[1] > n, t);
	free(buf);
}

/* ---- scalars ---- */

static uint64_t load_u(const struct arg_value *v, unsigned size)
{
	uint64_t u = 0;
	memcpy(&u, v->bytes, size < 8 ? size : 8);
	return u;
}

static int64_t load_s(const struct arg_value *v, unsigned size)
{
	return arg_sign_extend(load_u(v, size), size);
}

static void format_int(const struct arg_type *ty, const struct arg_value *v, struct text *t)
{
	if (ty->size == 16) {   /* __int128: no printf conversion for it; hex shows it exactly */
		uint64_t lo, hi;
		memcpy(&lo, v->bytes, 8);
		memcpy(&hi, v->bytes + 8, 8);
		if (hi)
			text_printf(t, "%#" PRIx64 "%016" PRIx64, hi, lo);
		else
			text_printf(t, "%#" PRIx64, lo);
		return;
	}
	if (ty->base == BASE_HEX)
		text_u64(t, load_u(v, ty->size), true);
	else if (ty->base == BASE_OCT)
		text_printf(t, "%#" PRIo64, load_u(v, ty->size));
	else if (ty->kind == ARG_SINT)
		text_i64(t, load_s(v, ty->size));
	else
		text_u64(t, load_u(v, ty->size), false);
}

static void format_enum(const struct arg_type *ty, const struct arg_value *v, struct text *t)
{
	int64_t s = load_s(v, ty->size);
	uint64_t u = load_u(v, ty->size);
	for (size_t i = 0; i < ty->nenums; i++)
		if (ty->enums[i].value == s || (uint64_t)ty->enums[i].value == u) {
			text_puts(t, ty->enums[i].name);
			return;
		}
	text_printf(t, "%" PRId64, s);
}

static void format_float(const struct arg_type *ty, const struct arg_value *v, struct text *t)
{
	if (ty->size == 4) {
		float f;
		memcpy(&f, v->bytes, 4);
		text_printf(t, "%g", (double)f);
	} else if (ty->size == 8) {
		double d;
		memcpy(&d, v->bytes, 8);
		text_printf(t, "%g", d);
	} else {
		long double ld = 0;
		memcpy(&ld, v->bytes, 10);
		text_printf(t, "%Lg", ld);
	}
}

static void format_funcptr(taddr_t addr, const struct args_input *in, struct text *t)
{
	const char *name = addr && in->symbolize ? in->symbolize(in->sctx, addr) : NULL;
	if (name) {
		char esc[256];
		util_escape(name, esc, sizeof(esc));
		text_printf(t, "&%s", esc);
	} else {
		format_address(addr, t);
	}
}

void args_format_value(const struct arg_type *ty, const struct arg_value *v,
		       const struct args_input *in, struct text *t)
{
	if (!v->ok) {
		text_puts(t, "?");
		return;
	}
	switch (ty->kind) {
	case ARG_VOID:
		break;
	case ARG_SINT:
	case ARG_UINT:
		format_int(ty, v, t);
		break;
	case ARG_BOOL:
		text_puts(t, v->bytes[0] ? "true" : "false");
		break;
	case ARG_CHAR: {
		char c = (char)v->bytes[0];
		quote_with(&c, 1, false, '\'', t);
		break;
	}
	case ARG_ENUM:
		format_enum(ty, v, t);
		break;
	case ARG_FLAGS:
		flagset_format(ty->flags, load_u(v, ty->size), ty->size, t);
		break;
	case ARG_PTR:
		format_address(load_u(v, 8), t);
		break;
	case ARG_FUNCPTR:
		format_funcptr(load_u(v, 8), in, t);
		break;
	case ARG_STRING:
		args_format_string(load_u(v, 8), in, t);
		break;
	case ARG_STDSTRING:
		format_stdstring(load_u(v, 8), in, t);
		break;
	case ARG_FLOAT:
		format_float(ty, v, t);
		break;
	case ARG_STRUCT:
		text_puts(t, "{...}");
		break;
	}
}

/* ---- printf formats ---- */

/* The type a conversion's value is passed as (after the default promotions); kind ARG_VOID when
 * it takes none (%%, %m), and false when the conversion is not understood: the values after it
 * cannot be located. */
static bool conversion_type(const char **pp, struct arg_type *ty, bool *star)
{
	const char *p = *pp;
	*star = false;
	while (*p && strchr("-+ #0'I", *p))
		p++;
	if (*p == '*') {
		*star = true;   /* the width is an int argument of its own */
		*pp = p;
		return true;
	}
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '$')
		return false;   /* positional: values in any order, not located here */
	if (*p == '.') {
		p++;
		if (*p == '*') {
			*star = true;
			*pp = p;
			return true;
		}
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int longs = 0;
	bool ld = false;
	for (;; p++) {
		if (*p == 'l' || *p == 'q' || *p == 'j' || *p == 'z' || *p == 'Z' || *p == 't')
			longs++;
		else if (*p == 'L')
			ld = true;
		else if (*p != 'h')
			break;
	}
	char conv = *p;
	*pp = *p ? p + 1 : p;
	switch (conv) {
	case 'd': case 'i':
		*ty = arg_type_int(ARG_SINT, longs ? 8 : 4);
		return true;
	case 'o': case 'u': case 'x': case 'X':
		*ty = arg_type_int(ARG_UINT, longs ? 8 : 4);
		ty->base = conv == 'o' ? BASE_OCT : conv == 'u' ? BASE_DEC : BASE_HEX;
		return true;
	case 'c':
		*ty = longs ? arg_type_int(ARG_UINT, 4) : arg_type_int(ARG_CHAR, 4);
		return true;
	case 's':
		*ty = arg_type_ptr(longs ? ARG_PTR : ARG_STRING);  /* a wide string: its address */
		return true;
	case 'p': case 'n':     /* %n is written through: its pointer is shown, never followed */
		*ty = arg_type_ptr(ARG_PTR);
		return true;
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
		*ty = arg_type_float(ld ? 16 : 8);
		return true;
	case '%': case 'm':
		*ty = (struct arg_type){ .kind = ARG_VOID };
		return true;
	default:
		return false;
	}
}

/* Appends ", value" for each conversion of fmt, the values located from c on. */
static void format_printf_values(const char *fmt, struct abi_cursor *c, const struct args_input *in,
				 struct text *t)
{
	unsigned shown = 0;
	for (const char *p = strchr(fmt, '%'); p; p = strchr(p, '%')) {
		p++;
		struct arg_type ty;
		bool star;
		do {
			if (!conversion_type(&p, &ty, &star)) {
				text_puts(t, ", ...");
				return;
			}
			if (star) {
				ty = arg_type_int(ARG_SINT, 4);
				p++;
			}
			if (ty.kind == ARG_VOID)
				break;
			if (shown++ == ARGS_VALUES_MAX) {
				text_puts(t, ", ...");
				return;
			}
			struct arg_loc loc = abi_next(c, &ty);
			struct arg_value v = abi_fetch(&loc, &ty, &in->regs, in->read, in->rctx);
			text_puts(t, ", ");
			args_format_value(&ty, &v, in, t);
		} while (star);
	}
}

/* The format argument: shown cut at strsize like any string, but read up to ARGS_FMT_MAX so that
 * the values it names can be found. */
static void format_printf(taddr_t addr, struct abi_cursor *c, bool values, const struct args_input *in,
			  struct text *t)
{
	args_format_string(addr, in, t);
	if (!values || !addr)
		return;
	char *fmt = xmalloc(ARGS_FMT_MAX + 1);
	bool cut;
	if (read_string(in, addr, fmt, ARGS_FMT_MAX + 1, &cut) >= 0)
		format_printf_values(fmt, c, in, t);
	free(fmt);
}

/* ---- calls ---- */

void args_format_entry(const struct proto *pr, const struct args_input *in, struct text *t)
{
	struct abi_cursor c;
	abi_begin(&c, &pr->ret);
	for (size_t i = 0; i < pr->nparams; i++) {
		const struct arg_param *pa = &pr->params[i];
		struct arg_loc loc = abi_next(&c, &pa->type);
		struct arg_value v = abi_fetch(&loc, &pa->type, &in->regs, in->read, in->rctx);
		if (i)
			text_puts(t, ", ");
		if (in->names && pa->name) {
			text_puts(t, pa->name);
			text_putc(t, '=');
		}
		if ((int)i != pr->printf_fmt || !v.ok) {
			args_format_value(&pa->type, &v, in, t);
			continue;
		}
		/* The variadic values follow the last fixed param, where c now is; vprintf's
		 * are behind a va_list, and vsnprintf's format is not the last param. */
		bool values = pr->variadic && !pr->va_list_fmt && i + 1 == pr->nparams;
		format_printf(load_u(&v, 8), &c, values, in, t);
	}
	if (pr->variadic && !pr->nparams)
		text_puts(t, "...");
}

void args_format_slots(const struct arg_slot *slots, size_t n, const struct args_input *in,
		       struct text *t)
{
	for (size_t i = 0; i < n; i++) {
		struct arg_value v = abi_fetch(&slots[i].loc, &slots[i].type, &in->regs, in->read, in->rctx);
		if (i)
			text_puts(t, ", ");
		args_format_value(&slots[i].type, &v, in, t);
	}
}

void args_format_return(const struct arg_type *ret, bool err_on_minus1, int errnum,
			const struct args_input *in, struct text *t)
{
	struct arg_loc loc = abi_return(ret);
	if (loc.where == WHERE_NONE)
		return;
	struct arg_value v = abi_fetch(&loc, ret, &in->regs, in->read, in->rctx);
	if (loc.where == WHERE_REF) {   /* a struct returned in memory: where it is */
		format_address(v.addr, t);
		return;
	}
	args_format_value(ret, &v, in, t);
	bool integer = ret->kind == ARG_SINT || ret->kind == ARG_UINT || ret->kind == ARG_FLAGS;
	if (err_on_minus1 && integer && v.ok && load_s(&v, ret->size) == -1 && errnum > 0)
		flags_errno(errnum, t);
}
