/* attach: how tracing starts and ends: launch a program seized, attach to running processes,
 * and detach from everything leaving no trace of us behind. */
#include "trace.h"
#include "stop.h"
#include "../rec/funcs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* TRACESYSGOOD: the syscall stops of a task whose SIGTRAP setup we follow (sigtrap.c) are told
 * from traps. */
#define OPTS_COMMON (PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
		     PTRACE_O_TRACESYSGOOD)

static int exec_err_fd = -1;

/* Whether we have CAP_SYS_PTRACE: then the kernel grants a traced program its set-user-ID
 * and file privileges as usual. */
static bool may_ptrace_privileged(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	return data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective & CAP_TO_MASK(CAP_SYS_PTRACE);
}

void trace_note_privileges(pid_t pid)
{
	char exe[64], path[4096];
	struct stat sb;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	ssize_t n = readlink(exe, path, sizeof(path) - 1);
	if (n <= 0 || stat(exe, &sb) || may_ptrace_privileged())
		return;
	path[n] = 0;
	char what[64];
	if ((sb.st_mode & S_ISUID) && sb.st_uid != geteuid())
		snprintf(what, sizeof(what), "set-user-ID (uid %u)", (unsigned)sb.st_uid);
	else if ((sb.st_mode & S_ISGID) && (sb.st_mode & S_IXGRP) && sb.st_gid != getegid())
		snprintf(what, sizeof(what), "set-group-ID (gid %u)", (unsigned)sb.st_gid);
	else if (getxattr(exe, "security.capability", NULL, 0) > 0)
		snprintf(what, sizeof(what), "given file capabilities");
	else
		return;
	char shown[1024];
	funcs_escape(path, shown, sizeof(shown));   /* a file name is anybody's choice */
	warn_msg("note: %s is %s; traced, it runs without those privileges, as uid %u", shown, what,
		 (unsigned)getuid());
}

/* Why ptrace may not be allowed at all here, naming only files that exist: Yama's setting if it
 * restricts, or else what else can forbid it. */
static void eperm_hint(char *buf, size_t len)
{
	long scope = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f && fscanf(f, "%ld", &scope) != 1)
		scope = -1;
	if (f)
		fclose(f);
	if (scope == 1)
		snprintf(buf, len, "/proc/sys/kernel/yama/ptrace_scope is 1: only a parent may trace its "
			 "children, unless fntrace has CAP_SYS_PTRACE");
	else if (scope == 2)
		snprintf(buf, len, "/proc/sys/kernel/yama/ptrace_scope is 2: only CAP_SYS_PTRACE may trace");
	else if (scope >= 3)
		snprintf(buf, len, "/proc/sys/kernel/yama/ptrace_scope is %ld: no process may be traced", scope);
	else if (proc_status_field(getpid(), "Seccomp", 0) == 2)
		snprintf(buf, len, "fntrace itself runs under a seccomp filter, which may forbid ptrace");
	else
		snprintf(buf, len, "a security module or a container forbids it");
}

pid_t trace_launch(char **argv, const char *path)
{
	int go[2], err[2];
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		die_errno("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		char c;
		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);   /* the tracer died before we could start */
		stop_restore_mask();
		execv(path, argv);
		int e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	/* EXITKILL: if we die, even by SIGKILL, the program dies with us instead of running on
	 * with our breakpoints in it. */
	/* The fast path drains a thread's records at its exit, while its memory is still there, and
	 * gives a vfork parent its records' block back when the child lets it go on. */
	long opts = OPTS_COMMON | PTRACE_O_EXITKILL | (trace_opts.fast ? PTRACE_O_TRACEEXIT | PTRACE_O_TRACEVFORKDONE : 0);
	if (ptrace(PTRACE_SEIZE, pid, 0, opts)) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		errno = e;
		if (e == EPERM) {
			char hint[256];
			eperm_hint(hint, sizeof(hint));
			die("cannot trace %s: ptrace: Operation not permitted (%s)", path, hint);
		}
		die_errno("ptrace(SEIZE, %d)", pid);
	}
	if (write(go[1], "x", 1) != 1)
		die_errno("starting %s", path);
	close(go[1]);
	exec_err_fd = err[0];
	return pid;
}

