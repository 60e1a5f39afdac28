/* sigtrap: the program's own SIGTRAP setup, kept as it set it although our int3s trap.
 *
 * An int3 makes the kernel force SIGTRAP (force_sig_info_to_task): if the thread blocks it or
 * the process ignores it, the action is reset to SIG_DFL and the thread's mask unblocks it,
 * before we see the stop. No tracer can prevent that, so we follow what the program sets: its
 * SIGTRAP action (proc), and whether each thread blocks it (task), and put back what our trap
 * changed. The program changes them through system calls, which we see only when a task is
 * resumed with PTRACE_SYSCALL: from the entry of a C library function that changes signal
 * setup (sigaction, sigprocmask...) until it returns, and in a new thread until it has set its
 * mask. A handler's entry changes the mask too: a signal the program handles is delivered with
 * PTRACE_SINGLESTEP while its SIGTRAP is not the default, so that the task stops (without a
 * signal) at the handler's first instruction, with the handler's mask in effect; its return
 * (rt_sigreturn, in its sa_restorer) is watched like those functions. Following every system
 * call of a thread that blocks SIGTRAP would cost a thread pool that blocks every signal two
 * stops per system call: a mask changed by a raw system call is not seen. Programs that leave
 * SIGTRAP alone cost nothing. */
#include "trace.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <linux/ptrace.h>

#define TRAP_BIT (1ull << (SIGTRAP - 1))

/* C library functions that change a signal's action or a thread's mask. */
static const char *const watched[] = {
	"signal", "sigaction", "__sigaction", "bsd_signal", "sysv_signal", "__sysv_signal", "ssignal",
	"sigset", "sigignore", "sighold", "sigrelse", "sigprocmask", "pthread_sigmask", "sigblock",
	"sigsetmask", "siglongjmp", "longjmp", "_longjmp", "__longjmp_chk", "syscall",
};

bool sigtrap_watched(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(watched); i++)
		if (!strcmp(name, watched[i]))
			return true;
	return false;
}

/* Whether the program's SIGTRAP action is a handler of its own. */
static bool handled(const struct proc *p)
{
	return p->trap_act.handler != (uint64_t)SIG_DFL && p->trap_act.handler != (uint64_t)SIG_IGN;
}

/* Whether t shares its process's signal actions: not a vfork child running in our proc (it has
 * its own, which posix_spawn resets). */
static bool own_actions(const struct task *t)
{
	return t->tgid == t->p->pid;
}

/* Reads the thread's mask into t->trap_blocked. */
static void read_mask(struct task *t)
{
	uint64_t mask;
	if (ptrace(PTRACE_GETSIGMASK, t->tid, sizeof(mask), &mask) == 0)
		t->trap_blocked = mask & TRAP_BIT;
}

/* A new thread's first system calls are followed (glibc's start_thread sets the creator's mask
 * back after clone, with every signal blocked), up to its first rt_sigprocmask or trap. */
#define START_SYSCALLS 16

/* Resumes t with PTRACE_SYSCALL while its signal setup may change under our eyes. */
static void follow(struct task *t)
{
	t->sysmon = t->watch_sp || t->start_syscalls;
}

/* Makes the program's SIGTRAP that an injection's int3 dequeued pending again (its mask blocks
 * it again first). */
static void give_back(struct task *t)
{
	if (!t->gadget_requeue)
		return;
	t->gadget_requeue = false;
	if (proc_inject_sigqueue(t, &t->gadget_info))
		warn_msg("cannot give thread %d its pending SIGTRAP back", t->tid);
}

void sigtrap_load(struct task *t)
{
	struct proc *p = t->p;
	memset(&p->trap_act, 0, sizeof(p->trap_act));
	if (proc_status_mask(t->tid, "SigIgn") & TRAP_BIT) {
		p->trap_act.handler = (uint64_t)SIG_IGN;   /* after exec: no flags, empty mask */
	} else if (proc_status_mask(t->tid, "SigCgt") & TRAP_BIT) {
		/* attached: the handler's address, asked at the entry point (no thread runs it again) */
		if (!p->inject_at)
			proc_auxv(p, AT_ENTRY, &p->inject_at);
		if (proc_inject_sigaction(t, NULL, &p->trap_act, 0))
			warn_msg("cannot read the SIGTRAP action of pid %d", p->pid);
	}
	read_mask(t);
	DEBUG(DBG_STEP, "pid %d: SIGTRAP action %#" PRIx64 ", %sblocked", p->pid, p->trap_act.handler,
	      t->trap_blocked ? "" : "not ");
}

