/* threads: argv[1] says what: "calls N" (8 threads, each N calls of t_inc and t_dec, sharing
 * them; prints the sum, which must be 8*N), "churn" (threads created and exiting while others
 * are in the middle of calls), "exec" (a second thread calls execve while the first is in a
 * traced call; the new image, argv[0] "done", prints and exits 5), "done". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"

#define NTHREADS 8
static long ncalls;
static const char *self;
static atomic_int go;

T_FN long t_inc(long x)
{
	T_KEEP(x);
	return x + 2;
}

T_FN long t_dec(long x)
{
	T_KEEP(x);
	return x - 1;
}

static void *caller(void *arg)
{
	long s = 0;
	while (!atomic_load(&go))
		;
	for (long i = 0; i < ncalls; i++)
		s = t_dec(t_inc(s));
	*(long *)arg = s;
	return NULL;
}

T_FN void t_slow(int ms)
{
	usleep(ms * 1000);
}

static void *short_lived(void *arg)
{
	(void)arg;
	t_slow(1);
	return NULL;
}

static void *execer(void *arg)
{
	(void)arg;
	usleep(20000);
	execl(self, self, "done", (char *)NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "calls";
	self = argv[0];
	if (!strcmp(what, "done")) {
		printf("exec done\n");
		return 5;
	}
	if (!strcmp(what, "calls")) {
		pthread_t th[NTHREADS];
		long r[NTHREADS], sum = 0;
		ncalls = argc > 2 ? atol(argv[2]) : 1000;
		for (int i = 0; i < NTHREADS; i++)
			pthread_create(&th[i], NULL, caller, &r[i]);
		atomic_store(&go, 1);
		for (int i = 0; i < NTHREADS; i++) {
			pthread_join(th[i], NULL);
			sum += r[i];
		}
		printf("sum %ld\n", sum);
		return 0;
	}
	if (!strcmp(what, "churn")) {
		pthread_t slow, th[16];
		pthread_create(&slow, NULL, short_lived, NULL);   /* mid-call while others come and go */
		for (int i = 0; i < 16; i++)
			pthread_create(&th[i], NULL, short_lived, NULL);
		for (int i = 0; i < 16; i++)
			pthread_join(th[i], NULL);
		pthread_join(slow, NULL);
		printf("churn done\n");
		return 0;
	}
	if (!strcmp(what, "exec")) {
		pthread_t th;
		pthread_create(&th, NULL, execer, NULL);
		t_slow(2000);   /* still in this call when the other thread execs */
		return 1;
	}
	return 100;
}
