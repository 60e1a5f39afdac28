/* shortjmp: code shapes whose 5-byte windows the checker refuses but that a jmp rel8 to a
 * nearby jmp rel32 in padding can patch, each called many times with results that prove the
 * program computed what it would untraced: loops back to entry+2, +3 and +4 (the first
 * instruction alone is the window), and to entry+1 after a 1-byte push (no window at all); a
 * function another one jumps into at entry+3, as glibc's __memcpy_chk does into memmove; a
 * return site that is a 2-byte jmp followed by a branch target; a tail call through a register
 * that holds an argument. With "alarm" after the count, a SIGALRM every 100 us checks that no signal ever finds the program
 * at a padding byte (where a thread is between the jmp rel8 and the jmp rel32) or outside its
 * own code. The padding is explicit (.fill) and known to the handler by offsets, which are no
 * addresses (an address stored in data would make it a branch target). */
#define _GNU_SOURCE   /* REG_RIP */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include "t.h"

long t_s_loop2(long), t_s_loop3(long), t_s_loop4(long), t_s_loop1(long);
long t_s_body(long), t_s_join(long), t_s_jmpsite(long), t_s_tail(long (*)(long), long);
extern const char t_s_begin[], t_s_end[];
extern const int t_s_pads[], t_s_npads;

#define PAD(n) ".Lpad" #n ": .fill 8, 1, 0x90\n"
#define FN(name) ".globl " #name "\n.type " #name ", @function\n" #name ":\n"
#define END(name) ".size " #name ", .-" #name "\n"

__asm__(
	".text\n"
	".p2align 4\n"
	PAD(8)
	"t_s_begin:\n"
	/* xor is 2 bytes; the loop comes back to entry+2 */
	FN(t_s_loop2) "xor %eax, %eax\n1: add $1, %rax\n cmp %rdi, %rax\n jl 1b\n ret\n" END(t_s_loop2)
	PAD(0)
	/* mov is 3 bytes; back to entry+3 */
	FN(t_s_loop3) "mov %rdi, %rax\n1: sub $3, %rax\n cmp $7, %rax\n jg 1b\n ret\n" END(t_s_loop3)
	PAD(1)
	/* lea is 4 bytes; back to entry+4 */
	FN(t_s_loop4) "lea 8(%rdi), %rax\n1: sub $5, %rax\n cmp $9, %rax\n jg 1b\n ret\n" END(t_s_loop4)
	PAD(2)
	/* push is 1 byte, a jmp rel8 2: back to entry+1, so no window (int3) */
	FN(t_s_loop1) "push %rbx\n1: mov %rdi, %rbx\n sub $1, %rdi\n jg 1b\n mov %rbx, %rax\n pop %rbx\n ret\n"
	END(t_s_loop1)
	PAD(3)
	/* t_s_join jumps to t_s_body+3: a call of t_s_join is no call of t_s_body */
	FN(t_s_body) "mov %rdi, %rax\n.Lbody3: add $5, %rax\n ret\n" END(t_s_body)
	PAD(4)
	FN(t_s_join) "lea 100(%rdi), %rax\n jmp .Lbody3\n" END(t_s_join)
	PAD(5)
	/* the return site after the call is a jmp rel8 (spelt out: clang's assembler would make
	 * it a rel32), and the next instruction a target */
	FN(t_s_jmpsite) "push %rbx\n mov %rdi, %rbx\n call t_s_loop2\n .byte 0xeb, 2f-3f\n3:\n1: add $1, %rax\n2: add %rbx, %rax\n"
	" cmp $1000, %rax\n jl 1b\n pop %rbx\n ret\n" END(t_s_jmpsite)
	PAD(6)
	/* a return site whose window (mov, add) lies in a function that tail-calls through a
	 * register: rbx holds the argument fn, so the jump needs no targets (nothing computes rbx, nor
	 * rdi and rsi, copied into it) */
	FN(t_s_tail) "push %rbx\n mov %rdi, %rbx\n mov %rsi, %rdi\n call t_s_loop3\n mov %eax, %ecx\n add $1, %ecx\n"
	" mov %rbx, %rax\n pop %rbx\n jmp *%rax\n" END(t_s_tail)
	PAD(7)
	"t_s_end:\n"
	".section .rodata\n.p2align 2\n"
	".globl t_s_pads\nt_s_pads:\n"
	".long .Lpad0-t_s_begin, .Lpad1-t_s_begin, .Lpad2-t_s_begin, .Lpad3-t_s_begin\n"
	".long .Lpad4-t_s_begin, .Lpad5-t_s_begin, .Lpad6-t_s_begin, .Lpad7-t_s_begin, .Lpad8-t_s_begin\n"
	".globl t_s_npads\nt_s_npads: .long 9\n"
	".text\n");

extern const char __executable_start[], etext[];
static volatile sig_atomic_t ticks, at_pad, outside, in_loop;

static void on_alarm(int sig, siginfo_t *si, void *uc_)
{
	const ucontext_t *uc = uc_;
	const char *pc = (const char *)uc->uc_mcontext.gregs[REG_RIP];
	(void)sig;
	(void)si;
	ticks++;
	for (int i = 0; i < t_s_npads; i++)
		if (pc >= t_s_begin + t_s_pads[i] && pc < t_s_begin + t_s_pads[i] + 8)
			at_pad++;
	if (in_loop && (pc < __executable_start || pc >= etext))
		outside++;   /* (the loop calls nothing outside the program) */
}

T_FN long t_s_work(long i)
{
	long s = t_s_loop2(i & 7) + t_s_loop3(i & 31) + t_s_loop4(i & 63) + t_s_loop1(i & 3);
	s += t_s_body(i) + t_s_join(i) + t_s_jmpsite(i & 15) + t_s_tail(t_s_loop4, i & 127);
	return s;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	if (argc > 2 && !strcmp(argv[2], "alarm"))
		setitimer(ITIMER_REAL, &it, NULL);
	long s = 0;
	in_loop = 1;
	for (long i = 0; i < n; i++)
		s += t_s_work(i);
	in_loop = 0;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	printf("sum %ld\n", s);
	printf("signals at padding %d, outside the program's code %d\n", (int)at_pad, (int)outside);
	return at_pad || outside;
}
