/* protolist: a parser for the C declarations of the prototype list. It knows the C library's
 * types by name (size_t, pid_t, FILE *...) and nothing of C's declarator syntax beyond pointers
 * and "(*name)(...)" for function pointers: enough for the list, which is ours. */
#include "protolist.h"

#include "flags.h"
#include "../util/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct protolist {
	struct proto **protos;          /* sorted by name */
	size_t n;
};

/* The list's text, built into fntrace from protos.list (protos_data.S). */
extern const char args_protos_list[];

/* Named scalar types: the C library's typedefs, by what the ABI and the formatter need. */
struct named_type {
	const char *name;
	enum arg_kind kind;
	unsigned size;
	const char *set;                /* a flagset the type always means (mode_t), or NULL */
};

static const struct named_type named[] = {
	{ "void", ARG_VOID, 0, NULL }, { "bool", ARG_BOOL, 1, NULL }, { "_Bool", ARG_BOOL, 1, NULL },
	{ "size_t", ARG_UINT, 8, NULL }, { "ssize_t", ARG_SINT, 8, NULL }, { "off_t", ARG_SINT, 8, NULL },
	{ "off64_t", ARG_SINT, 8, NULL }, { "pid_t", ARG_SINT, 4, NULL }, { "uid_t", ARG_UINT, 4, NULL },
	{ "gid_t", ARG_UINT, 4, NULL }, { "mode_t", ARG_UINT, 4, "mode" }, { "socklen_t", ARG_UINT, 4, NULL },
	{ "int8_t", ARG_SINT, 1, NULL }, { "int16_t", ARG_SINT, 2, NULL }, { "int32_t", ARG_SINT, 4, NULL },
	{ "int64_t", ARG_SINT, 8, NULL }, { "uint8_t", ARG_UINT, 1, NULL }, { "uint16_t", ARG_UINT, 2, NULL },
	{ "uint32_t", ARG_UINT, 4, NULL }, { "uint64_t", ARG_UINT, 8, NULL }, { "intptr_t", ARG_SINT, 8, NULL },
	{ "uintptr_t", ARG_UINT, 8, NULL }, { "time_t", ARG_SINT, 8, NULL }, { "clockid_t", ARG_SINT, 4, "clock" },
	{ "wchar_t", ARG_SINT, 4, NULL }, { "wint_t", ARG_UINT, 4, NULL }, { "pthread_t", ARG_UINT, 8, NULL },
	{ "nfds_t", ARG_UINT, 8, NULL }, { "dev_t", ARG_UINT, 8, NULL }, { "ino_t", ARG_UINT, 8, NULL },
	{ "useconds_t", ARG_UINT, 4, NULL }, { "in_addr_t", ARG_UINT, 4, NULL }, { "key_t", ARG_SINT, 4, NULL },
	{ "id_t", ARG_UINT, 4, NULL }, { "sa_family_t", ARG_UINT, 2, "af" }, { "locale_t", ARG_PTR, 8, NULL },
	{ "va_list", ARG_PTR, 8, NULL }, { "pthread_key_t", ARG_UINT, 4, NULL }, { "rlim_t", ARG_UINT, 8, NULL },
	{ "intmax_t", ARG_SINT, 8, NULL }, { "uintmax_t", ARG_UINT, 8, NULL },
	{ "sighandler_t", ARG_FUNCPTR, 8, NULL }, { "idtype_t", ARG_SINT, 4, NULL }, { "fpos_t", ARG_PTR, 8, NULL },
};

struct parser {
	const char *what;
	unsigned line;
	char *err;
	size_t errlen;
};

static bool fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct parser *ps, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->what, ps->line, why);
	return false;
}

/* Splits s (modified) into words and single punctuation characters. */
static size_t tokenize(char *s, char **tok, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		if (isspace((unsigned char)*s)) {
			*s++ = '\0';
			continue;
		}
		if (isalnum((unsigned char)*s) || *s == '_') {
			tok[n++] = s;
			while (isalnum((unsigned char)*s) || *s == '_')
				s++;
			if (*s && !isspace((unsigned char)*s)) {
				/* a punctuation character right after: make room for its NUL */
				memmove(s + 1, s, strlen(s) + 1);
				*s++ = '\0';
			}
			continue;
		}
		static char punct[256][2];
		punct[(unsigned char)*s][0] = *s;
		tok[n++] = punct[(unsigned char)*s];
		*s++ = '\0';
	}
	return n;
}

static bool is_word(const char *t, const char *w)
{
	return !strcmp(t, w);
}

/* The type of the words tok[0..n) ("const unsigned long", "FILE *", "char *{ptr}"), and the
 * parameter name if the last word is one. */
