/* funcs: the registry of traced functions; events name functions by id, formatters read names here. */
#ifndef FNTRACE_FUNCS_H
#define FNTRACE_FUNCS_H

#include <stdbool.h>
#include <stdint.h>
#include "../util/util.h"

/* Registers a function and returns its id (ids are dense, from 0). name is copied, with control
 * characters, the backslash and bytes that are no printable UTF-8 character (util_utf8_char)
 * escaped as \xNN, so it is always safe to print; größe stays größe. */
uint32_t funcs_add(const char *name, taddr_t addr);
/* The escaped name, stored once however often it is asked for; valid until funcs_reset(). */
const char *funcs_intern(const char *name);
/* funcs_add for a name funcs_intern returned. */
uint32_t funcs_add_interned(const char *name, taddr_t addr);
/* The printable name of id; valid until funcs_reset(). */
const char *funcs_name(uint32_t id);
taddr_t funcs_addr(uint32_t id);
uint32_t funcs_count(void);

/* What else is known of function id: the name of its module (the executable's or library's base
 * name or soname: "abc", "libc.so.6") and its place in the source ("abc.c:12", from DWARF, with
 * --srcline); each NULL when unknown. Both strings are interned here (funcs_intern). Set once, by
 * the tracer at the function's first call or by a trace file's reader; described tells them
 * apart from a function nobody looked up yet. */
void funcs_describe(uint32_t id, const char *module, const char *srcline);
bool funcs_described(uint32_t id);
const char *funcs_module(uint32_t id);
const char *funcs_srcline(uint32_t id);
void funcs_reset(void);

/* Escapes s into out (at most outlen bytes with the NUL) as funcs_add does. Exposed for tests. */
void funcs_escape(const char *s, char *out, size_t outlen);

#endif
