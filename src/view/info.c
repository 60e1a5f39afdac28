/* info (--info): what a trace file holds: who wrote it and when, the program and its command,
 * its processes and threads, how many events of each kind, and how long the run took. */
#include "analysis.h"
#include "../rec/funcs.h"
#include "../rec/names.h"
#include "../rec/tracefile.h"
#include "../util/addrmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define LIST_MAX 16   /* processes or threads named one by one; the rest are counted */

static struct counts {
	uint64_t kind[EV_THREAD_START + 1];
	struct addrmap procs, threads;   /* pid -> 1, tid -> its pid */
	struct addrmap funcs;            /* interned name -> 1: functions called */
} counts;

static void count(const struct event *ev)
{
	if (ev->kind <= EV_THREAD_START)
		counts.kind[ev->kind]++;
	addrmap_put(&counts.procs, (taddr_t)(uint32_t)ev->pid, (void *)1);
	if (ev->kind != EV_PROC_EXIT)
		addrmap_put(&counts.threads, (taddr_t)(uint32_t)ev->tid, (void *)(uintptr_t)(uint32_t)ev->pid);
	if (ev->kind == EV_ENTRY)
		addrmap_put(&counts.funcs, (taddr_t)(uintptr_t)funcs_name(ev->fn), (void *)1);
}

/* Events as the views see them: with the exits of calls a cut file left open. */
static uint64_t total_events(void)
{
	uint64_t n = 0;
	for (size_t k = 0; k <= EV_THREAD_START; k++)
		n += counts.kind[k];
	return n;
}

struct ids {
	taddr_t *v;
	size_t n;
};

static void collect(taddr_t key, void *val, void *arg)
{
	struct ids *ids = arg;
	(void)val;
	ids->v[ids->n++] = key;
}

static int by_id(const void *pa, const void *pb)
{
	taddr_t a = *(const taddr_t *)pa, b = *(const taddr_t *)pb;
	return a < b ? -1 : a > b;
}

/* "2: 1128 (fib), 1130 (fib)": how many, then each id with its name, in increasing order. */
static void list_ids(FILE *fp, const char *label, struct addrmap *m, const char *(*name_of)(int32_t))
{
	struct ids ids = { xmalloc((m->n + 1) * sizeof(*ids.v)), 0 };
	addrmap_each(m, collect, &ids);
	qsort(ids.v, ids.n, sizeof(*ids.v), by_id);
	fprintf(fp, "%-14s: %zu", label, ids.n);
	for (size_t i = 0; i < ids.n && i < LIST_MAX; i++) {
		const char *name = name_of((int32_t)ids.v[i]);
		fprintf(fp, "%s%d%s%s%s", i ? ", " : ": ", (int)ids.v[i], name ? " (" : "", name ? name : "",
			name ? ")" : "");
	}
	fprintf(fp, "%s\n", ids.n > LIST_MAX ? ", ..." : "");
	free(ids.v);
}

/* The wall-clock date of the first event, from the date anchor the writer recorded. */
static void print_date(FILE *fp, const struct tracefile_meta *m)
{
	if (!m->has_date) {
		fprintf(fp, "%-14s: not recorded (the file was written before fntrace recorded it)\n", "date");
		return;
	}
	uint64_t at = m->nevents ? m->realtime_ns + (m->first_ts - m->monotonic_ns) : m->realtime_ns;
	time_t sec = (time_t)(at / 1000000000u);
	struct tm tm;
	char buf[64];
	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	fprintf(fp, "%-14s: %s (the first event)\n", "date", buf);
}

static void print_line(FILE *fp, const char *label, const char *value, const char *missing)
{
	fprintf(fp, "%-14s: %s\n", label, value && *value ? value : missing);
}

void analysis_info(FILE *fp, const struct analysis *a)
{
	struct tracefile *tf;
	analysis_replay(a, a->read, count, &tf);
	const struct tracefile_meta *m = tracefile_meta(tf);
	struct stat sb;
	char dur[32];
	fprintf(fp, "%-14s: %s (%lld bytes, format version %u)\n", "trace file", a->read,
		stat(a->read, &sb) ? -1LL : (long long)sb.st_size, m->version);
	char writer[128];
	snprintf(writer, sizeof(writer), "fntrace %s", m->writer ? m->writer : "");
	print_line(fp, "written by", m->writer ? writer : NULL, "not recorded (an older fntrace)");
	print_date(fp, m);
	print_line(fp, "command", names_of_command(), "not recorded");
	print_line(fp, "program", m->program, "not recorded");
	print_line(fp, "build-id", m->build_id, m->program ? "none" : "not recorded");
	list_ids(fp, "processes", &counts.procs, names_of_process);
	list_ids(fp, "threads", &counts.threads, names_of_thread);
	fprintf(fp, "%-14s: %zu called\n", "functions", counts.funcs.n);
	fprintf(fp, "%-14s: %" PRIu64 " (%" PRIu64 " entries, %" PRIu64 " exits, %" PRIu64 " signals, %" PRIu64
		" thread starts, %" PRIu64 " process ends)\n", "events", total_events(), counts.kind[EV_ENTRY],
		counts.kind[EV_EXIT], counts.kind[EV_SIGNAL], counts.kind[EV_THREAD_START], counts.kind[EV_PROC_EXIT]);
	view_fmt_duration(m->nevents ? m->last_ts - m->first_ts : 0, dur);
	fprintf(fp, "%-14s: %s (from the first event to the last)\n", "duration", dur + strspn(dur, " "));
	tracefile_close(tf);
	addrmap_free(&counts.procs);
	addrmap_free(&counts.threads);
	addrmap_free(&counts.funcs);
}