void trace_launch_check(const char *path)
{
	int e;
	if (exec_err_fd >= 0 && read(exec_err_fd, &e, sizeof(e)) == sizeof(e)) {
		errno = e;
		die_errno("cannot execute %s", path);
	}
}

/* The state letter of /proc/PID/stat (after the command name, which may hold anything) and its
 * flags; 0 if it cannot be read. */
static char proc_state(pid_t pid, unsigned long *flags)
{
	char buf[1024];
	proc_file(buf, sizeof(buf), "/proc/%d/stat", pid);
	const char *end = strrchr(buf, ')');   /* the command name may hold anything */
	char state = 0;
	*flags = 0;
	/* state ppid pgrp session tty_nr tpgid flags */
	if (!end || sscanf(end + 1, " %c %*d %*d %*d %*d %*d %lu", &state, flags) < 1)
		return 0;
	return state;
}

/* Whether fntrace lacks a capability that pid holds: the kernel lets no process trace one
 * with more privileges than its own, unless it has CAP_SYS_PTRACE there. */
static bool lacks_caps_of(pid_t pid)
{
	unsigned long theirs = proc_status_mask(pid, "CapPrm"), ours = proc_status_mask(getpid(), "CapPrm");
	return (theirs & ~ours) != 0;
}

/* Says why pid cannot be traced, naming the real cause where it can be known. */
static void attach_error(pid_t pid, int e)
{
	pid_t tracer;
	unsigned long flags;
	char state = e == EPERM ? proc_state(pid, &flags) : 0;
	char hint[256];
	if (e == ESRCH)
		warn_msg("cannot attach to pid %d: no such process", pid);
	else if (e == EPERM && state == 'Z')
		warn_msg("cannot attach to pid %d: process %d is a zombie (it has exited; its parent has not "
			 "collected its status)", pid, pid);
	else if (e == EPERM && state == 'X')
		warn_msg("cannot attach to pid %d: process %d is exiting", pid, pid);
	else if (e == EPERM && (flags & 0x00200000))   /* PF_KTHREAD */
		warn_msg("cannot attach to pid %d: it is a kernel thread, which has no program to trace", pid);
	else if (e == EPERM && (tracer = (pid_t)proc_status_field(pid, "TracerPid", 0)) > 0)
		warn_msg("cannot attach to pid %d: already traced by pid %d", pid, tracer);
	else if (e == EPERM && pid == 1 && lacks_caps_of(pid))
		warn_msg("cannot attach to pid 1: it is init, which holds capabilities fntrace does not have; "
			 "the kernel lets no process trace a more privileged one");
	else if (e == EPERM && lacks_caps_of(pid))
		warn_msg("cannot attach to pid %d: it holds capabilities fntrace does not have; the kernel "
			 "lets no process trace a more privileged one", pid);
	else if (e == EPERM && getuid() && proc_status_field(pid, "Uid", -1) != (long)getuid())
		warn_msg("cannot attach to pid %d: Operation not permitted (it runs as another user; tracing "
			 "it needs root or CAP_SYS_PTRACE)", pid);
	else if (e == EPERM) {
		eperm_hint(hint, sizeof(hint));
		warn_msg("cannot attach to pid %d: Operation not permitted (%s)", pid, hint);
	} else {
		errno = e;
		warn_errno("cannot attach to pid %d", pid);
	}
}