static bool parse_type(struct parser *ps, char **tok, size_t n, struct arg_type *ty, const char **name,
		       bool *is_fmt, bool *is_va_list)
{
	int longs = 0, stars = 0;
	bool is_unsigned = false, is_signed = false, is_char = false, is_short = false, is_int = false;
	bool aggregate = false, opaque = false, is_float = false, is_double = false;
	const char *set = NULL, *base = NULL;
	const struct named_type *nt = NULL;
	*name = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *t = tok[i];
		if (is_word(t, "const") || is_word(t, "volatile") || is_word(t, "restrict"))
			continue;
		if (is_word(t, "*")) {
			stars++;
		} else if (is_word(t, "{")) {
			if (i + 2 >= n || !is_word(tok[i + 2], "}"))
				return fail(ps, "a '{' without its set name and '}'");
			set = tok[i + 1];
			i += 2;
		} else if (is_word(t, "unsigned")) {
			is_unsigned = true;
		} else if (is_word(t, "signed")) {
			is_signed = true;
		} else if (is_word(t, "long")) {
			longs++;
		} else if (is_word(t, "short")) {
			is_short = true;
		} else if (is_word(t, "char")) {
			is_char = true;
		} else if (is_word(t, "int")) {
			is_int = true;
		} else if (is_word(t, "float")) {
			is_float = true;
		} else if (is_word(t, "double")) {
			is_double = true;
		} else if (is_word(t, "struct") || is_word(t, "union")) {
			if (++i >= n)
				return fail(ps, "'%s' without a name", t);
			aggregate = true;
		} else if (!isalpha((unsigned char)t[0]) && t[0] != '_') {
			return fail(ps, "unexpected '%s'", t);
		} else if (base || nt || aggregate || is_char || is_int || is_short || longs || is_unsigned ||
			   is_signed || opaque || is_float || is_double) {
			if (*name)
				return fail(ps, "two names, '%s' and '%s'", *name, t);
			*name = t;      /* a type came before: this is the parameter's name */
		} else {
			base = t;
			for (size_t k = 0; k < ARRAY_SIZE(named); k++)
				if (is_word(named[k].name, t))
					nt = &named[k];
			opaque = !nt;   /* FILE, DIR, pthread_mutex_t: only their pointers are passed */
		}
	}
	*is_va_list = nt && is_word(nt->name, "va_list");
	*is_fmt = set && is_word(set, "printf");
	if (stars) {
		*ty = arg_type_ptr(is_char && stars == 1 && !is_unsigned && !is_signed ? ARG_STRING : ARG_PTR);
		if (*is_fmt && ty->kind != ARG_STRING)
			return fail(ps, "{printf} marks a char *");
		if (set && is_word(set, "ptr"))
			ty->kind = ARG_PTR;
		else if (set && !*is_fmt)
			return fail(ps, "set {%s} on a pointer", set);
		return true;
	}
	if (aggregate)
		return fail(ps, "a struct or union by value: the list cannot say how it is passed");
	if (opaque)
		return fail(ps, "unknown type '%s' (only a pointer to it could be passed)", base);
	if (is_float || is_double) {
		*ty = arg_type_float(is_float ? 4 : longs ? 16 : 8);
	} else if (nt) {
		*ty = nt->kind == ARG_PTR || nt->kind == ARG_FUNCPTR ? arg_type_ptr(nt->kind)
			: arg_type_int(nt->kind, nt->size);
		if (!set)
			set = nt->set;
	} else if (is_char) {
		*ty = arg_type_int(is_unsigned ? ARG_UINT : is_signed ? ARG_SINT : ARG_CHAR, 1);
	} else if (is_short || longs || is_int || is_unsigned || is_signed) {
		unsigned size = is_short ? 2 : longs ? 8 : 4;
		*ty = arg_type_int(is_unsigned ? ARG_UINT : ARG_SINT, size);
	} else {
		return fail(ps, "no type");
	}
	if (set) {
		if (*is_fmt)
			return fail(ps, "{printf} marks a char *");
		if (ty->kind != ARG_SINT && ty->kind != ARG_UINT)
			return fail(ps, "set {%s} on a type that is no integer", set);
		if (is_word(set, "hex")) {
			ty->base = BASE_HEX;
		} else {
			ty->flags = flagset_by_name(set);
			if (!ty->flags)
				return fail(ps, "unknown set {%s}", set);
			ty->kind = ARG_FLAGS;
		}
	}
	return true;
}

/* One parameter: a type and name, "(*name)(...)" for a function pointer, or "...". */
static bool parse_param(struct parser *ps, struct proto *pr, char **tok, size_t n)
{
	if (n == 1 && is_word(tok[0], "."))
		return fail(ps, "'.' where '...' was meant");
	for (size_t i = 0; i + 1 < n; i++)
		if (is_word(tok[i], "(") && is_word(tok[i + 1], "*")) {
			struct arg_type fp = arg_type_ptr(ARG_FUNCPTR);
			const char *fname = i + 2 < n && !is_word(tok[i + 2], ")") ? tok[i + 2] : NULL;
			proto_add_param(pr, fname, &fp);
			return true;
		}
	struct arg_type ty;
	const char *name;
	bool is_fmt, is_va_list;
	if (!parse_type(ps, tok, n, &ty, &name, &is_fmt, &is_va_list))
		return false;
	if (ty.kind == ARG_VOID)
		return n == 1 && !pr->nparams ? true : fail(ps, "void as a parameter");
	if (is_fmt)
		pr->printf_fmt = (int)pr->nparams;
	if (is_va_list)
		pr->va_list_fmt = true;
	proto_add_param(pr, name, &ty);
	return true;
}

