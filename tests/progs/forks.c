/* forks: child processes every way a C program makes them. argv[1] says which:
 * fork, vfork, spawn (posix_spawn of argv[0] "child"), system ("sh -c" running argv[0] child),
 * thread-fork (fork from a second thread), exec (execv of argv[0] "child"), child (what the
 * children run: one traced call, then exit 7), inspect (a forked child looks at itself: any 0xCC
 * at its functions' first bytes, any anonymous executable mapping), loop (forks until SIGTERM,
 * each child exiting 7; a failed fork or another status ends it with 1 and says why, SIGTERM
 * with "forked N" and 0). The parent prints each child's exit status. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"

extern char **environ;
static const char *self;

T_FN int t_child_work(int x)
{
	T_KEEP(x);
	return x + 1;
}

T_FN void t_parent_work(int x)
{
	T_KEEP(x);
}

static void report(const char *how, int status)
{
	if (WIFEXITED(status))
		printf("%s child exited %d\n", how, WEXITSTATUS(status));
	else
		printf("%s child died\n", how);
	fflush(stdout);
}

T_FN void t_do_fork(void)
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		printf("in child %d\n", t_child_work(1));
		fflush(stdout);
		_exit(7);
	}
	waitpid(pid, &status, 0);
	report("fork", status);
}

T_FN void t_do_vfork(void)
{
	int status;
	pid_t pid = vfork();
	if (pid == 0) {
		execl(self, self, "child", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	report("vfork", status);
}

T_FN void t_do_spawn(void)
{
	int status;
	pid_t pid;
	char *args[] = { (char *)self, "child", NULL };
	if (posix_spawn(&pid, self, NULL, NULL, args, environ)) {
		puts("spawn failed");
		return;
	}
	waitpid(pid, &status, 0);
	report("spawn", status);
}

T_FN void t_do_system(void)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "'%s' child; exit $?", self);
	report("system", system(cmd));
}

/* What a child sees of a tracer in its own memory. */
T_FN void t_inspect(void)
{
	int status, anon_x = 0, cc = 0;
	pid_t pid = fork();
	if (pid == 0) {
		char line[512];
		FILE *m = fopen("/proc/self/maps", "r");
		while (m && fgets(line, sizeof(line), m))
			if (strstr(line, " r-xp 00000000 00:00 0 ") && !strstr(line, "[vdso]"))
				anon_x++;
		const void *fns[] = { (void *)t_child_work, (void *)t_parent_work, (void *)t_inspect, (void *)report };
		for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
			cc += *(const unsigned char *)fns[i] == 0xcc;
		printf("child: %d anonymous executable mappings, %d int3 bytes\n", anon_x, cc);
		fflush(stdout);
		_exit(7);
	}
	waitpid(pid, &status, 0);
	report("inspect", status);
}

static volatile sig_atomic_t term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

T_FN static int t_fork_loop(void)
{
	long n = 0;
	signal(SIGTERM, on_term);
	while (!term) {
		pid_t pid = fork();
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			printf("fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0)
			_exit(7);
		int status;
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				printf("waitpid: %s\n", strerror(errno));
				return 1;
			}
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 7) {
			printf("child status %#x\n", status);
			return 1;
		}
		n++;
	}
	printf("forked %ld\n", n);
	return 0;
}

static void *thread_forks(void *arg)
{
	(void)arg;
	t_do_fork();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "fork";
	self = argv[0];
	if (!strcmp(what, "child")) {
		printf("child %d\n", t_child_work(41));
		return 7;
	}
	if (!strcmp(what, "loop"))
		return t_fork_loop();
	t_parent_work(1);
	if (!strcmp(what, "fork"))
		t_do_fork();
	else if (!strcmp(what, "vfork"))
		t_do_vfork();
	else if (!strcmp(what, "spawn"))
		t_do_spawn();
	else if (!strcmp(what, "system"))
		t_do_system();
	else if (!strcmp(what, "inspect"))
		t_inspect();
	else if (!strcmp(what, "exec")) {
		fflush(stdout);
		execl(self, self, "child", (char *)NULL);
		return 127;
	} else if (!strcmp(what, "thread-fork")) {
		pthread_t th;
		pthread_create(&th, NULL, thread_forks, NULL);
		pthread_join(th, NULL);
	}
	t_parent_work(2);
	return 0;
}
