/* libifn: an IFUNC whose resolver counts its runs, and never returns if it is run before the
 * program allows it: only the program's own first call (bound lazily) may run it. */
#include <unistd.h>

int ifn_allowed;
int ifn_runs;

static int ifn_impl(int x)
{
	return x + 1;
}

static void *ifn_resolver(void)
{
	while (!ifn_allowed)
		pause();   /* run by someone else than the loader at the program's call */
	ifn_runs++;
	return (void *)ifn_impl;
}

int ifn(int x) __attribute__((ifunc("ifn_resolver")));
