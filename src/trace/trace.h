/* trace: the only code that talks to the kernel about the traced program (ptrace, waitpid,
 * /proc/PID/mem). Objects follow the kernel's: a task is a thread, a proc owns an address space. */
#ifndef FNTRACE_TRACE_H
#define FNTRACE_TRACE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/user.h>
#include "../util/util.h"
#include "../util/addrmap.h"
#include "../elf/symtab.h"
#include "../rec/callstack.h"
#include "../arch/x86_64/insn.h"

/* What the user asked for that changes how we trace (not how we print). */
struct trace_opts {
	char **include, **exclude;   /* globs on function names, NULL-terminated, may be NULL */
	bool returns;                /* track exits (graph, summary, depth limit) */
	bool once;                   /* remove an entry breakpoint after its first hit */
	bool follow;                 /* trace child processes too */
	char **libs;                 /* -l globs: libraries whose every function is traced */
	bool libcalls;               /* show calls from the executable into libraries */
	bool demangle;               /* C++ and Rust names as people write them */
	bool srcline;                /* --srcline: each function's file:line, from DWARF */
	bool fast;                   /* in-process trampolines where they apply (src/trace/fast.c) */
	bool fast_safe;              /* their safe mode (-p's) for a program fntrace starts too, to test it */
};
extern struct trace_opts trace_opts;

/* A breakpoint. It belongs to the address space: every thread of the proc shares it. */
struct bp {
	taddr_t addr;
	const char *name;    /* the function's name as shown (funcs_intern), when entry */
	uint32_t fn;         /* its funcs id, registered at its first call (bp_fn), or BP_NO_FN */
	bool entry;          /* reports a call of the function */
	bool libcall;        /* entry of an exported library function: reported only when called
			      * from the executable (its library is not traced with -l) */
	bool hook;           /* the dynamic loader's r_brk: libraries came or went */
	bool retsite;        /* a return address: stops here let the call stack see returns */
	bool sigwatch;       /* a C library function that changes signal setup (sigtrap.c) */
	bool resolver;       /* an IFUNC's resolver: whoever calls it (the loader) gets the
			      * implementation the entry breakpoint goes on */
	bool planted;        /* our 0xCC is in memory now */
	bool ever_planted;   /* a trap here may still be ours after removal */
	uint8_t orig;        /* the program's byte at addr */
	uint32_t guard;      /* its entry in the guardian's table, + 1 (0: none) */
	taddr_t slot;        /* scratch slot for INSN_OOL, else 0 */
	struct insn insn;    /* the displaced instruction */
};

/* A signal's action as rt_sigaction reads and writes it. */
struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* A region of scratch memory mapped into the program for out-of-line slots. */
struct scratch {
	taddr_t base, size, used;
};

/* An ELF object mapped in a process: the executable, the dynamic loader or a library. */
struct module {
	char *path;
	const char *name;            /* soname or file base name: what name@ shows */
	taddr_t bias;                /* runtime address minus link-time address */
	taddr_t lmap;                /* its link_map in the program; 0 for executable and loader */
	struct symtab *st;           /* shared with every module of the same file (symcache) */
	bool exe;                    /* the main executable */
	bool traced;                 /* -l matched: every function traced, as name@name */
	struct range text;           /* runtime extent of its executable segments */
	uint64_t read_ns;            /* time taken to read its functions (--debug=bp) */
	struct fmap *fmap;           /* the fast path's map of its file (fast.c), once looked up:
				      * the file of a module does not change */
	bool fmap_tried;
};

/* An address space: its modules, breakpoints and scratch. Usually one process; a vfork child
 * shares its parent's until it execs. */
#define PROC_SITES_SEEN 256   /* a power of two */

