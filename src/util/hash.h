/* hash: a 128-bit hash of bytes, for naming and checking what the disk cache keeps. Not
 * cryptographic: it tells apart files and catches corruption, it does not resist someone who
 * crafts a collision (whoever can write the cache directory needs none). */
#ifndef FNTRACE_HASH_H
#define FNTRACE_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash128 {
	uint64_t a, b;   /* two lanes mixed differently; the length is folded in at the end */
	uint64_t len;
};

void hash_init(struct hash128 *h);
/* Adds n bytes. Chunks are hashed as given: feeding "ab" then "c" differs from "abc" (callers
 * always feed the same pieces in the same order, and the lengths keep pieces apart). */
void hash_add(struct hash128 *h, const void *p, size_t n);
void hash_add_u64(struct hash128 *h, uint64_t v);
/* The 16 bytes of the hash. h may go on being fed afterwards. */
void hash_final(const struct hash128 *h, uint8_t out[16]);
/* The hash of version and then every byte of the regular file open at fd. Returns 0, or -1 if
 * it cannot be read (out is then unchanged). */
int hash_file(int fd, uint64_t version, uint8_t out[16]);

#endif
