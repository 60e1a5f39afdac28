/* t.h: what every test program shares. T_FN keeps a function a real, separately called
 * function at every -O level (no inlining, no cloning into foo.constprop.0). */
#ifndef T_H
#define T_H

#if defined(__clang__)
#define T_FN __attribute__((noinline))
#else
#define T_FN __attribute__((noipa))
#endif

/* Stops the compiler from turning a call in tail position into a jump or a loop. */
#define T_KEEP(x) __asm__ volatile("" : "+r"(x))

#endif
