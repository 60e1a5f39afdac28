/* tracer: start the program, then the stop loop: each stop goes to the handler of its kind. */
#include "trace.h"
#include "stop.h"
#include "../rec/event.h"
#include "../rec/funcs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PTRACE_OPTS (PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | \
		     PTRACE_O_TRACEVFORK)

enum task_role {
	ROLE_TRACED,     /* its calls are reported */
	ROLE_SILENT,     /* a vfork child sharing our breakpoints: stepped over, not reported, until exec */
};

struct tstate {
	struct task t;
	enum task_role role;
	bool fresh;          /* created from a clone event; its first stop is its start */
};

static struct addrmap tasks;      /* tid -> struct tstate */
static struct addrmap parked;     /* tid -> heap copy of a stop from a task we do not know yet */
static struct addrmap to_detach;  /* tids of unfollowed children to let go at their first stop */
static pid_t leader;              /* the process we started */
static int leader_status = -1;
static int exec_err_fd = -1;

static struct tstate *ts_of(struct task *t)
{
	return (struct tstate *)t;
}

static struct task *task_get(pid_t tid)
{
	return addrmap_get(&tasks, (taddr_t)tid);
}

static struct task *task_new(pid_t tid, struct proc *p, enum task_role role)
{
	struct tstate *s = xcalloc(1, sizeof(*s));
	s->t.tid = tid;
	s->t.p = p;
	s->t.cs.pid = p->pid;
	s->t.cs.tid = tid;
	s->role = role;
	p->ntasks++;
	addrmap_put(&tasks, (taddr_t)tid, s);
	return &s->t;
}

static struct proc *proc_new(pid_t pid)
{
	struct proc *p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->memfd = -1;
	return p;
}

static void proc_release(struct proc *p)
{
	if (p->memfd >= 0)
		close(p->memfd);
	bp_free_all(p);
	symtab_free(&p->st);
	free(p->scr);
	free(p->xmaps);
	free(p);
}

static void task_free(struct task *t, uint64_t ts)
{
	struct proc *p = t->p;
	callstack_close_all(&t->cs, ts);
	callstack_free(&t->cs);
	addrmap_del(&tasks, (taddr_t)t->tid);
	free(ts_of(t));
	if (--p->ntasks == 0)
		proc_release(p);
}

/* Resumes t, delivering sig (or a signal that arrived while we ran code in it). ESRCH is fine:
 * the task is gone and waitpid will tell us how. */
static void resume(struct task *t, int sig, taddr_t rip)
{
	if (!sig && t->pending_sig) {
		sig = t->pending_sig;
		t->pending_sig = 0;
	}
	t->resumed_rip = rip;
	if (ptrace(PTRACE_CONT, t->tid, 0, (long)sig) && errno != ESRCH)
		warn_errno("ptrace(CONT, %d)", t->tid);
}

/* Loads the image a proc now runs and plants its breakpoints. */
static void load_image(struct task *t, const char *path)
{
	struct proc *p = t->p;
	char err[512];
	bp_free_all(p);
	symtab_free(&p->st);
	free(p->scr);
	p->scr = NULL;
	p->nscr = 0;
	if (proc_open_mem(p)) {
		warn_errno("cannot open memory of pid %d", p->pid);
		return;
	}
	proc_load_maps(p);
	if (symtab_load(path, &p->st, err, sizeof(err))) {
		warn_msg("%s", err);
		return;
	}
	if (proc_read_bias(p)) {
		warn_errno("cannot read the auxiliary vector of pid %d", p->pid);
		return;
	}
	bp_plant_image(t);
}

