/* libdbgdemo: a test library whose internal functions, once it is stripped, only its separate
 * debug file names. */
#include "../t.h"

T_FN static int dbg_twice(int x)
{
	T_KEEP(x);
	return x * 2;
}

T_FN static int dbg_plus_one(int x)
{
	int r = dbg_twice(x);
	T_KEEP(r);
	return r + 1;
}

T_FN int dbg_api(int x)
{
	int r = dbg_plus_one(x);
	T_KEEP(r);
	return r;
}
