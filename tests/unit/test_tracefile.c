/* test_tracefile: trace files written and read back, with a recording sink_event in place of
 * rec/sink.c: every event comes back as it was; a file cut anywhere reads up to its last complete
 * event, then closes the calls open there; corrupt bytes and newer versions give one-line errors, never a crash; -i/-x at read time
 * recount depths. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "rec/event.h"
#include "rec/funcs.h"
#include "rec/names.h"
#include "rec/tracefile.h"

static struct event *got;
static size_t ngot, capgot;

/* The sink the reader calls: record everything. */
void sink_event(const struct event *ev)
{
	xgrow(&got, &capgot, ngot + 1, sizeof(*got));
	got[ngot++] = *ev;
}

/* The date anchor the reader finds goes to the sink too; these tests read it from the meta. */
void sink_wall_anchor(uint64_t realtime_ns, uint64_t monotonic_ns)
{
	(void)realtime_ns;
	(void)monotonic_ns;
}

/* Names as the reader sets them, "p12=name" or "t13=name", in order. */
static char names_seen[65536];

static void note_name(char kind, int32_t id, const char *name)
{
	size_t n = strlen(names_seen);
	snprintf(names_seen + n, sizeof(names_seen) - n, "%c%d=%s;", kind, id, name);
}

#define NFUNCS 300
static char *written_names[NFUNCS];

static char path[] = "/tmp/fntrace-test-tracefile-XXXXXX";
static char cut[] = "/tmp/fntrace-test-tracefile-cut-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(path);
	close(fd);
	fd = mkstemp(cut);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	unlink(cut);
	free(got);
	for (int i = 0; i < NFUNCS; i++)
		free(written_names[i]);
	return 0;
}

/* A stream of events as the tracer makes them: several threads of two processes, interleaved,
 * well nested per thread, with signals, thread starts, process ends, times going backwards a
 * little between threads, a big jump, deep nesting and function ids above 127. */
struct gen {
	struct event *v;
	size_t n, cap;
};

static void add(struct gen *g, struct event ev)
{
	xgrow(&g->v, &g->cap, g->n + 1, sizeof(*g->v));
	g->v[g->n++] = ev;
}

static void generate(struct gen *g, size_t nops, uint64_t seed)
{
	enum { NT = 5 };
	int32_t tids[NT] = { 100, 101, 102, 200, 201 }, pids[NT] = { 100, 100, 100, 200, 200 };
	struct { uint64_t ts; uint32_t fn; } stack[NT][400];
	size_t depth[NT] = { 0 };
	uint64_t ts = 1000000000000ull, rng = seed;
	g->n = 0;
	for (int t = 0; t < NT; t++)
		add(g, (struct event){ .ts = ts, .pid = pids[t], .tid = tids[t], .kind = EV_THREAD_START });
	for (size_t i = 0; i < nops; i++) {
		uint64_t r = unit_rng(&rng);
		int t = (int)(r % NT);
		ts += r >> 40 & 0xffff;
		if (r % 997 == 0)
			ts += 1ull << 40;
		uint64_t evts = ts - (r >> 20 & 0xff);   /* a little back in time now and then */
		unsigned op = (unsigned)(r >> 8 & 0xff);
		struct event ev = { .ts = evts, .pid = pids[t], .tid = tids[t] };
		if (op < 120 && depth[t] < 400) {
			ev.kind = EV_ENTRY;
			ev.fn = (uint32_t)(r >> 32) % NFUNCS;
			stack[t][depth[t]].ts = evts;
			stack[t][depth[t]++].fn = ev.fn;
			ev.depth = (uint16_t)depth[t];
		} else if (op < 245 && depth[t]) {
			ev.kind = EV_EXIT;
			depth[t]--;
			ev.fn = stack[t][depth[t]].fn;
			ev.t0 = stack[t][depth[t]].ts;
			ev.depth = (uint16_t)(depth[t] + 1);
		} else if (op < 250) {
			ev.kind = EV_SIGNAL;
			ev.fn = 1 + (uint32_t)(r >> 50) % 64;
			ev.depth = (uint16_t)depth[t];
		} else if (op < 252) {
			ev.kind = EV_THREAD_START;
			ev.depth = (uint16_t)depth[t];
		} else {
			continue;
		}
		add(g, ev);
	}
	for (int t = 0; t < NT; t++) {
		while (depth[t]) {
			depth[t]--;
			add(g, (struct event){ .ts = ts, .t0 = stack[t][depth[t]].ts, .pid = pids[t], .tid = tids[t],
					      .fn = stack[t][depth[t]].fn, .kind = EV_EXIT,
					      .depth = (uint16_t)(depth[t] + 1) });
		}
	}
	add(g, (struct event){ .ts = ts, .pid = 200, .tid = 200, .fn = 9 /* killed by SIGKILL */,
			      .kind = EV_PROC_EXIT });
	add(g, (struct event){ .ts = ts + 1, .pid = 100, .tid = 100, .fn = 3 << 8, .kind = EV_PROC_EXIT });
}

