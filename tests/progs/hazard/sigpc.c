/* sigpc: signals that land while traced code runs, checked from inside the handlers.
 *   sigpc timers N   4 threads each make N rounds of traced calls while ITIMER_REAL and
 *                    ITIMER_PROF fire every 100 us; every handler (itself traced, and calling a
 *                    traced function) checks that the pc it interrupted (uc_mcontext's rip) is
 *                    the program's own code, never a tracer's trampoline
 *   sigpc fault      traced functions whose first instructions fault on purpose: the SIGSEGV
 *                    handler checks si_addr and that the pc is the faulting instruction itself,
 *                    then points rdi at good memory and returns, so the instruction runs again
 * Prints what it found; exits 0 only if every check held. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>
#include "../t.h"
#include "own.h"

#define NTHREADS 4
static long rounds;
static atomic_long nsig, nbad;
static atomic_ulong first_bad;   /* for the message */
static atomic_int running;

T_FN long t_sp_inner(long x)
{
	T_KEEP(x);
	return x + 3;
}

T_FN long t_sp_outer(long x)
{
	long r = t_sp_inner(x) - 1;
	T_KEEP(r);
	return r;
}

T_FN void t_sp_in_handler(long x)
{
	T_KEEP(x);
}

T_FN static void t_sp_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	(void)si;
	atomic_fetch_add(&nsig, 1);
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (!own_code(pc)) {
		atomic_fetch_add(&nbad, 1);
		unsigned long none = 0;
		atomic_compare_exchange_strong(&first_bad, &none, pc);
	}
	t_sp_in_handler(sig);
}

T_FN static void *worker(void *arg)
{
	long s = 0;
	(void)arg;
	for (long i = 0; i < rounds; i++)
		s = t_sp_outer(s) - 2;
	return (void *)s;
}

static int timers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = t_sp_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGPROF, &sa, NULL);
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	setitimer(ITIMER_REAL, &it, NULL);
	setitimer(ITIMER_PROF, &it, NULL);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	long total = (long)worker(NULL);
	for (int i = 0; i < NTHREADS; i++) {
		void *v;
		pthread_join(th[i], &v);
		total += (long)v;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	setitimer(ITIMER_PROF, &off, NULL);
	printf("sum %ld\n", total);
	printf("signalled %s, interrupted pc outside the program %ld times\n", nsig > 0 ? "yes" : "no",
	       (long)nbad);
	if (nbad) {
		char cmd[64];
		fprintf(stderr, "sigpc: first interrupted pc outside the program: %#lx\n", (unsigned long)first_bad);
		snprintf(cmd, sizeof(cmd), "cat /proc/%d/maps >&2", (int)getpid());
		if (system(cmd)) {}
	}
	return total == 0 && nsig > 0 && nbad == 0 ? 0 : 1;
}

/* Each faults at its first instruction when rdi is bad, then reads *rdi + 1: t_fault_first
 * faults at its entry, t_fault_second at its second instruction (both inside the 5-byte window
 * a trampoline relocates). No endbr64: the window starts at the entry. */
long t_fault_first(const long *p), t_fault_second(const long *p);
__asm__(
	".text\n"
	".p2align 4\n.globl t_fault_first\n.type t_fault_first, @function\n"
	"t_fault_first: mov (%rdi), %rax\n add $1, %rax\n ret\n"
	".size t_fault_first, .-t_fault_first\n"
	".p2align 4\n.globl t_fault_second\n.type t_fault_second, @function\n"
	"t_fault_second: mov %rdi, %rax\n mov (%rdi), %rax\n add $1, %rax\n ret\n"
	".size t_fault_second, .-t_fault_second\n");

static const long good = 42;
static const long *const bad = (const long *)16;
static uintptr_t want_pc;
static int faults, pc_ok, addr_ok;

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	(void)sig;
	faults++;
	pc_ok += (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] == want_pc;
	addr_ok += si->si_addr == (void *)bad;
	uc->uc_mcontext.gregs[REG_RDI] = (greg_t)&good;
}

static int fault(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	long r = 0;
	for (int i = 0; i < 3; i++) {
		r += t_fault_first(&good);
		want_pc = (uintptr_t)t_fault_first;
		r += t_fault_first(bad);
		want_pc = (uintptr_t)t_fault_second + 3;   /* after the 3-byte mov %rdi,%rax */
		r += t_fault_second(bad);
		r += t_fault_second(&good);
	}
	printf("sum %ld, %d faults, pc right %d, address right %d\n", r, faults, pc_ok, addr_ok);
	return r == 12 * 43 && faults == 6 && pc_ok == 6 && addr_ok == 6 ? 0 : 1;
}

int main(int argc, char **argv)
{
	own_read();
	if (argc > 2 && !strcmp(argv[1], "timers")) {
		rounds = atol(argv[2]);
		return timers();
	}
	if (argc > 1 && !strcmp(argv[1], "fault"))
		return fault();
	fprintf(stderr, "usage: sigpc timers N | fault\n");
	return 2;
}
