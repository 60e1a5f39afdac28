/* task: the registry of traced threads (tasks) and of the address spaces (procs) they run in. */
#include "trace.h"

#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

static struct addrmap tasks;      /* tid -> struct task */

struct task *task_get(pid_t tid)
{
	return addrmap_get(&tasks, (taddr_t)tid);
}

struct proc *proc_new(pid_t pid)
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
	fast_free(p);
	bp_free_all(p);
	modules_free(p);
	free(p->scr);
	free(p->xmaps);
	free(p);
}

struct task *task_new(pid_t tid, pid_t tgid, struct proc *p, enum task_role role)
{
	struct task *t = xcalloc(1, sizeof(*t));
	t->tid = tid;
	t->tgid = tgid;
	t->p = p;
	t->role = role;
	t->cs.pid = tgid;
	t->cs.tid = tid;
	p->ntasks++;
	addrmap_put(&tasks, (taddr_t)tid, t);
	return t;
}

void task_new_proc(struct task *t)
{
	struct proc *old = t->p;
	t->p = proc_new(t->tgid);
	t->p->ntasks++;
	if (--old->ntasks == 0)
		proc_release(old);
}

void task_free(struct task *t, uint64_t ts)
{
	struct proc *p = t->p;
	callstack_close_all(&t->cs, ts);
	callstack_free(&t->cs);
	addrmap_del(&tasks, (taddr_t)t->tid);
	free(t);
	if (--p->ntasks == 0)
		proc_release(p);
}

struct each_arg {
	void (*fn)(struct task *t, void *arg);
	void *arg;
	struct task **v;
	size_t n;
};

static void collect(taddr_t key, void *val, void *arg)
{
	struct each_arg *e = arg;
	(void)key;
	e->v[e->n++] = val;
}

void task_each(void (*fn)(struct task *t, void *arg), void *arg)
{
	/* Collected first, so that fn may free the task it is given. */
	struct each_arg e = { fn, arg, xmalloc((tasks.n + 1) * sizeof(struct task *)), 0 };
	addrmap_each(&tasks, collect, &e);
	for (size_t i = 0; i < e.n; i++)
		fn(e.v[i], arg);
	free(e.v);
}

size_t task_count(void)
{
	return tasks.n;
}

int task_retrap(pid_t tid)
{
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) || ptrace(PTRACE_CONT, tid, 0, 0))
		return -1;
	return 0;
}
