/* counter: a long-running program to attach to. Each of its threads (argv[1], default 1) counts,
 * calling traced functions; the main thread prints the total every 20 ms, so a test can check the
 * numbers go on rising, one by one, before, during and after tracing. Ends after argv[2] seconds
 * (default 30). With argv[3] "busy", the counting threads never sleep: they are always in or
 * near a traced function, wherever a tracer interrupts them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "t.h"

static atomic_long total;
static int busy;

T_FN long t_step(long x)
{
	T_KEEP(x);
	return x + 1;
}

T_FN void t_tick(void)
{
	atomic_fetch_add(&total, t_step(0));
}

static void *spin(void *arg)
{
	(void)arg;
	for (;;) {
		t_tick();
		struct timespec ts = { 0, 1000000 };
		if (!busy)
			nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	int secs = argc > 2 ? atoi(argv[2]) : 30;
	busy = argc > 3 && !strcmp(argv[3], "busy");
	for (int i = 0; i < threads; i++) {
		pthread_t th;
		pthread_create(&th, NULL, spin, NULL);
	}
	long seq = 0;
	for (int i = 0; i < secs * 50; i++) {
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
		printf("%ld %ld\n", seq++, atomic_load(&total));
		fflush(stdout);
	}
	return 0;
}
