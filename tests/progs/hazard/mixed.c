/* mixed: functions the fast path must leave on int3 (a loop back into the first bytes) calling
 * and called by functions it patches, directly (a call it redirects to a trampoline) and
 * through a pointer (the int3 itself): the events must come in the order the breakpoints alone
 * give, and each function count as one, whichever way it was called. */
#include <stdio.h>
#include "../t.h"

long t_mx_loop(long n);
T_FN long t_mx_leaf(long x)
{
	T_KEEP(x);
	return x + 1;
}

/* entry+2 is the loop's target: no window at the entry. It calls t_mx_leaf each round. */
__asm__(
	".text\n"
	".p2align 4\n.globl t_mx_loop\n.type t_mx_loop, @function\n"
	"t_mx_loop: push %rbx\n 1: mov %rdi, %rbx\n call t_mx_leaf\n lea -1(%rbx), %rdi\n test %rdi, %rdi\n"
	" jg 1b\n pop %rbx\n ret\n"
	".size t_mx_loop, .-t_mx_loop\n");

long (*volatile t_mx_ptr)(long) = t_mx_loop;

T_FN long t_mx_outer(long n)
{
	long r = t_mx_loop(n) + t_mx_ptr(n);
	T_KEEP(r);
	return r;
}

int main(void)
{
	long s = 0;
	for (long i = 1; i <= 4; i++)
		s += t_mx_outer(i) + t_mx_ptr(i) + t_mx_loop(i);
	printf("sum %ld\n", s);
	return 0;
}
