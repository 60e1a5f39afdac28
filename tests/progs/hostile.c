/* hostile: a program that fights its tracer, waiting on stdin so that a test can attach first.
 *   hostile lname FILE FIFO   makes the loader's list name FILE for libfnt.so and FIFO for libc
 *   hostile strict            enters seccomp strict mode
 *   hostile kill-mmap         installs a filter that kills the process on mmap
 *   hostile eperm-mmap        installs a filter that fails mmap with EPERM
 * then, for each line read, calls t_work() and lib_api() and prints their results. It exits
 * at end of input (with the exit system call alone in strict mode). */
#include "t.h"

#include <errno.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int lib_api(int x);
extern struct r_debug _r_debug;

T_FN static int t_twice(int x)
{
	T_KEEP(x);
	return 2 * x;
}

T_FN static int t_work(int x)
{
	int r = t_twice(x) + 1;
	T_KEEP(r);
	return r;
}

static int filter_mmap(unsigned action)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* Only read and write from here on in strict mode: no stdio. */
static void say(const char *s, int n)
{
	char buf[64];
	size_t len = strlen(s);
	memcpy(buf, s, len);
	buf[len++] = ' ';
	if (n >= 10)
		buf[len++] = (char)('0' + n / 10 % 10);
	buf[len++] = (char)('0' + n % 10);
	buf[len++] = '\n';
	if (write(1, buf, len) < 0)
		syscall(SYS_exit, 2);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "lname")) {
		for (struct link_map *l = _r_debug.r_map; l; l = l->l_next) {
			if (strstr(l->l_name, "libfnt"))
				l->l_name = argv[2];
			else if (strstr(l->l_name, "libc.so"))
				l->l_name = argv[3];
		}
	} else if (argc >= 2 && !strcmp(argv[1], "strict")) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
			return perror("strict"), 2;
	} else if (argc >= 2 && !strcmp(argv[1], "kill-mmap")) {
		if (filter_mmap(SECCOMP_RET_KILL_PROCESS))
			return perror("seccomp"), 2;
	} else if (argc >= 2 && !strcmp(argv[1], "eperm-mmap")) {
		if (filter_mmap(SECCOMP_RET_ERRNO | EPERM))
			return perror("seccomp"), 2;
	}
	say("ready", 0);
	char c;
	int n = 0;
	while (read(0, &c, 1) == 1)
		if (c == '\n') {
			n++;
			say("work", t_work(n));
			say("lib", lib_api(n));
		}
	say("bye", n);
	syscall(SYS_exit, 0);   /* the only way out in strict mode */
	return 0;
}
