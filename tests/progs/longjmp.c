/* longjmp: a jump out of three traced frames; the frames close, later calls are siblings. */
#include <setjmp.h>
#include <stdio.h>
#include "t.h"

static jmp_buf env;

T_FN void t_deep3(int n)
{
	if (n)
		longjmp(env, 1);
	T_KEEP(n);
}

T_FN void t_deep2(int n)
{
	t_deep3(n);
	T_KEEP(n);
}

T_FN void t_deep1(int n)
{
	t_deep2(n);
	T_KEEP(n);
}

T_FN void t_after(int n)
{
	T_KEEP(n);
}

int main(void)
{
	if (!setjmp(env))
		t_deep1(1);
	t_after(0);
	t_deep1(0);
	puts("back");
	return 0;
}
