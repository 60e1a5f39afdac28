/* calls: N calls to small non-inlined functions; with -DINT3 each call also executes an int3,
 * for the floor tracer. Usage: calls N */
#include <stdlib.h>

#ifdef INT3
#define TRAP() __asm__ volatile("int3")
#else
#define TRAP() do { } while (0)
#endif

__attribute__((noinline)) int leaf(int x)
{
	TRAP();
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int s = 0;
	for (long i = 0; i < n; i++)
		s = leaf(s);
	return s == (int)n ? 0 : 1;
}
