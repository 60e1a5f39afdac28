/* guard: under -p, a small process that outlives a fntrace killed by SIGKILL and puts the
 * program's own bytes back under every int3 fntrace planted, so that the program does not die of
 * SIGTRAP at its next traced call. The fast path's jmps need nothing: under -p its trampolines
 * go on without a tracer (safe mode), and they stay mapped. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* One int3 fntrace planted: where, and the byte it replaced. */
struct guard_site {
	taddr_t addr;
	int32_t pid;
	uint8_t orig;
};

#define GUARD_MAX (4u << 20)   /* sites: 64 MiB of address space, touched only as used */

/* Shared with the guardian (MAP_SHARED, made before its fork): fntrace appends, the guardian
 * reads once fntrace is gone. */
struct guard_table {
	atomic_int clean;        /* fntrace ended as it should: its detach put every byte back */
	atomic_uint n;           /* sites[0..n) are whole */
	struct guard_site sites[];
};

static struct guard_table *table;

/* Puts the program's byte back at every site that still holds our int3 (a program that wrote
 * over one keeps what it wrote; one fntrace restored already holds the program's byte). */
static void restore_all(void)
{
	pid_t pid = 0;
	int fd = -1;
	unsigned n = atomic_load(&table->n);
	for (unsigned i = 0; i < n; i++) {
		const struct guard_site *s = &table->sites[i];
		if (!s->pid)
			continue;   /* removed: the byte there is not ours any more */
		if (s->pid != pid) {
			char path[64];
			if (fd >= 0)
				close(fd);
			snprintf(path, sizeof(path), "/proc/%d/mem", s->pid);
			fd = open(path, O_RDWR | O_CLOEXEC);
			pid = s->pid;
		}
		uint8_t cc;
		if (fd >= 0 && pread(fd, &cc, 1, (off_t)s->addr) == 1 && cc == 0xcc)
			(void)!pwrite(fd, &s->orig, 1, (off_t)s->addr);
	}
	if (fd >= 0)
		close(fd);
}

/* The guardian: waits for fntrace to end (its end of the pipe is closed then, whatever killed
 * it), then, unless it ended cleanly, restores. */
static void guardian(pid_t tracer, int alive, int ready)
{
	char name[16];
	snprintf(name, sizeof(name), "ftguard-%d", (int)tracer);   /* (ps shows whose it is) */
	prctl(PR_SET_NAME, name);
	(void)!write(ready, "", 1);   /* named and waiting: fntrace may attach */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Not a reader's pipe kept open past fntrace's end: only the table and our pipe. */
	if (dup2(alive, 3) < 0)
		_exit(1);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	syscall(SYS_close_range, 4, ~0u, 0);
	signal(SIGINT, SIG_IGN);    /* Ctrl-C is for fntrace, which then detaches */
	signal(SIGQUIT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* (not a pidfd's poll: pidfd_open can fail, and an orphan's parent is not fntrace) */
	char c;
	while (read(3, &c, 1) < 0 && errno == EINTR)
		;
	if (!atomic_load(&table->clean))
		restore_all();
	_exit(0);
}

void guard_start(void)
{
	size_t size = sizeof(*table) + GUARD_MAX * sizeof(table->sites[0]);
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		warn_errno("no guardian for a killed fntrace: mmap");
		return;
	}
	table = m;
	pid_t tracer = getpid();
	/* fntrace keeps the write end (never written: its end is what the guardian waits for),
	 * close-on-exec so that no program it starts keeps it. */
	int alive[2], ready[2];
	if (pipe2(alive, O_CLOEXEC)) {
		warn_errno("no guardian for a killed fntrace: pipe");
		munmap(m, size);
		table = NULL;
		return;
	}
	if (pipe2(ready, O_CLOEXEC)) {
		warn_errno("no guardian for a killed fntrace: pipe");
		close(alive[0]);
		close(alive[1]);
		munmap(m, size);
		table = NULL;
		return;
	}
	/* Two forks: the guardian is not fntrace's child, so that no waitpid of the stop loop
	 * ever reports it. */
	pid_t mid = fork();
	if (mid < 0) {
		warn_errno("no guardian for a killed fntrace: fork");
		close(alive[0]);
		close(alive[1]);
		close(ready[0]);
		close(ready[1]);
		munmap(m, size);
		table = NULL;
		return;
	}
	if (mid == 0) {
		setsid();   /* out of the terminal's process group: its signals are fntrace's */
		close(alive[1]);
		close(ready[0]);
		if (fork() == 0)
			guardian(tracer, alive[0], ready[1]);
		_exit(0);
	}
	close(alive[0]);
	close(ready[1]);
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	/* Not before it has run: a loaded machine can leave a new process unscheduled for long,
	 * and a fntrace killed meanwhile would leave its int3s to a guardian not named yet. */
	char c;
	ssize_t got;
	while ((got = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	if (got != 1)
		warn_msg("no guardian for a killed fntrace: it ended at its start");
	close(ready[0]);
}

uint32_t guard_note(pid_t pid, taddr_t addr, uint8_t orig)
{
	if (!table)
		return 0;
	unsigned n = atomic_load_explicit(&table->n, memory_order_relaxed);
	if (n >= GUARD_MAX)
		return 0;   /* (4 million int3s: the rest are not guarded) */
	table->sites[n] = (struct guard_site){ addr, pid, orig };
	atomic_store_explicit(&table->n, n + 1, memory_order_release);
	return n + 1;
}

void guard_forget(uint32_t entry)
{
	if (table && entry)
		table->sites[entry - 1].pid = 0;   /* (read only once fntrace is gone) */
}

void guard_forget_pid(pid_t pid)
{
	unsigned n = table ? atomic_load(&table->n) : 0;
	for (unsigned i = 0; i < n; i++)
		if (table->sites[i].pid == pid)
			table->sites[i].pid = 0;
}

void guard_done(void)
{
	if (table)
		atomic_store(&table->clean, 1);
}
