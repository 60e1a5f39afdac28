/* selfmod: a program that changes its code after start, as JITs and inline hooks do.
 *   one() starts with mov $1,%eax: its immediate is patched to 42 (the first byte is kept);
 *   target() is overwritten from its first byte with a jump to hook() (an inline hook);
 *   the C library's getpid is hooked the same way, to return 4242;
 *   victim() gets an int3 of the program's own in place of its ret, which its SIGTRAP handler
 *   carries out, as a debugger would.
 * Modes: "now" calls them, patches and calls them again; "late" patches them before their first
 * call; "fork" patches, then calls them in a child too; "wait" reads lines from stdin (an
 * attach and a detach may come in between): "patch" patches and prints the addresses and the
 * bytes it wrote, any other line calls them again. Exits 0 if every call returned
 * what the new code returns. */
#define _GNU_SOURCE
#include "../t.h"
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

T_FN int one(void)
{
	return 1;
}

T_FN int hook(void)
{
	return 7;
}

T_FN int target(void)
{
	return 3;
}

T_FN int victim(void)
{
	return 5;
}

static volatile sig_atomic_t own_traps;

/* The program's own breakpoint in victim(): runs the ret it took the place of. */
static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	(void)sig;
	(void)si;
	if ((uintptr_t)g[REG_RIP] - 1 != (uintptr_t)victim + 5)
		_exit(3);
	g[REG_RIP] = *(greg_t *)g[REG_RSP];
	g[REG_RSP] += 8;
	own_traps++;
}

static pid_t fake_getpid(void)
{
	return 4242;
}

/* Makes [addr, addr+len) writable (and still executable) and copies code there. */
static void patch(void *addr, const void *code, size_t len)
{
	uintptr_t lo = (uintptr_t)addr & ~(uintptr_t)4095, hi = ((uintptr_t)addr + len + 4095) & ~(uintptr_t)4095;
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		perror("mprotect");
		exit(2);
	}
	memcpy(addr, code, len);
	mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC);
}

/* movabs $to, %rax; jmp *%rax */
static void jump_to(void *from, void *to)
{
	uint8_t code[12] = { 0x48, 0xb8 };
	memcpy(code + 2, &to, 8);
	code[10] = 0xff;
	code[11] = 0xe0;
	patch(from, code, sizeof(code));
}

static void patch_all(void)
{
	int imm = 42;
	patch((uint8_t *)one + 1, &imm, 4);
	jump_to((void *)target, (void *)hook);
	jump_to((void *)getpid, (void *)fake_getpid);
	patch((uint8_t *)victim + 5, "\xcc", 1);
}

static void print_bytes(const char *name, const void *addr, size_t len)
{
	printf("%s %#lx ", name, (unsigned long)(uintptr_t)addr);
	for (size_t i = 0; i < len; i++)
		printf("%02x", ((const uint8_t *)addr)[i]);
	printf("\n");
}

static int check(const char *who)
{
	int a = one(), b = target(), traps = own_traps, d = victim();
	pid_t c = getpid();
	int ok = a == 42 && b == 7 && c == 4242 && d == 5 && own_traps == traps + 1;
	printf("%s: one %d target %d getpid %d victim %d: %s\n", who, a, b, (int)c, d, ok ? "ok" : "FAILED");
	return ok;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "now";
	int ok = 1;
	if (strcmp(mode, "late"))
		ok = one() == 1 && target() == 3 && getpid() != 4242 && victim() == 5;   /* the old code */
	const uint8_t *p = (const uint8_t *)one, *v = (const uint8_t *)victim;
	if (memcmp(p + 1, "\x01\0\0\0\xc3", 5) || memcmp(v + 1, "\x05\0\0\0\xc3", 5)) {   /* [0]: a tracer's 0xcc? */
		fprintf(stderr, "one() and victim() are not mov $N,%%eax; ret: build with -O2 and without endbr64\n");
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	if (strcmp(mode, "wait")) {
		patch_all();
		ok = check("patched") && ok;
	}
	if (!strcmp(mode, "fork")) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			int child_ok = check("child");
			fflush(stdout);
			_exit(child_ok ? 0 : 1);
		}
		int status;
		waitpid(pid, &status, 0);
		ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	} else if (!strcmp(mode, "wait")) {
		printf("ready\n");
		fflush(stdout);
		char line[64];
		while (fgets(line, sizeof(line), stdin)) {
			if (!strcmp(line, "patch\n")) {
				patch_all();
				/* what it wrote, where: one's first byte is not its own */
				print_bytes("one", (uint8_t *)one + 1, 4);
				print_bytes("target", (void *)target, 12);
				print_bytes("getpid", (void *)getpid, 12);
				print_bytes("victim", (uint8_t *)victim + 5, 1);
			} else {
				ok = check("again") && ok;
			}
			fflush(stdout);
		}
	}
	return ok ? 0 : 1;
}
