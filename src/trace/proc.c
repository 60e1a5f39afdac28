/* proc: the traced program's memory: reads that hide our breakpoints, writes, mappings, scratch
 * regions for out-of-line instructions, and syscalls run inside the program. */
#include "trace.h"
#include "stop.h"
#include "../arch/x86_64/gadget.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/ptrace.h>

#define SCRATCH_SIZE (1u << 20)
/* A slot must reach what its rip-relative operand points at with a signed 32-bit displacement. */
#define REACH ((taddr_t)0x7fff0000)

int proc_open_mem(struct proc *p)
{
	char path[64];
	if (p->memfd >= 0)
		close(p->memfd);
	snprintf(path, sizeof(path), "/proc/%d/mem", p->pid);
	p->memfd = open(path, O_RDWR | O_CLOEXEC);
	return p->memfd < 0 ? -1 : 0;
}

int proc_read_raw(struct proc *p, taddr_t addr, void *buf, size_t len)
{
	ssize_t n = pread(p->memfd, buf, len, (off_t)addr);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

int proc_read_raw2(struct proc *p, taddr_t a, void *abuf, size_t alen, taddr_t b, void *bbuf, size_t blen)
{
	struct iovec local[2] = { { abuf, alen }, { bbuf, blen } };
	struct iovec remote[2] = { { (void *)(uintptr_t)a, alen }, { (void *)(uintptr_t)b, blen } };
	if (process_vm_readv(p->pid, local, 2, remote, 2, 0) == (ssize_t)(alen + blen))
		return 0;
	return proc_read_raw(p, a, abuf, alen) || proc_read_raw(p, b, bbuf, blen) ? -1 : 0;
}

int proc_read(struct proc *p, taddr_t addr, void *buf, size_t len)
{
	if (proc_read_raw(p, addr, buf, len))
		return -1;
	proc_hide(p, addr, buf, len);
	return 0;
}

void proc_hide(struct proc *p, taddr_t addr, void *buf, size_t len)
{
	if (p->bps.n)
		for (size_t i = 0; i < len; i++) {
			uint8_t *b = (uint8_t *)buf + i;
			struct bp *bp = addrmap_get(&p->bps, addr + i);
			if (!bp || !bp->planted)
				continue;
			if (*b == 0xcc) {
				*b = bp->orig;
			} else {
				/* the program wrote over our byte: it is no longer ours to hide or restore */
				DEBUG(DBG_BP, "pid %d: %#" PRIx64 ": the program wrote over our breakpoint", p->pid, addr + i);
				bp_unplanted(bp);
			}
		}
	fast_hide(p, addr, buf, len);
}

int proc_write(struct proc *p, taddr_t addr, const void *buf, size_t len)
{
	ssize_t n = pwrite(p->memfd, buf, len, (off_t)addr);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

struct mapping {
	taddr_t lo, hi;
	bool x;
};

/* Reads every mapping of the process, sorted as the kernel lists them. */
static struct mapping *read_maps(pid_t pid, size_t *n)
{
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	struct mapping *m = NULL;
	size_t cap = 0;
	*n = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		xgrow(&m, &cap, *n + 1, sizeof(*m));
		m[(*n)++] = (struct mapping){ lo, hi, perms[2] == 'x' };
	}
	fclose(f);
	return m;
}

void proc_load_maps(struct proc *p)
{
	size_t n;
	struct mapping *m = read_maps(p->pid, &n);
	free(p->xmaps);
	p->xmaps = xmalloc((n ? n : 1) * sizeof(*p->xmaps));
	p->nxmaps = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i].x)
			p->xmaps[p->nxmaps++] = (struct range){ m[i].lo, m[i].hi };
	free(m);
}

static bool in_xmaps(const struct proc *p, taddr_t addr)
{
	for (size_t i = 0; i < p->nxmaps; i++)
		if (addr >= p->xmaps[i].lo && addr < p->xmaps[i].hi)
			return true;
	return false;
}