void sigtrap_task_start(struct task *t, bool born)
{
	read_mask(t);   /* a new thread inherits its creator's mask (glibc blocks all around clone) */
	if (born && t->trap_blocked) {
		t->start_syscalls = START_SYSCALLS;
		follow(t);
	}
}

void sigtrap_on_syscall(struct task *t)
{
	struct ptrace_syscall_info si;
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(si), &si);
	if (n <= 0)
		return;
	if (t->watch_sp && si.stack_pointer > t->watch_sp)
		t->watch_sp = 0;   /* the watched function returned where the fast path records it, with
				    * no trap: its changes are done, the program's own calls follow */
	if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
		t->act_pending = false;
		t->sys_nr = (int)si.entry.nr;
		if (si.entry.nr == SYS_rt_sigaction && si.entry.args[0] == SIGTRAP && si.entry.args[1] &&
		    proc_read(t->p, si.entry.args[1], &t->new_act, sizeof(t->new_act)) == 0)
			t->act_pending = true;
		return;
	}
	if (si.op != PTRACE_SYSCALL_INFO_EXIT)
		return;
	if (t->act_pending && !si.exit.is_error && own_actions(t)) {
		t->p->trap_act = t->new_act;
		DEBUG(DBG_STEP, "tid %d: SIGTRAP action now %#" PRIx64, t->tid, t->new_act.handler);
	}
	t->act_pending = false;
	bool was = t->trap_blocked;
	read_mask(t);
	if (was != t->trap_blocked)
		DEBUG(DBG_STEP, "tid %d: SIGTRAP %sblocked", t->tid, t->trap_blocked ? "" : "un");
	if (t->start_syscalls)
		t->start_syscalls = t->sys_nr == SYS_rt_sigprocmask ? 0 : t->start_syscalls - 1;
	follow(t);
}

void sigtrap_trap_seen(struct task *t)
{
	/* Already pending (the program raised it while blocking it), the program's SIGTRAP is
	 * dequeued in place of ours: it goes back to its pending set when we resume. Looked at
	 * before any code of ours runs in the task. */
	siginfo_t *si = &t->trap_info;
	t->trap_requeue = t->trap_blocked && ptrace(PTRACE_GETSIGINFO, t->tid, 0, si) == 0 &&
			  si->si_code != SI_KERNEL;
	if (t->trap_requeue)
		DEBUG(DBG_STEP, "tid %d: the program's pending SIGTRAP (code %d) stays pending", t->tid, si->si_code);
}

/* Blocks SIGTRAP again in t if the program blocks it there. */
static void mask_back(struct task *t)
{
	uint64_t mask;
	if (t->trap_blocked && ptrace(PTRACE_GETSIGMASK, t->tid, sizeof(mask), &mask) == 0 && !(mask & TRAP_BIT)) {
		mask |= TRAP_BIT;
		ptrace(PTRACE_SETSIGMASK, t->tid, sizeof(mask), &mask);
	}
}

/* Sets the thread's mask back, then the action if reset (our int3 reset it, or, with check, the
 * kernel's differs from the program's), then gives back the program's SIGTRAP that we took: in
 * this order, since setting SIG_IGN discards a pending SIGTRAP. */
static void put_back(struct task *t, bool reset, bool check)
{
	struct proc *p = t->p;
	mask_back(t);
	if (check && p->trap_act.handler != (uint64_t)SIG_DFL)
		reset = !(proc_status_mask(t->tid, handled(p) ? "SigCgt" : "SigIgn") & TRAP_BIT);
	static bool warned;   /* it would fail at every trap: said once */
	if (reset && own_actions(t) && proc_inject_sigaction(t, &p->trap_act, NULL, 0) && !warned) {
		warn_msg("cannot restore the SIGTRAP action of pid %d", p->pid);
		warned = true;
	}
	give_back(t);
}

