/* exitdeep: exit() called deep in the stack, from a function whose last instruction is that call;
 * the atexit handler runs inside it. Every open frame closes at the end. */
#include <stdio.h>
#include <stdlib.h>
#include "t.h"

T_FN void t_atexit(void)
{
	puts("atexit");
}

__attribute__((noreturn)) T_FN void t_bottom(int code)
{
	exit(code);
}

T_FN void t_mid(int code)
{
	t_bottom(code);
}

T_FN void t_next(int n)
{
	T_KEEP(n);
}

int main(int argc, char **argv)
{
	atexit(t_atexit);
	t_next(argc);
	t_mid(argc > 1 ? 5 : 4);
	return 0;
}
