/* unit: what every unit test includes: cmocka with the headers it needs first, and a seeded PRNG. */
#ifndef FNTRACE_UNIT_H
#define FNTRACE_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* xorshift64: the same stream for the same nonzero seed, so a failure reproduces. */
static inline uint64_t unit_rng(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

#endif
