/* die: ends as argv[1] says: "exit N", "segv", "abort", "kill" (SIGKILL itself), "trap" (raises
 * SIGTRAP, which it handles), "usr1" (a handler that calls traced functions), "rt" (real-time
 * signals with values, queued while blocked: they must arrive in the kernel's order). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"

static volatile int *nowhere;

T_FN void t_crash(void)
{
	*nowhere = 1;
}

T_FN void t_in_handler(int sig)
{
	printf("handled %d\n", sig);
}

static void handler(int sig)
{
	t_in_handler(sig);
}

T_FN void t_work(int n)
{
	T_KEEP(n);
}

/* The handler runs inside this frame: its calls nest here, and the frame goes on after it. */
T_FN void t_raise(int sig)
{
	raise(sig);
	t_work(3);
}

static void rt_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	printf("RTMIN+%d value %d\n", sig - SIGRTMIN, si->si_value.sival_int);
	t_work(sig);
}

static void realtime(void)
{
	struct sigaction sa = { 0 };
	sigset_t set, old;
	sa.sa_sigaction = rt_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&set);
	for (int i = 0; i < 3; i++) {
		sigaction(SIGRTMIN + i, &sa, NULL);
		sigaddset(&set, SIGRTMIN + i);
	}
	sigprocmask(SIG_BLOCK, &set, &old);
	const int order[][2] = { { 2, 1 }, { 0, 2 }, { 0, 3 }, { 1, 4 } };
	for (int i = 0; i < 4; i++)
		sigqueue(getpid(), SIGRTMIN + order[i][0], (union sigval){ .sival_int = order[i][1] });
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "exit";
	if (!strcmp(what, "exit")) {
		t_work(1);
		return argc > 2 ? atoi(argv[2]) : 0;
	}
	if (!strcmp(what, "segv"))
		t_crash();
	if (!strcmp(what, "abort"))
		abort();
	if (!strcmp(what, "kill"))
		raise(SIGKILL);
	if (!strcmp(what, "rt")) {
		realtime();
		return 0;
	}
	if (!strcmp(what, "trap") || !strcmp(what, "usr1")) {
		int sig = what[0] == 't' ? SIGTRAP : SIGUSR1;
		signal(sig, handler);
		t_work(1);
		t_raise(sig);
		t_work(2);
		return 0;
	}
	return 100;
}