struct proc {
	pid_t pid;                   /* the process whose memory this is */
	int memfd;                   /* /proc/PID/mem, reopened at exec */
	bool loaded;                 /* image read and breakpoints planted */
	struct module **mods;        /* mods[0] is the executable once loaded */
	size_t nmods;
	taddr_t r_debug;             /* the loader's struct r_debug, 0 if none (static) */
	bool go;                     /* a module built by the Go toolchain was loaded */
	struct addrmap bps;          /* addr -> struct bp */
	struct scratch *scr;
	size_t nscr;
	struct range *xmaps;         /* executable mappings, as last read from /proc/PID/maps */
	size_t nxmaps;
	bool no_scratch;             /* no scratch can be mapped (seccomp forbids mmap): none is tried */
	struct fast_proc *fast;      /* the fast path's patches and blocks (fast.c), or NULL */
	taddr_t inject_at;           /* where code is run before there is scratch: the program's
				      * entry point, which no thread runs again; 0: a task's pc */
	struct ksigaction trap_act;  /* the program's SIGTRAP action, as it set it (sigtrap.c) */
	/* errno's place (values.c): __errno_location's GOT slot, looked for in the first
	 * errno_mods modules; the offset from fs_base the loader wrote there, once it did. */
	taddr_t errno_slot;
	size_t errno_mods;
	int64_t errno_tpoff;
	bool errno_known;
	int ntasks;
	/* Return addresses bp_ensure_retsite has made sites of, by a hash of the address (0:
	 * none): a reported call's return address is nearly always one seen before, and the fast
	 * path reports calls by the million. Emptied when sites are forgotten. */
	taddr_t sites_seen[PROC_SITES_SEEN];
};

enum task_role {
	ROLE_TRACED,     /* its calls are reported */
	ROLE_SILENT,     /* an unfollowed vfork child on our breakpoints: stepped over, not reported */
};

/* A thread. */
struct task {
	pid_t tid;
	pid_t tgid;                  /* its process, as shown in the trace */
	struct proc *p;
	enum task_role role;
	bool fresh;                  /* its first stop is its start, not an event */
	bool attaching;              /* -p: the first stop after PTRACE_INTERRUPT */
	struct callstack cs;
	taddr_t resumed_rip;         /* where we last resumed it: a trap there without progress is suspect */
	int pending_sig;             /* to deliver at the next resume */
	/* sigtrap.c: the program's SIGTRAP mask in this thread, and how we follow it */
	bool trap_blocked;           /* the program blocks SIGTRAP here */
	bool sysmon;                 /* resume with PTRACE_SYSCALL: its signal setup may change */
	taddr_t watch_sp;            /* in a watched function entered with this rsp, or 0 */
	uint8_t start_syscalls;      /* a new thread: its first system calls are followed */
	int sys_nr;                  /* the syscall of the last syscall-entry stop */
	bool into_handler;           /* delivered a signal with PTRACE_SINGLESTEP: next stop is its
				      * handler's entry */
	bool trap_requeue;           /* this trap dequeued the program's own pending SIGTRAP, */
	siginfo_t trap_info;         /* which said this */
	bool gadget_requeue;         /* the int3 ending injected code dequeued it, */
	siginfo_t gadget_info;       /* which said this */
	bool act_pending;            /* in rt_sigaction(SIGTRAP, new_act...) */
	struct ksigaction new_act;
	/* proc.c: whether a signal given at its resume is delivered as the kernel would. Only at a
	 * signal-delivery stop is it, with that stop's siginfo; an injected system call leaves the
	 * task at a syscall-exit stop, where the kernel would only send it anew (SI_KERNEL). */
	bool sigstop;                /* at a signal-delivery stop (the int3 ending our code's too) */
	bool injected_exit;          /* at the syscall-exit stop of a system call we injected */
	bool sigstop_kept;           /* the siginfo of the one it was at before code of ours ran, */
	siginfo_t sigstop_info;      /* which said this */
	long restart_err;            /* the -ERESTART... error of the interrupted syscall that an
				      * injection made restart as with no handler, or 0 */
	taddr_t resolver;            /* the IFUNC resolver it is running, 0 if none */
	taddr_t resolver_sp;         /* rsp at the resolver's entry: it returns to [resolver_sp] */
};

