/* fib: plain recursion with an exact call count: fib(n) makes 2*fib(n+1)-1 calls. */
#include <stdio.h>
#include <stdlib.h>
#include "t.h"

T_FN int fib(int n)
{
	if (n < 2)
		return n;
	int a = fib(n - 1);
	T_KEEP(a);
	int b = fib(n - 2);
	T_KEEP(b);
	return a + b;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	printf("fib(%d) = %d\n", n, fib(n));
	return 0;
}
