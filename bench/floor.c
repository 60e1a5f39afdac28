/* floor: the cheapest possible trap-based tracer, the yardstick for fntrace's cost per call.
 *
 * Runs PROGRAM under ptrace and, on each SIGTRAP stop, only continues it. Paired with
 * calls-int3 (which executes an int3 of its own on every call), it measures the bare cost of a
 * ptrace stop: waitpid plus PTRACE_CONT, nothing else. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: floor PROGRAM [ARGS...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);   /* the exec SIGTRAP */
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	unsigned long stops = 0;
	for (;;) {
		if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status))
			break;
		int sig = WSTOPSIG(status);
		stops++;
		ptrace(PTRACE_CONT, pid, 0, sig == SIGTRAP ? 0 : sig);
	}
	fprintf(stderr, "floor: %lu stops\n", stops);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
