/* libplug: a plugin loaded with dlopen. */
#include "../t.h"

T_FN int plug_fn(int x)
{
	T_KEEP(x);
	return x + 100;
}
