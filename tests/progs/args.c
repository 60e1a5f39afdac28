/* args: functions whose arguments and return values fntrace shows (tests/e2e/test_args.py):
 * integers, enums, bools, float and double, a struct by value and one returned, strings (one
 * hostile, one long), more than six integer arguments, and library calls with the shipped
 * prototypes: open/read/write/close, strlen/strcmp/memcpy, malloc/free, fopen, getenv, a failing
 * open, printf with values. */
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
	return 0;
}
