/* fast/clock: TSC to CLOCK_MONOTONIC by anchors; 128-bit arithmetic, no floating point. */
#include "clock.h"
#include "../util/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

bool fast_clock_usable(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	char line[8192];
	bool ok = false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
			break;
		}
	fclose(f);
	return ok;
}

void fast_clock_sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 8; i++) {
		uint64_t a = __rdtsc();
		uint64_t t = util_now_ns();
		uint64_t b = __rdtsc();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = t;
		}
	}
}

static void rate(struct fast_clock *c)
{
	uint64_t dtsc = c->tsc1 - c->tsc0;
	c->mult = dtsc ? (uint64_t)((((unsigned __int128)(c->ns1 - c->ns0) << 32) + dtsc / 2) / dtsc) : 0;
	c->near = c->mult ? (UINT64_MAX - (1u << 31)) / c->mult : 0;
}

void fast_clock_init(struct fast_clock *c)
{
	fast_clock_sample(&c->tsc0, &c->ns0);
	struct timespec d = { 0, 2000000 };
	while (nanosleep(&d, &d))
		;
	fast_clock_sample(&c->tsc1, &c->ns1);
	rate(c);
}

void fast_clock_anchor(struct fast_clock *c, uint64_t tsc, uint64_t ns)
{
	if (tsc > c->tsc1 && ns >= c->ns1) {
		c->tsc1 = tsc;
		c->ns1 = ns;
		rate(c);
	}
}