static void on_exec(struct task *t, const struct stop *s)
{
	struct proc *p = t->p;
	char exe[64], path[4096];
	/* Any other thread of the process is gone; the execing one now has the leader's tid. */
	if ((pid_t)s->msg != t->tid) {
		struct task *old = task_get((pid_t)s->msg);
		if (old && old != t)
			task_free(old, s->ts);
	}
	callstack_close_all(&t->cs, s->ts);
	if (ts_of(t)->role == ROLE_SILENT) {
		/* A vfork child of an untraced kind: its new image has none of our bytes. Let it go. */
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
		task_free(t, s->ts);
		return;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", p->pid);
	ssize_t n = readlink(exe, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	load_image(t, n > 0 ? path : exe);
	resume(t, 0, 0);
}

static bool trap_is_ours(struct task *t, struct bp *bp, const struct user_regs_struct *r)
{
	if (!bp || !bp->ever_planted)
		return false;
	/* Resumed exactly here and stopped again without moving: a SIGTRAP sent by someone. */
	if (r->rip == t->resumed_rip || !bp->planted) {
		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 && si.si_code != SI_KERNEL)
			return false;
	}
	return true;
}

static void on_trap(struct task *t, const struct stop *s)
{
	struct user_regs_struct r;
	struct proc *p = t->p;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		return;   /* gone */
	struct bp *bp = addrmap_get(&p->bps, r.rip - 1);
	if (!trap_is_ours(t, bp, &r)) {
		resume(t, SIGTRAP, 0);
		return;
	}
	if (bp->planted && ts_of(t)->role == ROLE_TRACED) {
		if (trace_opts.returns)
			callstack_observe(&t->cs, r.rsp, s->ts);
		if (bp->entry) {
			if (trace_opts.returns) {
				uint64_t ret = 0;
				bool have_ret = proc_read_raw(p, r.rsp, &ret, sizeof(ret)) == 0;
				callstack_enter(&t->cs, bp->fn, r.rsp, ret, s->ts);
				if (have_ret)
					bp_ensure_retsite(t, ret);
			} else {
				callstack_entry_only(&t->cs, bp->fn, s->ts);
			}
			if (trace_opts.once) {
				bp->entry = false;
				if (!bp->retsite)
					bp_unplant(p, bp);
			}
		}
	}
	if (bp_step_over(t, bp, &r)) {
		if (errno != ESRCH)
			warn_errno("stepping over %#" PRIx64 " in pid %d", bp->addr, t->tid);
		return;
	}
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r))
		return;
	resume(t, 0, r.rip);
}

static void unplant_in(taddr_t key, void *val, void *arg)
{
	struct bp *bp = val;
	(void)key;
	if (bp->planted)
		proc_write(arg, bp->addr, &bp->orig, 1);
}

/* A child process that we do not follow: take our bytes out of its memory now (it cannot run
 * before its first stop), and let it go at that stop. */
static void release_child(struct proc *parent, pid_t child)
{
	struct proc tmp = { .pid = child, .memfd = -1 };
	if (proc_open_mem(&tmp) == 0) {
		addrmap_each(&parent->bps, unplant_in, &tmp);
		close(tmp.memfd);
	}
	struct stop *pk = addrmap_del(&parked, (taddr_t)child);
	if (pk) {
		ptrace(PTRACE_DETACH, child, 0, 0);
		free(pk);
	} else {
		addrmap_put(&to_detach, (taddr_t)child, &to_detach);
	}
}

static void dispatch(struct stop *s);

/* The parent told us about a new task: decide what it is, and handle its first stop if parked. */
static void on_new_task(struct task *t, const struct stop *s)
{
	pid_t child = (pid_t)s->msg;
	struct proc *p = t->p;
	bool shares_vm = syscall(SYS_kcmp, t->tid, child, KCMP_VM, 0, 0) == 0;
	char path[64], line[256];
	pid_t tgid = child;
	snprintf(path, sizeof(path), "/proc/%d/status", child);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	if (f)
		fclose(f);

	if (tgid == p->pid) {
		struct task *c = task_new(child, p, ts_of(t)->role);
		ts_of(c)->fresh = true;
	} else if (shares_vm) {
		/* vfork or clone(CLONE_VM): it runs on our breakpoints until it execs or exits. */
		struct task *c = task_new(child, p, ROLE_SILENT);
		ts_of(c)->fresh = true;
	} else {
		release_child(p, child);
		resume(t, 0, 0);
		return;
	}
	resume(t, 0, 0);
	struct stop *pk = addrmap_del(&parked, (taddr_t)child);
	if (pk) {
		dispatch(pk);
		free(pk);
	}
}