static bool is_dots(char **tok, size_t n)
{
	return n == 3 && is_word(tok[0], ".") && is_word(tok[1], ".") && is_word(tok[2], ".");
}

/* "RET NAME ( PARAMS ) [errno] ;" */
static struct proto *parse_decl(struct parser *ps, char **tok, size_t n)
{
	size_t open = 0;
	while (open < n && !is_word(tok[open], "("))
		open++;
	if (open < 2 || open == n) {
		fail(ps, "expected 'TYPE NAME(PARAMS);'");
		return NULL;
	}
	struct proto *pr = proto_new(tok[open - 1]);
	const char *rname;
	bool is_fmt, is_va_list;
	if (!parse_type(ps, tok, open - 1, &pr->ret, &rname, &is_fmt, &is_va_list))
		goto bad;
	if (rname) {
		fail(ps, "'%s' in the return type", rname);
		goto bad;
	}
	size_t i = open + 1, depth = 0, start = i;
	for (; i < n; i++) {
		bool end = is_word(tok[i], ")") && depth == 0;
		if (is_word(tok[i], "("))
			depth++;
		else if (is_word(tok[i], ")") && depth)
			depth--;
		if (!end && !(is_word(tok[i], ",") && depth == 0))
			continue;
		if (is_dots(tok + start, i - start))
			pr->variadic = true;
		else if (pr->variadic)
			fail(ps, "a parameter after '...'");
		else if (i > start && !parse_param(ps, pr, tok + start, i - start))
			goto bad;
		else if (i == start && (pr->nparams || !end))
			fail(ps, "an empty parameter");
		if (ps->err[0])
			goto bad;
		start = i + 1;
		if (end)
			break;
	}
	if (i == n) {
		fail(ps, "no ')'");
		goto bad;
	}
	i++;
	if (i + 2 < n && is_word(tok[i], "[") && is_word(tok[i + 1], "errno") && is_word(tok[i + 2], "]")) {
		pr->ret_errno = true;
		i += 3;
	}
	if (i + 1 != n || !is_word(tok[i], ";")) {
		fail(ps, "expected ';' after ')'%s", pr->ret_errno ? "" : " (or [errno];)");
		goto bad;
	}
	return pr;
bad:
	proto_free(pr);
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct proto *const *)a)->name, (*(struct proto *const *)b)->name);
}

struct protolist *protolist_parse(const char *text, const char *what, char *err, size_t errlen)
{
	struct protolist *pl = xcalloc(1, sizeof(*pl));
	struct parser ps = { what, 0, err, errlen };
	size_t cap = 0;
	err[0] = '\0';
	for (const char *line = text; *line;) {
		const char *eol = strchrnul(line, '\n');
		ps.line++;
		/* tokenize() may grow the line by one byte per word: room for all of them */
		size_t len = (size_t)(eol - line);
		char *buf = xmalloc(2 * len + 2);
		memcpy(buf, line, len);
		buf[len] = '\0';
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		char *tok[128];
		size_t n = tokenize(buf, tok, ARRAY_SIZE(tok));
		struct proto *pr = NULL;
		if (n == ARRAY_SIZE(tok))
			fail(&ps, "a line too long");
		else if (n)
			pr = parse_decl(&ps, tok, n);
		free(buf);
		if (n && !pr) {
			protolist_free(pl);
			return NULL;
		}
		if (pr) {
			xgrow(&pl->protos, &cap, pl->n + 1, sizeof(*pl->protos));
			pl->protos[pl->n++] = pr;
		}
		line = *eol ? eol + 1 : eol;
	}
	qsort(pl->protos, pl->n, sizeof(*pl->protos), by_name);
	for (size_t i = 1; i < pl->n; i++)
		if (!strcmp(pl->protos[i - 1]->name, pl->protos[i]->name)) {
			ps.line = 0;
			snprintf(err, errlen, "%s: %s is declared twice", what, pl->protos[i]->name);
			protolist_free(pl);
			return NULL;
		}
	return pl;
}

const struct protolist *protolist_builtin(void)
{
	static struct protolist *pl;
	if (!pl) {
		char err[256];
		pl = protolist_parse(args_protos_list, "protos.list", err, sizeof(err));
		ASSERT(pl, "the built-in prototype list does not parse: %s", err);
	}
	return pl;
}

const struct proto *protolist_find(const struct protolist *pl, const char *name)
{
	size_t lo = 0, hi = pl->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, pl->protos[mid]->name);
		if (!c)
			return pl->protos[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t protolist_count(const struct protolist *pl)
{
	return pl->n;
}

void protolist_free(struct protolist *pl)
{
	if (!pl)
		return;
	for (size_t i = 0; i < pl->n; i++)
		proto_free(pl->protos[i]);
	free(pl->protos);
	free(pl);
}