/* proc.c: memory of the traced program. Reads hide our breakpoints. All return 0 or -1 (errno). */
int proc_open_mem(struct proc *p);
int proc_read(struct proc *p, taddr_t addr, void *buf, size_t len);
int proc_read_raw(struct proc *p, taddr_t addr, void *buf, size_t len);
/* Two raw reads in one system call (process_vm_readv), or two if that fails. */
int proc_read_raw2(struct proc *p, taddr_t a, void *abuf, size_t alen, taddr_t b, void *bbuf, size_t blen);
/* Puts the program's bytes back where buf, read raw at addr, holds our planted 0xCCs; a planted
 * address that holds another byte was written over by the program, and is not planted any more. */
void proc_hide(struct proc *p, taddr_t addr, void *buf, size_t len);
int proc_write(struct proc *p, taddr_t addr, const void *buf, size_t len);
/* Reads /proc/PID/maps again into p->xmaps. */
void proc_load_maps(struct proc *p);
bool proc_is_text(struct proc *p, taddr_t addr);
/* Runs syscall nr with args in task t (stopped), restoring its registers after. Returns the
 * syscall's return value (negative errno on failure), or -ESRCH if the task vanished. */
long proc_inject_syscall(struct task *t, long nr, const long args[6]);
/* The same, never through the scratch gadget (for unmapping scratch itself). */
long proc_inject_syscall_plain(struct task *t, long nr, const long args[6]);
/* Maps size bytes (prot) at the top of the free gap closest to near, within 2 GiB of it (near
 * 0: anywhere). Returns the address, or 0 after saying why. */
taddr_t proc_map_near(struct task *t, taddr_t near, size_t size, int prot);
/* Returns the address of a free scratch slot that a rip-relative operand at near can reach
 * (mapping new scratch if needed), or 0 if none could be had. */
taddr_t proc_scratch_slot(struct task *t, taddr_t near);
/* Reads up to size - 1 bytes of the /proc file named by fmt (a printf format, "/proc/%d/stat")
 * into buf and ends them with a NUL. Returns how many were read, 0 if it cannot be read. */
