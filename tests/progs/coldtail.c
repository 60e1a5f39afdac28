/* coldtail: a function that tail-calls through a register holding its argument, split the way
 * gcc splits a function into a hot part and a cold fragment (.text.unlikely) that jumps back
 * into it: the jump's register is made elsewhere on every path, the cold one too, so the window
 * checker may trust the function (its entry's 3-instruction window is patched in-process). Its
 * twin's cold fragment computes the register (adding 0, which keeps the results right): the
 * jump's targets are not all known and that entry stays int3. Each is called with odd and even
 * arguments, so both paths run, and the results prove the program computed what it would
 * untraced. */
#include <stdio.h>
#include <stdlib.h>
#include "t.h"

long t_c_hot(long x, long (*fn)(long)), t_c_computed(long x, long (*fn)(long));

#define FN(name) ".globl " #name "\n.type " #name ", @function\n" #name ":\n"
#define END(name) ".size " #name ", .-" #name "\n"
/* push, push, mov: an entry window of three instructions. Odd x goes through the cold
 * fragment, which adds 100 to it (and, for the twin, 0 to the jump's register). */
#define HOT(name, back, cold) FN(name) "push %rbx\n push %r12\n mov %rsi, %r12\n mov %rdi, %rbx\n" \
	" test $1, %bl\n jnz " #cold "\n" #back ": mov %rbx, %rdi\n mov %r12, %rax\n pop %r12\n pop %rbx\n" \
	" jmp *%rax\n" END(name)

__asm__(
	".text\n"
	".p2align 4\n"
	HOT(t_c_hot, .Lhot_back, coldpart_hot)
	".p2align 4\n"
	HOT(t_c_computed, .Lcomputed_back, coldpart_computed)
	".section .text.unlikely, \"ax\", @progbits\n"
	".type coldpart_hot, @function\n"
	"coldpart_hot: add $100, %rbx\n jmp .Lhot_back\n"
	".size coldpart_hot, .-coldpart_hot\n"
	".type coldpart_computed, @function\n"
	"coldpart_computed: add $100, %rbx\n add $0, %r12\n jmp .Lcomputed_back\n"
	".size coldpart_computed, .-coldpart_computed\n"
	".text\n");

T_FN long t_c_twice(long x)
{
	return 2 * x;
}

T_FN long t_c_work(long i)
{
	return t_c_hot(i, t_c_twice) + t_c_computed(i + 1, t_c_twice);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, s = 0;
	for (long i = 0; i < n; i++)
		s += t_c_work(i);
	printf("sum %ld\n", s);
	return 0;
}
