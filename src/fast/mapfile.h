/* fast/mapfile: a module's map (window.h) as bytes, for the disk cache (util/dcache.h), and the
 * key that names it. A map is a pure function of the image's bytes and of the function starts
 * it was given, so the key hashes exactly those: a file rebuilt, stripped or given other
 * symbols (a debug file, discovery) has another key. */
#ifndef FNTRACE_FAST_MAPFILE_H
#define FNTRACE_FAST_MAPFILE_H

#include "window.h"

/* Bump when the map's analysis or this encoding changes. The cache's fingerprint (a hash of
 * fntrace's executable) changes then too; the version says it in the file itself. */
#define FAST_MAP_VERSION 4u

/* The key of the map that fast_map_build(im, funcs, nfuncs) gives. */
void fast_map_key(const struct fast_image *im, const struct func *funcs, size_t nfuncs, uint8_t key[16]);

/* The map's tables as bytes (malloc'd, *len of them). */
uint8_t *fast_map_encode(const struct fast_map *m, size_t *len);
/* Fills m (for image im) from bytes that fast_map_encode gave. Every count, order and
 * reference is checked (a call must lie in im's code, a table be sorted as lookups need):
 * returns -1, m left empty, for anything else. */
int fast_map_decode(struct fast_map *m, const struct fast_image *im, const uint8_t *p, size_t len);

#endif
