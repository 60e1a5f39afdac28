/* fast/evict: room for a jmp rel32 where no padding is in reach of a short window's jmp rel8,
 * made by evicting a neighbour (E9Patch's tactic T3, done with the map's facts instead of
 * instruction punning).
 *
 * The neighbour N is a run of whole instructions [N, N+len), len >= FAST_EVICT_LEN, that the
 * window checker would relocate and that holds nothing control can arrive at but N itself: no
 * branch target, landing pad, jump-table entry or taken address inside (the map's targets), no
 * call (its return site would be inside, or at the end), not a function's entry and not a
 * return site. N gets a jmp rel32 to a trampoline that runs those instructions and jumps back
 * to N+len; the bytes from N+5 are then dead, and the second 5 of them take the jmp rel32 the
 * short window's jmp rel8 goes to. Addresses are link-time. */
#ifndef FNTRACE_FAST_EVICT_H
#define FNTRACE_FAST_EVICT_H

#include "window.h"

#define FAST_EVICT_LEN (2 * FAST_JMP_LEN)   /* the neighbour's own jmp, then the borrowed one */

/* A neighbour to evict for the jmp rel8 at from (link-time), whose own window [from, own_hi) it
 * must not touch: its jmp rel32 goes at the returned N + FAST_JMP_LEN, within the rel8's reach.
 * usable(n, len, arg) says whether the caller can still take [n, n+len) (no window, breakpoint
 * or thread there). The nearest is chosen. Returns N, with w its window, or 0 if there is none.
 * N is never where another window may start or reach: a function's entry, a return site, or
 * the 5-byte window of one just before it. */
taddr_t fast_evict_find(const struct fast_map *m, taddr_t from, taddr_t own_hi,
			bool (*usable)(taddr_t n, unsigned len, void *arg), void *arg, struct fast_window *w);

#endif
