/* churn: threads created and destroyed in a loop: R rounds (argv[1]) of 4 threads that each make
 * M traced calls (argv[2]) and exit, joined before the next round, so that later threads reuse
 * the stacks and TCBs (glibc caches them) of dead ones, and the tracer their blocks. Prints the
 * total, which must be R*4*M. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "../t.h"

static long m;

T_FN long t_ch_work(long x)
{
	T_KEEP(x);
	return x + 1;
}

T_FN static void *t_ch_thread(void *arg)
{
	long s = 0;
	(void)arg;
	for (long i = 0; i < m; i++)
		s = t_ch_work(s);
	return (void *)s;
}

int main(int argc, char **argv)
{
	long rounds = argc > 2 ? atol(argv[1]) : 10, total = 0;
	m = argc > 2 ? atol(argv[2]) : 100;
	for (long r = 0; r < rounds; r++) {
		pthread_t th[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, t_ch_thread, NULL);
		for (int i = 0; i < 4; i++) {
			void *v;
			pthread_join(th[i], &v);
			total += (long)v;
		}
	}
	printf("%ld\n", total);
	return total == rounds * 4 * m ? 0 : 1;
}
