/* fast/clock: the trampolines' rdtsc stamps on the tracer's clock (CLOCK_MONOTONIC, the one
 * util_now_ns reads), so records and ptrace stops interleave on one time line.
 *
 * The tracer takes (tsc, ns) anchors: two at start, some milliseconds apart, then one at each
 * drain. Both clocks are linear in real time (an invariant TSC), so a stamp is converted from
 * the latest anchor at the rate measured over the longest baseline, the first anchor to the
 * latest: its error is an anchor's own jitter (tens of ns) plus its age times a rate error that
 * shrinks as the trace goes on. */
#ifndef FNTRACE_FAST_CLOCK_H
#define FNTRACE_FAST_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct fast_clock {
	uint64_t tsc0, ns0;   /* the first anchor */
	uint64_t tsc1, ns1;   /* the latest */
	uint64_t mult;        /* ns per tick over that baseline, in 32.32 fixed point (one division
			       * per anchor, none per stamp) */
	uint64_t near;        /* ticks before the latest anchor that convert in 64 bits (d * mult +
			       * 2^31 fits; 0 with no rate): all of a drain's records, but those of
			       * a thread stopped for seconds */
};

/* Whether this machine's TSC can stamp events: invariant (constant_tsc and nonstop_tsc in
 * /proc/cpuinfo). */
bool fast_clock_usable(void);
/* A (tsc, ns) pair read as close together as this process can: the tightest of a few. */
void fast_clock_sample(uint64_t *tsc, uint64_t *ns);
/* Two anchors, the second at least 2 ms after the first. */
void fast_clock_init(struct fast_clock *c);
/* Adds an anchor (a later one than any before). */
void fast_clock_anchor(struct fast_clock *c, uint64_t tsc, uint64_t ns);
/* fast_clock_ns of a stamp after the latest anchor or far from it (a 128-bit product). */
static inline uint64_t fast_clock_ns_far(const struct fast_clock *c, uint64_t tsc)
{
	if (!c->mult)
		return c->ns1;
	uint64_t d = tsc <= c->tsc1 ? c->tsc1 - tsc : tsc - c->tsc1;
	uint64_t dns = (uint64_t)(((unsigned __int128)d * c->mult + (1u << 31)) >> 32);
	if (tsc <= c->tsc1)
		return dns < c->ns1 ? c->ns1 - dns : 0;
	return c->ns1 + dns;
}

/* tsc in nanoseconds of CLOCK_MONOTONIC. Inline: the drain converts every record (tens of
 * millions a second), and the call was 2% of the tracer's samples on sort -nr. A drain's
 * records are all a little before its anchor: they take the first way, a 64-bit product (the
 * 128-bit one and its shift were a third of the drain's instructions). */
static inline uint64_t fast_clock_ns(const struct fast_clock *c, uint64_t tsc)
{
	uint64_t back = c->tsc1 - tsc;   /* (wraps to a huge number for a stamp after the anchor) */
	if (back < c->near) {            /* (never with no rate: near is 0) */
		uint64_t dns = (back * c->mult + (1u << 31)) >> 32;
		return dns < c->ns1 ? c->ns1 - dns : 0;
	}
	return fast_clock_ns_far(c, tsc);
}

#endif
