/* addrmap: a hash table from tracee address to a pointer, for the breakpoint lookup on every stop. */
#ifndef FNTRACE_ADDRMAP_H
#define FNTRACE_ADDRMAP_H

#include "util.h"

struct addrmap {
	taddr_t *keys;
	void **vals;     /* NULL marks an empty slot; a removed one holds the tombstone */
	size_t cap;      /* a power of two, or 0 */
	size_t used;     /* live entries plus tombstones */
	size_t n;        /* live entries */
};

/* Returns the value stored for key, or NULL. */
void *addrmap_get(const struct addrmap *m, taddr_t key);
/* Stores val (not NULL) for key, replacing any previous value. */
void addrmap_put(struct addrmap *m, taddr_t key, void *val);
/* Returns the value stored for key; if there is none, stores a new one of size bytes, zeroed
 * (xcalloc: whoever empties the map frees it), and returns it. */
void *addrmap_get_or_new(struct addrmap *m, taddr_t key, size_t size);
/* Removes key; returns its value, or NULL if it was absent. */
void *addrmap_del(struct addrmap *m, taddr_t key);
/* Calls fn for every live entry, in no particular order. The map must not change meanwhile. */
void addrmap_each(const struct addrmap *m, void (*fn)(taddr_t key, void *val, void *arg), void *arg);
/* Frees the table itself, not the values. */
void addrmap_free(struct addrmap *m);

#endif
