/* addrbits: a sparse bitmap of tracee addresses (one bit per byte), for "is any byte of this range
 * taken?" in one or two word tests instead of a hash lookup per byte. */
#ifndef FNTRACE_ADDRBITS_H
#define FNTRACE_ADDRBITS_H

#include "addrmap.h"

#include <stdbool.h>

/* Chunks of ADDRBITS_CHUNK bytes, each an array of bits allocated on its first set bit; a chunk is
 * never freed before addrbits_free (a cleared one stays, all zeros). */
struct addrbits {
	struct addrmap chunks;   /* addr / ADDRBITS_CHUNK -> uint64_t[ADDRBITS_CHUNK / 64] */
	taddr_t last_key;        /* the chunk looked up last (most lookups fall in the same one) */
	uint64_t *last;          /* it, or NULL */
};

#define ADDRBITS_CHUNK ((taddr_t)1 << 15)   /* 4 KiB of bits */

/* Sets the bits of [lo, hi). */
void addrbits_set(struct addrbits *b, taddr_t lo, taddr_t hi);
/* Clears the bits of [lo, hi). */
void addrbits_clear(struct addrbits *b, taddr_t lo, taddr_t hi);
/* Whether any bit of [lo, hi) is set (false for an empty range). */
bool addrbits_any(struct addrbits *b, taddr_t lo, taddr_t hi);
/* Frees every chunk; b is empty afterwards, and may be used again. */
void addrbits_free(struct addrbits *b);

#endif
