/* libfnt: a test library: an exported function that calls internal ones (static, hidden). */
#include "../t.h"

T_FN static int lib_internal(int x)
{
	T_KEEP(x);
	return x * 2;
}

__attribute__((visibility("hidden"))) T_FN int lib_hidden(int x)
{
	T_KEEP(x);
	return lib_internal(x) + 1;
}

T_FN int lib_api(int x)
{
	int r = lib_hidden(x);
	T_KEEP(r);
	return r;
}