/* Seizes every thread listed in /proc/PID/task, again and again until no new one shows up. */
int trace_attach(pid_t pid)
{
	char dir[64];
	struct proc *p = NULL;
	bool found_new = true;
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	if (kill(pid, 0) && errno == ESRCH) {
		attach_error(pid, ESRCH);
		return -1;
	}
	if (pid == getpid()) {
		warn_msg("cannot attach to pid %d: cannot trace fntrace itself", pid);
		return -1;
	}
	if (task_get(pid)) {
		warn_msg("pid %d is already being traced by this fntrace", pid);
		return -1;
	}
	/* (the fast path's options: see trace_launch) */
	long opts = OPTS_COMMON | (trace_opts.fast ? PTRACE_O_TRACEEXIT | PTRACE_O_TRACEVFORKDONE : 0);
	while (found_new) {
		found_new = false;
		DIR *d = opendir(dir);
		if (!d) {
			attach_error(pid, errno == ENOENT ? ESRCH : errno);
			return p ? 0 : -1;
		}
		for (struct dirent *de; (de = readdir(d));) {
			pid_t tid = atoi(de->d_name);
			if (tid <= 0 || task_get(tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, (long)opts)) {
				/* A thread that just exited, or one that a thread we seized has just
				 * made: it is ours already, and its parent's clone event brings it. */
				int e = errno;
				pid_t tracer = (pid_t)proc_status_field(tid, "TracerPid", -1);
				if (p && (e == ESRCH || tracer == -1 || tracer == getpid()))
					continue;
				attach_error(pid, e);
				closedir(d);
				return p ? 0 : -1;
			}
			if (!p)
				p = proc_new(pid);
			struct task *t = task_new(tid, pid, p, ROLE_TRACED);
			t->attaching = true;
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			found_new = true;
		}
		closedir(d);
	}
	return 0;
}

/* ---- detach ---- */

static void interrupt_one(struct task *t, void *arg)
{
	(void)arg;
	t->fresh = false;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) && errno == ESRCH)
		t->attaching = false;
}

enum { DS_RUNNING, DS_STOPPED, DS_GONE };

struct dstate {
	pid_t tid;
	int state;
	int sig;          /* to deliver at detach */
	bool group_stop;  /* it was stopped by a signal and must stay so */
	bool new_image;   /* it execed: none of our bytes are in its memory */
	bool trapped;     /* it has reported a SIGTRAP, or was made to take a pending one */
	int in_syscall;   /* the fork, clone or vfork event it stopped at: its syscall is not
			   * done, and code run in it now would lose the syscall's result */
};

/* Tasks born during the detach, held stopped until our bytes are gone. */
static pid_t *late;
static size_t nlate;

/* Keeps what one stop of a known task says. */
static void note_stop(struct dstate *d, const struct stop *s)
{
	struct task *t = task_get(d->tid);
	struct user_regs_struct r;
	switch (s->kind) {
	case STOP_EXITED:
	case STOP_KILLED:
		d->state = DS_GONE;
		if (t)
			task_free(t, s->ts);
		return;
	case STOP_TRAP:
		/* A breakpoint hit we will not handle: run the original instruction again. */
		d->trapped = true;
		if (t && !ptrace(PTRACE_GETREGS, d->tid, 0, &r)) {
			struct bp *bp = addrmap_get(&t->p->bps, r.rip - 1);
			if (bp && bp->ever_planted) {
				r.rip = bp->addr;
				ptrace(PTRACE_SETREGS, d->tid, 0, &r);
				sigtrap_hold_own(t);
			} else {
				d->sig = SIGTRAP;
			}
		}
		break;
	case STOP_SIGNAL:
		d->sig = s->sig;
		break;
	case STOP_GROUP:
		d->group_stop = true;
		break;
	case STOP_EXEC:
		d->new_image = true;
		break;
	case STOP_FORK:
	case STOP_VFORK:
	case STOP_CLONE:
		/* a separate memory: clean it like an unfollowed child */
		if (t && syscall(SYS_kcmp, t->tid, (pid_t)s->msg, KCMP_VM, 0, 0) != 0)
			bp_restore_in_child(t->p, (pid_t)s->msg);
		d->in_syscall = s->kind;
		break;
	case STOP_SYSCALL:
		d->in_syscall = s->kind;   /* code run in it now would take the syscall's place */
		break;
	default:
		break;
	}
	d->state = DS_STOPPED;
}

