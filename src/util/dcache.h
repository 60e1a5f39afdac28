/* dcache: results of fntrace's analysis of files (the fast path's maps, discovery's functions),
 * kept on disk between runs. An entry is a payload under a kind and a 16-byte key that the
 * caller computes from everything the result depends on; the cache adds fntrace's own
 * fingerprint (a hash of its executable), so that another build of fntrace never reads what this
 * one wrote. Every entry is checked whole before it is used (magic, version, fingerprint, key,
 * length, a hash of the payload): a truncated or damaged file is a miss. Entries are written to
 * a temporary file in the directory and renamed, so a reader never sees half of one; the
 * directory is kept under a size limit by removing the entries least recently used. */
#ifndef FNTRACE_DCACHE_H
#define FNTRACE_DCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DCACHE_LIMIT_DEFAULT (256ull << 20)

/* The directory the environment chooses: FNTRACE_CACHE (off, or a directory), else
 * $XDG_CACHE_HOME/fntrace, else $HOME/.cache/fntrace. NULL for off. Malloc'd. */
char *dcache_default_dir(void);
/* Uses dir (created, mode 0700, if missing) from now on; NULL turns the cache off. A directory
 * that cannot be made, or is not ours, turns it off with one warning. */
void dcache_configure(const char *dir);
bool dcache_on(void);
/* For tests: the fingerprint and the size limit to use instead of the defaults. */
void dcache_set_fingerprint(const uint8_t fp[16]);
void dcache_set_limit(uint64_t bytes);

/* The payload kept for (kind, key), malloc'd, its length in *len; NULL if there is none that
 * checks. kind is a short word ("map"). */
void *dcache_get(const char *kind, const uint8_t key[16], size_t *len);
/* Keeps data under (kind, key), replacing any entry, then trims the directory to its limit.
 * Returns 0, or -1 if nothing was written (no cache, a full disk: not an error for anyone). */
int dcache_put(const char *kind, const uint8_t key[16], const void *data, size_t len);

#endif
