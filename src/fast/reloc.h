/* fast/reloc: the instructions of a window, rewritten to run at another address. */
#ifndef FNTRACE_FAST_RELOC_H
#define FNTRACE_FAST_RELOC_H

#include "window.h"

#define FAST_RELOC_MAX 96   /* bytes fast_reloc may emit for one window */

/* Writes into out (cap bytes) the window w's instructions as they must run at runtime address
 * to, for the window mapped at runtime address from: rip-relative displacements rebased,
 * short branches made rel32, a call made a push of its original return address and a jmp, and,
 * unless the window ends in ret or jmp, a jump back to from + w->len. Literals (the pushed
 * return addresses) follow the code. Returns the bytes written, or 0 if a displacement cannot
 * reach from to (more than 2 GiB away) or cap is too small. */
size_t fast_reloc(const struct fast_window *w, taddr_t from, taddr_t to, uint8_t *out, size_t cap);

/* For each displaced instruction, where its copy starts in the relocated code (offsets from
 * to), so a fault or a stop there can be reported at the original instruction. Fills off[n]
 * for n = w->n; returns false if fast_reloc would fail. */
bool fast_reloc_map(const struct fast_window *w, taddr_t from, taddr_t to, uint8_t *off);

#endif
