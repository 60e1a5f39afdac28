/* ctx: control that leaves traced frames without returning: longjmp, siglongjmp out of a
 * signal handler (SIGALRM raised inside a traced call), and swapcontext coroutines that each
 * make traced calls on their own stacks (makecontext). Prints what it computed. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include "../t.h"

static jmp_buf env;
static sigjmp_buf senv;

T_FN void t_deep(int n)
{
	if (n == 0)
		longjmp(env, 1);
	t_deep(n - 1);
	T_KEEP(n);
}

T_FN void t_on_alarm(int sig)
{
	siglongjmp(senv, sig);
}

T_FN void t_raiser(int n)
{
	if (n == 0)
		raise(SIGALRM);
	else
		t_raiser(n - 1);
	T_KEEP(n);
}

static ucontext_t main_ctx, co_ctx[2];
static char stacks[2][64 * 1024];
static long co_sum;

T_FN long t_co_work(long x)
{
	T_KEEP(x);
	return x + 1;
}

T_FN void t_co_body(int which)
{
	for (int i = 0; i < 5; i++) {
		co_sum += t_co_work(which * 100 + i);
		swapcontext(&co_ctx[which], which ? &main_ctx : &co_ctx[1]);
	}
}

int main(void)
{
	int jumps = 0, alarms = 0;
	for (int i = 0; i < 10; i++)
		if (!setjmp(env))
			t_deep(i % 4);
		else
			jumps++;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = t_on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	for (int i = 0; i < 10; i++)
		if (!sigsetjmp(senv, 1))
			t_raiser(i % 3);
		else
			alarms++;
	for (int k = 0; k < 2; k++) {
		getcontext(&co_ctx[k]);
		co_ctx[k].uc_stack.ss_sp = stacks[k];
		co_ctx[k].uc_stack.ss_size = sizeof(stacks[k]);
		co_ctx[k].uc_link = &main_ctx;
		makecontext(&co_ctx[k], (void (*)(void))t_co_body, 1, k);
	}
	for (int i = 0; i < 5; i++)
		swapcontext(&main_ctx, &co_ctx[0]);
	printf("jumps %d, alarms %d, coroutines %ld\n", jumps, alarms, co_sum);
	return 0;
}
