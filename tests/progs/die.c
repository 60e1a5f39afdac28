/* die: ends as argv[1] says: "exit N", "segv", "abort", "kill" (SIGKILL itself), "trap" (raises
 * SIGTRAP, which it handles), "usr1" (a handler that calls traced functions). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