bool proc_is_text(struct proc *p, taddr_t addr)
{
	if (in_xmaps(p, addr))
		return true;
	proc_load_maps(p);   /* a library may have been mapped since we last looked */
	return in_xmaps(p, addr);
}

int proc_mapping_at(pid_t pid, taddr_t addr, struct mapped_file *mf)
{
	char path[64], line[4096 + 256];
	int found = -1;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	while (f && found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		unsigned maj, min;
		int name = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu %n", &lo, &hi, &off, &maj, &min, &ino, &name) < 6 ||
		    addr < lo || addr >= hi)
			continue;
		line[strcspn(line, "\n")] = 0;
		*mf = (struct mapped_file){ lo, hi, off, makedev(maj, min), ino, "" };
		if (name)
			snprintf(mf->path, sizeof(mf->path), "%s", line + name);
		found = 0;
	}
	if (f)
		fclose(f);
	return found;
}

int proc_open_mapped(pid_t pid, const struct mapped_file *mf)
{
	char path[96];
	struct stat sb;
	if (!mf->ino || mf->path[0] != '/')
		return -1;   /* anonymous, or the vDSO */
	/* The file itself, whatever its path is now (needs CAP_SYS_ADMIN); else the path the kernel
	 * shows, if it still names the very file mapped. Never a path the program chose. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, mf->lo, mf->hi);
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		fd = open(mf->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_dev != mf->dev || sb.st_ino != mf->ino)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

static int status_field(pid_t pid, const char *field, char *val, size_t size)
{
	char path[64], line[256];
	int found = -1;
	size_t len = strlen(field);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	while (f && found && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			snprintf(val, size, "%s", line + len + 1);
			found = 0;
		}
	if (f)
		fclose(f);
	return found;
}

size_t proc_file(char *buf, size_t size, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	return n;
}

long proc_status_field(pid_t pid, const char *field, long dflt)
{
	char val[128];
	return status_field(pid, field, val, sizeof(val)) ? dflt : strtol(val, NULL, 10);
}

unsigned long proc_status_mask(pid_t pid, const char *field)
{
	char val[128];
	return status_field(pid, field, val, sizeof(val)) ? 0 : strtoul(val, NULL, 16);
}

int proc_auxv(struct proc *p, unsigned long type, taddr_t *val)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/auxv", p->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf64_auxv_t av[128];
	ssize_t n = read(fd, av, sizeof(av));
	close(fd);
	for (ssize_t i = 0; i < n / (ssize_t)sizeof(av[0]); i++)
		if (av[i].a_type == type) {
			*val = av[i].a_un.a_val;
			return 0;
		}
	errno = ENOENT;
	return -1;
}

int proc_read_str(struct proc *p, taddr_t addr, char *buf, size_t len)
{
	size_t got = 0;
	while (got + 1 < len) {
		/* Page by page: a string may end just before an unmapped page. */
		size_t chunk = 4096 - ((addr + got) & 4095);
		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		if (proc_read_raw(p, addr + got, buf + got, chunk))
			return -1;
		char *nul = memchr(buf + got, 0, chunk);
		if (nul)
			return 0;
		got += chunk;
	}
	buf[len - 1] = 0;
	return 0;
}

static taddr_t gadget_addr(struct proc *p)
{
	return p->nscr ? p->scr[0].base : 0;
}

/* Writes the gadget's save area (arch/x86_64/gadget.h) for registers r, about to run system
 * call nr: where a thread goes on by itself if fntrace dies during the injection. */
static int gadget_fill(struct proc *p, taddr_t g, long nr, const struct user_regs_struct *r)
{
	struct gadget_area a = { (uint64_t)nr, r->rip, r->rsp, r->eflags & GADGET_FLAGS,
				 { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->r8, r->r9, r->r10,
				   r->r11, r->r12, r->r13, r->r14, r->r15 } };
	return proc_write(p, g + GADGET_AREA, &a, sizeof(a));
}

/* A task stopped in a system call that a signal interrupted (an attach) would restart it on its
 * way out of that stop; it leaves through our syscall's exit instead, which does not: r is made
 * to restart it as the kernel would have with no handler to run. The error it had is kept in
 * t->restart_err, for a signal delivered after all (redeliver). */
