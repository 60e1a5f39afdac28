/* test_gadget: the injected system call's code, run here in our own process: it makes its
 * system call, then puts back every register and the flags from its save area and jumps where
 * the area says, as a thread does when fntrace dies during an injection. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "unit.h"
#include "arch/x86_64/gadget.h"

/* What the landing found (rax rbx rcx rdx rsi rdi rbp r8-r15, then the flags), and our rsp. */
uint64_t gadget_test_seen[16];
uint64_t gadget_test_rsp;
void gadget_test_run(uint8_t *g);

/* Jumps into the gadget at rdi, with its area's rsp ours and its rip the landing, which
 * keeps what it finds and comes back. */
__asm__(".text\n"
	"gadget_test_run:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	mov %rsp, gadget_test_rsp(%rip)\n"
	"	mov %rsp, 256+16(%rdi)\n"
	"	lea 1f(%rip), %rax\n"
	"	mov %rax, 256+8(%rdi)\n"
	"	jmp *%rdi\n"
	"1:	mov %rax, gadget_test_seen+0(%rip)\n"
	"	mov %rbx, gadget_test_seen+8(%rip)\n"
	"	mov %rcx, gadget_test_seen+16(%rip)\n"
	"	mov %rdx, gadget_test_seen+24(%rip)\n"
	"	mov %rsi, gadget_test_seen+32(%rip)\n"
	"	mov %rdi, gadget_test_seen+40(%rip)\n"
	"	mov %rbp, gadget_test_seen+48(%rip)\n"
	"	mov %r8, gadget_test_seen+56(%rip)\n"
	"	mov %r9, gadget_test_seen+64(%rip)\n"
	"	mov %r10, gadget_test_seen+72(%rip)\n"
	"	mov %r11, gadget_test_seen+80(%rip)\n"
	"	mov %r12, gadget_test_seen+88(%rip)\n"
	"	mov %r13, gadget_test_seen+96(%rip)\n"
	"	mov %r14, gadget_test_seen+104(%rip)\n"
	"	mov %r15, gadget_test_seen+112(%rip)\n"
	"	pushf\n	pop %rax\n	mov %rax, gadget_test_seen+120(%rip)\n"
	"	cld\n"
	"	mov gadget_test_rsp(%rip), %rsp\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n");

enum { CF = 1, PF = 4, ZF = 0x40, SF = 0x80, OF = 0x800 };

static void run(uint64_t flags)
{
	uint8_t *g = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g != MAP_FAILED);
	gadget_code(g);
	struct gadget_area a = { .nr = SYS_getpid, .flags = flags };
	for (int i = 0; i < 15; i++)
		a.gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1) + (uint64_t)i;
	memcpy(g + GADGET_AREA, &a, sizeof(a));   /* (rip and rsp: gadget_test_run's) */
	memset(gadget_test_seen, 0, sizeof(gadget_test_seen));
	gadget_test_run(g);
	for (int i = 0; i < 15; i++)
		assert_int_equal(gadget_test_seen[i], a.gpr[i]);
	assert_int_equal(gadget_test_seen[15] & (CF | PF | ZF | SF | OF), flags);
	munmap(g, 4096);
}

/* Every register comes back, whatever the syscall left in rax, rcx and r11. */
static void test_registers_back(void **state)
{
	(void)state;
	run(0);
}

/* The flags too, set and clear. */
static void test_flags_back(void **state)
{
	(void)state;
	run(CF | ZF | OF);
	run(PF | SF);
}

/* The syscall's number comes from the area, wherever the thread's rax was. */
static void test_code_shape(void **state)
{
	(void)state;
	uint8_t g[GADGET_AREA];
	gadget_code(g);
	assert_int_equal(g[0], 0x8b);                 /* mov disp32(%rip),%eax */
	assert_int_equal(g[GADGET_SYSCALL], 0x0f);    /* syscall */
	assert_int_equal(g[GADGET_SYSCALL + 1], 0x05);
	assert_int_equal(g[GADGET_AREA - 1], 0xcc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers_back),
		cmocka_unit_test(test_flags_back),
		cmocka_unit_test(test_code_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
