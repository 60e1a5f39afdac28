// throw: C++ exceptions through traced frames, caught, rethrown and caught again.
#include <cstdio>
#include <stdexcept>
#include "t.h"

T_FN void t_thrower(int n)
{
	if (n > 0)
		throw std::runtime_error("boom");
	T_KEEP(n);
}

T_FN void t_middle(int n)
{
	t_thrower(n);
	std::puts("not reached");
}

T_FN void t_catcher()
{
	try {
		t_middle(1);
	} catch (const std::exception &e) {
		std::printf("caught %s\n", e.what());
	}
}

T_FN void t_rethrower()
{
	try {
		t_middle(1);
	} catch (...) {
		throw;
	}
}

T_FN void t_after(int n)
{
	T_KEEP(n);
}

int main()
{
	t_catcher();
	try {
		t_rethrower();
	} catch (const std::exception &e) {
		std::printf("caught again %s\n", e.what());
	}
	t_after(1);
	return 0;
}
