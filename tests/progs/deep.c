/* deep: a recursion argv[1] calls deep (default 70,000), each level a real call with its own
 * frame, then a leaf call at the bottom: a trace whose call paths are as deep as a stack. */
#include <stdio.h>
#include <stdlib.h>
#include "t.h"

T_FN long t_leaf(long n)
{
	T_KEEP(n);
	return n;
}

T_FN long t_down(long n)
{
	long r = n ? t_down(n - 1) : t_leaf(n);
	T_KEEP(r);
	return r + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 70000;
	printf("%ld\n", t_down(n));
	return 0;
}