static void restart_regs(struct task *t, struct user_regs_struct *r)
{
	long err = (long)r->rax;
	if ((long)r->orig_rax >= 0 && err <= -512 && err >= -516 && err != -515) {
		r->rax = err == -516 ? SYS_restart_syscall : r->orig_rax;
		r->rip -= 2;
		t->restart_err = err;
	}
}

/* Undoes restart_regs in t, stopped where the kernel is about to deliver a signal: its own
 * rules then say whether the call restarts (SA_RESTART) or fails with EINTR. */
static void unrestart(struct task *t)
{
	struct user_regs_struct r;
	if (!t->restart_err || ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		return;
	r.rax = (uint64_t)t->restart_err;
	r.rip += 2;
	t->restart_err = 0;
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
}

void proc_stopped(struct task *t, bool sigstop)
{
	t->sigstop = sigstop;
	t->injected_exit = false;
	t->sigstop_kept = false;
	t->restart_err = 0;
}

/* Before code of ours runs in t: the siginfo of the signal-delivery stop it is at, which that
 * code's own stops replace, for proc_resume to deliver the signal with. */
static void keep_siginfo(struct task *t)
{
	if (t->sigstop && !t->sigstop_kept)
		t->sigstop_kept = ptrace(PTRACE_GETSIGINFO, t->tid, 0, &t->sigstop_info) == 0;
}

static long inject(struct task *t, long nr, const long args[6], bool gadget_ok);

/* FNTRACE_TEST=die-in-inject:FILE, for tests only: once FILE exists, fntrace kills itself with
 * SIGKILL in the next system call it injects, right after resuming the thread into it. That is
 * the window a fntrace killed at a random moment hits now and then, made certain
 * (test_fast_attach); the test makes FILE when the attach is over. */
static const char *die_file;

/* FNTRACE_TEST=inject-at-signal, for tests only: at every signal-delivery stop of a signal for
 * the program, a system call (getpid) is run in the thread first, as code of ours sometimes must,
 * which leaves it at a syscall-exit stop (test_fightback: the signal is still delivered as it was). */
static bool inject_at_signal;

void proc_test_arm(void)
{
	const char *env = getenv("FNTRACE_TEST");
	if (env && !strncmp(env, "die-in-inject:", 14))
		die_file = env + 14;
	inject_at_signal = env && !strcmp(env, "inject-at-signal");
}

void proc_test_signal_stop(struct task *t)
{
	static const long none[6];
	if (inject_at_signal)
		proc_inject_syscall(t, SYS_getpid, none);
}

static void test_die(void)
{
	if (die_file && access(die_file, F_OK) == 0)
		kill(getpid(), SIGKILL);
}
static int run_syscall(struct task *t, struct user_regs_struct *r, int sig, taddr_t after, uint64_t *rax);

long proc_inject_syscall(struct task *t, long nr, const long args[6])
{
	return inject(t, nr, args, true);
}

long proc_inject_syscall_plain(struct task *t, long nr, const long args[6])
{
	return inject(t, nr, args, false);
}

/* Runs t from registers r until it reaches done (just after our int3), stepping silently over
 * our breakpoints on the way. Returns 0 with *rax, -EFAULT if the code faulted (the fault is not
 * delivered), -ESRCH if the task died. Signals that arrive meanwhile are kept for the program. */
static long run_until(struct task *t, struct user_regs_struct *r, taddr_t done, uint64_t *rax)
{
	if (ptrace(PTRACE_SETREGS, t->tid, 0, r) || ptrace(PTRACE_CONT, t->tid, 0, 0))
		return -errno;
	test_die();
	for (;;) {
		struct stop s;
		stop_wait(&s, t->tid);
		if (stop_is_end(&s))
			stop_requeue(&s);   /* its end is for the stop loop to handle */
		if (stop_is_end(&s) || s.kind == STOP_NONE)
			return -ESRCH;   /* the task died under us: nothing left to restore */
		if (s.kind == STOP_TRAP) {
			if (ptrace(PTRACE_GETREGS, t->tid, 0, r))
				return -errno;
			if (r->rip == done) {
				*rax = r->rax;
				t->sigstop = true;   /* our int3's */
				t->injected_exit = false;
				sigtrap_gadget_trap(t);
				return 0;
			}
			struct bp *bp = addrmap_get(&t->p->bps, r->rip - 1);
			if (bp && bp->planted &&
			    (bp_step_over(t, bp, r) || ptrace(PTRACE_SETREGS, t->tid, 0, r)))
				return -EFAULT;
		} else if (s.kind == STOP_SIGNAL && (s.sig == SIGSEGV || s.sig == SIGBUS || s.sig == SIGILL ||
						     s.sig == SIGFPE)) {
			return -EFAULT;
		} else if (s.kind == STOP_SIGNAL) {
			t->pending_sig = s.sig;   /* for the program, later */
		}
		if (ptrace(PTRACE_CONT, t->tid, 0, 0))
			return -errno;
	}
}

/* Sets r up to run system call nr with args from the syscall instruction at at; orig_rax -1,
 * so that no syscall restart logic applies to it. */
static void syscall_regs(struct user_regs_struct *r, taddr_t at, long nr, const long args[6])
{
	r->rip = at;
	r->rax = (uint64_t)nr;
	r->orig_rax = (uint64_t)-1;
	r->rdi = (uint64_t)args[0];
	r->rsi = (uint64_t)args[1];
	r->rdx = (uint64_t)args[2];
	r->r10 = (uint64_t)args[3];
	r->r8 = (uint64_t)args[4];
	r->r9 = (uint64_t)args[5];
}

/* Why the last injection was not run (seccomp), for the one warning about it. */
static char refused_why[256];

static long inject(struct task *t, long nr, const long args[6], bool gadget_ok)
{
	/* mov $nr, %eax; syscall; int3. The mov matters at an exec stop, where the kernel still
	 * writes execve's return value into rax after we set it. */
	uint8_t code[8] = { 0xb8, 0, 0, 0, 0, 0x0f, 0x05, 0xcc };
	struct user_regs_struct saved, r;
	uint8_t orig[sizeof(code)];
	taddr_t done;
	uint32_t nr32 = (uint32_t)nr;
	uint64_t rax = 0;
	memcpy(code + 1, &nr32, 4);
	struct proc *p = t->p;

	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved))
		return -errno;
	keep_siginfo(t);
	r = saved;
	taddr_t at = gadget_ok ? gadget_addr(p) : 0;
	/* The kernel would stop or kill the program for a call its seccomp state forbids. The
	 * filter sees the address just after the syscall instruction. */
	if (!seccomp_allows(t->tid, nr, at ? at + GADGET_SYSCALL + 2 : (p->inject_at ? p->inject_at : saved.rip) + 7, args,
			    refused_why, sizeof(refused_why))) {
		DEBUG(DBG_STEP, "tid %d: system call %ld not run: %s", t->tid, nr, refused_why);
		return -ECANCELED;
	}
	long ret;
	if (!at) {
		/* Not at the task's pc if we can help it: another thread, still running, could be
		 * about to run the same code. */
		at = p->inject_at ? p->inject_at : saved.rip;
		if (proc_read_raw(p, at, orig, sizeof(orig)) || proc_write(p, at, code, sizeof(code)))
			return -errno;
		done = at + sizeof(code);
		syscall_regs(&r, at, nr, args);
		ret = run_until(t, &r, done, &rax);
		proc_write(p, at, orig, sizeof(orig));   /* even if the task is gone: others may not be */
	} else {
		restart_regs(t, &saved);
		if (gadget_fill(p, at, nr, &saved))
			return -errno;
		syscall_regs(&r, at, nr, args);
		ret = run_syscall(t, &r, 0, at + GADGET_SYSCALL + 2, &rax) ? -errno : 0;
	}
	if (ret == -ESRCH)
		return ret;
	ptrace(PTRACE_SETREGS, t->tid, 0, &saved);
	return ret ? ret : (long)rax;
}

