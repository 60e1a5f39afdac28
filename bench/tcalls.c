/* tcalls: T threads (argv[2], default 1) each making N calls (argv[1]) of a small non-inlined
 * function, started together. For the fast path's per-call cost with 1 and with 8 threads. */
#include <pthread.h>
#include <stdlib.h>

static long n;
static pthread_barrier_t start;

__attribute__((noinline)) int leaf(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

/* Not the last function before .fini: leaf has padding after it, as most functions do. */
__attribute__((noinline)) int spare(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x - 1;
}

static void *worker(void *arg)
{
	int s = 0;
	(void)arg;
	pthread_barrier_wait(&start);
	for (long i = 0; i < n; i++)
		s = leaf(s);
	return (void *)(long)s;
}

int main(int argc, char **argv)
{
	n = argc > 1 ? atol(argv[1]) : 100000;
	int t = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t th[64];
	if (t < 1 || t > 64)
		return 2;
	pthread_barrier_init(&start, NULL, (unsigned)t);
	for (int i = 0; i < t; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	long sum = 0;
	for (int i = 0; i < t; i++) {
		void *r;
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	return sum == (long)t * n ? spare(1) : 1;
}
