/* fasthaz: the code shapes the fast path's window checker must refuse or relocate right, each
 * called many times, with results that prove the program computed what it would untraced:
 * a loop back into a function's first bytes, tiny functions with and without padding after
 * them, a switch on a jump table, computed goto, a rip-relative first instruction, a landing
 * site of a longjmp right after a call, a tail-recursive loop, flags passed to a callee, and an
 * interpreter's loop (a switch whose table base stays in a register, case labels right after
 * the calls of other cases). */
#include <setjmp.h>
#include <stdio.h>
#include "t.h"

long t_h_loop(long), t_h_ret(void), t_h_xorret(void), t_h_packed1(void), t_h_packed2(void);
long t_h_cmprip(void), t_h_cf(void), t_h_cf_caller(void);
long t_h_counter = 3;

__asm__(
	".text\n"
	/* entry+2 is the target of the loop: the window at entry must not be relocated */
	".p2align 4\n.globl t_h_loop\n.type t_h_loop, @function\n"
	"t_h_loop: xor %eax, %eax\n 1: add $1, %rax\n cmp %rdi, %rax\n jl 1b\n ret\n"
	".size t_h_loop, .-t_h_loop\n"
	".p2align 4\n.globl t_h_ret\n.type t_h_ret, @function\n"
	"t_h_ret: ret\n"
	".size t_h_ret, .-t_h_ret\n"
	".p2align 4\n.globl t_h_xorret\n.type t_h_xorret, @function\n"
	"t_h_xorret: xor %eax, %eax\n ret\n"
	".size t_h_xorret, .-t_h_xorret\n"
	/* two tiny functions with no padding between them */
	".p2align 4\n.globl t_h_packed1\n.type t_h_packed1, @function\n"
	"t_h_packed1: mov $1, %al\n movzbl %al, %eax\n ret\n"
	".size t_h_packed1, .-t_h_packed1\n"
	".globl t_h_packed2\n.type t_h_packed2, @function\n"
	"t_h_packed2: mov $2, %eax\n ret\n"
	".size t_h_packed2, .-t_h_packed2\n"
	/* a rip-relative compare first */
	".p2align 4\n.globl t_h_cmprip\n.type t_h_cmprip, @function\n"
	"t_h_cmprip: cmpq $3, t_h_counter(%rip)\n je 1f\n mov $1, %eax\n ret\n 1: mov $7, %eax\n ret\n"
	".size t_h_cmprip, .-t_h_cmprip\n"
	/* CF set by the caller, read by the callee at its entry */
	".p2align 4\n.globl t_h_cf\n.type t_h_cf, @function\n"
	"t_h_cf: setc %al\n movzbl %al, %eax\n ret\n"
	".size t_h_cf, .-t_h_cf\n"
	".p2align 4\n.globl t_h_cf_caller\n.type t_h_cf_caller, @function\n"
	"t_h_cf_caller: stc\n call t_h_cf\n ret\n"
	".size t_h_cf_caller, .-t_h_cf_caller\n"
);

T_FN long t_h_switch(long x)
{
	switch (x & 15) {
	case 0: return x * 3;
	case 1: return x + 11;
	case 2: return x - 5;
	case 3: return x ^ 0x55;
	case 4: return x << 2;
	case 5: return x >> 1;
	case 6: return ~x;
	case 7: return x * x;
	case 8: return x + 100;
	case 9: return x - 100;
	case 10: return x | 0x100;
	case 11: return x & 0xff;
	default: return 0;
	}
}

T_FN long t_h_goto(long x)
{
	static void *const labels[] = { &&l0, &&l1, &&l2, &&l3 };
	long r = 0;
	goto *labels[x & 3];
l0:	r += 1;
l1:	r += 10;
l2:	r += 100;
l3:	r += 1000;
	return r;
}

/* At -O2 a loop that jumps back to its own entry's next instructions. */
T_FN long t_h_count(long n, long acc)
{
	if (n <= 0)
		return acc;
	return t_h_count(n - 1, acc + n);
}

T_FN long t_h_op(long acc, long k)
{
	T_KEEP(k);
	return acc * 3 + k;
}

/* gawk's interpreter in small: the switch's table base is lea'd once into a callee-saved
 * register (restored by the epilogue's pop), each case calls t_h_op and goes round again, so
 * case labels sit right after return sites. */
T_FN long t_h_interp(const unsigned char *code, long n)
{
	long acc = 0;
	for (long pc = 0; pc < n; pc++) {
		switch (code[pc]) {
		case 0: acc = t_h_op(acc, 1); break;
		case 1: acc = t_h_op(acc, 2) - 1; break;
		case 2: acc ^= t_h_op(acc, 3); break;
		case 3: acc += t_h_op(acc >> 2, 4); break;
		case 4: acc = t_h_op(acc, 5) | 1; break;
		case 5: acc -= t_h_op(acc & 0xff, 6); break;
		case 6: acc = t_h_op(~acc, 7); break;
		case 7: acc = t_h_op(acc, 8) + t_h_op(acc, 9); break;
		default: acc = 0; break;
		}
		acc &= 0xffffffff;
	}
	return acc;
}

static jmp_buf env;

T_FN void t_h_jump(int n)
{
	if (n & 1)
		longjmp(env, n);
	T_KEEP(n);
}

int main(void)
{
	long s = 0;
	for (long i = 0; i < 200; i++) {
		s += t_h_loop(i & 7) + t_h_ret() + t_h_xorret() + t_h_packed1() + t_h_packed2();
		s += t_h_cmprip() + t_h_switch(i) + t_h_goto(i) + t_h_cf_caller();
	}
	printf("sum %ld\n", s);
	printf("count %ld\n", t_h_count(100, 0));
	unsigned char code[300];
	for (int i = 0; i < 300; i++)
		code[i] = (unsigned char)((i * 7 + i / 9) % 9);
	printf("interp %ld\n", t_h_interp(code, 300));
	int jumps = 0;
	for (int i = 0; i < 10; i++)
		if (setjmp(env))   /* lands on the site after setjmp's call, patched or not */
			jumps++;
		else
			t_h_jump(i);
	printf("jumps %d\n", jumps);
	return 0;
}