size_t proc_file(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* rt_sigaction(SIGTRAP, set, old) in task t (stopped), run between syscall stops, without the
 * int3 that would reset an ignored or blocked SIGTRAP. t is resumed with sig first (at a
 * signal-delivery-stop, a blocked signal to put back in the pending set). Returns 0 or -1. */
int proc_inject_sigaction(struct task *t, const struct ksigaction *set, struct ksigaction *old, int sig);
/* rt_tgsigqueueinfo(si) to task t itself, the same way: a signal pending again as it was. */
int proc_inject_sigqueue(struct task *t, const siginfo_t *si);
/* Reads FNTRACE_TEST=die-in-inject:FILE (tests only): see proc.c. */
void proc_test_arm(void);
/* FNTRACE_TEST=inject-at-signal (tests only): runs a system call in t, at a signal's stop. */
void proc_test_signal_stop(struct task *t);
/* Marks t, just stopped with s, at a signal-delivery stop or not (see struct task's sigstop). */
void proc_stopped(struct task *t, bool sigstop);
/* ptrace(req, t, 0, sig): resumes t delivering sig the way the kernel would have at the
 * signal-delivery stop t was at, with its siginfo, even if code we ran since left t elsewhere:
 * the signal is then queued again and, if t does not block it, t is run to its delivery stop
 * first. req is a PTRACE_ request (CONT, SYSCALL, SINGLESTEP). Returns ptrace's result. */
long proc_resume(struct task *t, int req, int sig);

/* A file mapping of a process, as /proc/PID/maps shows it. */
struct mapped_file {
	taddr_t lo, hi, offset;
	dev_t dev;
	ino_t ino;                   /* 0: anonymous */
	char path[4096];             /* as the kernel names it; "" or "[vdso]"... if no file */
};
/* Finds the mapping that holds addr. Returns 0 or -1. */
int proc_mapping_at(pid_t pid, taddr_t addr, struct mapped_file *mf);
/* Opens the file of mapping mf read-only: through /proc/PID/map_files, or by its path if that
 * still names the same device and inode; a regular file only, never waiting (O_NONBLOCK).
 * Returns the descriptor, or -1. */
int proc_open_mapped(pid_t pid, const struct mapped_file *mf);
/* A number from /proc/PID/status ("Tgid", "TracerPid"), or dflt if there is none. */
long proc_status_field(pid_t pid, const char *field, long dflt);
/* A signal mask field of /proc/PID/status (SigPnd, ShdPnd...), 0 if it cannot be read. */
unsigned long proc_status_mask(pid_t pid, const char *field);
/* Reads an entry of the auxiliary vector (AT_ENTRY, AT_BASE...). Returns 0 or -1. */
int proc_auxv(struct proc *p, unsigned long type, taddr_t *val);
/* Reads a NUL-terminated string of at most len-1 bytes. Returns 0 or -1. */
int proc_read_str(struct proc *p, taddr_t addr, char *buf, size_t len);

/* seccomp.c: what the kernel's seccomp would do with a system call we run in a task. */
struct sock_filter;
struct seccomp_data;
/* Whether task tid may run system call nr with args at ip (the address after the syscall
 * instruction) without its seccomp state (strict mode, filters) refusing, trapping or killing.
 * When the verdict cannot be known, false. If false, why says why in a phrase. */
bool seccomp_allows(pid_t tid, long nr, taddr_t ip, const long args[6], char *why, size_t len);
/* Runs a classic BPF seccomp program on d: its return value (action and data). */
uint32_t seccomp_run(const struct sock_filter *f, size_t n, const struct seccomp_data *d);

/* bp.c: the breakpoint table. */
/* Creates and plants entry breakpoints for the traced functions of module m. Returns how many. */
size_t bp_plant_module(struct task *t, struct module *m);
/* Plants the entry breakpoint of function f of module m at impl instead of f's own address
 * (an IFUNC: the resolver's choice). */
void bp_plant_at(struct task *t, struct module *m, const struct func *f, taddr_t impl);
/* Plants a `resolver` breakpoint on each wanted IFUNC resolver of module m. */
void bp_plant_resolvers(struct task *t, struct module *m);
/* Forgets every breakpoint in [lo, hi) without touching memory (it is gone: dlclose). */
void bp_forget_range(struct proc *p, taddr_t lo, taddr_t hi);
/* Makes (or finds) a planted breakpoint at addr; NULL if its instruction cannot be stepped over. */
struct bp *bp_at(struct task *t, taddr_t addr);
/* Ensures a return-site breakpoint at addr (a return address seen on the stack). */
void bp_ensure_retsite(struct task *t, taddr_t addr);
/* Where addr would be in p->sites_seen. */
static inline taddr_t *bp_site_seen(struct proc *p, taddr_t addr)
{
	return &p->sites_seen[(addr * 0x9E3779B97F4A7C15ull) >> (64 - __builtin_ctz(PROC_SITES_SEEN))];
}
/* Whether bp_ensure_retsite(t, addr) would find addr a site already and do nothing: inline, for
 * the fast path's lane. */
static inline bool bp_retsite_known(struct proc *p, taddr_t addr)
{
	return *bp_site_seen(p, addr) == addr;
}
/* If r->rip is in a breakpoint's scratch slot, moves it to the program's own code: to the
 * breakpoint (*before: the displaced instruction has not run) or just after the instruction
 * (it has). Returns whether r changed. */
bool bp_leave_slot(struct proc *p, struct user_regs_struct *r, bool *before);
#define BP_NO_FN UINT32_MAX
/* The funcs id of an entry breakpoint's function, registered at its first call: a process does
 * not register the thousands of library functions it never calls. */
uint32_t bp_fn(struct bp *bp);
/* Takes the 0xCC at bp out of memory (the bp stays known: a late trap there is still ours). */
void bp_unplant(struct proc *p, struct bp *bp);
/* Notes that bp's int3 is no longer in memory (the guardian forgets it too). */
void bp_unplanted(struct bp *bp);
/* How many bytes at bp a hit compares with its instruction (0: none, one byte is all ours). */
size_t bp_code_len(const struct bp *bp);
/* At a hit: whether the program changed the instruction under bp since we decoded it. It is then
 * decoded again; if it can no longer be stepped over, the breakpoint is dropped and true is
 * returned (the program's own code is run where it is). raw: the bp_code_len() bytes at bp read
 * raw at this stop, or NULL to read them. */
bool bp_check_code(struct task *t, struct bp *bp, const uint8_t *raw);
/* Moves r past the displaced instruction of bp as if it had run. Returns 0 or -1 (errno). */
int bp_step_over(struct task *t, struct bp *bp, struct user_regs_struct *r);
/* Writes the program's byte back over each planted breakpoint of p, in the memory of `in` (p
 * itself when detaching, or a copy), where our 0xCC still is. The table is left as it is. */
void bp_restore_all(struct proc *p, struct proc *in);
/* The same in the memory of process child, a forked copy of p's (it cannot run before its first
 * stop, so this happens before it executes anything). */
void bp_restore_in_child(struct proc *p, pid_t child);
/* Every planted breakpoint's address and original byte, for tests and cleanup. */
void bp_free_all(struct proc *p);

/* sigtrap.c: the program's own SIGTRAP action and mask, kept as it set them. */
/* Whether a function of this name changes signal setup: its calls are followed. */
bool sigtrap_watched(const char *name);
/* At the first stop of a new image or after attach, before any code of ours runs in it: what
 * the program has set already. */
void sigtrap_load(struct task *t);
/* At a thread's first stop (born: a new thread, not one found at attach). */
void sigtrap_task_start(struct task *t, bool born);
/* At a syscall stop of t (resumed with PTRACE_SYSCALL). */
void sigtrap_on_syscall(struct task *t);
/* At one of our traps, before anything else runs in t. */
void sigtrap_trap_seen(struct task *t);
/* After one of our traps: puts back what the kernel changed. Returns true if the SIGTRAP
 * reported was the program's own, pending while blocked, to be put back by resuming with it. */
bool sigtrap_after_trap(struct task *t, taddr_t sp);
/* At the entry of a watched function, stack pointer sp: its system calls are followed until
 * it returns. */
void sigtrap_watch_call(struct task *t, taddr_t sp);
/* Whether to deliver sig with PTRACE_SINGLESTEP, to see its handler's mask at its entry. */
bool sigtrap_step_into_handler(struct task *t, int sig);
/* At t's first stop since it was delivered a signal with PTRACE_SINGLESTEP: true if that stop
 * is the handler's entry (to be resumed as it is), with the handler's mask read. */
bool sigtrap_handler_entry(struct task *t);
/* At the int3 that ends code we injected, or the trap of a single-step of ours: it may have
 * dequeued the program's own SIGTRAP, pending while blocked (the kernel unblocks SIGTRAP to
 * force its trap, and the two are one signal), which sigtrap_repair then makes pending again. */
void sigtrap_gadget_trap(struct task *t);
/* A SIGTRAP of the program's own is about to be delivered. */
void sigtrap_own_trap(struct task *t);
/* At a trap of ours that detach takes without handling it: it may have dequeued the program's
 * own SIGTRAP, pending while blocked, which sigtrap_repair gives back. */
void sigtrap_hold_own(struct task *t);
/* t stopped: sets back what our own int3s changed outside of a trap's handling (the last trap
 * before a detach, the int3 that ends injected code: mapping scratch, planting, detaching);
 * can_run: code may be run in t (not in a group-stop or the middle of a syscall). Returns the
 * signal to resume t with (its own SIGTRAP that could not be given back otherwise), or 0. */
int sigtrap_repair(struct task *t, bool can_run);

/* guard.c: under -p, a process that outlives a fntrace killed by SIGKILL and puts the
 * program's byte back under every int3 still planted (the fast path's trampolines go on by
 * themselves). guard_start makes it (before the attach); guard_note tells it of each int3
 * planted; guard_done, once every byte is back (detach, or no process left), lets it go
 * without doing anything. */
void guard_start(void);
/* Returns the entry (+ 1, 0 if none) that guard_forget takes when the int3 is removed: a byte
 * that is no longer ours (the program's again, or another patch's) must not be restored. */
uint32_t guard_note(pid_t pid, taddr_t addr, uint8_t orig);
void guard_forget(uint32_t entry);
void guard_forget_pid(pid_t pid);
void guard_done(void);

/* task.c: the registry of tasks and address spaces. */
struct task *task_get(pid_t tid);
struct task *task_new(pid_t tid, pid_t tgid, struct proc *p, enum task_role role);
/* Forgets t, closing its open calls at ts; the proc goes with its last task. */
void task_free(struct task *t, uint64_t ts);
void task_each(void (*fn)(struct task *t, void *arg), void *arg);
size_t task_count(void);
/* Lets a stopped task go on only until it can stop again: at the end of the syscall it is in
 * (a fork event), or at once. It then reports a PTRACE_EVENT_STOP, a group-stop if its group is
 * stopped. Returns 0 or -1 (errno). */
int task_retrap(pid_t tid);
struct proc *proc_new(pid_t pid);
/* Moves t to a new, empty address space (after exec). */
void task_new_proc(struct task *t);

/* modules.c: which ELF objects a process has mapped. */
/* Loads the executable (and the dynamic loader) of a process that just execed or was attached. */
void modules_load_exe(struct task *t);
/* Compares the loader's list of libraries with ours: loads new ones, forgets unloaded ones. */
void modules_sync(struct task *t);
/* The loader's IFUNC resolutions: at a resolver's entry (a stop at a `resolver` breakpoint),
 * notes where it returns; at that return, plants the entry breakpoint on the implementation it
 * chose (rax). Resolvers only ever run when the loader runs them. */
void modules_resolver_entered(struct task *t, taddr_t resolver, taddr_t rsp);
void modules_resolver_returned(struct task *t, const struct user_regs_struct *r);
/* The module whose text holds addr, or NULL. */
struct module *modules_find(struct proc *p, taddr_t addr);
/* Tells the function registry (funcs_describe) what module function fn of process p is in and,
 * with --srcline, where its source is (the module's DWARF, or its separate debug file's, read
 * at the first function asked for). Done once per function, at its first reported call. */
void modules_describe(struct proc *p, uint32_t fn);
/* Copies parent's modules into child (fork: same mappings). */
void modules_copy(struct proc *child, const struct proc *parent);
void modules_free(struct proc *p);

/* fast.c: the fast path's side in the program (see src/fast/ for its pure pieces). */
struct stop;
/* Patches the entry at a (f's, of module m, shown as name, or the implementation an IFUNC f
 * chose) with a jmp to a trampoline. Returns false if it stays on int3 (then the caller plants
 * it). */
bool fast_plant_entry(struct task *t, struct module *m, const struct func *f, taddr_t a, const char *name);
/* Before m's functions are planted: the fast path's writes are staged until fast_module_done
 * (and a library the loader adds, which no thread has run yet, may be patched while others run). */
void fast_module_begin(struct task *t, struct module *m);
/* After a module's entries: patches its return sites, makes the staged writes, says what went
 * where (--debug=fast). */
void fast_module_done(struct task *t, struct module *m);
/* -p: before the image of t's process is planted, waits until each of its threads has stopped
 * (their stops are put back for the main loop) and notes their pcs; no window is patched over
 * one. fast_attach_release ends it, after the planting, before any thread runs again. */
void fast_attach_hold(struct task *t);
void fast_attach_release(struct task *t);
/* Drains t's records before its stop s is handled; returns true if s was the fast path's own
 * (a trampoline's trap or fault), handled and resumed. */
bool fast_on_stop(struct task *t, const struct stop *s);
/* The tracer is about to wait: the records that threads wrote while running are fed to their
 * call stacks, if they were last read 10 ms ago or more, so that live output keeps up with a
 * program that runs without stops. Returns whether some thread has a block (records may come
 * without any stop: the wait should end in time to read them). */
bool fast_idle(uint64_t now);
/* Puts the program's bytes back where buf, a copy of [addr, addr+len), holds our jmps. */
void fast_hide(struct proc *p, taddr_t addr, void *buf, size_t len);
/* Forgets the patches in [lo, hi) without touching memory (a library unloaded). */
void fast_forget_range(struct proc *p, taddr_t lo, taddr_t hi);
/* The opposite of fast_hide: puts our jmps into buf, a copy of [addr, addr+len) read before
 * they were written, so that writing it back keeps them. */
void fast_overlay(struct proc *p, taddr_t addr, uint8_t *buf, size_t len);
/* Whether addr is a window's start or one of our jmp's bytes. */
bool fast_owns(struct proc *p, taddr_t addr);
/* A reported call returns to addr: if a patch is there, its records count from now on. Returns
 * whether the fast path has addr (then it needs no breakpoint). */
bool fast_activate_site(struct proc *p, taddr_t addr);
/* A return site with an int3: trampolines need not trap for it. */
void fast_note_site(struct proc *p, taddr_t addr);
/* Makes the return site at addr, if a trampoline takes it, stop there from now on (an int3 at
 * the trampoline's start, ours to write): a value returned there that must be read from
 * memory (a string) is then read at the return, as at an int3 site. */
void fast_stop_at_site(struct task *t, taddr_t addr);
/* Writes the program's bytes back over our jmps in the memory of in (p, or a forked copy). */
void fast_restore_all(struct proc *p, struct proc *in);
/* Detach: t's records drained, t out of any trampoline; then, per process, the TLS slots
 * cleared (the regions go with the scratch). *sig, the signal t's last stop would deliver, is
 * set to 0 if it was a trampoline's own. */
void fast_detach_task(struct task *t, int *sig);
void fast_detach_proc(struct proc *p);
/* A followed fork: child's state is a copy of parent's, its thread child_tid that of parent_tid. */
void fast_fork(struct proc *child, struct proc *parent, pid_t parent_tid, pid_t child_tid);
/* A vfork's parent t stopped at the event (done false) or going on (done true). */
void fast_vfork(struct task *t, bool done);
void fast_free(struct proc *p);

/* values.c: arguments and return values (src/args/ decides which and prints them). */
/* The registers an entry's arguments are read from: a stop's (stopped: the floating-point ones
 * read when needed, strings from memory), or a fast path record's (fp: its xmm0-7, or NULL;
 * nothing is read from memory, which has moved on since). */
struct entry_regs {
	const struct user_regs_struct *r;
	const struct user_fpregs_struct *fp;
	bool stopped;
	const uint64_t *stack;   /* not stopped: the words at r->rsp + 8 on, as the entry found
				  * them (a record's copy), nstack of them; the rest unread */
	unsigned nstack;
};
/* The arguments of a call of bp's function fn, read at its entry from er (NULL: only whether
 * the return value is wanted is decided): a malloc'd text, "" for none, or NULL when none are
 * shown. *want_ret: its return value is shown. */
char *values_entry(struct task *t, const struct bp *bp, uint32_t fn, const struct entry_regs *er,
		   bool *want_ret);
/* What the entry of a function (f of m, entry at a, shown as name) must give for its values
 * (an enum args_entry_need): the fast path plants a trampoline that keeps the argument
 * registers where they need no memory read, and leaves it to an int3 otherwise. */
int values_entry_need(struct module *m, const struct func *f, taddr_t a, const char *name, unsigned *stack_words);
/* Whether the function (f of m, entry at a, shown as name) may return a long double (in st0)
 * that is shown: the fast path's sites of calls to it then keep st0. */
bool values_x87_return(struct module *m, const struct func *f, taddr_t a, const char *name);
/* The same for the callee of a call from module m: a direct call to target (a function, or a
 * PLT entry, whose GOT slot names the function), or a call through the GOT slot at slot (target
 * 0). False when it cannot be told. */
bool values_x87_call(struct proc *p, struct module *m, taddr_t target, taddr_t slot);
/* Whether a function (f of m, entry at a, shown as name) has values to show. */
bool values_wanted(struct module *m, const struct func *f, taddr_t a, const char *name);
/* Whether f, a function of m that is not exported, looks like an implementation of one of m's
 * IFUNCs whose values are wanted: glibc names them __NAME_VARIANT (__strlen_evex for strlen).
 * Under -l, such a function is planted under its own name before the loader picks it for NAME;
 * its entry then stays an int3 too, so that it can show as NAME with NAME's values, as on the
 * int3 path. */
bool values_wanted_impl(struct module *m, const struct func *f);
/* The same for the entry breakpoint bp. */
bool values_wanted_bp(struct proc *p, const struct bp *bp);
/* The registers a return value is read from. At a stop: the stop's registers, the
 * floating-point ones read when a value needs them, errno from the stopped thread. From a fast
 * path record: what it kept, rax alone or (a FAST_REC_SITE_VALS) rdx, xmm0, xmm1 and errno. */
struct ret_regs {
	const struct user_regs_struct *r;   /* rax, rdx, rsp (a record's fill only those) */
	bool stopped;                       /* the thread is stopped where r was read */
	bool rdx_xmm;                       /* a record's rdx, xmm0 and xmm1 are valid */
	uint64_t xmm0, xmm1;
	bool have_errno;                    /* a record's errno is valid */
	int errnum;
	bool have_st0;                      /* a record's st0 is valid */
	uint8_t st0[10];
};
/* The return value of fn, read from rr at its return site: a malloc'd text, or NULL. A value
 * the record did not keep (xmm0 or rdx of a plain site record, st0's long double) shows as "?". */
char *values_return(struct task *t, uint32_t fn, const struct ret_regs *rr);
/* Whether the fast path's site records need their values half (FAST_REC_SITE_VALS): some return
 * value asked for may be outside rax, or -1 with errno. */
bool values_sites_need_more(void);
/* Whether fn's return value, if shown, is read from memory (a string): then it is read at a
 * stop at the return. */
bool values_ret_reads_memory(uint32_t fn);
/* errno's offset from a thread's fs_base in p, found once the C library is relocated (false
 * until then, and where the C library is not glibc's: tried again at each call until found). */
bool values_errno_offset(struct proc *p, int64_t *off);

/* tracer.c */
/* Starts argv (or attaches to pids when argv is NULL) and traces until every traced process is
 * gone or fntrace is told to stop. Returns the wait status of the program (0 after a detach). */
int trace_run(char **argv, const char *path, const int *pids, int npids);
/* Reports, at ts, a call of bp's function (an entry) in t entered with rsp = sp, whose return
 * address is ret if have_ret, unless the rules for library calls say it is none; plants its
 * return site. The breakpoints and the fast path's records both come here. */
void trace_entry(struct task *t, struct bp *bp, taddr_t sp, uint64_t ret, bool have_ret, uint64_t ts);
/* Whether a call of a library function (bp->libcall) entered by t with rsp = sp, whose return
 * address is ret, is one to report: made from the executable, and no tail jump from another
 * library's function. Looks at t's innermost open call, so once the entry's callstack_observe
 * has closed what it left. */
bool trace_libcall_reported(struct task *t, taddr_t sp, uint64_t ret);
/* The same, with the registers its arguments are read from. */
void trace_entry_args(struct task *t, struct bp *bp, taddr_t sp, uint64_t ret, uint64_t ts,
		      const struct entry_regs *er);
/* Closes the frames a return to site, seen with rsp = sp, proves were left, as a return site's
 * stop does (sp is rr->r->rsp); the fast path's site records come here, with the registers
 * they keep for the values asked for. */
void trace_return(struct task *t, taddr_t site, const struct ret_regs *rr, uint64_t ts);
/* Loads the image a task's proc runs and plants its breakpoints. */
void trace_load_image(struct task *t);

/* attach.c */
/* Forks and execs argv seized, with PTRACE_O_EXITKILL. Returns the pid; dies on error. */
pid_t trace_launch(char **argv, const char *path);
/* Says in one line if the program pid has just executed would have gained privileges
 * (set-user-ID, set-group-ID, file capabilities): under a tracer without CAP_SYS_PTRACE the
 * kernel ran it without them, and what it then fails to do is no fault of its own. */
void trace_note_privileges(pid_t pid);
/* Throws an exec error of the launched child (reported by the child through a pipe), if any. */
void trace_launch_check(const char *path);
/* Seizes every thread of pid and interrupts them. Returns 0, or -1 after printing why. */
int trace_attach(pid_t pid);
/* Takes every breakpoint and scratch region out of every traced process and lets them all go,
 * running exactly as before. */
void trace_detach_all(uint64_t ts);

#endif
