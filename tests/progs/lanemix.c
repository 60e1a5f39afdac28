/* lanemix: calls the fast path's lane must take as the general way takes them, each shape many
 * times: 400 call sites of one function (more return sites than the tracer's table of 256 sites
 * seen holds), calls into the C library from the executable, one of them a tail jump (t_len
 * ends in a jmp to strlen from -O2: its caller's frame has the same sp and return address),
 * a library function calling back into the program (qsort), and one reported both when the
 * program calls it and never when a library jumps to it (glibc's qsort ends in a jump to
 * qsort_r). argv[1]: rounds (default 50). */
#define _GNU_SOURCE
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "t.h"

volatile int sink;
static const char *volatile words[] = { "alpha", "beta", "gamma" };

T_FN int t_leaf(int x)
{
	sink = x;
	return x + 1;
}

#define R4(x) x x x x
#define R5(x) x x x x x
#define SITES(x) R4(R4(R5(R5(x))))   /* 400 copies */

/* 400 calls of t_leaf, each from its own call site, and each at a lower rsp than the one before
 * (alloca): a return not seen would show the next call nested inside. */
T_FN int t_sites(int s)
{
	SITES(s = t_leaf(s); { volatile char *a = alloca(16); a[0] = 0; })
	return s;
}

T_FN size_t t_len(const char *s)
{
	return strlen(s);
}

T_FN int t_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

T_FN int t_cmp_r(const void *a, const void *b, void *arg)
{
	(void)arg;
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 50;
	int s = 0;
	size_t n = 0;
	for (int k = 0; k < rounds; k++) {
		s = t_sites(s);
		n += t_len(words[k % 3]);
		n += strlen(words[(k + 1) % 3]);
		int v[4] = { k, 3, 1, 2 };
		qsort_r(v, 4, sizeof(v[0]), t_cmp_r, NULL);
		qsort(v, 4, sizeof(v[0]), t_cmp);
		s += v[0];
	}
	printf("%d %zu\n", s, n);
	return 0;
}
