/* tracer: the stop loop. Each stop goes to the handler of its kind; each handler has one job. */
#include "trace.h"
#include "stop.h"
#include "../args/choose.h"
#include "../rec/event.h"
#include "../rec/funcs.h"
#include "../rec/names.h"
#include "../rec/sink.h"

#include <errno.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static struct addrmap parked;     /* tid -> heap copy of the first stop of a task not known yet */
static struct addrmap to_detach;  /* tid -> struct leftover: unfollowed children to let go */
static pid_t leader;              /* the first process: its status is ours */
static int leader_status;
static bool leader_ended;
static const char *launch_path;   /* the program we started, or NULL after -p */
static volatile sig_atomic_t stop_requested;

static void emit(struct task *t, enum ev_kind kind, uint32_t fn, uint64_t ts)
{
	struct event ev = { .ts = ts, .pid = t->tgid, .tid = t->tid, .fn = fn, .kind = (uint16_t)kind,
			    .depth = (uint16_t)(t->cs.n > 0xfffe ? 0xfffe : t->cs.n) };
	sink_event(&ev);
}

/* A signal delivered in a scratch slot would save the slot's address in the signal frame, and
 * the handler would return there, into memory that a detach unmaps. The task is put back in
 * the program's own code first, just after the displaced instruction: if the instruction has
 * not run yet, it is run now, alone, with one single-step. */
static void leave_slot(struct task *t)
{
	struct user_regs_struct r;
	bool before;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) || !bp_leave_slot(t->p, &r, &before))
		return;
	for (int tries = 0; before && tries < 8; tries++) {
		struct stop s;
		stop_step(&s, t->tid);
		if (s.kind == STOP_NONE)
			return;
		if (stop_is_end(&s)) {
			stop_requeue(&s);   /* its end is for the stop loop to handle */
			return;
		}
		if (s.kind == STOP_SIGNAL && !t->pending_sig)
			t->pending_sig = s.sig;   /* came first: delivered after the one being delivered */
		if (s.kind == STOP_TRAP)
			sigtrap_gadget_trap(t);   /* the step's trap may be the program's own SIGTRAP */
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &r))
			return;
		if (!bp_leave_slot(t->p, &r, &before))
			return;   /* out of the slot: the instruction ran */
	}
	if (!before)
		ptrace(PTRACE_SETREGS, t->tid, 0, &r);
}

/* Resumes t, delivering sig (or a signal that arrived while we ran code in it). ESRCH is fine:
 * the task is gone and waitpid will tell us how. */
static void resume(struct task *t, int sig, taddr_t rip)
{
	if (!sig && t->pending_sig) {
		sig = t->pending_sig;
		t->pending_sig = 0;
	}
	/* Not in Go: its preemption signal, taken out of a slot, would preempt goroutines where
	 * their calls could no longer be told from restarts (see go_restart). */
	if (sig && t->p->nscr && !t->p->go)
		leave_slot(t);
	t->resumed_rip = rip;
	enum __ptrace_request req = t->sysmon ? PTRACE_SYSCALL : PTRACE_CONT;
	if (sig && sigtrap_step_into_handler(t, sig)) {
		req = PTRACE_SINGLESTEP;   /* stops at the handler's entry, its mask in effect */
		t->into_handler = true;
	}
	if (proc_resume(t, req, sig) && errno != ESRCH)
		warn_errno("ptrace(CONT, %d)", t->tid);
}

/* Records a thread's name (its comm) for the views that label threads. */
static void name_thread(pid_t tgid, pid_t tid)
{
	char comm[64];
	if (proc_file(comm, sizeof(comm), "/proc/%d/task/%d/comm", tgid, tid)) {
		comm[strcspn(comm, "\n")] = 0;
		names_thread(tid, comm);
	}
}