/* Whether tid sits in a ptrace stop ("t" in /proc/TID/stat). */
static bool in_trace_stop(pid_t tid)
{
	unsigned long flags;
	return proc_state(tid, &flags) == 't';
}

/* Waits until every task has stopped, keeping what each stop says. A task already held in a
 * ptrace stop that was reported and answered gets no new stop from PTRACE_INTERRUPT: once
 * nothing has come for a while, a task that sits in a ptrace stop with nothing to report
 * counts as stopped. */
static void stop_everyone(struct dstate *ds, size_t n)
{
	uint64_t quiet_since = util_now_ns();
	for (;;) {
		size_t running = 0;
		for (size_t i = 0; i < n; i++)
			running += ds[i].state == DS_RUNNING;
		if (!running)
			return;
		struct stop s;
		if (!stop_poll(&s)) {
			if (s.kind == STOP_NONE)
				return;
			if (util_now_ns() - quiet_since < 200000000) {
				nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
				continue;
			}
			bool *held = xcalloc(n, sizeof(*held));
			for (size_t i = 0; i < n; i++)
				held[i] = ds[i].state == DS_RUNNING && in_trace_stop(ds[i].tid);
			if (!stop_poll(&s)) {   /* checked after: a stop just made is reported */
				for (size_t i = 0; i < n; i++)
					if (held[i])
						ds[i].state = DS_STOPPED;
				free(held);
				quiet_since = util_now_ns();
				continue;
			}
			free(held);
		}
		quiet_since = util_now_ns();
		struct dstate *d = NULL;
		for (size_t i = 0; i < n && !d; i++)
			if (ds[i].tid == s.tid)
				d = &ds[i];
		if (d) {
			note_stop(d, &s);
		} else if (s.kind != STOP_EXITED && s.kind != STOP_KILLED) {
			/* A task born during detach: it carries no state of ours, only our bytes, which
			 * are removed from its parent's memory (or from its forked copy, at the parent's
			 * event below). It waits, stopped, until they are gone. */
			late = xrealloc(late, (nlate + 1) * sizeof(*late));
			late[nlate++] = s.tid;
		}
	}
}

/* A task stopped at a fork or clone event is in the middle of the syscall: it is let finish it
 * and stopped again just after, where code can be run in it (to unmap the scratch). A vfork
 * parent cannot finish before its child, which we hold: it stays as it is. Returns how many. */
static size_t finish_syscalls(struct dstate *ds, size_t n)
{
	size_t resumed = 0;
	for (size_t i = 0; i < n; i++) {
		if (ds[i].state != DS_STOPPED || !ds[i].in_syscall || ds[i].in_syscall == STOP_VFORK)
			continue;
		ds[i].in_syscall = 0;
		if (!task_retrap(ds[i].tid)) {
			ds[i].state = DS_RUNNING;
			resumed++;
		}
	}
	return resumed;
}

/* A task that ran one of our int3s just as we interrupted it reports the interrupt first, with
 * the SIGTRAP still pending: detached like that, it would die of it. Such tasks take the signal
 * now, under our eyes, and are rewound to run the original instruction. Returns how many. */
static size_t take_pending_traps(struct dstate *ds, size_t n)
{
	size_t taken = 0;
	for (size_t i = 0; i < n; i++) {
		/* (in a signal-delivery-stop, a SIGTRAP of ours would have been dequeued first) */
		if (ds[i].state != DS_STOPPED || ds[i].trapped || ds[i].sig)
			continue;
		unsigned long pending = proc_status_mask(ds[i].tid, "SigPnd");
		if (!(pending & 1ul << (SIGTRAP - 1)))
			continue;
		/* still blocked: the program's own (our int3 would have unblocked it) */
		if (proc_status_mask(ds[i].tid, "SigBlk") & 1ul << (SIGTRAP - 1))
			continue;
		ds[i].trapped = true;   /* once: a SIGTRAP the program sent itself stays its own */
		if (ptrace(PTRACE_CONT, ds[i].tid, 0, 0) == 0) {
			ds[i].state = DS_RUNNING;
			taken++;
		}
	}
	return taken;
}