/* Runs the syscall instruction at r->rip in t, resumed with PTRACE_SYSCALL (and sig), to its
 * syscall-exit stop (the one at after, the address past the syscall instruction): no int3, no
 * signal. Returns 0 with *rax, or -1 (-ESRCH in errno if the task died).
 * Signals that arrive meanwhile are kept for the program. */
static int run_syscall(struct task *t, struct user_regs_struct *r, int sig, taddr_t after, uint64_t *rax)
{
	if (ptrace(PTRACE_SETREGS, t->tid, 0, r) || ptrace(PTRACE_SYSCALL, t->tid, 0, sig))
		return -1;
	t->sigstop = false;   /* it ends at a syscall-exit stop */
	test_die();
	for (;;) {
		struct stop s;
		stop_wait(&s, t->tid);
		if (stop_is_end(&s))
			stop_requeue(&s);
		if (stop_is_end(&s) || s.kind == STOP_NONE) {
			errno = ESRCH;
			return -1;
		}
		if (s.kind == STOP_SYSCALL) {
			struct ptrace_syscall_info si;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(si), &si) <= 0)
				return -1;
			/* (not the exit of a call the task was stopped in when its registers were set) */
			if (si.op == PTRACE_SYSCALL_INFO_EXIT && si.instruction_pointer == after) {
				*rax = (uint64_t)si.exit.rval;
				t->injected_exit = true;
				return 0;
			}
		} else if (s.kind == STOP_SIGNAL || s.kind == STOP_TRAP) {
			t->pending_sig = s.sig;   /* before the syscall ran: for the program, later */
		}
		if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0))
			return -1;
	}
}

