/* slowcall: a program slower than whoever reads its trace. It calls t_ping(i) N times and,
 * after each call, waits for a line on stdin: a test sees the call's line in the trace before it
 * lets the program go on, which it could not if fntrace held the line in a buffer. With "fork",
 * N child processes call t_ping one after the other; with "together", N children call it and
 * all live until the last one has called it. */
#include "t.h"

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Long enough for the fast path's jmp (a bare return is not: the next function starts inside
 * its 5 bytes), so its calls are recorded in the program and read while it waits on stdin. */
T_FN int t_ping(int i)
{
	long k = i;
	T_KEEP(k);
	k = k * 1000003 + 12345;
	T_KEEP(k);
	return (int)k;
}

static void wait_line(void)
{
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		exit(3);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	bool forks = argc > 2 && !strcmp(argv[2], "fork");
	if (argc > 2 && !strcmp(argv[2], "together")) {
		int fds[2];
		char c;
		if (pipe(fds))
			return 2;
		for (int i = 0; i < n; i++)
			if (fork() == 0) {
				close(fds[1]);
				t_ping(i);
				_exit(read(fds[0], &c, 1) == 0 ? 0 : 4);   /* until the parent closes it */
			}
		close(fds[1]);
		while (wait(NULL) > 0)
			;
		printf("done %d\n", n);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (!forks) {
			t_ping(i);
			wait_line();
			continue;
		}
		pid_t pid = fork();
		if (pid == 0) {
			t_ping(i);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	printf("done %d\n", n);
	return 0;
}
