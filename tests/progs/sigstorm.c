/* sigstorm: built by its test. One thread sends the process SIGUSR1 every 200 us; another forks
 * children that exit 7 and waits for them, through C library functions whose first instruction
 * fntrace steps over out of line. A signal taken there must not return into fntrace's scratch
 * memory after a detach has unmapped it. SIGTERM: prints "ok" and the counts, exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_long nsig, nfork;
static volatile sig_atomic_t term;

static void on_usr1(int sig)
{
	(void)sig;
	nsig++;
}

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

static void *sender(void *arg)
{
	(void)arg;
	while (!term) {
		kill(getpid(), SIGUSR1);
		usleep(200);
	}
	return NULL;
}

static void *forker(void *arg)
{
	(void)arg;
	while (!term) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(7);
		int status;
		while (waitpid(pid, &status, 0) < 0)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 7) {
			printf("child status %#x\n", status);
			_exit(1);
		}
		nfork++;
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	pthread_t a, b;
	pthread_create(&a, NULL, sender, NULL);
	pthread_create(&b, NULL, forker, NULL);
	while (!term)
		usleep(10000);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("ok %ld %ld\n", (long)nsig, (long)nfork);
	return 0;
}
