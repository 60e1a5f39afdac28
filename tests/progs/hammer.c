/* hammer: 64 threads started together (a barrier), each calling t_hammer N times (argv[1], default 2000);
 * prints the sum, which must be 64*N: every call must be counted, none lost, none twice. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include "t.h"

#define NTHREADS 64
static long n = 2000;
static pthread_barrier_t start;
static atomic_long total;

T_FN long t_hammer(long x)
{
	T_KEEP(x);
	return x + 1;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	long s = 0;
	for (long i = 0; i < n; i++)
		s = t_hammer(s);
	atomic_fetch_add(&total, s);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n = atol(argv[1]);
	pthread_t th[NTHREADS];
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("%ld\n", atomic_load(&total));
	return atomic_load(&total) == NTHREADS * n ? 0 : 1;
}