bool sigtrap_after_trap(struct task *t, taddr_t sp)
{
	struct proc *p = t->p;
	bool requeue = t->trap_requeue;
	t->trap_requeue = false;
	bool reset = (t->trap_blocked && handled(p)) || p->trap_act.handler == (uint64_t)SIG_IGN;
	if (requeue && (reset || t->gadget_requeue || !t->sigstop)) {
		/* code will run in t first, or has run and left it at a syscall-exit stop, where a
		 * resume's SIGTRAP would not go back to the pending set as it was: the program's
		 * SIGTRAP is given back by a syscall after that code */
		if (!t->gadget_requeue) {
			t->gadget_info = t->trap_info;
			t->gadget_requeue = true;
		}
		requeue = false;
	}
	put_back(t, reset, false);
	if (requeue)   /* code we ran since (scratch, IFUNCs) stopped at a trap of its own */
		ptrace(PTRACE_SETSIGINFO, t->tid, 0, &t->trap_info);
	if (t->watch_sp && sp > t->watch_sp)
		t->watch_sp = 0;   /* the watched function has returned: its changes are done */
	t->start_syscalls = 0;
	follow(t);
	return requeue;
}

void sigtrap_watch_call(struct task *t, taddr_t sp)
{
	if (sp > t->watch_sp)
		t->watch_sp = sp;   /* the outermost of nested ones */
	follow(t);
}

bool sigtrap_step_into_handler(struct task *t, int sig)
{
	struct proc *p = t->p;
	if (p->go)
		return false;   /* its preemption signals come every few ms; it sets its masks itself */
	if (sig == SIGTRAP)
		return handled(p);
	if (p->trap_act.handler == (uint64_t)SIG_DFL)
		return false;
	/* The handler of another signal may block SIGTRAP (its sa_mask). */
	return proc_status_mask(t->tid, "SigCgt") & (1ull << (sig - 1));
}

void sigtrap_own_trap(struct task *t)
{
	/* The program's own int3 meets the kernel's rule like ours, as it would untraced. */
	siginfo_t si;
	if ((t->trap_blocked || t->p->trap_act.handler == (uint64_t)SIG_IGN) &&
	    ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 && si.si_code == SI_KERNEL) {
		t->p->trap_act.handler = (uint64_t)SIG_DFL;
		t->trap_blocked = false;
	}
}

bool sigtrap_handler_entry(struct task *t)
{
	siginfo_t si;
	t->into_handler = false;
	/* ptrace_notify's stop says SIGTRAP; a single-step that ran no handler, TRAP_TRACE */
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) || (si.si_code != SIGTRAP && si.si_code != TRAP_TRACE))
		return false;
	read_mask(t);
	DEBUG(DBG_STEP, "tid %d: in a signal handler, SIGTRAP %sblocked", t->tid, t->trap_blocked ? "" : "not ");
	/* It returns through its sa_restorer (rt_sigreturn sets the mask back): watched too. */
	struct user_regs_struct r;
	uint64_t restorer;
	struct bp *bp;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0 && proc_read_raw(t->p, r.rsp, &restorer, sizeof(restorer)) == 0 &&
	    (bp = bp_at(t, restorer)))
		bp->sigwatch = true;
	return true;
}

void sigtrap_hold_own(struct task *t)
{
	sigtrap_gadget_trap(t);   /* the same: a trap we take without handling it */
}

void sigtrap_gadget_trap(struct task *t)
{
	siginfo_t si;
	/* (the kernel's own traps have a positive code: SI_KERNEL for int3, TRAP_TRACE for a step;
	 * raise, kill and sigqueue give 0 or less) */
	if (!t->trap_blocked || t->gadget_requeue || ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) ||
	    si.si_code > 0)
		return;
	t->gadget_info = si;
	t->gadget_requeue = true;
	DEBUG(DBG_STEP, "tid %d: the program's pending SIGTRAP (code %d), taken by our code's int3, is given back",
	      t->tid, si.si_code);
}

int sigtrap_repair(struct task *t, bool can_run)
{
	if (can_run) {
		put_back(t, false, true);
		return 0;
	}
	mask_back(t);   /* no code can run in t: the mask at least */
	int sig = t->gadget_requeue ? SIGTRAP : 0;
	t->gadget_requeue = false;
	return sig;
}
