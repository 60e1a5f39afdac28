/* sigtrap: a program that sets SIGTRAP its own way and calls traced functions meanwhile.
 *   ign:     ignores SIGTRAP, raises it (ignored), and checks the disposition stays SIG_IGN;
 *   block:   blocks SIGTRAP, raises it (it stays pending), checks mask and pending set, then
 *            unblocks it with a handler installed: the handler runs once;
 *   handler: a SIGTRAP handler that calls traced functions, run by raise(SIGTRAP) and by the
 *            program's own int3; it stays installed throughout;
 *   spawn:   ignores SIGTRAP and posix_spawns itself with SIGTRAP set back to the default (the
 *            child, in mode "dfl", checks that it is);
 *   loop:    ignores and blocks SIGTRAP, raises it (pending), prints "ready" and calls traced
 *            functions until SIGUSR1 (attach and detach meanwhile), then checks all is as set;
 *   pool:    a thread that blocks every signal makes 10000 system calls of its own (not through
 *            the C library) while the main thread calls traced functions.
 * Prints what it saw; exits 0 only if all was as without a tracer. */
#include "../t.h"
#include <signal.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t handled;

T_FN int leaf(int x)
{
	return x + 1;
}

T_FN int work(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += leaf(i);
	T_KEEP(s);
	return s;
}

static void on_trap(int sig)
{
	(void)sig;
	handled++;
	work(3);   /* traced code inside the handler, SIGTRAP blocked here */
}

static int disposition_is(void (*h)(int))
{
	struct sigaction sa;
	sigaction(SIGTRAP, NULL, &sa);
	return sa.sa_handler == h;
}

static int trap_blocked(void)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	return sigismember(&cur, SIGTRAP);
}

static int test_ign(void)
{
	signal(SIGTRAP, SIG_IGN);
	int ok = work(4) == 10;
	raise(SIGTRAP);
	ok = ok && work(2) == 3;
	ok = ok && disposition_is(SIG_IGN);
	printf("ign: %s\n", ok ? "ok" : "FAILED");
	return ok;
}

static int test_block(void)
{
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int ok = work(4) == 10;
	raise(SIGTRAP);
	ok = ok && work(2) == 3;
	sigpending(&pend);
	ok = ok && trap_blocked() && sigismember(&pend, SIGTRAP) && disposition_is(SIG_DFL);
	signal(SIGTRAP, on_trap);
	sigprocmask(SIG_UNBLOCK, &set, NULL);   /* the pending SIGTRAP is taken now */
	ok = ok && handled == 1 && !trap_blocked() && disposition_is(on_trap);
	printf("block: %s (handled %d)\n", ok ? "ok" : "FAILED", (int)handled);
	return ok;
}

static int test_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
	raise(SIGTRAP);
	int ok = handled == 1 && disposition_is(on_trap) && !trap_blocked();
	__asm__ volatile("int3");   /* the program's own breakpoint: its handler runs */
	ok = ok && handled == 2 && disposition_is(on_trap) && !trap_blocked();
	raise(SIGTRAP);
	ok = ok && handled == 3 && work(2) == 3 && disposition_is(on_trap);
	printf("handler: %s (handled %d)\n", ok ? "ok" : "FAILED", (int)handled);
	return ok;
}

static int test_spawn(const char *self)
{
	signal(SIGTRAP, SIG_IGN);
	posix_spawnattr_t attr;
	sigset_t dfl;
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGTRAP);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	char *argv[] = { (char *)self, "dfl", NULL };
	pid_t pid;
	int status = -1;
	int ok = posix_spawn(&pid, self, NULL, &attr, argv, NULL) == 0 && waitpid(pid, &status, 0) == pid &&
		 WIFEXITED(status) && WEXITSTATUS(status) == 0 && work(2) == 3 && disposition_is(SIG_IGN);
	printf("spawn: %s\n", ok ? "ok" : "FAILED");
	return ok;
}

static volatile sig_atomic_t done;

static void on_usr1(int sig)
{
	(void)sig;
	done = 1;
}

static int test_loop(void)
{
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	signal(SIGTRAP, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGTRAP);
	printf("ready\n");
	fflush(stdout);
	long calls = 0;
	while (!done)
		calls += work(2) == 3;
	sigpending(&pend);
	int ok = calls > 0 && disposition_is(SIG_IGN) && trap_blocked() && sigismember(&pend, SIGTRAP);
	printf("loop: %s\n", ok ? "ok" : "FAILED");
	return ok;
}

static void *pool_worker(void *arg)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (int i = 0; i < 10000; i++) {
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
	}
	return arg;
}

static int test_pool(void)
{
	pthread_t th;
	int s = 0;
	pthread_create(&th, NULL, pool_worker, NULL);
	for (int i = 0; i < 100; i++)
		s += work(2);
	pthread_join(th, NULL);
	printf("pool: %s\n", s == 300 ? "ok" : "FAILED");
	return s == 300;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int ok = 0;
	if (!strcmp(mode, "ign"))
		ok = test_ign();
	else if (!strcmp(mode, "block"))
		ok = test_block();
	else if (!strcmp(mode, "handler"))
		ok = test_handler();
	else if (!strcmp(mode, "spawn"))
		ok = test_spawn(argv[0]);
	else if (!strcmp(mode, "loop"))
		ok = test_loop();
	else if (!strcmp(mode, "pool"))
		ok = test_pool();
	else if (!strcmp(mode, "dfl"))
		ok = disposition_is(SIG_DFL) && work(1) == 1;
	else
		fprintf(stderr, "usage: sigtrap ign|block|handler|spawn\n");
	return ok ? 0 : 1;
}