/* NFUNCS functions with names that need escaping, a process and thread names set between events.
 * written_names[] keeps the functions' names as the registry had them. */
static void write_events(const struct gen *g, size_t from, size_t to, bool batched, uint64_t *rng)
{
	while (from < to) {
		size_t k = batched ? 1 + unit_rng(rng) % 600 : 1;
		k = k < to - from ? k : to - from;
		if (batched)
			tracefile_write_events(&g->v[from], k);
		else
			tracefile_write_event(&g->v[from]);
		from += k;
	}
}

/* write_file, the events one by one or (batched) in runs of 1 to 600 (tracefile_write_events);
 * values: a file of version 2, the events' args written. */
static void write_file_as(const char *p, const struct gen *g, bool end, bool batched, bool values)
{
	funcs_reset();
	for (int i = 0; i < NFUNCS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "f%d%s", i, i % 7 == 0 ? "<\"&\\'>\n\xe9 x" : "");
		uint32_t fn = funcs_add(name, 0x400000 + (taddr_t)i * 16);
		char line[64];
		snprintf(line, sizeof(line), "src/f\x01.c:%d", i + 1);
		if (i % 3 == 0)        /* both, a module and a source line */
			funcs_describe(fn, "libx.so.1", line);
		else if (i % 3 == 1)   /* a module alone, which needs escaping */
			funcs_describe(fn, "prog\n", NULL);
		free(written_names[i]);
		written_names[i] = xstrdup(funcs_name((uint32_t)i));
	}
	tracefile_write_start(p, values);
	names_process(100, "main prog");
	names_thread(100, "main prog");
	uint64_t rng = 7;
	write_events(g, 0, g->n / 2, batched, &rng);
	names_thread(101, "worker\\1");
	names_process(200, "child");
	write_events(g, g->n / 2, g->n, batched, &rng);
	if (end)
		assert_int_equal(tracefile_write_end(), 0);
}

static void write_file(const char *p, const struct gen *g, bool end)
{
	write_file_as(p, g, end, false, false);
}

/* Reads p as fntrace -r does, into got and names_seen. Returns what replay returned, or -2 if
 * the file did not open; err gets the message. */
static int read_file(const char *p, char **include, char **exclude, char *err, size_t errlen)
{
	ngot = 0;
	names_seen[0] = 0;
	err[0] = 0;
	funcs_reset();
	names_listen(note_name);
	struct tracefile *tf = tracefile_open(p, err, errlen);
	int r = -2;
	if (tf) {
		r = tracefile_replay(tf, include, exclude, err, errlen);
		tracefile_close(tf);
	}
	names_listen(NULL);
	return r;
}

/* a (read) is b (written): the same function is the same name, its id in the registry may differ. */
static bool same(const struct event *a, const struct event *b)
{
	bool call = b->kind == EV_ENTRY || b->kind == EV_EXIT;
	bool fn_ok = call ? !strcmp(funcs_name(a->fn), written_names[b->fn]) : a->fn == b->fn;
	return a->ts == b->ts && a->t0 == b->t0 && a->pid == b->pid && a->tid == b->tid && fn_ok &&
	       a->kind == b->kind && a->depth == b->depth;
}