struct collect {
	struct dstate *ds;
	size_t n;
};

static void collect(struct task *t, void *arg)
{
	struct collect *c = arg;
	c->ds[c->n++].tid = t->tid;
}

void trace_detach_all(uint64_t ts)
{
	size_t n = task_count();
	struct dstate *ds = xcalloc(n + 1, sizeof(*ds));
	struct collect c = { ds, 0 };
	size_t i;

	task_each(interrupt_one, NULL);
	task_each(collect, &c);
	n = c.n;
	stop_everyone(ds, n);
	while (finish_syscalls(ds, n) + take_pending_traps(ds, n))
		stop_everyone(ds, n);

	/* Per address space: tasks out of scratch, bytes restored, scratch unmapped. */
	for (i = 0; i < n; i++) {
		struct task *t = ds[i].state == DS_STOPPED ? task_get(ds[i].tid) : NULL;
		struct user_regs_struct r;
		if (!t || ds[i].new_image)
			continue;
		bool before;
		fast_detach_task(t, &ds[i].sig);
		if (!ptrace(PTRACE_GETREGS, t->tid, 0, &r) && bp_leave_slot(t->p, &r, &before))
			ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	}
	for (i = 0; i < n; i++) {
		struct task *t = ds[i].state == DS_STOPPED ? task_get(ds[i].tid) : NULL;
		if (!t || ds[i].new_image || !t->p->loaded)
			continue;
		struct proc *p = t->p;
		fast_detach_proc(p);
		bp_restore_all(p, p);
		bp_free_all(p);
		/* The scratch is unmapped by a syscall run in one of its tasks, one not in a
		 * group-stop if there is one; else a stopped one, which the kernel stops again when
		 * we detach, the group's stop being still in effect. */
		for (size_t j = 0; j < 2 * n && p->nscr; j++) {
			struct dstate *d = &ds[j % n];
			struct task *u = d->state == DS_STOPPED ? task_get(d->tid) : NULL;
			if (!u || u->p != p || d->new_image || d->in_syscall || (j < n && d->group_stop))
				continue;
			for (size_t k = 0; k < p->nscr; k++) {
				const long args[6] = { (long)p->scr[k].base, (long)p->scr[k].size, 0, 0, 0, 0 };
				proc_inject_syscall_plain(u, SYS_munmap, args);
			}
			p->nscr = 0;
		}
		p->nscr = 0;
		p->loaded = false;
	}
	/* The program's SIGTRAP setup, as our last traps and the unmapping's int3 left it. */
	for (i = 0; i < n; i++) {
		struct task *t = ds[i].state == DS_STOPPED ? task_get(ds[i].tid) : NULL;
		int sig = t && !ds[i].new_image ? sigtrap_repair(t, !ds[i].in_syscall && !ds[i].group_stop) : 0;
		if (sig && !ds[i].sig)
			ds[i].sig = sig;
	}
	for (i = 0; i < n; i++) {
		struct task *t = task_get(ds[i].tid);
		if (!t)
			continue;
		if (ds[i].state == DS_STOPPED)
			ptrace(PTRACE_DETACH, t->tid, 0, (long)(ds[i].sig ? ds[i].sig : t->pending_sig));
		task_free(t, ts);
	}
	for (i = 0; i < nlate; i++)
		ptrace(PTRACE_DETACH, late[i], 0, 0);
	free(late);
	late = NULL;
	nlate = 0;
	free(ds);
}
