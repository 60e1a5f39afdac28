/* view/pager: -r output on a terminal goes through a pager, as `uftrace replay` and git do:
 * $PAGER, or `less -FRX` (quits at once if the text fits the screen, keeps colours, leaves the
 * screen as it is). The pager reads a pipe that becomes fntrace's stdout. */
#include "view.h"
#include "../util/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t pager = -1;

bool view_pager_start(void)
{
	const char *cmd = getenv("PAGER");
	if (cmd && (!*cmd || !strcmp(cmd, "cat")))
		return false;   /* no pager wanted */
	if (!cmd)
		cmd = "less -FRX";
	int fds[2];
	if (pipe(fds))
		return false;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		if (!getenv("LESS"))
			setenv("LESS", "FRX", 1);   /* for a $PAGER of less without the flags */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	dup2(fds[1], 1);
	close(fds[0]);
	close(fds[1]);
	/* Quitting the pager early is no error: the rest of the trace has no reader. */
	signal(SIGPIPE, SIG_IGN);
	pager = pid;
	return true;
}

void view_pager_end(void)
{
	if (pager < 0)
		return;
	fflush(stdout);
	close(1);   /* the pager sees the end of its input */
	while (waitpid(pager, NULL, 0) < 0 && errno == EINTR)
		;
	pager = -1;
}
