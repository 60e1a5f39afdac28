/* proc: the traced program's memory: reads that hide our breakpoints, writes, mappings, scratch
 * regions for out-of-line instructions, and syscalls run inside the program. */
#include "trace.h"
#include "stop.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

int proc_read(struct proc *p, taddr_t addr, void *buf, size_t len)
{
	if (proc_read_raw(p, addr, buf, len))
		return -1;
	if (p->bps.n)
		for (size_t i = 0; i < len; i++) {
			struct bp *bp = addrmap_get(&p->bps, addr + i);
			if (bp && bp->planted)
				((uint8_t *)buf)[i] = bp->orig;
		}
	fast_hide(p, addr, buf, len);
	return 0;
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

static long inject(struct task *t, long nr, const long args[6], bool gadget_ok);

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
	for (;;) {
		struct stop s;
		stop_wait(&s, t->tid);
		if (s.kind == STOP_EXITED || s.kind == STOP_KILLED)
			stop_requeue(&s);   /* its end is for the stop loop to handle */
		if (s.kind == STOP_EXITED || s.kind == STOP_KILLED || s.kind == STOP_NONE)
			return -ESRCH;   /* the task died under us: nothing left to restore */
		if (s.kind == STOP_TRAP) {
			if (ptrace(PTRACE_GETREGS, t->tid, 0, r))
				return -errno;
			if (r->rip == done) {
				*rax = r->rax;
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
	r = saved;
	taddr_t at = gadget_ok ? gadget_addr(p) : 0;
	if (!at) {
		/* Not at the task's pc if we can help it: another thread, still running, could be
		 * about to run the same code. */
		at = p->inject_at ? p->inject_at : saved.rip;
		if (proc_read_raw(p, at, orig, sizeof(orig)) || proc_write(p, at, code, sizeof(code)))
			return -errno;
		done = at + sizeof(code);
	} else {
		done = at + 3;   /* the gadget: syscall; int3 */
	}
	r.rip = at;
	r.rax = (uint64_t)nr;
	r.orig_rax = (uint64_t)-1;
	r.rdi = (uint64_t)args[0];
	r.rsi = (uint64_t)args[1];
	r.rdx = (uint64_t)args[2];
	r.r10 = (uint64_t)args[3];
	r.r8 = (uint64_t)args[4];
	r.r9 = (uint64_t)args[5];
	long ret = run_until(t, &r, done, &rax);
	if (done == at + sizeof(code))
		proc_write(p, at, orig, sizeof(orig));   /* even if the task is gone: others may not be */
	if (ret == -ESRCH)
		return ret;
	ptrace(PTRACE_SETREGS, t->tid, 0, &saved);
	return ret ? ret : (long)rax;
}

int proc_inject_call(struct task *t, taddr_t fn, long arg0, long arg1, uint64_t *result)
{
	struct user_regs_struct saved, r;
	taddr_t gadget = gadget_addr(t->p);
	if (!gadget) {
		proc_scratch_slot(t, fn);   /* maps scratch, and so the gadget */
		if (!(gadget = gadget_addr(t->p)))
			return -1;
	}
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved))
		return -1;
	r = saved;
	/* Below the red zone, aligned as at a call, returning to the gadget's int3. */
	taddr_t ret_to = gadget + 2;
	r.rsp = ((saved.rsp - 512) & ~(taddr_t)15) - 8;
	if (proc_write(t->p, r.rsp, &ret_to, sizeof(ret_to)))
		return -1;
	r.rip = fn;
	r.rdi = (uint64_t)arg0;
	r.rsi = (uint64_t)arg1;
	r.rax = 0;
	r.orig_rax = (uint64_t)-1;
	long ret = run_until(t, &r, gadget + 3, result);
	if (ret == -ESRCH)
		return -1;
	ptrace(PTRACE_SETREGS, t->tid, 0, &saved);
	return ret ? -1 : 0;
}

static taddr_t dist(taddr_t a, taddr_t b)
{
	return a > b ? a - b : b - a;
}

taddr_t proc_map_near(struct task *t, taddr_t near, size_t size, int prot)
{
	struct proc *p = t->p;
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
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		warn_errno("cannot map memory in pid %d", p->pid);
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
		/* The first slot of the first region is our syscall gadget for later injections. */
		static const uint8_t gadget[INSN_SLOT_SIZE] = { 0x0f, 0x05, 0xcc };
		proc_write(p, s->base, gadget, sizeof(gadget));
		s->used = INSN_SLOT_SIZE;
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
	if (!s && !(s = map_scratch(t, near)))
		return 0;
	taddr_t slot = s->base + s->used;
	s->used += INSN_SLOT_SIZE;
	return slot;
}
