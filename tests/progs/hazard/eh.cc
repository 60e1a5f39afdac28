// eh: C++ exceptions through traced frames, and code that looks at its own return addresses.
// throw and catch, rethrow (throw;), std::rethrow_exception, a landing pad right after a call
// (that of __cxa_throw, whose return site is patched), backtrace() and __builtin_return_address
// with dladdr from traced code: every address must be the program's own, never a trampoline's.
#include <cstdio>
#include <cstdint>
#include <dlfcn.h>
#include <exception>
#include <execinfo.h>
#include <stdexcept>
#include "../t.h"
#include "own.h"

static int bad, named;

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

T_FN int t_catch()
{
	try {
		t_middle(1);
	} catch (const std::exception &e) {
		return 1;
	}
	return 0;
}

T_FN void t_rethrow()
{
	try {
		t_middle(1);
	} catch (...) {
		throw;
	}
}

T_FN std::exception_ptr t_capture()
{
	try {
		t_middle(1);
	} catch (...) {
		return std::current_exception();
	}
	return nullptr;
}

T_FN void t_replay(std::exception_ptr e)
{
	std::rethrow_exception(e);
}

// The throw's landing pad follows the call of __cxa_throw, which never returns.
T_FN int t_pad(int n)
{
	try {
		if (n)
			throw n;
	} catch (int v) {
		return v + 1;
	}
	return 0;
}

T_FN void t_look(int depth)
{
	void *frames[32];
	int n = backtrace(frames, 32);
	for (int i = 0; i < n; i++)
		bad += !own_code((uintptr_t)frames[i]);
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	bad += !own_code(ra);
	Dl_info info;
	named += dladdr((void *)ra, &info) != 0;   /* (as many as untraced: none when static) */
	T_KEEP(depth);
}

T_FN void t_look_caller(int depth)
{
	if (depth > 0)
		t_look_caller(depth - 1);
	else
		t_look(depth);
	T_KEEP(depth);
}

int main()
{
	own_read();
	int caught = 0, again = 0, replayed = 0, pads = 0;
	for (int i = 0; i < 20; i++) {
		caught += t_catch();
		try {
			t_rethrow();
		} catch (const std::exception &) {
			again++;
		}
		try {
			t_replay(t_capture());
		} catch (const std::runtime_error &) {
			replayed++;
		}
		pads += t_pad(i);
		t_look_caller(3);
	}
	std::printf("caught %d, again %d, replayed %d, pads %d, foreign addresses %d, dladdr %d\n", caught, again,
		    replayed, pads, bad, named);
	return bad == 0 ? 0 : 1;
}
