/* liberrctor.so: a constructor that makes failing calls, the earliest a program can make (the
 * loader runs it before the executable's _start): their errno must show on the fast path as on
 * the int3 path (tests/e2e/test_args.py). */
#include <unistd.h>
#include "../t.h"

T_FN static void early_calls(void)
{
	close(-1);
	dup(-7);
}

__attribute__((constructor)) static void early(void)
{
	early_calls();
}

int errctor_api(int x)
{
	return x + 1;
}