void trace_load_image(struct task *t)
{
	struct proc *p = t->p;
	p->loaded = true;
	if (proc_open_mem(p)) {
		warn_errno("cannot open memory of pid %d", p->pid);
		return;
	}
	proc_load_maps(p);
	sigtrap_load(t);
	modules_load_exe(t);
	sigtrap_repair(t, true);   /* the mappings of scratch ended in our int3 */
	static bool warned;
	if (p->nmods && !p->mods[0]->st->nfuncs && t->tgid == leader && !warned) {
		warn_msg("%s: no function symbols found (stripped?)", p->mods[0]->path);
		warned = true;
	}
	if (p->nmods) {
		const char *base = strrchr(p->mods[0]->path, '/');
		names_process(t->tgid, base ? base + 1 : p->mods[0]->path);
	}
	name_thread(t->tgid, t->tid);
}

static void on_exec(struct task *t, const struct stop *s)
{
	/* Any other thread of the process is gone; the execing one now has the leader's tid. */
	struct task *old = task_get((pid_t)s->msg);
	if (old && old != t)
		task_free(old, s->ts);
	callstack_close_all(&t->cs, s->ts);
	guard_forget_pid(t->tgid);   /* a new image: none of the old int3s are in it */
	if (t->role == ROLE_SILENT) {
		/* An unfollowed vfork child: its new image has none of our bytes. Let it go. */
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
		task_free(t, s->ts);
		return;
	}
	task_new_proc(t);
	trace_note_privileges(t->tid);
	trace_load_image(t);
	resume(t, 0, 0);
}

static bool trap_is_ours(struct task *t, struct bp *bp, const struct user_regs_struct *r)
{
	if (!bp || !bp->ever_planted)
		return false;
	/* Resumed exactly here and stopped again without moving, or our byte is gone: maybe a
	 * SIGTRAP sent by someone. The kernel says SI_KERNEL for an int3. */
	if (r->rip == t->resumed_rip || !bp->planted) {
		/* While the program blocks SIGTRAP, its own could not have been delivered at once: our
		 * int3 ran and dequeued it (sigtrap_trap_seen) */
		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 && si.si_code != SI_KERNEL &&
		    !(t->trap_blocked && bp->planted))
			return false;
	}
	return true;
}

static void on_signal(struct task *t, const struct stop *s, int sig)
{
	if (sig == SIGTRAP)
		sigtrap_own_trap(t);
	if (t->role == ROLE_TRACED)
		emit(t, EV_SIGNAL, (uint32_t)sig, s->ts);
	proc_test_signal_stop(t);
	resume(t, sig, 0);
}

/* The Go runtime restarts a function from its entry when its prologue finds the stack short:
 * to grow it, or because the scheduler asked the goroutine to yield. That is the same call, not
 * a new one: its frame is still open with this very stack pointer and return address, on this
 * thread or, if the goroutine moved, on another thread of the process. (A grown stack has been
 * moved, so that restart, rarer, is not recognised.) */
struct open_call {
	pid_t tgid;
	uint32_t fn;
	taddr_t sp, ret;
	bool found;
};

static void find_open_call(struct task *t, void *arg)
{
	struct open_call *c = arg;
	for (size_t i = t->cs.n; i-- > 0 && !c->found && t->tgid == c->tgid;) {
		const struct frame *f = &t->cs.v[i];
		c->found = f->sp == c->sp && f->ret == c->ret && f->fn == c->fn && !f->returned;
	}
}

static bool go_restart(struct task *t, struct bp *bp, taddr_t sp, taddr_t ret)
{
	if (!t->p->go)
		return false;
	struct open_call c = { t->tgid, bp_fn(bp), sp, ret, false };
	task_each(find_open_call, &c);
	return c.found;
}

/* A goroutine that moved to another thread during a call returns there, and the frame it opened
 * stays open on the thread it left (nothing that thread sees proves it left). Its return at
 * site with rsp = sp marks it returned, on every thread: else the next call from the same
 * place, with the same sp and return address, would pass for its restart and not be counted. */
struct go_return {
	pid_t tgid;
	taddr_t site, sp;
};

static void mark_returned(struct task *t, void *arg)
{
	const struct go_return *g = arg;
	for (size_t i = 0; i < t->cs.n && t->tgid == g->tgid; i++) {
		struct frame *f = &t->cs.v[i];
		if (f->ret == g->site && f->sp + 8 == g->sp)
			f->returned = true;
	}
}

