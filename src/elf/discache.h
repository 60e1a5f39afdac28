/* discache: discovery's functions (discover.h) through the disk cache (util/dcache.h). What
 * discovery finds is a pure function of the file's bytes (it runs on a table read from the file
 * alone: a stripped file whose debug file named its functions is not discovered), so the entry
 * is keyed by a hash of the whole file. */
#ifndef FNTRACE_DISCACHE_H
#define FNTRACE_DISCACHE_H

#include <stdbool.h>
#include <gelf.h>
#include "symtab.h"

/* Bump when discovery or this encoding changes (the cache's fingerprint changes then too). */
#define DISCOVER_VERSION 1u

/* discover_functions(e, eh, st, add, arg) for the file open at fd, or what it gave before, from
 * the cache. A name passed to add lives only until add returns. Returns true if the result came
 * from the cache. */
bool discache_functions(int fd, Elf *e, const GElf_Ehdr *eh, const struct symtab *st,
			void (*add)(taddr_t addr, const char *name, void *arg), void *arg);

/* Every function start of st (malloc'd, *n of them; NULL if none): its symbols, and in a
 * stripped file what discovery finds besides (local functions, IFUNC implementations), the
 * starts the fast path's maps are decoded from. */
struct func *discache_starts(const struct symtab *st, size_t *n);

/* The encoding, exposed for tests: the found functions as bytes (malloc'd), and back (calls add
 * for each; -1, having called nothing, if p is no whole encoding). */
struct discache_fn {
	taddr_t addr;
	char *name;   /* or NULL */
};
uint8_t *discache_encode(const struct discache_fn *v, size_t n, size_t *len);
int discache_decode(const uint8_t *p, size_t len, void (*add)(taddr_t addr, const char *name, void *arg), void *arg);

#endif