static void on_exit_task(struct task *t, const struct stop *s)
{
	if (t->tid == leader)
		leader_status = s->status;
	task_free(t, s->ts);
}

static void on_unknown(struct stop *s)
{
	if (s->kind == STOP_EXITED || s->kind == STOP_KILLED) {
		free(addrmap_del(&parked, (taddr_t)s->tid));
		addrmap_del(&to_detach, (taddr_t)s->tid);
		return;
	}
	if (addrmap_del(&to_detach, (taddr_t)s->tid)) {
		ptrace(PTRACE_DETACH, s->tid, 0, 0);
		return;
	}
	/* A new task whose parent's event has not come yet. */
	struct stop *copy = xmalloc(sizeof(*copy));
	*copy = *s;
	addrmap_put(&parked, (taddr_t)s->tid, copy);
}

static void dispatch(struct stop *s)
{
	struct task *t = task_get(s->tid);
	DEBUG(DBG_STOP, "tid %d: %s sig %d", s->tid, stop_kind_name(s->kind), s->sig);
	if (!t) {
		on_unknown(s);
		return;
	}
	if (ts_of(t)->fresh && s->kind != STOP_EXITED && s->kind != STOP_KILLED) {
		ts_of(t)->fresh = false;
		if (s->kind == STOP_GROUP || s->kind == STOP_EVENT_STOP) {
			resume(t, 0, 0);
			return;
		}
	}
	switch (s->kind) {
	case STOP_TRAP:
		on_trap(t, s);
		break;
	case STOP_SIGNAL:
		resume(t, s->sig, 0);
		break;
	case STOP_GROUP:
		if (ptrace(PTRACE_LISTEN, t->tid, 0, 0) && errno != ESRCH)
			warn_errno("ptrace(LISTEN, %d)", t->tid);
		break;
	case STOP_EVENT_STOP:
	case STOP_VFORK_DONE:
		resume(t, 0, 0);
		break;
	case STOP_EXEC:
		on_exec(t, s);
		break;
	case STOP_CLONE:
	case STOP_FORK:
	case STOP_VFORK:
		on_new_task(t, s);
		break;
	case STOP_EXITED:
	case STOP_KILLED:
		on_exit_task(t, s);
		break;
	case STOP_NONE:
		break;
	}
}

/* Forks the program, stopped until we have seized it, then lets it exec. */
static pid_t launch(char **argv, const char *path)
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
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		if (read(go[0], &c, 1) != 1)
			_exit(127);   /* the tracer died before we could start */
		execv(path, argv);
		int e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	if (ptrace(PTRACE_SEIZE, pid, 0, (long)PTRACE_OPTS)) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		errno = e;
		if (e == EPERM)
			die("cannot trace %s: ptrace: Operation not permitted (check /proc/sys/kernel/yama/ptrace_scope, "
			    "seccomp or container restrictions)", path);
		die_errno("ptrace(SEIZE, %d)", pid);
	}
	/* The user's Ctrl-C and Ctrl-\ are for the program; we keep tracing until it is gone. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (write(go[1], "x", 1) != 1)
		die_errno("starting %s", path);
	close(go[1]);
	exec_err_fd = err[0];
	return pid;
}

int trace_run(char **argv, const char *path)
{
	leader = launch(argv, path);
	struct proc *p = proc_new(leader);
	task_new(leader, p, ROLE_TRACED);

	struct stop s;
	for (;;) {
		stop_next(&s);
		if (s.kind == STOP_NONE)
			break;
		dispatch(&s);
		if (leader_status != -1 && !tasks.n)
			break;
	}
	int e;
	if (exec_err_fd >= 0 && read(exec_err_fd, &e, sizeof(e)) == sizeof(e)) {
		errno = e;
		die_errno("cannot execute %s", path);
	}
	return leader_status;
}