static void go_returned(struct task *t, taddr_t site, taddr_t sp)
{
	struct go_return g = { t->tgid, site, sp };
	task_each(mark_returned, &g);
}

bool trace_libcall_reported(struct task *t, taddr_t sp, uint64_t ret)
{
	/* A library function reports the calls the executable makes to it only; a tail jump from
	 * one library function to another (qsort to qsort_r) is no such call. */
	struct proc *p = t->p;
	if (!p->nmods || ret < p->mods[0]->text.lo || ret >= p->mods[0]->text.hi)
		return false;
	const struct frame *top = t->cs.n ? &t->cs.v[t->cs.n - 1] : NULL;
	if (!top || top->sp != sp || top->ret != ret)
		return true;
	struct module *m = modules_find(p, funcs_addr(top->fn));
	return !m || m->exe;
}

/* trace_entry; er holds the registers the arguments are read from (NULL: none are, a fast
 * path record that kept none). */
static void report_entry(struct task *t, struct bp *bp, taddr_t sp, uint64_t ret, bool have_ret, uint64_t ts,
			 const struct entry_regs *er)
{
	struct proc *p = t->p;
	bool report = bp->entry;
	if (bp->libcall)
		report = have_ret && trace_libcall_reported(t, sp, ret);
	if (report && trace_opts.returns && have_ret && go_restart(t, bp, sp, ret))
		report = false;
	if (!report)
		return;
	if (!funcs_described(bp_fn(bp))) {
		modules_describe(p, bp_fn(bp));
		if (er && er->stopped && trace_opts.srcline)
			ts = util_now_ns();   /* the call starts after the lookup (a CU's line table is read at its first) */
	}
	bool want_ret = false;
	char *args = NULL;
	if (args_enabled()) {
		args = values_entry(t, bp, bp_fn(bp), er, &want_ret);
		if (er && er->stopped)
			ts = util_now_ns();   /* the call starts after our reading (a file's DWARF, at first) */
	}
	if (trace_opts.returns) {
		callstack_enter_args(&t->cs, bp_fn(bp), sp, ret, ts, args, want_ret);
		if (have_ret)
			bp_ensure_retsite(t, ret);
		if (have_ret && want_ret && values_ret_reads_memory(bp_fn(bp)))
			fast_stop_at_site(t, ret);
	} else {
		callstack_entry_only_args(&t->cs, bp_fn(bp), ts, args);
	}
	free(args);
	if (trace_opts.once) {
		bp->entry = false;
		if (!bp->retsite && !bp->sigwatch)
			bp_unplant(p, bp);
	}
}

void trace_entry(struct task *t, struct bp *bp, taddr_t sp, uint64_t ret, bool have_ret, uint64_t ts)
{
	report_entry(t, bp, sp, ret, have_ret, ts, NULL);
}

void trace_entry_args(struct task *t, struct bp *bp, taddr_t sp, uint64_t ret, uint64_t ts,
		      const struct entry_regs *er)
{
	report_entry(t, bp, sp, ret, true, ts, er);
}

struct return_regs {
	struct task *t;
	const struct ret_regs *rr;
};

static char *return_value(void *vctx, uint32_t fn)
{
	struct return_regs *x = vctx;
	return values_return(x->t, fn, x->rr);
}

void trace_return(struct task *t, taddr_t site, const struct ret_regs *rr, uint64_t ts)
{
	if (!args_enabled()) {
		callstack_observe(&t->cs, rr->r->rsp, ts);
		return;
	}
	struct return_regs x = { t, rr };
	callstack_return(&t->cs, rr->r->rsp, site, ts, return_value, &x);
}

/* The frames this stop proves were left are closed; at a return site, those returning here
 * with a value asked for get it from the registers. */