/* An argument of quiet_syscall that stands for an address in its memory block, plus offset. */
#define QUIET_MEM ((long)0x7ff0000000000000)

/* Runs syscall nr in t between syscall stops, without an int3 (which would reset an ignored or
 * blocked SIGTRAP). mem (len bytes, in and out) is copied below t's red zone for the call, and
 * arguments QUIET_MEM + offset point into it. t is resumed with sig first. Returns 0 with the
 * syscall's return value in *result, or -1. */
static int quiet_syscall(struct task *t, long nr, const long args[6], void *mem, size_t len, int sig, long *result)
{
	static const uint8_t code[2] = { 0x0f, 0x05 };   /* syscall */
	struct proc *p = t->p;
	struct user_regs_struct saved, r;
	uint8_t orig[sizeof(code)];
	uint64_t rax = 0;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved))
		return -1;
	keep_siginfo(t);
	taddr_t at = gadget_addr(p), buf = (saved.rsp - 1024 - len) & ~(taddr_t)15;   /* past the red zone */
	bool wrote = !at;
	taddr_t after = at + GADGET_SYSCALL + 2;
	restart_regs(t, &saved);
	if (wrote) {
		at = p->inject_at ? p->inject_at : saved.rip;
		if (proc_read_raw(p, at, orig, sizeof(orig)) || proc_write(p, at, code, sizeof(code)))
			return -1;
		after = at + 2;
	} else if (gadget_fill(p, at, nr, &saved)) {
		return -1;
	}
	long a[6];
	for (int k = 0; k < 6; k++)
		a[k] = args[k] >= QUIET_MEM && args[k] < QUIET_MEM + (long)len ? (long)buf + (args[k] - QUIET_MEM) : args[k];
	/* The same rule as inject(): never a call the program's seccomp state would punish. */
	if (!seccomp_allows(t->tid, nr, after, a, refused_why, sizeof(refused_why))) {
		DEBUG(DBG_STEP, "tid %d: system call %ld not run: %s", t->tid, nr, refused_why);
		if (wrote)
			proc_write(p, at, orig, sizeof(orig));
		errno = ECANCELED;
		return -1;
	}
	int ret = -1;
	r = saved;
	syscall_regs(&r, at, nr, a);
	if ((!len || proc_write(p, buf, mem, len) == 0) && run_syscall(t, &r, sig, after, &rax) == 0)
		ret = 0;
	if (wrote)
		proc_write(p, at, orig, sizeof(orig));
	if (ret == 0 && len && proc_read_raw(p, buf, mem, len))
		ret = -1;
	*result = (long)rax;
	ptrace(PTRACE_SETREGS, t->tid, 0, &saved);   /* (restart_regs'd above; ESRCH if it died) */
	return ret;
}

