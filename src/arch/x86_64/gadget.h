/* gadget: the code fntrace runs an injected system call with, in the first slots of a
 * process's scratch. After the syscall it puts back by itself the registers the thread had and
 * jumps to where it was:
 *
 *	mov   NR(%rip),%eax         the call, from the save area (not rax: at an exec stop the
 *	syscall                     kernel still writes execve's result there after we set it)
 *	mov   RSP(%rip),%rsp        then the thread's own registers: the flags by its stack,
 *	lea   -136(%rsp),%rsp       below the red zone
 *	push  FLAGS(%rip)
 *	popf
 *	lea   136(%rsp),%rsp
 *	mov   RAX(%rip),%rax ...    the fifteen others
 *	jmp   *RIP(%rip)
 *
 * fntrace writes the save area before each injection, runs the thread into the gadget with
 * PTRACE_SYSCALL, takes the result at the syscall-exit stop and sets the registers back itself:
 * what follows the syscall runs only if fntrace is gone by then (killed: nobody else will put
 * them back), and the program then goes on as if nothing had happened. No int3 ends it: a
 * thread that fntrace's death leaves at one dies of SIGTRAP. */
#ifndef FNTRACE_GADGET_H
#define FNTRACE_GADGET_H

#include <stdint.h>

enum {
	GADGET_SYSCALL = 6,          /* the syscall instruction's offset */
	GADGET_AREA = 256,           /* the save area's */
	GADGET_SIZE = 416,           /* both, in whole 32-byte slots */
};

#define GADGET_FLAGS 0x254cd5ull   /* the flags popf may set from user mode, TF aside */

/* The save area, as the gadget reads it. */
struct gadget_area {
	uint64_t nr, rip, rsp, flags;
	uint64_t gpr[15];            /* rax rbx rcx rdx rsi rdi rbp r8-r15 */
};

/* The gadget's code, GADGET_AREA bytes (int3s after it, never reached). */
void gadget_code(uint8_t g[GADGET_AREA]);

#endif