static void observe(struct task *t, const struct bp *bp, const struct user_regs_struct *r, uint64_t ts)
{
	if (bp->retsite && t->p->go)
		go_returned(t, bp->addr, r->rsp);
	if (bp->retsite && args_enabled()) {
		struct ret_regs rr = { .r = r, .stopped = true };
		struct return_regs x = { t, &rr };
		callstack_return(&t->cs, r->rsp, bp->addr, ts, return_value, &x);
	} else {
		callstack_observe(&t->cs, r->rsp, ts);
	}
}

static void on_trap(struct task *t, const struct stop *s)
{
	struct user_regs_struct r;
	struct proc *p = t->p;
	uint8_t code[INSN_MAX];   /* the displaced instruction's bytes now, if have_code */
	bool have_code = false;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		return;   /* gone */
	struct bp *bp = addrmap_get(&p->bps, r.rip - 1);
	DEBUG(DBG_STOP, "tid %d: trap at %#llx: %s%s%s", t->tid, r.rip - 1, bp ? "bp" : "no bp",
	      bp && bp->entry ? " entry" : "", bp && bp->hook ? " hook" : "");
	if (!trap_is_ours(t, bp, &r)) {
		on_signal(t, s, SIGTRAP);
		return;
	}
	sigtrap_trap_seen(t);
	/* A call that starts here starts after our own work at this stop (loading a library), so
	 * that its duration does not include it. */
	uint64_t start = s->ts;
	if (bp->planted && bp->hook) {
		modules_sync(t);   /* may add breakpoints, never removes this one */
		start = util_now_ns();
	}
	if (t->resolver)
		modules_resolver_returned(t, &r);
	if (bp->planted && bp->resolver)
		modules_resolver_entered(t, bp->addr, r.rsp);   /* the loader is resolving an IFUNC */
	if (bp->planted && t->role == ROLE_TRACED) {
		uint64_t ret = 0;
		bool have_ret = false;
		if (trace_opts.returns)
			observe(t, bp, &r, s->ts);
		if (bp->entry && (trace_opts.returns || bp->libcall)) {
			/* with the code bp_check_code compares, in the same system call */
			size_t n = bp_code_len(bp);
			have_ret = (n ? proc_read_raw2(p, r.rsp, &ret, sizeof(ret), bp->addr, code, n) :
				    proc_read_raw(p, r.rsp, &ret, sizeof(ret))) == 0;
			have_code = have_ret && n;
		}
		if (bp->entry)
			report_entry(t, bp, r.rsp, ret, have_ret, start,
				     &(struct entry_regs){ .r = &r, .stopped = true });
	}
	bp_check_code(t, bp, have_code ? code : NULL);   /* the program may have changed it (a JIT...) */
	struct user_regs_struct before = r;
	if (bp_step_over(t, bp, &r)) {
		if (errno != ESRCH)
			warn_errno("stepping over %#" PRIx64 " in pid %d", bp->addr, t->tid);
		return;
	}
	/* Only rip moved (out of line, nop, jmp): the kernel has less to check in one register. */
	before.rip = r.rip;
	if (!memcmp(&before, &r, sizeof(r))) {
		if (ptrace(PTRACE_POKEUSER, t->tid, offsetof(struct user, regs.rip), r.rip))
			return;
	} else if (ptrace(PTRACE_SETREGS, t->tid, 0, &r)) {
		return;
	}
	if (bp->sigwatch && bp->planted)
		sigtrap_watch_call(t, before.rsp);
	if (sigtrap_after_trap(t, r.rsp)) {
		/* the program's SIGTRAP, blocked: resumed with it, the kernel makes it pending again */
		t->resumed_rip = r.rip;
		ptrace(t->sysmon ? PTRACE_SYSCALL : PTRACE_CONT, t->tid, 0, SIGTRAP);
		return;
	}
	resume(t, 0, r.rip);
}

/* The scratch regions a child inherited from its parent, to unmap before letting it go, and its
 * parent's SIGTRAP action (the child's too) for the int3s of the unmapping to leave as it is. */
struct leftover {
	struct scratch *scr;
	size_t nscr;
	struct ksigaction trap_act;
};

