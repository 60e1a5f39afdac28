/* mutual: mutual recursion, is_even and is_odd calling each other. */
#include <stdio.h>
#include "t.h"

T_FN int is_odd(int n);

T_FN int is_even(int n)
{
	if (n == 0)
		return 1;
	int r = is_odd(n - 1);
	T_KEEP(r);
	return r;
}

T_FN int is_odd(int n)
{
	if (n == 0)
		return 0;
	int r = is_even(n - 1);
	T_KEEP(r);
	return r;
}

int main(void)
{
	int even = is_even(4);
	int odd = is_odd(3);
	printf("%d %d\n", even, odd);
	return 0;
}