int proc_inject_sigaction(struct task *t, const struct ksigaction *set, struct ksigaction *old, int sig)
{
	struct ksigaction mem[2] = { { 0 }, { 0 } };
	long res;
	if (set)
		mem[0] = *set;
	const long args[6] = { SIGTRAP, set ? QUIET_MEM : 0, old ? QUIET_MEM + (long)sizeof(*set) : 0,
			       sizeof(uint64_t), 0, 0 };
	if (quiet_syscall(t, SYS_rt_sigaction, args, mem, sizeof(mem), sig, &res) || res < 0)
		return -1;
	if (old)
		*old = mem[1];
	return 0;
}

int proc_inject_sigqueue(struct task *t, const siginfo_t *si)
{
	siginfo_t mem = *si;
	long res;
	const long args[6] = { t->tgid, t->tid, si->si_signo, QUIET_MEM, 0, 0 };
	return quiet_syscall(t, SYS_rt_tgsigqueueinfo, args, &mem, sizeof(mem), 0, &res) || res < 0 ? -1 : 0;
}

/* sig, for t that code of ours moved from its signal-delivery stop to a syscall-exit stop, where
 * the kernel would only send it anew (SI_KERNEL): queued again with its siginfo instead, as the
 * kernel queues a signal its tracer gives back while the thread blocks it. Blocked, it stays
 * pending: returns 0. Else t is run to the signal's new delivery stop, the first one it makes
 * (no code of the program runs before it), and sig is returned to be delivered there as at the
 * first. Returns -1 if t made another stop first: put back for the stop loop, t must not be
 * resumed (sig stays pending). Not queued (seccomp), sig is given at the resume as before. */
static int redeliver(struct task *t, int sig)
{
	siginfo_t si;
	if (t->sigstop_kept && t->sigstop_info.si_signo == sig) {
		si = t->sigstop_info;
	} else {
		/* one that came while our code ran: what the kernel says of a tracer's signal */
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = SI_USER;
		si.si_pid = getpid();
		si.si_uid = getuid();
	}
	uint64_t mask;
	if (proc_inject_sigqueue(t, &si))
		return sig;
	DEBUG(DBG_STEP, "tid %d: signal %d queued again (code %d)", t->tid, sig, si.si_code);
	if (ptrace(PTRACE_GETSIGMASK, t->tid, sizeof(mask), &mask) || (mask & (1ull << (sig - 1))))
		return 0;
	struct stop s;
	if (ptrace(PTRACE_CONT, t->tid, 0, 0))
		return -1;   /* gone */
	stop_wait(&s, t->tid);
	if ((s.kind == STOP_SIGNAL || s.kind == STOP_TRAP) && s.sig == sig) {
		t->sigstop = true;
		t->injected_exit = false;
		unrestart(t);
		return sig;
	}
	if (s.kind != STOP_NONE)
		stop_requeue(&s);
	return -1;
}

long proc_resume(struct task *t, int req, int sig)
{
	/* (not at other stops: code run at a syscall-entry stop or a fork's event would lose the
	 * program's system call or its result) */
	if (sig && !t->sigstop && t->injected_exit && (sig = redeliver(t, sig)) < 0)
		return 0;
	if (sig && t->sigstop_kept && t->sigstop_info.si_signo == sig)
		ptrace(PTRACE_SETSIGINFO, t->tid, 0, &t->sigstop_info);   /* our int3's stop replaced it */
	return ptrace((enum __ptrace_request)req, t->tid, 0, (long)sig);
}

static taddr_t dist(taddr_t a, taddr_t b)
{
	return a > b ? a - b : b - a;
}