/* Lets an unfollowed child go, stopped at its first stop: without our scratch mappings (its
 * breakpoint bytes are gone already). */
static void let_go(pid_t child, struct leftover *lo)
{
	struct proc tmp = { .pid = child, .memfd = -1, .trap_act = lo->trap_act };
	struct task t = { .tid = child, .tgid = child, .p = &tmp };
	if (lo->nscr && proc_open_mem(&tmp) == 0) {
		sigtrap_task_start(&t, false);
		for (size_t i = 0; i < lo->nscr; i++) {
			const long args[6] = { (long)lo->scr[i].base, (long)lo->scr[i].size, 0, 0, 0, 0 };
			proc_inject_syscall_plain(&t, SYS_munmap, args);
		}
		sigtrap_repair(&t, true);   /* after the unmapping's int3s */
		close(tmp.memfd);
	}
	ptrace(PTRACE_DETACH, child, 0, (long)t.pending_sig);
	free(lo->scr);
	free(lo);
}

/* A copy of p's scratch list, for a child that inherits the regions; owned by the caller. */
static struct scratch *scratch_copy(const struct proc *p)
{
	struct scratch *scr = xmalloc((p->nscr + 1) * sizeof(*scr));
	if (p->nscr)   /* p->scr is NULL until the first region is mapped */
		memcpy(scr, p->scr, p->nscr * sizeof(*scr));
	return scr;
}

/* A child process that we do not follow: cleaned now, let go at its first stop. */
static void release_child(struct proc *parent, pid_t child)
{
	bp_restore_in_child(parent, child);
	struct leftover *lo = xcalloc(1, sizeof(*lo));
	lo->scr = scratch_copy(parent);
	lo->nscr = parent->nscr;
	lo->trap_act = parent->trap_act;
	struct stop *pk = addrmap_del(&parked, (taddr_t)child);
	if (pk) {
		let_go(child, lo);
		free(pk);
	} else {
		addrmap_put(&to_detach, (taddr_t)child, lo);
	}
}

static void dispatch(struct stop *s);

static void copy_bp(taddr_t key, void *val, void *arg)
{
	struct proc *p = arg;
	struct bp *copy = xmalloc(sizeof(*copy));
	*copy = *(struct bp *)val;
	addrmap_put(&p->bps, key, copy);
}

/* A followed child with its own memory: a copy of its parent's, breakpoints and scratch too. */
static void follow_fork(struct task *parent, pid_t child)
{
	struct task *c = task_new(child, child, parent->p, ROLE_TRACED);
	task_new_proc(c);
	struct proc *p = c->p, *pp = parent->p;
	c->fresh = true;
	p->loaded = pp->loaded;
	if (!pp->loaded)
		return;
	if (proc_open_mem(p)) {
		bp_restore_in_child(pp, child);   /* at least it must not trap on our bytes */
		p->loaded = false;
		return;
	}
	modules_copy(p, pp);
	addrmap_each(&pp->bps, copy_bp, p);
	p->scr = scratch_copy(pp);
	p->nscr = pp->nscr;
	p->inject_at = pp->inject_at;
	p->trap_act = pp->trap_act;
	fast_fork(p, pp, parent->tid, child);
	proc_load_maps(p);
	const char *name = names_of_process(parent->tgid);
	if (name)
		names_process(child, name);
	name_thread(child, child);
}

