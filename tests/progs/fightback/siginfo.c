/* siginfo: signals whose handler checks their siginfo and how the system call they interrupt
 * ends, for test_fightback (under FNTRACE_TEST=inject-at-signal, fntrace runs a system call in
 * the thread at each signal's stop before delivering it). argv[1] is the mode:
 *   value:   sigqueue(SIGUSR1, 42) to itself: the handler sees SI_QUEUE, 42 and its pid;
 *   eintr:   a timer's SIGALRM (SI_TIMER, value 7) every 10 ms, its handler without SA_RESTART,
 *            interrupts read(2) of an empty pipe: read fails with EINTR at the first tick;
 *   restart: the same with SA_RESTART: read restarts, and gets the byte the third tick writes.
 * Prints what it saw; exits 0 only if all was as without a tracer. */
#include "../t.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t seen, wrong, ticks;
static int pipefd[2];
static int want_code, want_value;

T_FN int work(int n)
{
	T_KEEP(n);
	return n + 1;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	work(1);
	seen++;
	if (si->si_code != want_code || si->si_value.sival_int != want_value ||
	    (want_code == SI_QUEUE && si->si_pid != getpid()))
		wrong++;
	/* the third tick ends a read that restarts; the twentieth one that should have failed */
	if (want_code == SI_TIMER && (++ticks == 3 || ticks == 20))
		(void)!write(pipefd[1], "x", 1);
}

static void handle(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, NULL);
}

static int test_value(void)
{
	want_code = SI_QUEUE;
	want_value = 42;
	handle(SIGUSR1, 0);
	sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 42 });
	printf("value: %s (seen %d, wrong %d)\n", seen == 1 && !wrong ? "ok" : "FAILED", seen, wrong);
	return seen == 1 && !wrong;
}

static int test_read(int restart)
{
	want_code = SI_TIMER;
	want_value = 7;
	handle(SIGALRM, restart ? SA_RESTART : 0);
	if (pipe(pipefd))
		return 0;
	timer_t tm;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM,
			       .sigev_value = { .sival_int = 7 } };
	struct itimerspec every = { { 0, 10000000 }, { 0, 10000000 } };
	if (timer_create(CLOCK_MONOTONIC, &ev, &tm) || timer_settime(tm, 0, &every, NULL))
		return 0;
	char c;
	ssize_t n = read(pipefd[0], &c, 1);
	int err = errno;
	timer_delete(tm);
	int ok = !wrong && (restart ? n == 1 : n < 0 && err == EINTR);
	printf("%s: %s (read %zd%s)\n", restart ? "restart" : "eintr", ok ? "ok" : "FAILED", n,
	       n < 0 && err == EINTR ? ", EINTR" : "");
	return ok;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "value";
	int ok = !strcmp(mode, "value") ? test_value() : !strcmp(mode, "eintr") ? test_read(0) :
		 !strcmp(mode, "restart") ? test_read(1) : 0;
	return ok ? 0 : 1;
}
