/* tail: calls in tail position, which the optimiser turns into jumps from -O2 on. Whether a
 * jump or a call, t_second must show nested inside t_first, and t_after after both. */
#include <stdio.h>
#include "t.h"

volatile int sink;

T_FN int t_third(int x)
{
	sink = x;
	return x + 3;
}

T_FN int t_second(int x)
{
	sink = x;
	return t_third(x + 2);
}

T_FN int t_first(int x)
{
	sink = x;
	return t_second(x + 1);
}

T_FN int t_after(int x)
{
	sink = x;
	return x;
}

int main(void)
{
	int r = t_first(1);
	T_KEEP(r);
	r = t_after(r);
	T_KEEP(r);
	printf("%d\n", r);
	return 0;
}
