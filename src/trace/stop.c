/* stop: the only place that looks inside a wait status. */
#include "stop.h"
#include "../util/util.h"

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

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

void stop_wait(struct stop *s, pid_t which)
{
	int status;
	pid_t tid;
	while ((tid = waitpid(which, &status, __WALL)) < 0) {
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