taddr_t proc_map_near(struct task *t, taddr_t near, size_t size, int prot)
{
	struct proc *p = t->p;
	if (p->no_scratch)
		return 0;   /* seccomp forbids it, or it failed for good */
	size_t n;
	struct mapping *m = read_maps(p->pid, &n);
	taddr_t best = 0;
	taddr_t prev_hi = 0x10000;   /* vm.mmap_min_addr's usual value */
	for (size_t i = 0; i <= n; i++) {
		taddr_t lo = prev_hi, hi = i < n ? m[i].lo : 0x7ffffffff000ull;
		if (i < n)
			prev_hi = m[i].hi > prev_hi ? m[i].hi : prev_hi;
		if (hi <= lo || hi - lo < size + 0x10000)
			continue;
		taddr_t cand = hi - size - 0x1000;   /* leave a guard page below the next mapping */
		/* In a gap too big to reach across (above a non-PIE executable, whose heap grows
		 * there), 1 GiB above what it is near, the heap's room kept. */
		if (near && cand > near && dist(cand, near) + size >= REACH && near + 0x40000000 > lo &&
		    near + 0x40000000 + size + 0x1000 < hi)
			cand = (near + 0x40000000) & ~(taddr_t)0xfff;
		if ((!near || dist(cand, near) + size < REACH) && (!best || dist(cand, near) < dist(best, near)))
			best = cand;
	}
	free(m);
	if (!best)
		return 0;
	const long args[6] = { (long)best, (long)size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0 };
	long ret = proc_inject_syscall(t, SYS_mmap, args);
	if (ret == -ECANCELED) {
		warn_msg("pid %d: no scratch memory: %s; functions whose first instruction must run out "
			 "of line get no breakpoint", p->pid, refused_why);
		p->no_scratch = true;   /* neither filters nor strict mode can be undone */
		return 0;
	}
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		if (ret != -ESRCH)
			warn_errno("cannot map memory in pid %d", p->pid);
		p->no_scratch = ret == -EPERM || ret == -EACCES;   /* it would fail again */
		return 0;
	}
	if ((taddr_t)ret != best) {
		warn_msg("memory mapped in pid %d landed at %#lx, not %#" PRIx64, p->pid, ret, best);
		return 0;
	}
	return best;
}

/* Maps a new scratch region that a slot near `near` can reach: at the top of the closest gap in
 * the address space, so it never sits right above a mapping (where brk would grow). */
static struct scratch *map_scratch(struct task *t, taddr_t near)
{
	struct proc *p = t->p;
	taddr_t best = proc_map_near(t, near, SCRATCH_SIZE, PROT_READ | PROT_EXEC);
	if (!best)
		return NULL;
	p->scr = xrealloc(p->scr, (p->nscr + 1) * sizeof(*p->scr));
	struct scratch *s = &p->scr[p->nscr++];
	*s = (struct scratch){ best, SCRATCH_SIZE, 0 };
	if (p->nscr == 1) {
		/* The first slots of the first region are our syscall gadget for later injections. */
		uint8_t gadget[GADGET_AREA];
		gadget_code(gadget);
		proc_write(p, s->base, gadget, sizeof(gadget));
		s->used = GADGET_SIZE;
	}
	proc_load_maps(p);
	DEBUG(DBG_STEP, "pid %d: scratch at %#" PRIx64 " for %#" PRIx64, p->pid, best, near);
	return s;
}

taddr_t proc_scratch_slot(struct task *t, taddr_t near)
{
	struct proc *p = t->p;
	struct scratch *s = NULL;
	for (size_t i = 0; i < p->nscr && !s; i++)
		if (p->scr[i].used + INSN_SLOT_SIZE <= p->scr[i].size &&
		    dist(p->scr[i].base, near) + p->scr[i].size < REACH)
			s = &p->scr[i];
	if (!s && (p->no_scratch || !(s = map_scratch(t, near))))
		return 0;
	taddr_t slot = s->base + s->used;
	s->used += INSN_SLOT_SIZE;
	return slot;
}
