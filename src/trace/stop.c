/* stop: the only place that looks inside a wait status. */
#include "stop.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void decode(struct stop *s, pid_t tid, int status);

static struct stop *requeued;   /* put back, oldest first */
static size_t nrequeued, caprequeued;

void stop_requeue(const struct stop *s)
{
	xgrow(&requeued, &caprequeued, nrequeued + 1, sizeof(*requeued));
	requeued[nrequeued++] = *s;
}

bool stop_is_end(const struct stop *s)
{
	return s->kind == STOP_EXITED || s->kind == STOP_KILLED || s->kind == STOP_EXIT_EVENT;
}

bool stop_queued(pid_t tid)
{
	for (size_t i = 0; i < nrequeued; i++)
		if (requeued[i].tid == tid)
			return true;
	return false;
}

static bool take_requeued(struct stop *s)
{
	if (!nrequeued)
		return false;
	*s = requeued[0];
	memmove(requeued, requeued + 1, --nrequeued * sizeof(*requeued));
	return true;
}

void stop_next(struct stop *s)
{
	if (!take_requeued(s))
		stop_wait(s, -1);
}

static sigset_t first_mask;   /* fntrace's signal mask before stop_init */
static sigset_t chld;         /* SIGCHLD alone */

void stop_init(void)
{
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &first_mask);
}

void stop_restore_mask(void)
{
	sigprocmask(SIG_SETMASK, &first_mask, NULL);
}

/* Whether tid has ended but cannot be waited for yet: a group leader, a zombie until every
 * other thread of its process is reaped (or gone from /proc altogether). */
static bool ended_unreported(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	const char *end = strrchr(buf, ')');   /* the command name may hold anything */
	return end && (end[2] == 'Z' || end[2] == 'X');
}

/* Waits for one task. Not a blocking waitpid: a group leader killed while we run code in it
 * becomes a zombie that waitpid reports only after its other threads, which wait at their exit
 * events for the stop loop, so both would wait for ever. Any task's stop sends us SIGCHLD,
 * which stays blocked (stop_init) and pending, so none is missed between the two calls; now
 * and then, with nothing come, the task is looked at (STOP_NONE if it has ended so). */
static pid_t wait_one(pid_t which, int *status)
{
	for (;;) {
		pid_t tid = waitpid(which, status, __WALL | WNOHANG);
		if (tid != 0)
			return tid;
		if (sigtimedwait(&chld, NULL, &(struct timespec){ 0, 20000000 }) < 0 && errno == EAGAIN &&
		    ended_unreported(which))
			return 0;
	}
}

void stop_wait(struct stop *s, pid_t which)
{
	int status;
	pid_t tid;
	while ((tid = which > 0 ? wait_one(which, &status) : waitpid(which, &status, __WALL)) <= 0) {
		if (tid == 0) {
			s->kind = STOP_NONE;
			return;
		}
		if (errno == ECHILD) {
			s->kind = STOP_NONE;
			return;
		}
		if (errno == EINTR && which > 0)
			continue;
		if (errno == EINTR) {
			s->kind = STOP_INTR;
			return;
		}
		die_errno("waitpid");
	}
	decode(s, tid, status);
}

bool stop_poll(struct stop *s)
{
	if (take_requeued(s))
		return true;
	int status;
	pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
	if (tid < 0 && errno != ECHILD && errno != EINTR)
		die_errno("waitpid");
	if (tid <= 0) {
		s->kind = tid < 0 && errno == ECHILD ? STOP_NONE : STOP_INTR;
		return false;
	}
	decode(s, tid, status);
	return true;
}

static void decode(struct stop *s, pid_t tid, int status)
{
	s->ts = util_now_ns();
	s->tid = tid;
	s->status = status;
	s->sig = 0;
	s->msg = 0;
	if (WIFEXITED(status)) {
		s->kind = STOP_EXITED;
		return;
	}
	if (WIFSIGNALED(status)) {
		s->kind = STOP_KILLED;
		s->sig = WTERMSIG(status);
		return;
	}
	s->sig = WSTOPSIG(status);
	switch (status >> 16) {
	case 0:
		if (s->sig == (SIGTRAP | 0x80)) {   /* PTRACE_O_TRACESYSGOOD */
			s->kind = STOP_SYSCALL;
			s->sig = 0;
			return;
		}
		s->kind = s->sig == SIGTRAP ? STOP_TRAP : STOP_SIGNAL;
		return;
	case PTRACE_EVENT_STOP:
		s->kind = is_stop_signal(s->sig) ? STOP_GROUP : STOP_EVENT_STOP;
		return;
	case PTRACE_EVENT_EXEC:  s->kind = STOP_EXEC; break;
	case PTRACE_EVENT_CLONE: s->kind = STOP_CLONE; break;
	case PTRACE_EVENT_FORK:  s->kind = STOP_FORK; break;
	case PTRACE_EVENT_VFORK: s->kind = STOP_VFORK; break;
	case PTRACE_EVENT_VFORK_DONE: s->kind = STOP_VFORK_DONE; return;
	case PTRACE_EVENT_EXIT:  s->kind = STOP_EXIT_EVENT; return;
	default:
		s->kind = STOP_EVENT_STOP;
		return;
	}
	ptrace(PTRACE_GETEVENTMSG, tid, 0, &s->msg);
}

const char *stop_kind_name(enum stop_kind k)
{
	static const char *const names[] = {
		"trap", "signal", "syscall", "group-stop", "event-stop", "exec", "clone", "fork", "vfork", "vfork-done",
		"exited", "killed", "none", "interrupted", "exit-event",
	};
	return k <= STOP_EXIT_EVENT ? names[k] : "?";
}

#define SIGBIT(sig) ((uint64_t)1 << ((sig) - 1))

void stop_step(struct stop *s, pid_t tid)
{
	/* Not the signals the kernel forces (the step's own SIGTRAP, a fault of the instruction,
	 * seccomp's SIGSYS): forced while blocked, a signal gets its default action back, and the
	 * program would lose its handler. Those the program blocks stay blocked, as before. */
	const uint64_t forced = SIGBIT(SIGTRAP) | SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) |
				SIGBIT(SIGFPE) | SIGBIT(SIGSYS);
	uint64_t mask, quiet;
	memset(s, 0, sizeof(*s));
	s->kind = STOP_NONE;
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(mask), &mask))
		return;
	quiet = mask | ~forced;
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(quiet), &quiet) || ptrace(PTRACE_SINGLESTEP, tid, 0, 0)) {
		ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask);
		return;
	}
	stop_wait(s, tid);
	if (s->kind != STOP_EXITED && s->kind != STOP_KILLED)
		ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask);
}
