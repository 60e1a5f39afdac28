/* attachee: a busy program to attach to and detach from again and again. argv[1] workers (default
 * 4) run rounds of traced calls, each round's checksum compared with the one an untraced copy of
 * the same code gives; one thread is blocked in read(2) on stdin, another in a futex
 * (pthread_cond_wait), the main thread in pthread_join. When stdin ends, everything stops and
 * the program prints "ok" and exits 0; a wrong round prints "bad" and exits 3. A line "sig"
 * on stdin sets a SIGUSR2 handler (sigaction, where fntrace keeps an int3 whatever it traces),
 * raises SIGUSR2 and prints "sig ok" once the handler has run. A line "thread" starts a thread
 * that runs a round of traced calls (fntrace maps its block of records then: an injected system
 * call) and prints "thread ok" once it is joined and its round was right. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"

static atomic_int stop;
static atomic_int bad;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

T_FN unsigned long t_mix(unsigned long x, unsigned long k)
{
	T_KEEP(x);
	return (x ^ k) * 0x9e3779b97f4a7c15ul + (x >> 7);
}

T_FN unsigned long t_round(unsigned long seed)
{
	unsigned long x = seed;
	for (unsigned long k = 0; k < 200; k++)
		x = t_mix(x, k);
	return x;
}

/* The same, untraced with -i 't_*': what a round must give. */
static unsigned long ref_round(unsigned long seed)
{
	unsigned long x = seed;
	for (unsigned long k = 0; k < 200; k++) {
		T_KEEP(x);
		x = (x ^ k) * 0x9e3779b97f4a7c15ul + (x >> 7);
	}
	return x;
}

static void *worker(void *arg)
{
	unsigned long seed = (unsigned long)(size_t)arg;
	while (!atomic_load(&stop)) {
		if (t_round(seed) != ref_round(seed))
			atomic_store(&bad, 1);
		seed++;
	}
	return NULL;
}

static volatile sig_atomic_t usr2;

static void on_usr2(int sig)
{
	(void)sig;
	usr2 = 1;
}

/* A round run only by the thread a "thread" line starts: traced alone (-i t_alone), it leaves
 * that thread the only one in traced code. */
T_FN unsigned long t_alone(unsigned long seed)
{
	return t_round(seed);
}

static void *one_round(void *arg)
{
	(void)arg;
	return (void *)(size_t)(t_alone(77) == ref_round(77));
}

static void *reader(void *arg)
{
	(void)arg;
	char buf[64];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		if (n >= 6 && !memcmp(buf, "thread", 6)) {
			pthread_t th;
			void *ok = NULL;
			if (pthread_create(&th, NULL, one_round, NULL) == 0)
				pthread_join(th, &ok);
			printf(ok ? "thread ok\n" : "thread bad\n");
			fflush(stdout);
		}
		if (n >= 3 && buf[0] == 's' && buf[1] == 'i' && buf[2] == 'g') {
			usr2 = 0;
			signal(SIGUSR2, on_usr2);
			raise(SIGUSR2);
			printf(usr2 ? "sig ok\n" : "sig lost\n");
			fflush(stdout);
		}
	}
	atomic_store(&stop, 1);
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!atomic_load(&stop))
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t th[64], r, w;
	if (n < 1 || n > 64)
		return 2;
	pthread_create(&r, NULL, reader, NULL);
	pthread_create(&w, NULL, waiter, NULL);
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, worker, (void *)(size_t)(i * 1000000));
	printf("started\n");
	fflush(stdout);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_join(r, NULL);
	pthread_join(w, NULL);
	printf(atomic_load(&bad) ? "bad\n" : "ok\n");
	return atomic_load(&bad) ? 3 : 0;
}
