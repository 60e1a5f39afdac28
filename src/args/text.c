/* text: a growing string. */
#include "text.h"

#include "../util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(struct text *t, size_t more)
{
	xgrow(&t->s, &t->cap, t->len + more + 1, 1);
}

void text_putc(struct text *t, char c)
{
	reserve(t, 1);
	t->s[t->len++] = c;
	t->s[t->len] = '\0';
}

void text_puts(struct text *t, const char *s)
{
	size_t n = strlen(s);
	reserve(t, n);
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	reserve(t, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

const char *text_str(const struct text *t)
{
	return t->s ? t->s : "";
}

char *text_take(struct text *t)
{
	char *s = t->s ? t->s : xstrdup("");
	*t = (struct text){ 0 };
	return s;
}

void text_free(struct text *t)
{
	free(t->s);
	*t = (struct text){ 0 };
}
