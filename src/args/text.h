/* text: a growing string the formatters append to; never truncated by accident, and every value
 * that goes into it is bounded by what it shows (a string by its -s limit). */
#ifndef FNTRACE_ARGS_TEXT_H
#define FNTRACE_ARGS_TEXT_H

#include <stddef.h>

struct text {
	char *s;        /* NUL-terminated once anything was appended; owned, free() it */
	size_t len, cap;
};

void text_putc(struct text *t, char c);
void text_puts(struct text *t, const char *s);
void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The string, "" when empty; valid until the next append. */
const char *text_str(const struct text *t);
/* Hands the string over (the caller frees it) and leaves t empty. */
char *text_take(struct text *t);
void text_free(struct text *t);

#endif
