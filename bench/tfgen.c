/* tfgen: trace files without ptrace, for bench/tracefile.py. Links fntrace's own writer and reader
 * (src/rec/tracefile.c), so what it measures is theirs.
 *
 *   tfgen write FILE N THREADS   N events of a synthetic program: 64 functions, each calling one
 *                                of two others, calls nested up to 12 deep, THREADS threads
 *                                taking turns every few calls, 1-6 us between events (a ptrace
 *                                stop's pace)
 *   tfgen read FILE              replays FILE into a sink that only counts
 * Both print "events seconds" on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rec/event.h"
#include "rec/funcs.h"
#include "rec/names.h"
#include "rec/tracefile.h"

static unsigned long long counted, checksum;

void sink_event(const struct event *ev)
{
	counted++;
	checksum += ev->ts ^ ev->fn;   /* touch the event */
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define NT_MAX 64
#define DEPTH 12

static int gen(const char *path, unsigned long long n, int nthreads)
{
	struct { uint32_t fn[DEPTH]; int depth; } th[NT_MAX] = { 0 };
	char name[64];
	for (int i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "module_function_%02d", i);
		funcs_add(name, 0x401000 + (taddr_t)i * 0x40);
	}
	double t = now();
	tracefile_write_start(path);
	names_process(1000, "synthetic");
	uint64_t s = 88172645463325252ull, ts = 1000000000000ull;
	int cur = 0;
	for (unsigned long long i = 0; i < n; i++) {
		uint64_t r = rng(&s);
		if (nthreads > 1 && r % 8 == 0)
			cur = (int)((r >> 8) % (uint64_t)nthreads);
		ts += 1000 + (r >> 16) % 5000;
		struct event ev = { .ts = ts, .pid = 1000, .tid = 1000 + cur };
		int *d = &th[cur].depth;
		if (*d == 0 || (*d < DEPTH && (r >> 40) % 2)) {
			/* A program's shape: 4 outermost functions, each function calls one of two. */
			ev.kind = EV_ENTRY;
			ev.fn = *d ? (th[cur].fn[*d - 1] * 5 + 1 + (uint32_t)(r >> 48) % 2) % 64 : (uint32_t)(r >> 48) % 4;
			th[cur].fn[(*d)++] = ev.fn;
			ev.depth = (uint16_t)*d;
		} else {
			ev.kind = EV_EXIT;
			ev.fn = th[cur].fn[*d - 1];
			ev.depth = (uint16_t)(*d)--;
		}
		tracefile_write_event(&ev);
	}
	if (tracefile_write_end())
		return 1;
	printf("%llu %.6f\n", n, now() - t);
	return 0;
}

static int replay(const char *path)
{
	char err[512];
	double t = now();
	struct tracefile *tf = tracefile_open(path, err, sizeof(err));
	if (!tf || tracefile_replay(tf, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "tfgen: %s\n", err);
		return 1;
	}
	tracefile_close(tf);
	printf("%llu %.6f\n", counted, now() - t);
	if (!checksum)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "write"))
		return gen(argv[2], strtoull(argv[3], NULL, 10), atoi(argv[4]) < 1 ? 1 : atoi(argv[4]) > NT_MAX ? NT_MAX : atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "read"))
		return replay(argv[2]);
	fprintf(stderr, "usage: tfgen write FILE N THREADS | tfgen read FILE\n");
	return 2;
}
