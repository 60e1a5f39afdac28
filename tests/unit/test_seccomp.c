/* test_seccomp: the classic-BPF interpreter that predicts a seccomp filter's verdict, on the
 * filters programs write (kill or fail one system call, look at an argument) and on the odd
 * instructions a compiler of filters emits (ALU, scratch memory, X, JSET, RET A). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "unit.h"
#include "trace/trace.h"

/* seccomp.c reads /proc in seccomp_allows, which this test does not call. */
long proc_status_field(pid_t pid, const char *field, long dflt)
{
	(void)pid;
	(void)field;
	return dflt;
}

#define N(f) (sizeof(f) / sizeof((f)[0]))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

static struct seccomp_data call(int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return (struct seccomp_data){ .nr = nr, .arch = AUDIT_ARCH_X86_64, .instruction_pointer = 0x7f0000001002,
				      .args = { a0, a1, a2, 0, 0, 0 } };
}

static void test_kill_on_mmap(void **state)
{
	(void)state;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct seccomp_data d = call(SYS_mmap, 0x7f0000000000, 1 << 20, PROT_READ | PROT_EXEC);
	assert_int_equal(seccomp_run(f, N(f), &d), SECCOMP_RET_KILL_PROCESS);
	d = call(SYS_munmap, 0x7f0000000000, 1 << 20, 0);
	assert_int_equal(seccomp_run(f, N(f), &d), SECCOMP_RET_ALLOW);
}

/* W^X: mmap of executable memory fails with EPERM, other mmaps pass; the arch is checked first. */
static void test_errno_on_exec_mapping(void **state)
{
	(void)state;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct seccomp_data d = call(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC);
	assert_int_equal(seccomp_run(f, N(f), &d), SECCOMP_RET_ERRNO | EPERM);
	d = call(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE);
	assert_int_equal(seccomp_run(f, N(f), &d), SECCOMP_RET_ALLOW);
	d.arch = AUDIT_ARCH_I386;
	assert_int_equal(seccomp_run(f, N(f), &d), SECCOMP_RET_KILL_PROCESS);
}

/* ALU on A, the scratch memory, X, TAX/TXA and a return of A, as libseccomp may emit them. */
static void test_alu_memory_and_ret_a(void **state)
{
	(void)state;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),   /* A = nr */
		BPF_STMT(BPF_ST, 3),                                                      /* M[3] = nr */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),                                          /* X = nr & 0xff */
		BPF_STMT(BPF_LD | BPF_IMM, 0x10),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),                                   /* A = 16 * X */
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
		BPF_STMT(BPF_LDX | BPF_MEM, 3),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0),                             /* A == M[3]? */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD),
		BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct seccomp_data d = call(SYS_mmap, 0, 0, 0);
	assert_int_equal(seccomp_run(f, N(f), &d), SECCOMP_RET_ERRNO | SYS_mmap);
	d = call(0x1234, 0, 0, 0);
	assert_int_equal(seccomp_run(f, N(f), &d), SECCOMP_RET_KILL_THREAD);
}

/* What the kernel would refuse to load is never taken for ALLOW: loads out of range or
 * unaligned, and a program that runs off its end. */
static void test_malformed_filters_kill(void **state)
{
	(void)state;
	struct seccomp_data d = call(SYS_mmap, 0, 0, 0);
	struct sock_filter beyond[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	assert_int_equal(seccomp_run(beyond, N(beyond), &d), SECCOMP_RET_KILL_PROCESS);
	struct sock_filter unaligned[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	assert_int_equal(seccomp_run(unaligned, N(unaligned), &d), SECCOMP_RET_KILL_PROCESS);
	struct sock_filter no_ret[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),
	};
	assert_int_equal(seccomp_run(no_ret, N(no_ret), &d), SECCOMP_RET_KILL_PROCESS);
	struct sock_filter far_jump[] = {
		BPF_STMT(BPF_JMP | BPF_JA, 1000),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	assert_int_equal(seccomp_run(far_jump, N(far_jump), &d), SECCOMP_RET_KILL_PROCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_on_mmap),
		cmocka_unit_test(test_errno_on_exec_mapping),
		cmocka_unit_test(test_alu_memory_and_ret_a),
		cmocka_unit_test(test_malformed_filters_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
