/* text: a growing string the formatters append to; never truncated by accident, and every value
 * that goes into it is bounded by what it shows (a string by its -s limit). */
#ifndef FNTRACE_ARGS_TEXT_H
#define FNTRACE_ARGS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct text {
	char *s;        /* NUL-terminated once anything was appended; owned, free() it */
	size_t len, cap;
};

void text_putc(struct text *t, char c);
void text_puts(struct text *t, const char *s);
void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal, or with hex as %#x prints it (0 as "0"), without printf's cost. */
void text_u64(struct text *t, uint64_t v, bool hex);
void text_i64(struct text *t, int64_t v);
/* The string, "" when empty; valid until the next append. */
const char *text_str(const struct text *t);
/* Hands the string over (the caller frees it) and leaves t empty. */
char *text_take(struct text *t);
void text_free(struct text *t);

#endif
