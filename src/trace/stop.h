/* stop: waits for the next ptrace stop and decodes its wait status, once, into a kind. */
#ifndef FNTRACE_STOP_H
#define FNTRACE_STOP_H

#include <stdbool.h>

#include <sys/types.h>

enum stop_kind {
	STOP_TRAP,        /* SIGTRAP with no event: one of our breakpoints, or the program's own */
	STOP_SIGNAL,      /* signal-delivery-stop of any other signal */
	STOP_SYSCALL,     /* syscall-entry or -exit stop (a task resumed with PTRACE_SYSCALL) */
	STOP_GROUP,       /* group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) */
	STOP_EVENT_STOP,  /* PTRACE_EVENT_STOP that is no group-stop: a new task's first stop, interrupt */
	STOP_EXEC,
	STOP_CLONE,
	STOP_FORK,
	STOP_VFORK,
	STOP_VFORK_DONE,
	STOP_EXITED,      /* the task is gone: exited normally */
	STOP_KILLED,      /* the task is gone: killed by a signal */
	STOP_NONE,        /* nothing left to wait for */
	STOP_INTR,        /* waitpid was interrupted by a signal to us */
	STOP_EXIT_EVENT,  /* PTRACE_EVENT_EXIT: about to exit, memory still there (with --fast only) */
};

struct stop {
	enum stop_kind kind;
	pid_t tid;
	int sig;          /* the signal, for SIGNAL/GROUP/KILLED */
	int status;       /* the raw wait status */
	unsigned long msg;/* PTRACE_GETEVENTMSG for clone/fork/vfork/exec */
	unsigned long long ts;
};

/* Blocks SIGCHLD in fntrace, for stop_wait (call it before any thread or child is made);
 * stop_restore_mask gives a child about to exec the mask fntrace was started with. */
void stop_init(void);
void stop_restore_mask(void);
/* Blocks until some traced task stops or ends (a stop put back first). */
void stop_next(struct stop *s);
/* The same for one task (which > 0), for code we run in it and wait for at once: a signal to
 * us does not interrupt it (the detach such a signal asks for comes after). STOP_NONE if
 * the task has ended and cannot say so yet (a killed group leader, see wait_one). */
void stop_wait(struct stop *s, pid_t which);
/* The next stop if one is there already (a stop put back first). If not, returns false with
 * s->kind STOP_NONE when no task is left, STOP_INTR otherwise. */
bool stop_poll(struct stop *s);
/* Puts back a stop that stop_wait returned but its caller cannot handle (the end of a task we
 * were running code in), for stop_next or stop_poll to return. */
void stop_requeue(const struct stop *s);
/* Single-steps task tid once with every asynchronous signal blocked, and waits for that
 * stop (in *s; STOP_NONE if it could not be stepped). A signal already pending (two timers
 * that fired together) would otherwise stop it before the instruction, at every try; it stays
 * pending for the program, delivered after. A fault of the instruction still stops it. */
void stop_step(struct stop *s, pid_t tid);
/* Whether s is the end of its task: it exited, was killed, or stopped at its exit event
 * (PTRACE_O_TRACEEXIT). Code run in a task waits for it alone; at its exit event it is left for
 * the stop loop (stop_requeue): let go on, a group leader's end is reported only after every
 * other thread's, and those stop at their own exit events, which nobody would answer. */
bool stop_is_end(const struct stop *s);
/* Whether a stop of tid is waiting among those put back. */
bool stop_queued(pid_t tid);
const char *stop_kind_name(enum stop_kind k);

#endif
