/* sleep10: a traced function sleeps 10 ms (nanosleep) N times (argv[1], default 5); it prints
 * each sleep as the program measured it with CLOCK_MONOTONIC, in ns, for the trace's durations
 * to be compared with. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../t.h"

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

T_FN long t_sleep10(void)
{
	long t0 = now_ns();
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5;
	for (int i = 0; i < n; i++)
		printf("%ld\n", t_sleep10());
	return 0;
}
