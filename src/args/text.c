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

/* (Formatted once into the room already there, most values being short: a second time only if
 * they did not fit. The tracer formats every value of every call shown.) */
void text_printf(struct text *t, const char *fmt, ...)
{
	reserve(t, 32);
	size_t room = t->cap - t->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->s + t->len, room, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		t->s[t->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		reserve(t, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

void text_u64(struct text *t, uint64_t v, bool hex)
{
	char buf[24], *p = buf + sizeof(buf);
	bool prefix = hex && v;   /* (as %#x: 0 is "0") */
	do {
		*--p = "0123456789abcdef"[hex ? v & 15 : v % 10];
		v = hex ? v >> 4 : v / 10;
	} while (v);
	if (prefix) {
		*--p = 'x';
		*--p = '0';
	}
	size_t n = (size_t)(buf + sizeof(buf) - p);
	reserve(t, n);
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

void text_i64(struct text *t, int64_t v)
{
	if (v < 0)
		text_putc(t, '-');
	text_u64(t, v < 0 ? -(uint64_t)v : (uint64_t)v, false);
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
