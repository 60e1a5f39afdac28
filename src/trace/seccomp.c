/* seccomp: whether a task's seccomp state lets a system call we would inject in it run. A task
 * in strict mode may only read, write, exit and return from signals; a filter's verdict is
 * learnt by reading its BPF programs (PTRACE_SECCOMP_GET_FILTER, which needs CAP_SYS_ADMIN) and
 * running them here on the exact call. A call whose verdict cannot be known is not run: a
 * filter may kill the program for it. */
#include "trace.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#define MAX_FILTERS 64   /* the kernel allows 32 K instructions in all; a list that long is hostile */

uint32_t seccomp_run(const struct sock_filter *f, size_t n, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	const uint8_t *data = (const uint8_t *)d;
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
		case BPF_LDX: {
			uint32_t v = 0;
			switch (BPF_MODE(i->code)) {
			case BPF_ABS:
				if (BPF_SIZE(i->code) != BPF_W || i->k % 4 || i->k > sizeof(*d) - 4)
					return SECCOMP_RET_KILL_PROCESS;   /* the kernel refuses such a filter */
				memcpy(&v, data + i->k, 4);
				break;
			case BPF_IMM: v = i->k; break;
			case BPF_MEM: v = mem[i->k % BPF_MEMWORDS]; break;
			case BPF_LEN: v = sizeof(*d); break;
			default: return SECCOMP_RET_KILL_PROCESS;
			}
			if (BPF_CLASS(i->code) == BPF_LD)
				a = v;
			else
				x = v;
			break;
		}
		case BPF_ST: mem[i->k % BPF_MEMWORDS] = a; break;
		case BPF_STX: mem[i->k % BPF_MEMWORDS] = x; break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV: a = src ? a / src : 0; break;
			case BPF_MOD: a = src ? a % src : 0; break;
			case BPF_OR:  a |= src; break;
			case BPF_AND: a &= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a = src < 32 ? a << src : 0; break;
			case BPF_RSH: a = src < 32 ? a >> src : 0; break;
			case BPF_NEG: a = -a; break;
			default: return SECCOMP_RET_KILL_PROCESS;
			}
			break;
		case BPF_JMP: {
			bool taken;
			switch (BPF_OP(i->code)) {
			case BPF_JA: pc += i->k; continue;
			case BPF_JEQ: taken = a == src; break;
			case BPF_JGT: taken = a > src; break;
			case BPF_JGE: taken = a >= src; break;
			case BPF_JSET: taken = (a & src) != 0; break;
			default: return SECCOMP_RET_KILL_PROCESS;
			}
			pc += taken ? i->jt : i->jf;
			break;
		}
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? a : i->k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			return SECCOMP_RET_KILL_PROCESS;
		}
	}
	return SECCOMP_RET_KILL_PROCESS;   /* ran off the end: the kernel refuses such a filter */
}

/* The verdict every filter of tid together gives d (the most severe one wins, as in the
 * kernel), or -1 with errno if the filters cannot be read. */
static int64_t filters_verdict(pid_t tid, const struct seccomp_data *d)
{
	int32_t worst = (int32_t)SECCOMP_RET_ALLOW;
	for (long idx = 0; idx < MAX_FILTERS; idx++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, idx, NULL);
		if (n < 0 && errno == ENOENT && idx > 0)
			return (uint32_t)worst;   /* past the oldest filter */
		if (n <= 0 || n > BPF_MAXINSNS)
			return -1;
		struct sock_filter *f = xmalloc((size_t)n * sizeof(*f));
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, idx, f) != n) {
			free(f);
			return -1;
		}
		int32_t v = (int32_t)(seccomp_run(f, (size_t)n, d) & SECCOMP_RET_ACTION_FULL);
		free(f);
		if (v < worst)
			worst = v;
	}
	errno = E2BIG;
	return -1;
}

bool seccomp_allows(pid_t tid, long nr, taddr_t ip, const long args[6], char *why, size_t len)
{
	long mode = proc_status_field(tid, "Seccomp", 0);
	if (mode == 0)
		return true;
	if (mode == 1) {
		snprintf(why, len, "it runs in seccomp strict mode, which allows no other system call than "
			 "read, write, exit and sigreturn");
		return false;
	}
	struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_X86_64, .instruction_pointer = ip };
	for (int i = 0; i < 6; i++)
		d.args[i] = (uint64_t)args[i];
	int64_t v = filters_verdict(tid, &d);
	if (v < 0) {
		snprintf(why, len, "its seccomp filter cannot be read (%s%s), and it might kill the program",
			 strerror(errno), errno == EACCES || errno == EPERM || errno == EINVAL ?
			 "; reading it needs CAP_SYS_ADMIN" : "");
		return false;
	}
	if (v == SECCOMP_RET_ALLOW || v == SECCOMP_RET_LOG)
		return true;
	const char *what = v == (int64_t)(uint32_t)SECCOMP_RET_KILL_PROCESS ? "kill the process" :
			   v == SECCOMP_RET_KILL_THREAD ? "kill the thread" :
			   v == SECCOMP_RET_TRAP ? "send it SIGSYS" :
			   v == SECCOMP_RET_ERRNO ? "make it fail" :
			   v == SECCOMP_RET_USER_NOTIF ? "wait for a supervisor" : "refuse it";
	snprintf(why, len, "its seccomp filter would %s", what);
	return false;
}
