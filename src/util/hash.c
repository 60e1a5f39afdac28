/* hash: 64-bit multiply-rotate lanes over 8-byte words (four independent ones over a long chunk), each
 * chunk's length folded in. */
#include "hash.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define K1 0x9e3779b97f4a7c15ull   /* odd constants with well-spread bits */
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull

static inline uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* A full-avalanche finish of one lane: every input bit reaches every output bit. */
static uint64_t fmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline void mix(struct hash128 *h, uint64_t w)
{
	h->a = rotl(h->a ^ (w * K1), 29) * K2;
	h->b = rotl(h->b + (w * K2), 37) * K3 ^ h->a;
}

void hash_init(struct hash128 *h)
{
	h->a = K3;
	h->b = K1;
	h->len = 0;
}

/* One of four independent lanes over a long chunk's 32-byte blocks. */
static inline uint64_t lane(uint64_t x, uint64_t w)
{
	return rotl(x ^ (w * K1), 29) * K2;
}

#define BLOCK 32

/* The 32-byte blocks of a long chunk, four words at a time in four lanes that do not wait on
 * one another (the two chained lanes of mix() made hashing a file or a map's payload a few
 * percent of a small program's start-up), folded into h at the end. Returns the bytes taken. */
static size_t add_blocks(struct hash128 *h, const uint8_t *s, size_t n)
{
	uint64_t x[4] = { h->a, h->b, h->a ^ K1, h->b ^ K2 };
	size_t i = 0;
	for (; i + BLOCK <= n; i += BLOCK)
		for (int k = 0; k < 4; k++) {
			uint64_t w;
			memcpy(&w, s + i + 8 * k, 8);
			x[k] = lane(x[k], w);
		}
	for (int k = 0; k < 4; k++)
		mix(h, x[k]);
	return i;
}

void hash_add(struct hash128 *h, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i = n >= 4 * BLOCK ? add_blocks(h, s, n) : 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		mix(h, w);
	}
	uint64_t tail = 0;
	if (n > i)   /* (p may be NULL for nothing) */
		memcpy(&tail, s + i, n - i);
	mix(h, tail ^ ((uint64_t)(n - i) << 59));
	mix(h, n);   /* where this chunk ends */
	h->len += n;
}

void hash_add_u64(struct hash128 *h, uint64_t v)
{
	hash_add(h, &v, sizeof(v));
}

void hash_final(const struct hash128 *h, uint8_t out[16])
{
	uint64_t a = fmix(h->a ^ h->len), b = fmix(h->b + a);
	a = fmix(a ^ b);
	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
}

int hash_file(int fd, uint64_t version, uint8_t out[16])
{
	struct stat sb;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size <= 0)
		return -1;
	void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	struct hash128 h;
	hash_init(&h);
	hash_add_u64(&h, version);
	hash_add(&h, p, (size_t)sb.st_size);
	hash_final(&h, out);
	munmap(p, (size_t)sb.st_size);
	return 0;
}
