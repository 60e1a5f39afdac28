/* dbgdemo: a stripped program, with a stripped library, whose names are in separate debug
 * files (see tests/e2e/test_names.py). */
#include <stdio.h>
#include "t.h"

int dbg_api(int x);

T_FN static int prog_local(int x)
{
	int r = dbg_api(x);
	T_KEEP(r);
	return r;
}

int main(void)
{
	printf("%d\n", prog_local(20));
	return 0;
}