/* The parent told us about a new task: decide what it is, and handle its first stop if parked. */
static void on_new_task(struct task *t, const struct stop *s)
{
	pid_t child = (pid_t)s->msg;
	struct proc *p = t->p;
	bool shares_vm = syscall(SYS_kcmp, t->tid, child, KCMP_VM, 0, 0) == 0;
	pid_t tgid = (pid_t)proc_status_field(child, "Tgid", child);

	if (tgid == t->tgid) {
		struct task *c = task_new(child, t->tgid, p, t->role);   /* a thread */
		c->fresh = true;
		name_thread(t->tgid, child);
		if (c->role == ROLE_TRACED)
			emit(c, EV_THREAD_START, 0, s->ts);
	} else if (shares_vm) {
		/* vfork or clone(CLONE_VM): it runs on our breakpoints until it execs or exits. */
		struct task *c = task_new(child, tgid, p, trace_opts.follow && t->role == ROLE_TRACED ?
					  ROLE_TRACED : ROLE_SILENT);
		c->fresh = true;
		if (c->role == ROLE_TRACED) {
			const char *name = names_of_process(t->tgid);
			if (name && !names_of_process(tgid))
				names_process(tgid, name);
			name_thread(tgid, child);
			emit(c, EV_THREAD_START, 0, s->ts);
		}
	} else if (trace_opts.follow && t->role == ROLE_TRACED) {
		follow_fork(t, child);
		emit(task_get(child), EV_THREAD_START, 0, s->ts);
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
	bool proc_ends = t->tid == t->tgid;
	pid_t tgid = t->tgid;
	bool traced = t->role == ROLE_TRACED;
	if (tgid == leader && launch_path && !t->p->loaded)
		trace_launch_check(launch_path);   /* it never ran: say why execve failed */
	if (tgid == leader && proc_ends) {
		leader_status = s->status;
		leader_ended = true;
	}
	task_free(t, s->ts);
	if (proc_ends && traced) {
		struct event ev = { .ts = s->ts, .pid = tgid, .tid = tgid, .fn = (uint32_t)s->status,
				    .kind = EV_PROC_EXIT };
		sink_event(&ev);
	}
}

static void on_unknown(struct stop *s)
{
	if (s->kind == STOP_EXITED || s->kind == STOP_KILLED) {
		free(addrmap_del(&parked, (taddr_t)s->tid));
		struct leftover *lo = addrmap_del(&to_detach, (taddr_t)s->tid);
		if (lo) {
			free(lo->scr);
			free(lo);
		}
		return;
	}
	struct leftover *lo = addrmap_del(&to_detach, (taddr_t)s->tid);
	if (lo) {
		let_go(s->tid, lo);
		return;
	}
	/* A new task whose parent's event has not come yet. */
	struct stop *copy = xmalloc(sizeof(*copy));
	*copy = *s;
	addrmap_put(&parked, (taddr_t)s->tid, copy);
}

/* The first stop of a task we attached to with -p: plant breakpoints once per process. A task
 * caught at a fork or clone event is in the middle of the syscall, whose result code run in it
 * now (mapping scratch) would lose: the event is handled as usual, and the task stops again
 * once the syscall is done, to plant then. */
static bool on_attach_stop(struct task *t, const struct stop *s)
{
	if (s->kind == STOP_FORK || s->kind == STOP_VFORK || s->kind == STOP_CLONE ||
	    s->kind == STOP_VFORK_DONE) {
		ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
		return false;
	}
	t->attaching = false;
	if (!t->p->loaded) {
		fast_attach_hold(t);
		trace_load_image(t);   /* names the process and t */
		fast_attach_release(t);
	} else {
		name_thread(t->tgid, t->tid);
		sigtrap_task_start(t, false);
	}
	if (s->kind == STOP_EVENT_STOP) {
		resume(t, 0, 0);
		return true;
	}
	return false;
}

static void dispatch(struct stop *s)
{
	struct task *t = task_get(s->tid);
	DEBUG(DBG_STOP, "tid %d: %s sig %d", s->tid, stop_kind_name(s->kind), s->sig);
	if (!t) {
		on_unknown(s);
		return;
	}
	proc_stopped(t, s->kind == STOP_TRAP || s->kind == STOP_SIGNAL);
	if (t->p->fast && fast_on_stop(t, s))
		return;   /* a trampoline's own trap or fault */
	if (t->attaching && s->kind != STOP_EXITED && s->kind != STOP_KILLED && on_attach_stop(t, s))
		return;
	if (t->into_handler && s->kind == STOP_TRAP && sigtrap_handler_entry(t)) {
		resume(t, 0, 0);
		return;
	}
	t->into_handler = false;
	if (t->fresh && s->kind != STOP_EXITED && s->kind != STOP_KILLED) {
		t->fresh = false;
		sigtrap_task_start(t, true);
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
		on_signal(t, s, s->sig);
		break;
	case STOP_SYSCALL:
		sigtrap_on_syscall(t);
		resume(t, 0, 0);
		break;
	case STOP_GROUP:
		/* Stay stopped, as without us, but let SIGCONT be seen. LISTEN wants the group-stop
		 * to be the task's last stop; if we ran code in it since (an attach to a stopped
		 * process maps scratch through it), it is trapped into a new one first. */
		if (!ptrace(PTRACE_LISTEN, t->tid, 0, 0) || errno == ESRCH)
			break;
		if (errno == EIO && !task_retrap(t->tid))
			break;
		warn_errno("ptrace(LISTEN, %d)", t->tid);
		break;
	case STOP_EVENT_STOP:
	case STOP_VFORK_DONE:
	case STOP_EXIT_EVENT:
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
	case STOP_INTR:
		break;
	}
}

static void announce(struct task *t, void *arg)
{
	emit(t, EV_THREAD_START, 0, *(uint64_t *)arg);
}

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGINT, SIGQUIT, SIGTERM, SIGHUP, and SIGPIPE (nobody reads the trace any more): detach and
 * go, leaving the program running as it was. For a program we started, Ctrl-C and Ctrl-\ are
 * the program's: it gets them from the terminal, and we trace on until it is gone. */
static void install_handlers(bool launched)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = request_stop;   /* no SA_RESTART: waitpid must return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	if (launched) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
	} else {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
	}
}

/* Appends s to the command being built in *buf, quoted as a shell would need it. */
static void quote_arg(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	xgrow(buf, cap, *len + n * 4 + 4, 1);
	char *p = *buf + *len;
	if (*len)
		*p++ = ' ';
	bool plain = n > 0;
	for (const char *c = s; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *c))
			plain = false;
	if (plain) {
		memcpy(p, s, n);
		p += n;
	} else {
		*p++ = '\'';
		for (const char *c = s; *c; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = 0;
	*len = (size_t)(p - *buf);
}

/* Records the traced command: argv, or the command line of process pid (with -p). */
static void name_command(char **argv, pid_t pid)
{
	char *buf = NULL, args[1 << 16];
	size_t len = 0, cap = 0;
	if (argv) {
		for (; *argv; argv++)
			quote_arg(&buf, &len, &cap, *argv);
	} else {
		size_t n = proc_file(args, sizeof(args), "/proc/%d/cmdline", pid);
		for (size_t i = 0; i < n; i += strlen(args + i) + 1)
			quote_arg(&buf, &len, &cap, args + i);
	}
	if (buf)
		names_command(buf);
	free(buf);
}

int trace_run(char **argv, const char *path, const int *pids, int npids)
{
	name_command(argv, argv ? 0 : pids[0]);
	stop_init();
	if (argv) {
		launch_path = path;
		leader = trace_launch(argv, path);
		task_new(leader, leader, proc_new(leader), ROLE_TRACED);
		install_handlers(true);   /* after the fork: the program keeps its own dispositions */
	} else {
		install_handlers(false);  /* before: a SIGINT while attaching detaches, too */
		guard_start();
		int ok = 0;
		for (int i = 0; i < npids; i++)
			ok += trace_attach(pids[i]) == 0;
		if (!ok)
			exit(1);
		leader = pids[0];
	}
	uint64_t now = util_now_ns();
	task_each(announce, &now);
	proc_test_arm();

	struct stop s;
	while (task_count() && !stop_requested) {
		/* about to wait: the lines so far go to their reader, with the records written
		 * since the last stops */
		sink_idle(fast_idle(util_now_ns()));
		stop_next(&s);
		if (s.kind == STOP_NONE)
			break;
		if (s.kind != STOP_INTR)
			dispatch(&s);
	}
	if (stop_requested && task_count()) {
		trace_detach_all(util_now_ns());
		guard_done();
		return 0;
	}
	guard_done();
	return leader_ended ? leader_status : 0;
}
