/* blocks: T threads (argv[1], default 4) started together, each running R rounds (argv[2],
 * default 12) of t_fib(D + round % 3) (D: argv[3], default 14), each round ended by a SIGUSR1 to
 * itself that t_on_usr1 catches. Every thread fills many blocks of records, its calls nested
 * differently from one block to the next, and stops (the signal) soon after many of its full
 * blocks: records fed out of order, or lost, change its graph. Prints the sum of the results. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include "t.h"

static int rounds = 12, depth = 14;
static pthread_barrier_t start;
static atomic_long total, caught;

T_FN long t_fib(int n)
{
	if (n < 2)
		return n;
	long a = t_fib(n - 1);
	T_KEEP(a);
	return a + t_fib(n - 2);
}

T_FN void t_on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&caught, 1);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	long s = 0;
	for (int r = 0; r < rounds; r++) {
		s += t_fib(depth + r % 3);
		raise(SIGUSR1);
	}
	atomic_fetch_add(&total, s);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (argc > 3)
		depth = atoi(argv[3]);
	if (n < 1 || n > 64)
		return 2;
	signal(SIGUSR1, t_on_usr1);
	pthread_t th[64];
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("sum %ld, signals %ld\n", atomic_load(&total), atomic_load(&caught));
	return 0;
}
