/* proto: prototypes, built by the parsers and read by the ABI locator and the formatters. */
#include "proto.h"

#include "flags.h"
#include "text.h"
#include "../util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct proto *proto_new(const char *name)
{
	struct proto *pr = xcalloc(1, sizeof(*pr));
	pr->name = xstrdup(name);
	pr->ret = (struct arg_type){ .kind = ARG_VOID };
	pr->printf_fmt = -1;
	return pr;
}

void proto_add_param(struct proto *pr, const char *name, const struct arg_type *type)
{
	pr->params = xrealloc(pr->params, (pr->nparams + 1) * sizeof(*pr->params));
	pr->params[pr->nparams++] = (struct arg_param){ name ? xstrdup(name) : NULL, *type };
}

static void dup_enums(struct arg_type *ty)
{
	if (!ty->nenums)
		return;
	struct arg_enumerator *e = xmalloc(ty->nenums * sizeof(*e));
	for (size_t i = 0; i < ty->nenums; i++)
		e[i] = (struct arg_enumerator){ ty->enums[i].value, xstrdup(ty->enums[i].name) };
	ty->enums = e;
}

struct proto *proto_dup(const struct proto *pr)
{
	struct proto *d = xmalloc(sizeof(*d));
	*d = *pr;
	d->name = xstrdup(pr->name);
	dup_enums(&d->ret);
	d->params = pr->nparams ? xmalloc(pr->nparams * sizeof(*d->params)) : NULL;
	for (size_t i = 0; i < pr->nparams; i++) {
		d->params[i] = pr->params[i];
		d->params[i].name = pr->params[i].name ? xstrdup(pr->params[i].name) : NULL;
		dup_enums(&d->params[i].type);
	}
	return d;
}

void arg_type_free(struct arg_type *ty)
{
	for (size_t i = 0; i < ty->nenums; i++)
		free(ty->enums[i].name);
	free(ty->enums);
}

void proto_free(struct proto *pr)
{
	if (!pr)
		return;
	arg_type_free(&pr->ret);
	for (size_t i = 0; i < pr->nparams; i++) {
		free(pr->params[i].name);
		arg_type_free(&pr->params[i].type);
	}
	free(pr->params);
	free(pr->name);
	free(pr);
}

int64_t arg_sign_extend(uint64_t v, unsigned size)
{
	if (size >= 8 || size == 0)
		return (int64_t)v;
	unsigned shift = 64 - 8 * size;
	return (int64_t)(v << shift) >> shift;
}

struct arg_type arg_type_int(enum arg_kind kind, unsigned size)
{
	return (struct arg_type){ .kind = kind, .size = size, .align = size };
}

struct arg_type arg_type_ptr(enum arg_kind kind)
{
	return (struct arg_type){ .kind = kind, .size = 8, .align = 8 };
}

struct arg_type arg_type_float(unsigned size)
{
	return (struct arg_type){ .kind = ARG_FLOAT, .size = size, .align = size };
}

static void describe_type(const struct arg_type *ty, struct text *t)
{
	static const char *const ints[] = { [1] = "8", [2] = "16", [4] = "32", [8] = "64", [16] = "128" };
	const char *bits = ty->size < ARRAY_SIZE(ints) && ints[ty->size] ? ints[ty->size] : "?";
	switch (ty->kind) {
	case ARG_VOID: text_puts(t, "void"); break;
	case ARG_SINT: text_printf(t, "int%s", bits); break;
	case ARG_UINT: text_printf(t, "uint%s", bits); break;
	case ARG_BOOL: text_puts(t, "bool"); break;
	case ARG_CHAR: text_puts(t, "char"); break;
	case ARG_ENUM: text_printf(t, "enum%s{%zu}", bits, ty->nenums); break;
	case ARG_FLAGS: text_printf(t, "flags:%s", flagset_name(ty->flags)); break;
	case ARG_PTR: text_puts(t, "void *"); break;
	case ARG_FUNCPTR: text_puts(t, "func *"); break;
	case ARG_STRING: text_puts(t, "char *"); break;
	case ARG_STDSTRING: text_puts(t, "std::string *"); break;
	case ARG_FLOAT:
		text_puts(t, ty->size == 4 ? "float" : ty->size == 8 ? "double" : "long double");
		break;
	case ARG_STRUCT: {
		static const char *const cls[] = { "-", "INTEGER", "SSE", "X87", "MEMORY" };
		text_printf(t, "struct%u{%s", ty->size, cls[ty->cls[0]]);
		if (ty->cls[1] != CLASS_NONE)
			text_printf(t, ",%s", cls[ty->cls[1]]);
		text_puts(t, ty->by_ref ? ",byref}" : "}");
		break;
	}
	}
	if (ty->base == BASE_HEX)
		text_puts(t, "/x");
	else if (ty->base == BASE_OCT)
		text_puts(t, "/o");
}

void proto_describe(const struct proto *pr, char *out, size_t len)
{
	struct text t = { 0 };
	describe_type(&pr->ret, &t);
	text_printf(&t, " %s(", pr->name);
	for (size_t i = 0; i < pr->nparams; i++) {
		if (i)
			text_puts(&t, ", ");
		describe_type(&pr->params[i].type, &t);
		if (pr->params[i].name)
			text_printf(&t, " %s", pr->params[i].name);
		if ((int)i == pr->printf_fmt)
			text_puts(&t, pr->va_list_fmt ? " [vfmt]" : " [fmt]");
	}
	if (pr->variadic)
		text_puts(&t, pr->nparams ? ", ..." : "...");
	text_puts(&t, ")");
	if (pr->ret_errno)
		text_puts(&t, " [errno]");
	snprintf(out, len, "%s", text_str(&t));
	text_free(&t);
}
