/* trace: the only code that talks to the kernel about the traced program (ptrace, waitpid,
 * /proc/PID/mem). Objects follow the kernel's: a task is a thread, a proc owns an address space. */
#ifndef FNTRACE_TRACE_H
#define FNTRACE_TRACE_H

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
};
extern struct trace_opts trace_opts;

/* A breakpoint. It belongs to the address space: every thread of the proc shares it. */
struct bp {
	taddr_t addr;
	uint32_t fn;         /* funcs id, when entry */
	bool entry;          /* reports a call of fn */
	bool retsite;        /* a return address: stops here let the call stack see returns */
	bool planted;        /* our 0xCC is in memory now */
	bool ever_planted;   /* a trap here may still be ours after removal */
	uint8_t orig;        /* the program's byte at addr */
	taddr_t slot;        /* scratch slot for INSN_OOL, else 0 */
	struct insn insn;    /* the displaced instruction */
};

/* A region of scratch memory mapped into the program for out-of-line slots. */
struct scratch {
	taddr_t base, size, used;
};

struct proc {
	pid_t pid;
	int memfd;                   /* /proc/PID/mem, reopened at exec */
	struct symtab st;            /* the main executable */
	taddr_t bias;                /* runtime address minus link-time address of the executable */
	struct addrmap bps;          /* addr -> struct bp */
	struct scratch *scr;
	size_t nscr;
	struct range *xmaps;         /* executable mappings, as last read from /proc/PID/maps */
	size_t nxmaps;
	int ntasks;
};

struct task {
	pid_t tid;
	struct proc *p;
	struct callstack cs;
	taddr_t resumed_rip;         /* where we last resumed it: a trap there without progress is suspect */
	int pending_sig;             /* to deliver at the next resume */
};

/* proc.c: memory of the traced program. Reads hide our breakpoints. All return 0 or -1 (errno). */
int proc_open_mem(struct proc *p);
int proc_read(struct proc *p, taddr_t addr, void *buf, size_t len);
int proc_read_raw(struct proc *p, taddr_t addr, void *buf, size_t len);
int proc_write(struct proc *p, taddr_t addr, const void *buf, size_t len);
/* Reads /proc/PID/maps again into p->xmaps. */
void proc_load_maps(struct proc *p);
bool proc_is_text(struct proc *p, taddr_t addr);
/* Runs syscall nr with args in task t (stopped), restoring its registers after. Returns the
 * syscall's return value (negative errno on failure), or -ESRCH if the task vanished. */
long proc_inject_syscall(struct task *t, long nr, const long args[6]);
/* Returns the address of a free scratch slot that a rip-relative operand at near can reach
 * (mapping new scratch if needed), or 0 if none could be had. */
taddr_t proc_scratch_slot(struct task *t, taddr_t near);
/* Finds the load bias of the main executable from the auxiliary vector. */
int proc_read_bias(struct proc *p);

/* bp.c: the breakpoint table. */
/* Creates and plants entry breakpoints for every traced function of p->st. Returns how many. */
size_t bp_plant_image(struct task *t);
/* Ensures a return-site breakpoint at addr (a return address seen on the stack). */
void bp_ensure_retsite(struct task *t, taddr_t addr);
/* Takes the 0xCC at bp out of memory (the bp stays known: a late trap there is still ours). */
void bp_unplant(struct proc *p, struct bp *bp);
/* Moves r past the displaced instruction of bp as if it had run. Returns 0 or -1 (errno). */
int bp_step_over(struct task *t, struct bp *bp, struct user_regs_struct *r);
/* Every planted breakpoint's address and original byte, for tests and cleanup. */
void bp_free_all(struct proc *p);

/* tracer.c */
/* Starts argv under tracing and runs until it ends. Returns the wait status of the program. */
int trace_run(char **argv, const char *path);

#endif
