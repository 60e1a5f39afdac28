/* evict: hot return sites and an entry whose windows are too short for a jmp rel32, with no
 * padding within a jmp rel8's reach, so that the fast path must evict a neighbour to make the
 * hole: a site whose 3-byte instruction is followed by a branch target (gawk's interpreter loop),
 * a site 2 bytes before its function's end (the next function right after it), an entry whose
 * 3-byte first instruction is followed by a loop's head. The functions are packed, between two
 * runs of code long enough that no alignment padding is in reach. Each result is checked against
 * the same computation in C.
 *
 * Usage: evict [N [alarm]]: N rounds (default 2000), with a SIGALRM every 100 us that counts the
 * times it found the program outside its own code (in a trampoline) while it ran them; exits 1 if
 * any did, or if a result was wrong. evict serve: "started", then rounds on two threads until
 * stdin ends, then "ok" (or "bad", exit 3) -- for -p attach and detach. evict fork: rounds, then
 * a child (its pid on stdout) that runs rounds until stdin ends and says "child ok" (or "child
 * bad"), waited for by its parent -- an unfollowed child must have the original code back. */
#define _GNU_SOURCE   /* REG_RIP */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "t.h"

long t_e_leaf(long), t_e_target(long), t_e_end(long), t_e_loop(long);

#define FN(name) ".globl " #name "\n.type " #name ", @function\n" #name ":\n"
#define END(name) ".size " #name ", .-" #name "\n"
/* 40 adds of 4 bytes: 160 bytes of code and no padding, never run */
#define RUN(name) FN(name) ".rept 40\n add $1, %rax\n .endr\n ret\n" END(name)

__asm__(
	".text\n"
	".p2align 4\n"
	RUN(t_e_run_before)
	/* rdi + 1 */
	FN(t_e_leaf) "lea 1(%rdi), %rax\n ret\n" END(t_e_leaf)
	/* the sum over k = n..1 of t_e_leaf((k + 5) * 3): the call's return site is a 3-byte mov,
	 * and the add after it a branch target (the jle from the top, for n <= 0) */
	FN(t_e_target) "push %rbx\n push %r12\n mov %rdi, %rbx\n xor %r12d, %r12d\n xor %ecx, %ecx\n"
	" test %rbx, %rbx\n jle 2f\n"
	"1: mov %rbx, %rdi\n add $7, %rdi\n sub $2, %rdi\n imul $3, %rdi, %rdi\n call t_e_leaf\n"
	" mov %rax, %rcx\n"
	"2: add %rcx, %r12\n sub $1, %rbx\n jg 1b\n mov %r12, %rax\n pop %r12\n pop %rbx\n ret\n" END(t_e_target)
	/* t_e_leaf(((n + 11) * 5) ^ 0x55): the return site is pop, ret, and t_e_loop follows */
	FN(t_e_end) "push %rbx\n mov %rdi, %rbx\n add $11, %rbx\n imul $5, %rbx, %rbx\n xor $0x55, %rbx\n"
	" mov %rbx, %rdi\n call t_e_leaf\n pop %rbx\n ret\n" END(t_e_end)
	/* n - 3 until 7 or less: the loop comes back to entry+3 */
	FN(t_e_loop) "mov %rdi, %rax\n1: sub $3, %rax\n cmp $7, %rax\n jg 1b\n add %rdi, %rax\n sub $1, %rax\n"
	" xor %rdx, %rdx\n or %rdx, %rax\n ret\n" END(t_e_loop)
	RUN(t_e_run_after)
	".text\n");

static long leaf(long x)
{
	return x + 1;
}

static long target(long n)
{
	long s = 0;
	for (long k = n; k > 0; k--)
		s += leaf((k + 5) * 3);
	return s;
}

static long end(long n)
{
	return leaf(((n + 11) * 5) ^ 0x55);
}

static long loop(long n)
{
	long x = n;
	do
		x -= 3;
	while (x > 7);
	return x + n - 1;
}

/* One round: every shape, its result checked. Returns whether all were right. */
T_FN int t_e_round(long i)
{
	return t_e_target(i & 15) == target(i & 15) && t_e_end(i) == end(i) && t_e_loop(i & 63) == loop(i & 63);
}

extern const char __executable_start[], etext[];
static volatile sig_atomic_t ticks, outside, in_loop;

static void on_alarm(int sig, siginfo_t *si, void *uc_)
{
	const ucontext_t *uc = uc_;
	const char *pc = (const char *)uc->uc_mcontext.gregs[REG_RIP];
	(void)sig;
	(void)si;
	ticks++;
	if (in_loop && (pc < __executable_start || pc >= etext))
		outside++;   /* (the loop calls nothing outside the program) */
}

static atomic_int stop, bad;

static void *worker(void *arg)
{
	for (long i = (long)arg; !atomic_load(&stop); i++)
		if (!t_e_round(i))
			atomic_store(&bad, 1);
	return NULL;
}

/* Rounds on two threads until stdin ends. */
static int serve(void)
{
	pthread_t th[2];
	printf("started\n");
	fflush(stdout);
	for (long k = 0; k < 2; k++)
		pthread_create(&th[k], NULL, worker, (void *)(k * 1000));
	char buf[64];
	struct pollfd pfd = { 0, POLLIN, 0 };
	while (poll(&pfd, 1, -1) >= 0 && read(0, buf, sizeof(buf)) > 0)
		;
	atomic_store(&stop, 1);
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	printf(atomic_load(&bad) ? "bad\n" : "ok\n");
	return atomic_load(&bad) ? 3 : 0;
}

/* Rounds in the parent, then in a child until stdin ends. */
static int forked(void)
{
	int ok = 1;
	for (long i = 0; i < 100; i++)
		ok &= t_e_round(i);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("%d\n", (int)getpid());
		fflush(stdout);
		char buf[64];
		for (long i = 0; read(0, buf, sizeof(buf)) > 0; i++)
			ok &= t_e_round(i);
		for (long i = 0; i < 1000; i++)
			ok &= t_e_round(i);
		printf(ok ? "child ok\n" : "child bad\n");
		return !ok;
	}
	int st;
	waitpid(pid, &st, 0);
	return !ok || !WIFEXITED(st) || WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "serve"))
		return serve();
	if (argc > 1 && !strcmp(argv[1], "fork"))
		return forked();
	long n = argc > 1 ? atol(argv[1]) : 2000;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	if (argc > 2 && !strcmp(argv[2], "alarm"))
		setitimer(ITIMER_REAL, &it, NULL);
	int ok = 1;
	in_loop = 1;
	for (long i = 0; i < n; i++)
		ok &= t_e_round(i);
	in_loop = 0;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	printf("rounds %ld: %s\n", n, ok ? "right" : "wrong");
	printf("signals outside the program's code %d\n", (int)outside);
	return !ok || outside;
}
