/* argcalls: N calls of a library function with a string argument (strlen, which ltrace's
 * prototypes know too) and of an own function with an integer argument, for bench/args.py.
 * Usage: argcalls N */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) int leaf(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	const char *volatile s = "a string of some length";
	int v = 0;
	for (long i = 0; i < n; i++)
		v = leaf(v) + (int)(strlen(s) & 1);
	return v == (int)(2 * n) ? 0 : 1;
}
