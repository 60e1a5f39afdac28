/* argcalls: N calls of a library function with a string argument (strlen, which ltrace's
 * prototypes know too) and of an own function with an integer argument, for bench/args.py.
 * With "stack", N calls of an own function with eight integer arguments (two on the stack);
 * with "x87", N calls of one returning a long double (bench/args.py builds it with -g too, so
 * that -a knows their prototypes). Usage: argcalls N [stack|x87] */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) int leaf(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

__attribute__((noinline)) long leaf8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	__asm__ volatile("" : "+r"(a));
	return a + b + c + d + e + f + g + h;
}

__attribute__((noinline)) long double ldleaf(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 0.5L;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	const char *mode = argc > 2 ? argv[2] : "";
	if (!strcmp(mode, "stack")) {
		long v = 0;
		for (long i = 0; i < n; i++)
			v = leaf8(v, 1, 1, 1, 1, 1, 1, 1) - 6;
		return v == n ? 0 : 1;
	}
	if (!strcmp(mode, "x87")) {
		long double v = 0;
		for (long i = 0; i < n; i++)
			v += ldleaf((int)i & 1);
		return v == 0.5L * n + n / 2 ? 0 : 1;
	}
	const char *volatile s = "a string of some length";
	int v = 0;
	for (long i = 0; i < n; i++)
		v = leaf(v) + (int)(strlen(s) & 1);
	return v == (int)(2 * n) ? 0 : 1;
}