static void expect_same(const struct event *a, const struct event *b, size_t i)
{
	if (!same(a, b))
		fail_msg("event %zu: kind %u ts %" PRIu64 " t0 %" PRIu64 " pid %d tid %d fn %u depth %u, want kind %u ts "
			 "%" PRIu64 " t0 %" PRIu64 " pid %d tid %d fn %u depth %u", i, a->kind, a->ts, a->t0, a->pid,
			 a->tid, a->fn, a->depth, b->kind, b->ts, b->t0, b->pid, b->tid, b->fn, b->depth);
}

static size_t file_size(const char *p)
{
	FILE *f = fopen(p, "rb");
	fseek(f, 0, SEEK_END);
	size_t n = (size_t)ftell(f);
	fclose(f);
	return n;
}

static void copy_prefix(const char *from, const char *to, size_t len)
{
	char *buf = xmalloc(len + 1);
	FILE *f = fopen(from, "rb");
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
	f = fopen(to, "wb");
	fwrite(buf, 1, len, f);
	fclose(f);
	free(buf);
}

static void test_round_trip(void **state)
{
	struct gen g = { 0 };
	char err[512];
	generate(&g, 20000, 42);
	write_file(path, &g, true);
	assert_int_equal(read_file(path, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(ngot, g.n);
	/* Functions come back (under the ids of their first call) with the same printable names. */
	for (size_t i = 0; i < g.n; i++)
		expect_same(&got[i], &g.v[i], i);
	assert_string_equal(written_names[7], "f7<\"&\\x5c'>\\x0a\\xe9 x");
	/* Their modules and source lines (the function info records) come back with them. */
	for (uint32_t fn = 0; fn < funcs_count(); fn++) {
		int i = atoi(funcs_name(fn) + 1);
		char line[64];
		snprintf(line, sizeof(line), "src/f\\x01.c:%d", i + 1);
		const char *mod = funcs_module(fn), *src = funcs_srcline(fn);
		if (i % 3 == 0) {
			assert_string_equal(mod, "libx.so.1");
			assert_string_equal(src, line);
		} else if (i % 3 == 1) {
			assert_string_equal(mod, "prog\\x0a");
			assert_null(src);
		} else {
			assert_null(mod);
			assert_null(src);
		}
	}
	for (uint32_t i = 0; i < funcs_count(); i++)
		assert_int_equal(funcs_addr(i) & 15, 0);
	assert_string_equal(names_seen, "p100=main prog;t100=main prog;t101=worker\\x5c1;p200=child;");
	printf("%zu events in %zu bytes: %.2f bytes per event\n", g.n, file_size(path),
	       (double)file_size(path) / (double)g.n);
	free(g.v);
}

/* The exits a reader adds after the first n events of g: every call still open, closed at the
 * latest time among them, innermost first, thread by thread in order of tid. Returns how many,
 * written to out (room for n). */
static size_t closes_after(const struct gen *g, size_t n, struct event *out)
{
	enum { NT = 256 };
	int32_t tids[NT];
	size_t nt = 0, k = 0;
	uint64_t tmax = 0;
	for (size_t i = 0; i < n; i++) {
		const struct event *ev = &g->v[i];
		tmax = ev->ts > tmax ? ev->ts : tmax;
		size_t t = 0;
		while (t < nt && tids[t] != ev->tid)
			t++;
		if (t == nt && ev->kind != EV_PROC_EXIT && nt < NT)
			tids[nt++] = ev->tid;
	}
	for (size_t a = 0; a < nt; a++)       /* by tid */
		for (size_t b = a + 1; b < nt; b++)
			if (tids[b] < tids[a]) {
				int32_t x = tids[a];
				tids[a] = tids[b];
				tids[b] = x;
			}
	for (size_t t = 0; t < nt; t++) {
		size_t open[400], nopen = 0;
		for (size_t i = 0; i < n; i++) {
			if (g->v[i].tid != tids[t] || g->v[i].kind == EV_PROC_EXIT)
				continue;
			if (g->v[i].kind == EV_ENTRY)
				open[nopen++] = i;
			else if (g->v[i].kind == EV_EXIT)
				nopen--;
		}
		while (nopen) {
			const struct event *e = &g->v[open[--nopen]];
			out[k++] = (struct event){ .ts = tmax, .t0 = e->ts, .pid = e->pid, .tid = e->tid, .fn = e->fn,
						   .kind = EV_EXIT, .depth = (uint16_t)(nopen + 1) };
		}
	}
	return k;
}

/* A file cut anywhere reads as the events written before the cut, then the exits that close the
 * calls still open (closes_after). Returns how many of the written events came out. */
static size_t expect_cut(const struct gen *g)
{
	struct event *closes = xmalloc((g->n + 1) * sizeof(*closes));
	for (size_t n = ngot < g->n ? ngot : g->n;; n--) {
		size_t k = closes_after(g, n, closes);
		bool ok = n + k == ngot;
		for (size_t i = 0; ok && i < n; i++)
			ok = same(&got[i], &g->v[i]);
		for (size_t i = 0; ok && i < k; i++)
			ok = same(&got[n + i], &closes[i]);
		if (ok) {
			free(closes);
			return n;
		}
		if (!n)
			break;
	}
	free(closes);
	fail_msg("%zu events read: not the events before a cut and the exits of the calls open there", ngot);
	return 0;
}

static void test_every_cut(void **state)
{
	struct gen g = { 0 };
	char err[512];
	generate(&g, 300, 7);
	write_file(path, &g, true);
	size_t size = file_size(path), last = 0;
	for (size_t len = 0; len < size; len++) {
		copy_prefix(path, cut, len);
		int r = read_file(cut, NULL, NULL, err, sizeof(err));
		if (len < 12) {
			assert_int_equal(r, -2);
			assert_true(strstr(err, len ? "truncated in its header" : "empty file") != NULL);
			continue;
		}
		if (r != -1 || !strstr(err, "truncated at byte") || strncmp(err, cut, strlen(cut)))
			fail_msg("cut at %zu: replay %d, \"%s\"", len, r, err);
		/* What came out is the events written before the cut, in order, more the longer the file,
		 * and the exits of the calls open at the cut. */
		size_t n = expect_cut(&g);
		assert_true(n >= last);
		last = n;
	}
	assert_int_equal(last, g.n);   /* the last cut only lacks the end record */
	free(g.v);
}

/* Any byte changed to anything: an error or a stream, never a crash or a hang. */
static void test_corrupt_bytes(void **state)
{
	struct gen g = { 0 };
	char err[512];
	generate(&g, 200, 9);
	write_file(path, &g, true);
	size_t size = file_size(path);
	uint8_t *orig = xmalloc(size);
	FILE *f = fopen(path, "rb");
	assert_int_equal(fread(orig, 1, size, f), size);
	fclose(f);
	static const uint8_t values[] = { 0x00, 0x02, 0x11, 0x1f, 0x80, 0xff };
	for (size_t at = 0; at < size; at++) {
		for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
			uint8_t save = orig[at];
			orig[at] = values[v];
			f = fopen(cut, "wb");
			fwrite(orig, 1, size, f);
			fclose(f);
			orig[at] = save;
			int r = read_file(cut, NULL, NULL, err, sizeof(err));
			if (r != 0 && (!*err || strchr(err, '\n')))
				fail_msg("byte %zu = %#x: replay %d without a one-line message", at, values[v], r);
		}
	}
	free(orig);
	free(g.v);
}

static void write_bytes(const char *p, const void *bytes, size_t len)
{
	FILE *f = fopen(p, "wb");
	fwrite(bytes, 1, len, f);
	fclose(f);
}

#define HEADER 'F', 'N', 'T', 'R', 'A', 'C', 'E', 0, 1, 0, 0, 0

static void expect_error(const void *bytes, size_t len, int want_r, const char *want)
{
	char err[512];
	write_bytes(cut, bytes, len);
	int r = read_file(cut, NULL, NULL, err, sizeof(err));
	if (r != want_r || !strstr(err, want) || strncmp(err, cut, strlen(cut)))
		fail_msg("replay %d \"%s\", want %d \"...%s...\"", r, err, want_r, want);
}

static void test_errors(void **state)
{
	static const uint8_t future[] = { 'F', 'N', 'T', 'R', 'A', 'C', 'E', 0, 3, 0, 0, 0, 0x1f };
	expect_error(future, sizeof(future), -2, "format version 3 is newer than this fntrace reads (2)");
	static const uint8_t far_future[] = { 'F', 'N', 'T', 'R', 'A', 'C', 'E', 0, 0, 1, 0, 0 };
	expect_error(far_future, sizeof(far_future), -2, "version 256 is newer");
	expect_error("\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0", 16, -2, ": not an fntrace trace file");
	expect_error("", 0, -2, ": empty file");
	static const uint8_t unknown[] = { HEADER, 0x7e };
	expect_error(unknown, sizeof(unknown), -1, "corrupt at byte 12: unknown record type 0x7e");
	static const uint8_t no_thread[] = { HEADER, 0x11, 0x10, 1, 'f', 0x01, 0, 0 };
	expect_error(no_thread, sizeof(no_thread), -1, "corrupt at byte 16: an event before any thread");
	static const uint8_t undefined[] = { HEADER, 0x10, 10, 5, 0x01, 3, 0 };
	expect_error(undefined, sizeof(undefined), -1, "corrupt at byte 15: a call of function 3, not defined");
	static const uint8_t lone_exit[] = { HEADER, 0x10, 10, 5, 0x02, 0 };
	expect_error(lone_exit, sizeof(lone_exit), -1, "a return with no open call in thread 5");
	static const uint8_t huge[] = { HEADER, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0 };
	expect_error(huge, sizeof(huge), -1, "corrupt at byte 12: a number too large");
	static const uint8_t bad_tid[] = { HEADER, 0x10, 0, 0 };
	expect_error(bad_tid, sizeof(bad_tid), -1, "bad thread or process id");
	/* A difference of +(2^63 - 1) from tid 5: the sum must not overflow (the sanitized build). */
	static const uint8_t far_tid[] = { HEADER, 0x10, 10, 5, 0x10, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0xff, 0x01, 5 };
	expect_error(far_tid, sizeof(far_tid), -1, "corrupt at byte 15: bad thread or process id");
	static const uint8_t long_name[] = { HEADER, 0x11, 0, 0x81, 0x80, 0x80, 0x01 };
	expect_error(long_name, sizeof(long_name), -1, "a name of 2097153 bytes");
	static const uint8_t no_end[] = { HEADER, 0x10, 10, 5 };
	expect_error(no_end, sizeof(no_end), -1, "truncated at byte 15 (the tracer did not finish writing it)");
	/* An extension record a newer minor writer may add is skipped. */
	static const uint8_t extension[] = { HEADER, 0x80, 3, 'a', 'b', 'c', 0x10, 10, 5, 0x05, 4, 0x1f };
	char err[512];
	write_bytes(cut, extension, sizeof(extension));
	assert_int_equal(read_file(cut, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].kind, EV_THREAD_START);
	assert_int_equal(got[0].ts, 2);
	assert_int_equal(got[0].tid, 5);
	char missing[] = "/nonexistent/dir/trace.ft";
	struct tracefile *tf = tracefile_open(missing, err, sizeof(err));
	assert_null(tf);
	assert_string_equal(err, "/nonexistent/dir/trace.ft: No such file or directory");
}

/* -i/-x on reading: the calls of other functions are dropped, and depths count what is left. */
static void test_filter(void **state)
{
	char err[512];
	funcs_reset();
	for (int i = 0; i < NFUNCS; i++) {
		free(written_names[i]);
		written_names[i] = NULL;
	}
	uint32_t fmain = funcs_add("main", 0x10), fa = funcs_add("parse", 0x20), fb = funcs_add("lex", 0x30),
		 flib = funcs_add("puts@libc.so.6", 0x40);
	struct gen g = { 0 };
	const uint32_t order[] = { fmain, fa, fb, flib };
	for (unsigned i = 0; i < 4; i++)
		add(&g, (struct event){ .ts = 10 + i, .pid = 1, .tid = 1, .fn = order[i], .kind = EV_ENTRY,
				       .depth = (uint16_t)(i + 1) });
	add(&g, (struct event){ .ts = 20, .pid = 1, .tid = 1, .fn = 10, .kind = EV_SIGNAL, .depth = 4 });
	for (unsigned i = 4; i-- > 0;)
		add(&g, (struct event){ .ts = 30 + i, .t0 = 10 + i, .pid = 1, .tid = 1, .fn = order[i],
				       .kind = EV_EXIT, .depth = (uint16_t)(i + 1) });
	tracefile_write_start(path, false);
	for (size_t i = 0; i < g.n; i++)
		tracefile_write_event(&g.v[i]);
	assert_int_equal(tracefile_write_end(), 0);

	char *inc[] = { "main", "lex", NULL }, *exc[] = { "puts", NULL }, *none[] = { "nothing", NULL };
	assert_int_equal(read_file(path, inc, NULL, err, sizeof(err)), 0);
	assert_int_equal(ngot, 5);   /* main, lex, signal, lex, main */
	assert_string_equal(funcs_name(got[1].fn), "lex");
	assert_int_equal(got[1].depth, 2);
	assert_int_equal(got[2].kind, EV_SIGNAL);
	assert_int_equal(got[2].depth, 2);
	assert_int_equal(got[3].kind, EV_EXIT);
	assert_int_equal(got[3].depth, 2);
	assert_int_equal(got[3].t0, 12);
	assert_int_equal(got[4].depth, 1);
	assert_int_equal(got[4].t0, 10);
	/* A library function matches by its bare name too, as when tracing. */
	assert_int_equal(read_file(path, NULL, exc, err, sizeof(err)), 0);
	assert_int_equal(ngot, 7);
	assert_int_equal(read_file(path, none, NULL, err, sizeof(err)), 0);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].depth, 0);
	free(g.v);
}

