/* evil: a function whose name the test rewrites in the binary to hold terminal escape
 * sequences, a bell and a backslash, as a hostile binary could. */
#include <stdio.h>
#include "t.h"

T_FN void t_evil_PLACEHOLDER_NAME(void)
{
	puts("evil ran");
}

int main(void)
{
	t_evil_PLACEHOLDER_NAME();
	return 0;
}
