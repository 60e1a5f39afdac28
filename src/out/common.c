/* out/common: what every formatter shares. */
#include "out.h"

#include <inttypes.h>

struct out_config out_cfg;

void out_fmt_duration(uint64_t ns, char buf[32])
{
	static const char *const units[] = { "us", "ms", " s" };
	if (ns < 1000) {
		snprintf(buf, 32, "%8" PRIu64 " ns", ns);
		return;
	}
	unsigned u = 0;
	uint64_t div = 1000;
	while (u + 1 < 3 && ns >= div * 1000) {
		div *= 1000;
		u++;
	}
	snprintf(buf, 32, "%4" PRIu64 ".%03" PRIu64 " %s", ns / div, ns % div * 1000 / div, units[u]);
}