/* The bytes of file p after its writer and date records (the date differs from run to run). */
static uint8_t *file_body(const char *p, size_t *len)
{
	size_t n = file_size(p);
	uint8_t *b = xmalloc(n);
	FILE *f = fopen(p, "rb");
	assert_int_equal(fread(b, 1, n, f), n);
	fclose(f);
	size_t at = 12;   /* the header */
	for (int rec = 0; rec < 2; rec++) {   /* REC_WRITER, REC_DATE: tag, varint length, payload */
		assert_true(at < n && b[at] >= 0x80);
		uint64_t v = 0;
		unsigned shift = 0;
		do
			v |= (uint64_t)(b[++at] & 0x7f) << shift, shift += 7;
		while (b[at] & 0x80);
		at += 1 + v;
	}
	assert_true(at <= n);
	*len = n - at;
	memmove(b, b + at, *len);
	return b;
}

/* Events written in batches (tracefile_write_events, the fast path's way) give the bytes that
 * the same events give one by one, with and without values; past the write buffer's 64 KiB. */
static void test_batches_same_bytes(void **state)
{
	struct gen g = { 0 };
	generate(&g, 60000, 9);
	const char *texts[] = { "1, \"a\"", "-1 ENOENT", "" };
	for (int values = 0; values < 2; values++) {
		for (size_t i = 0; i < g.n; i++)
			g.v[i].args = values && i % 13 == 0 ? texts[i % 3] : NULL;
		size_t na, nb;
		write_file_as(path, &g, true, false, values);
		uint8_t *a = file_body(path, &na);
		write_file_as(cut, &g, true, true, values);
		uint8_t *b = file_body(cut, &nb);
		assert_true(na > 65536);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
		free(a);
		free(b);
	}
	free(g.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_corrupt_bytes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_batches_same_bytes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
