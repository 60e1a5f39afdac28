/* addrbits: a sparse bitmap of tracee addresses, by chunks kept in an addrmap. */
#include "addrbits.h"

#include <stdlib.h>

#define WORDS (ADDRBITS_CHUNK / 64)

/* The chunk holding addr's bit, or NULL if none was made (new: make it). */
static uint64_t *chunk_of(struct addrbits *b, taddr_t addr, bool make)
{
	taddr_t key = addr / ADDRBITS_CHUNK;
	if (b->last && b->last_key == key)
		return b->last;
	uint64_t *c = addrmap_get(&b->chunks, key);
	if (!c && make) {
		c = xcalloc(WORDS, sizeof(*c));
		addrmap_put(&b->chunks, key, c);
	}
	if (c) {
		b->last = c;
		b->last_key = key;
	}
	return c;
}

/* The bits of [lo, hi) within the word of lo (hi at most that word's end). */
static uint64_t word_mask(taddr_t lo, taddr_t hi)
{
	unsigned from = (unsigned)(lo % 64), n = (unsigned)(hi - lo);
	uint64_t ones = n >= 64 ? ~0ull : (1ull << n) - 1;
	return ones << from;
}

/* The end of the word that holds lo's bit, or hi if sooner. */
static taddr_t word_end(taddr_t lo, taddr_t hi)
{
	taddr_t end = (lo | 63) + 1;
	return end == 0 || end > hi ? hi : end;   /* (end 0: the last word of the address space) */
}

void addrbits_set(struct addrbits *b, taddr_t lo, taddr_t hi)
{
	for (taddr_t a = lo, e; a < hi; a = e) {
		e = word_end(a, hi);
		chunk_of(b, a, true)[(a % ADDRBITS_CHUNK) / 64] |= word_mask(a, e);
	}
}

void addrbits_clear(struct addrbits *b, taddr_t lo, taddr_t hi)
{
	for (taddr_t a = lo, e; a < hi; a = e) {
		e = word_end(a, hi);
		uint64_t *c = chunk_of(b, a, false);
		if (c)
			c[(a % ADDRBITS_CHUNK) / 64] &= ~word_mask(a, e);
	}
}

bool addrbits_any(struct addrbits *b, taddr_t lo, taddr_t hi)
{
	if (!b->chunks.n)
		return false;
	for (taddr_t a = lo, e; a < hi; a = e) {
		const uint64_t *c = chunk_of(b, a, false);
		if (!c) {   /* (no bit in the whole chunk) */
			e = (a | (ADDRBITS_CHUNK - 1)) + 1;
			if (!e || e > hi)
				break;
			continue;
		}
		e = word_end(a, hi);
		if (c[(a % ADDRBITS_CHUNK) / 64] & word_mask(a, e))
			return true;
	}
	return false;
}

static void free_chunk(taddr_t key, void *val, void *arg)
{
	free(val);
}

void addrbits_free(struct addrbits *b)
{
	addrmap_each(&b->chunks, free_chunk, NULL);
	addrmap_free(&b->chunks);
	*b = (struct addrbits){0};
}
