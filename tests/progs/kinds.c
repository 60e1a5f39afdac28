/* kinds: functions written in assembly so that each starts with one kind of instruction that
 * fntrace must step over: emulated (push, mov, sub rsp, xor, jmp, jcc, call, ret, nop) or run out
 * of line (rip-relative and others). Their results prove the program computed what it would
 * without fntrace; t_k_jrcxz starts with an instruction that cannot be moved and is not traced. */
#include <stdio.h>
#include "t.h"

long t_k_push(long), t_k_movreg(long), t_k_movimm(long), t_k_subsp(long), t_k_xor(long);
long t_k_jmp(long), t_k_jcc_caller(long), t_k_call(long), t_k_nop(long), t_k_riprel(void);
long t_k_cmprip(void), t_k_learip(long), t_k_other(long), t_k_jrcxz(long);
void t_k_ret(void);

__asm__(
	".text\n"
	".p2align 4\n.globl t_k_push\n.type t_k_push, @function\n"
	"t_k_push: push %rbx\n mov %rdi, %rbx\n lea 1(%rbx), %rax\n pop %rbx\n ret\n"
	".size t_k_push, .-t_k_push\n"
	".p2align 4\n.globl t_k_movreg\n.type t_k_movreg, @function\n"
	"t_k_movreg: mov %rdi, %rax\n add $2, %rax\n ret\n"
	".size t_k_movreg, .-t_k_movreg\n"
	".p2align 4\n.globl t_k_movimm\n.type t_k_movimm, @function\n"
	"t_k_movimm: mov $5, %eax\n add %rdi, %rax\n ret\n"
	".size t_k_movimm, .-t_k_movimm\n"
	".p2align 4\n.globl t_k_subsp\n.type t_k_subsp, @function\n"
	"t_k_subsp: sub $0x18, %rsp\n mov %rdi, 8(%rsp)\n mov 8(%rsp), %rax\n add $3, %rax\n add $0x18, %rsp\n ret\n"
	".size t_k_subsp, .-t_k_subsp\n"
	".p2align 4\n.globl t_k_xor\n.type t_k_xor, @function\n"
	"t_k_xor: xor %eax, %eax\n jnz 1f\n add %rdi, %rax\n 1: ret\n"
	".size t_k_xor, .-t_k_xor\n"
	".p2align 4\n.globl t_k_jmp\n.type t_k_jmp, @function\n"
	"t_k_jmp: jmp 1f\n ud2\n 1: lea 4(%rdi), %rax\n ret\n"
	".size t_k_jmp, .-t_k_jmp\n"
	".p2align 4\n.globl t_k_jcc\n.type t_k_jcc, @function\n"
	"t_k_jcc: jz 1f\n mov $10, %eax\n ret\n 1: mov $20, %eax\n ret\n"
	".size t_k_jcc, .-t_k_jcc\n"
	".p2align 4\n.globl t_k_jcc_caller\n.type t_k_jcc_caller, @function\n"
	"t_k_jcc_caller: cmp $0, %rdi\n call t_k_jcc\n ret\n"
	".size t_k_jcc_caller, .-t_k_jcc_caller\n"
	".p2align 4\n.globl t_k_leaf\n.type t_k_leaf, @function\n"
	"t_k_leaf: lea 100(%rdi), %rax\n ret\n"
	".size t_k_leaf, .-t_k_leaf\n"
	".p2align 4\n.globl t_k_call\n.type t_k_call, @function\n"
	"t_k_call: call t_k_leaf\n add $1, %rax\n ret\n"
	".size t_k_call, .-t_k_call\n"
	".p2align 4\n.globl t_k_ret\n.type t_k_ret, @function\n"
	"t_k_ret: ret\n"
	".size t_k_ret, .-t_k_ret\n"
	".p2align 4\n.globl t_k_nop\n.type t_k_nop, @function\n"
	"t_k_nop: nopl 0(%rax)\n lea 7(%rdi), %rax\n ret\n"
	".size t_k_nop, .-t_k_nop\n"
	".p2align 4\n.globl t_k_riprel\n.type t_k_riprel, @function\n"
	"t_k_riprel: mov t_k_counter(%rip), %eax\n add $1, %eax\n mov %eax, t_k_counter(%rip)\n ret\n"
	".size t_k_riprel, .-t_k_riprel\n"
	".p2align 4\n.globl t_k_cmprip\n.type t_k_cmprip, @function\n"
	"t_k_cmprip: cmpl $2, t_k_counter(%rip)\n je 1f\n mov $1, %eax\n ret\n 1: xor %eax, %eax\n ret\n"
	".size t_k_cmprip, .-t_k_cmprip\n"
	".p2align 4\n.globl t_k_learip\n.type t_k_learip, @function\n"
	"t_k_learip: lea t_k_table(%rip), %rax\n mov (%rax,%rdi,8), %rax\n ret\n"
	".size t_k_learip, .-t_k_learip\n"
	".p2align 4\n.globl t_k_other\n.type t_k_other, @function\n"
	"t_k_other: imul $3, %rdi, %rax\n ret\n"
	".size t_k_other, .-t_k_other\n"
	".p2align 4\n.globl t_k_jrcxz\n.type t_k_jrcxz, @function\n"
	"t_k_jrcxz: jrcxz 1f\n 1: lea 9(%rdi), %rax\n ret\n"
	".size t_k_jrcxz, .-t_k_jrcxz\n"
	".data\n"
	"t_k_counter: .long 0\n"
	".p2align 3\nt_k_table: .quad 11, 22, 33\n"
	".text\n");

int main(void)
{
	printf("push %ld\n", t_k_push(1));
	printf("movreg %ld\n", t_k_movreg(1));
	printf("movimm %ld\n", t_k_movimm(1));
	printf("subsp %ld\n", t_k_subsp(1));
	printf("xor %ld\n", t_k_xor(1));
	printf("jmp %ld\n", t_k_jmp(1));
	printf("jcc %ld %ld\n", t_k_jcc_caller(0), t_k_jcc_caller(1));
	printf("call %ld\n", t_k_call(1));
	t_k_ret();
	printf("nop %ld\n", t_k_nop(1));
	t_k_riprel();
	printf("riprel %ld\n", t_k_riprel());
	printf("cmprip %ld\n", t_k_cmprip());
	printf("learip %ld\n", t_k_learip(2));
	printf("other %ld\n", t_k_other(5));
	printf("jrcxz %ld\n", t_k_jrcxz(1));
	return 0;
}
