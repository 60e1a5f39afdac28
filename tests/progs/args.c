/* args: functions whose arguments and return values fntrace shows (tests/e2e/test_args.py):
 * integers, enums, bools, float and double, a struct by value and one returned, strings (one
 * hostile, one long), more than six integer arguments, and library calls with the shipped
 * prototypes: open/read/write/close, strlen/strcmp/memcpy, malloc/free, fopen, getenv, a failing
 * open, printf with values. Then arguments on the stack (an eighth integer, a ninth double, a
 * struct in memory, a long double), a long double returned, whose caller prints the x87 status
 * and tag words as the return left them (the fast path must not change them), and a string
 * returned in a buffer that the caller overwrites at once; struct and union pointers, an
 * unreadable string pointer, an __int128 returned in rax and rdx. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"

enum colour { RED, GREEN = 5, BLUE };

struct pair {
	long a, b;
};

struct small {
	int x;
	double y;
};

T_FN int t_ints(int a, long b, unsigned c, short d)
{
	return a + (int)b + (int)c + d;
}

T_FN long t_seven(long a, long b, long c, long d, long e, long f, long g)
{
	return a + b + c + d + e + f + g;
}

T_FN const char *t_colour(enum colour c, bool loud)
{
	return c == GREEN && loud ? "GREEN" : "other";
}

T_FN double t_mix(float f, double d, int i)
{
	return f + d + i;
}

T_FN long t_pair(struct pair p)
{
	return p.a * p.b;
}

T_FN struct small t_make(int x)
{
	struct small s = { x, x / 2.0 };
	return s;
}

T_FN size_t t_str(const char *s)
{
	return strlen(s);
}

T_FN int t_files(const char *path)
{
	char buf[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	fd = open("/nonexistent/fntrace-args", O_RDONLY);
	write(1, buf, n > 0 ? (size_t)n : 0);
	return fd;
}

T_FN void t_memory(void)
{
	char *p = malloc(24);
	memcpy(p, "copied", 7);
	printf("%s %d\n", p, strcmp(p, "copied"));
	free(p);
	FILE *f = fopen("/dev/null", "r");
	if (f)
		fclose(f);
	const char *home = getenv("FNTRACE_ARGS_ENV");
	printf("env %s\n", home ? home : "(unset)");
}

struct big {
	long v[4];   /* 32 bytes: passed in memory */
};

T_FN long t_eight(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + b + c + d + e + f + g * h;
}

T_FN double t_nine(double a, double b, double c, double d, double e, double f, double g, double h, double i)
{
	return a + b + c + d + e + f + g + h + i * 10;
}

T_FN long t_big(struct big b, long x, long y)
{
	return b.v[0] + b.v[3] + x * y;
}

T_FN long double t_ldouble(long double x, int k)
{
	return x / k;
}

static char name_buf[16];

T_FN const char *t_name(int n)
{
	strcpy(name_buf, n ? "at-return" : "zero");
	return name_buf;
}

union either {
	long l;
	double d;
};

T_FN int t_ptrs(struct pair *p, union either *e, const char *unreadable)
{
	return p != NULL && e != NULL && unreadable != NULL;
}

T_FN __int128 t_wide(long a)
{
	return (__int128)a << 64 | 5;   /* in rax and rdx */
}

/* Calls t_ldouble(x, k) and saves the x87 state at once (fxsave into fx, 16-byte aligned),
 * before any x87 instruction of the caller's: the status word's C1 and the tags are as the
 * return left them. */
long double probe_ldouble(long double x, int k, void *fx);
__asm__(".text\n"
	"probe_ldouble:\n"
	"	push %rbx\n"
	"	mov %rsi, %rbx\n"
	"	sub $16, %rsp\n"
	"	fldt 32(%rsp)\n"   /* x: at rsp + 8 at the entry */
	"	fstpt (%rsp)\n"
	"	call t_ldouble\n"
	"	fxsave (%rbx)\n"
	"	add $16, %rsp\n"
	"	pop %rbx\n"
	"	ret\n");

static void t_stack_args(void)
{
	struct big b = { { 1, 2, 3, 4 } };
	static unsigned char fx[512] __attribute__((aligned(16)));
	long double q = probe_ldouble(1.0L, 3, fx);
	unsigned fsw = fx[2] | fx[3] << 8, ftw = fx[4];
	printf("%ld %g %ld %.18Lg fsw %#x ftw %#x\n", t_eight(1, 2, 3, 4, 5, 6, 7, 8),
	       t_nine(1, 2, 3, 4, 5, 6, 7, 8, 9), t_big(b, 5, 6), q, fsw, ftw);
	struct pair p = { 1, 2 };
	union either e = { 3 };
	printf("%d %d\n", t_ptrs(&p, &e, (const char *)16), (int)(t_wide(2) >> 64));
	const char *s = t_name(1);
	strcpy((char *)s, "overwritten");
	puts(s);
}

int main(int argc, char **argv)
{
	struct pair p = { 6, 7 };
	struct small s = t_make(3);
	printf("%d %ld %s %g %ld %d %g\n", t_ints(1, -2, 3u, 4), t_seven(1, 2, 3, 4, 5, 6, 7),
	       t_colour(GREEN, true), t_mix(1.5f, 2.25, 3), t_pair(p), s.x, s.y);
	volatile size_t n = t_str("tab\there \033[31mred\033[0m");
	n = t_str("a string much longer than thirty-two bytes, cut by --strsize");
	printf("open %d\n", t_files(argc > 1 ? argv[1] : "/etc/hostname"));
	t_memory();
	t_stack_args();
	return 0;
}
