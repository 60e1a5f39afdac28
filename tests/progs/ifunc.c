/* ifunc: calls an IFUNC of libifn twice, bound lazily: the loader runs its resolver once, at the
 * first call. Prints how many times the resolver ran. */
#include <stdio.h>

extern int ifn_allowed, ifn_runs;
int ifn(int x);

int main(void)
{
	ifn_allowed = 1;
	int a = ifn(1), b = ifn(a);
	printf("ifn %d %d, resolver runs %d\n", a, b, ifn_runs);
	return 0;
}
