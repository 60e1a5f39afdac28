/* view/pager: -r output on a terminal goes through a pager, as `uftrace replay` and git do:
 * $PAGER, or `less -FRX` (quits at once if the text fits the screen, keeps colours, leaves the
 * screen as it is). The pager reads a pipe that becomes fntrace's stdout.
 *
 * While the pager has the terminal, what fntrace writes to a stderr that is a terminal too (the
 * warnings of the end of a run: a glob that matched nothing, a file cut short) would be drawn
 * over the pager's screen, and lost when it redraws. It is held in a temporary file instead, and
 * written out once the pager has quit: below the last screen the user saw, before the shell's
 * prompt. */
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
static int real_stderr = -1;   /* the terminal, while stderr goes to held */
static FILE *held;

/* Sends stderr to a temporary file, if it is a terminal (a file or a pipe has no screen to
 * spoil). */
static void hold_stderr(void)
{
	if (!isatty(2) || !(held = tmpfile()))
		return;
	fflush(stderr);
	real_stderr = dup(2);
	if (real_stderr < 0 || dup2(fileno(held), 2) < 0) {
		if (real_stderr >= 0)
			close(real_stderr);
		real_stderr = -1;
		fclose(held);
		held = NULL;
	}
}

/* Puts stderr back and writes there what was held. */
static void release_stderr(void)
{
	if (!held)
		return;
	fflush(stderr);
	dup2(real_stderr, 2);
	close(real_stderr);
	real_stderr = -1;
	rewind(held);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), held)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(held);
	held = NULL;
}

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
	hold_stderr();   /* after the fork: the pager's own messages go to the terminal */
	atexit(view_pager_end);   /* a die() meanwhile still waits for the pager, then shows why */
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
	release_stderr();
}
