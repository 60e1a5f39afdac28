/* tracefile: write events to a trace file as they come, and replay one through the sink.
 *
 * The file (doc/tracefile.md) is a header and a stream of records, each a tag byte and LEB128
 * varints. Events carry only what cannot be recomputed: an exit names no function and no entry
 * time, since per thread it closes the latest open entry; depths are counted again on reading.
 * Events of one thread follow the thread record that selects it; times are deltas. A function is
 * defined in the file just before its first call, and numbered in the file in that order. */
#include "tracefile.h"
#include "funcs.h"
#include "names.h"
#include "sink.h"
#include "../util/addrmap.h"
#include "../util/glob.h"
#include "../util/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const uint8_t magic[8] = { 'F', 'N', 'T', 'R', 'A', 'C', 'E', 0 };
#define HEADER_SIZE 12
#define NAME_LIMIT (1u << 20)   /* longest name or extension payload, in bytes */
#define MAX_FIXED 64            /* a record without its name is shorter than this */
#ifndef FNTRACE_VERSION
#define FNTRACE_VERSION "0.1.0"
#endif

enum {
	REC_ENTRY = 0x01,         /* fn, dt */
	REC_EXIT = 0x02,          /* dt */
	REC_SIGNAL = 0x03,        /* signal, dt */
	REC_PROC_EXIT = 0x04,     /* pid, status, dt */
	REC_THREAD_START = 0x05,  /* dt */
	REC_VALUES = 0x06,        /* len, text: the next event's arguments or return value (v2) */
	REC_THREAD = 0x10,        /* tid - previous tid (signed), pid (0: the previous one's) */
	REC_FUNC = 0x11,          /* addr, len, name */
	REC_PROC_NAME = 0x12,     /* pid, len, name */
	REC_THREAD_NAME = 0x13,   /* tid, len, name */
	REC_END = 0x1f,
	REC_EXTENSION = 0x80,     /* 0x80-0xff: len, payload; skipped by readers that do not know it */
	REC_COMMAND = 0x80,       /* len, the command that was traced */
	REC_DATE = 0x81,          /* len, payload: wall-clock ns, CLOCK_MONOTONIC ns, read together */
	REC_PROGRAM = 0x82,       /* len, payload: path length, path, build-id (hex, the rest) */
	REC_WRITER = 0x83,        /* len, the version of fntrace that wrote the file */
	REC_FUNC_INFO = 0x84,     /* len, payload: module length, module, srcline (the rest): of the
				   * function defined just before */
};

static uint64_t zigzag(int64_t v)
{
	return (uint64_t)v << 1 ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* ---- writing ---- */

static struct writer {
	int fd;
	char *path;
	size_t n;                 /* bytes in buf */
	uint64_t ts;              /* of the last event written */
	int32_t pid, tid;         /* the thread events are of, as last selected */
	uint32_t *file_id;        /* registry id -> its number in the file + 1, or 0: not written */
	size_t capids;
	uint32_t nfuncs;          /* functions written */
	bool failed;
	bool warned_kind;
	bool values;              /* version 2: values records may be written */
	uint8_t buf[1 << 16];
} *w;

static void w_flush(void)
{
	size_t off = 0;
	while (off < w->n && !w->failed) {
		ssize_t k = write(w->fd, w->buf + off, w->n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			warn_msg("writing the trace file %s: %s (the file ends here, incomplete)", w->path,
				 k < 0 ? strerror(errno) : "nothing written");
			w->failed = true;
		} else {
			off += (size_t)k;
		}
	}
	w->n = 0;
}

/* Returns where the next record of at most len bytes (len <= MAX_FIXED) goes. */
static uint8_t *w_room(size_t len)
{
	if (w->n + len > sizeof(w->buf))
		w_flush();
	return w->buf + w->n;
}

static void w_done(uint8_t *p)
{
	w->n = (size_t)(p - w->buf);
}

static void w_bytes(const void *s, size_t len)
{
	while (len) {
		if (w->n == sizeof(w->buf))
			w_flush();
		size_t k = sizeof(w->buf) - w->n < len ? sizeof(w->buf) - w->n : len;
		memcpy(w->buf + w->n, s, k);
		w->n += k;
		s = (const uint8_t *)s + k;
		len -= k;
	}
}

static void w_named(uint8_t tag, uint64_t a, const char *name)
{
	size_t len = strlen(name);
	if (len > NAME_LIMIT)
		len = NAME_LIMIT;
	uint8_t *p = w_room(MAX_FIXED);
	*p++ = tag;
	p = put_varint(p, a);
	w_done(put_varint(p, len));
	w_bytes(name, len);
}

static void w_name(char kind, int32_t id, const char *name)
{
	if (w->failed)
		return;
	if (kind != 'c') {
		w_named(kind == 'p' ? REC_PROC_NAME : REC_THREAD_NAME, (uint32_t)id, name);
		return;
	}
	size_t len = strlen(name) > NAME_LIMIT ? NAME_LIMIT : strlen(name);
	uint8_t *p = w_room(MAX_FIXED);
	*p++ = REC_COMMAND;
	w_done(put_varint(p, len));
	w_bytes(name, len);
}

/* An extension record: tag, the payload's length, the payload. */
static void w_extension(uint8_t tag, const void *payload, size_t len)
{
	uint8_t *p = w_room(MAX_FIXED);
	*p++ = tag;
	w_done(put_varint(p, len));
	w_bytes(payload, len);
}

/* The date anchor: a wall-clock time and the event clock's time at the same moment, so a reader
 * can give any event its date. */
static void w_date(void)
{
	struct timespec real, mono;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	uint8_t payload[20], *end = payload;
	end = put_varint(end, (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec);
	end = put_varint(end, (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec);
	w_extension(REC_DATE, payload, (size_t)(end - payload));
}

void tracefile_write_program(const char *path, const char *build_id)
{
	if (!w || w->failed)
		return;
	/* Escaped like every name in the file: a reader unescapes them all the same way. */
	size_t cap = 4 * strlen(path) + 6;
	char *esc = xmalloc(cap);
	funcs_escape(path, esc, cap);
	size_t plen = strlen(esc) > NAME_LIMIT / 2 ? NAME_LIMIT / 2 : strlen(esc);
	size_t blen = strlen(build_id) > 256 ? 256 : strlen(build_id);
	uint8_t *payload = xmalloc(plen + blen + 10), *end = put_varint(payload, plen);
	memcpy(end, esc, plen);
	memcpy(end + plen, build_id, blen);
	w_extension(REC_PROGRAM, payload, (size_t)(end - payload) + plen + blen);
	free(payload);
	free(esc);
}

/* What else the registry knows of fn, its module and source line, right after its definition.
 * Both are interned names, escaped already. */
static void w_func_info(uint32_t fn)
{
	const char *mod = funcs_module(fn), *line = funcs_srcline(fn);
	if (!mod && !line)
		return;
	size_t mlen = mod ? strlen(mod) : 0, llen = line ? strlen(line) : 0;
	if (mlen > NAME_LIMIT / 2)
		mlen = NAME_LIMIT / 2;
	if (llen > NAME_LIMIT / 2)
		llen = NAME_LIMIT / 2;
	uint8_t *payload = xmalloc(mlen + llen + 10), *end = put_varint(payload, mlen);
	memcpy(end, mod ? mod : "", mlen);
	memcpy(end + mlen, line ? line : "", llen);
	w_extension(REC_FUNC_INFO, payload, (size_t)(end - payload) + mlen + llen);
	free(payload);
}

/* The number of function fn in the file, defining it there first if needed. */
static uint32_t w_func(uint32_t fn)
{
	if (fn >= w->capids) {
		size_t old = w->capids;
		xgrow(&w->file_id, &w->capids, (size_t)fn + 1, sizeof(*w->file_id));
		memset(w->file_id + old, 0, (w->capids - old) * sizeof(*w->file_id));
	}
	if (!w->file_id[fn]) {
		w_named(REC_FUNC, funcs_addr(fn), funcs_name(fn));
		w_func_info(fn);
		w->file_id[fn] = ++w->nfuncs;
	}
	return w->file_id[fn] - 1;
}

void tracefile_write_start(const char *path, bool values)
{
	w = xcalloc(1, sizeof(*w));
	w->path = xstrdup(path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		die_errno("cannot create trace file %s", path);
	uint8_t *p = w_room(HEADER_SIZE);
	memcpy(p, magic, sizeof(magic));
	unsigned version = values ? TRACEFILE_VERSION : 1;
	w->values = values;
	p[8] = version & 0xff;
	p[9] = (uint8_t)(version >> 8);
	p[10] = p[11] = 0;
	w_done(p + HEADER_SIZE);
	w_extension(REC_WRITER, FNTRACE_VERSION, strlen(FNTRACE_VERSION));
	w_date();
	names_listen(w_name);
}

/* The values record of the event written next: its text, cut at the names' limit. */
static void w_values(const char *text)
{
	size_t len = strlen(text);
	if (len > NAME_LIMIT)
		len = NAME_LIMIT;
	uint8_t *p = w_room(MAX_FIXED);
	*p++ = REC_VALUES;
	w_done(put_varint(p, len));
	w_bytes(text, len);
}

void tracefile_write_event(const struct event *ev)
{
	if (!w || w->failed)
		return;
	uint32_t fn = ev->kind == EV_ENTRY ? w_func(ev->fn) : 0;
	uint8_t *p;
	if (ev->kind != EV_PROC_EXIT && (ev->tid != w->tid || ev->pid != w->pid)) {
		p = w_room(MAX_FIXED);
		*p++ = REC_THREAD;
		p = put_varint(p, zigzag((int64_t)ev->tid - w->tid));
		w_done(put_varint(p, ev->pid == w->pid ? 0 : (uint32_t)ev->pid));
		w->pid = ev->pid;
		w->tid = ev->tid;
	}
	if (ev->args && w->values && (ev->kind == EV_ENTRY || ev->kind == EV_EXIT))
		w_values(ev->args);
	p = w_room(MAX_FIXED);
	switch (ev->kind) {
	case EV_ENTRY:
		*p++ = REC_ENTRY;
		p = put_varint(p, fn);
		break;
	case EV_EXIT:
		*p++ = REC_EXIT;
		break;
	case EV_SIGNAL:
		*p++ = REC_SIGNAL;
		p = put_varint(p, ev->fn);
		break;
	case EV_PROC_EXIT:
		*p++ = REC_PROC_EXIT;
		p = put_varint(p, (uint32_t)ev->pid);
		p = put_varint(p, ev->fn);
		break;
	case EV_THREAD_START:
		*p++ = REC_THREAD_START;
		break;
	default:
		if (!w->warned_kind)
			warn_msg("%s: events of kind %u have no record in trace files; left out", w->path, ev->kind);
		w->warned_kind = true;
		return;
	}
	p = put_varint(p, zigzag((int64_t)(ev->ts - w->ts)));
	w->ts = ev->ts;
	w_done(p);
}

/* One loop for the common events, an entry of a function the file defines or an exit, of the
 * thread last selected and with no values record: their bytes written straight into the buffer.
 * What the loop reads of the writer is kept in locals (stores through a byte pointer could
 * change any of it, for all the compiler knows), loaded again after anything else, which takes
 * tracefile_write_event. */
void tracefile_write_events(const struct event *ev, size_t n)
{
	if (!w || w->failed)
		return;
	uint8_t *p = w->buf + w->n, *room_end = w->buf + sizeof(w->buf) - MAX_FIXED;
	uint64_t last = w->ts;
	const uint32_t *ids = w->file_id;
	size_t nids = w->capids;
	int32_t pid = w->pid, tid = w->tid;
	bool values = w->values;
	for (size_t i = 0; i < n; i++) {
		const struct event *e = &ev[i];
		uint32_t id = e->kind == EV_ENTRY ? (e->fn < nids ? ids[e->fn] : 0) : 1;
		if (!id || (e->kind != EV_ENTRY && e->kind != EV_EXIT) || e->tid != tid || e->pid != pid ||
		    (e->args && values)) {
			w_done(p);
			w->ts = last;
			tracefile_write_event(e);
			if (w->failed)
				return;
			p = w->buf + w->n;
			last = w->ts;
			ids = w->file_id;
			nids = w->capids;
			pid = w->pid;
			tid = w->tid;
			continue;
		}
		if (p > room_end) {
			w_done(p);
			w_flush();
			p = w->buf;
		}
		if (e->kind == EV_ENTRY) {
			*p++ = REC_ENTRY;
			p = put_varint(p, id - 1);
		} else {
			*p++ = REC_EXIT;
		}
		p = put_varint(p, zigzag((int64_t)(e->ts - last)));
		last = e->ts;
	}
	w_done(p);
	w->ts = last;
}

int tracefile_write_end(void)
{
	if (!w)
		return 0;
	names_listen(NULL);
	if (!w->failed) {
		uint8_t *p = w_room(1);
		*p++ = REC_END;
		w_done(p);
		w_flush();
	}
	int ret = w->failed ? -1 : 0;
	if (close(w->fd) && !w->failed) {
		warn_errno("writing the trace file %s (incomplete)", w->path);
		ret = -1;
	}
	free(w->file_id);
	free(w->path);
	free(w);
	w = NULL;
	return ret;
}

/* ---- reading ---- */

struct rframe {
	uint64_t ts;
	uint32_t fn;
	bool kept;                /* sent on (not filtered out) */
};

struct rthread {
	int32_t pid, tid;
	struct rframe *v;         /* open calls, innermost last */
	size_t n, cap;
	size_t kept;              /* open calls that were sent: the depth of what is shown */
};

struct tracefile {
	int fd;
	char *path;
	uint8_t *buf;
	size_t cap, pos, len;     /* buf[pos, len) is read and not yet used */
	uint64_t base;            /* file offset of buf[0] */
	bool eof;
	int rerrno;               /* a read error, or 0 */
	uint64_t ts;
	uint64_t tmax;            /* the latest event time read: where calls left open end */
	uint32_t fn0;             /* registry id of the file's function 0 */
	uint32_t nfn;             /* functions defined so far */
	bool *keep;               /* per function: its calls are sent */
	size_t capkeep;
	char **include, **exclude;
	struct addrmap threads;   /* tid -> struct rthread with open calls, and the current one */
	struct rthread *cur;
	int32_t tid, pid;         /* of the last thread record */
	char *err;
	size_t errlen;
	struct tracefile_meta meta;
	char *values;             /* a values record's text, for the event that follows it */
};

/* Makes want bytes from pos available, or as many as the file still has. Returns how many are. */
static size_t fill(struct tracefile *tf, size_t want)
{
	if (tf->len - tf->pos >= want || tf->eof)
		return tf->len - tf->pos;
	if (tf->pos + want > tf->cap) {
		memmove(tf->buf, tf->buf + tf->pos, tf->len - tf->pos);
		tf->len -= tf->pos;
		tf->base += tf->pos;
		tf->pos = 0;
		if (want > tf->cap) {
			tf->cap = want + (1 << 16);
			tf->buf = xrealloc(tf->buf, tf->cap);
		}
	}
	while (tf->len - tf->pos < want && !tf->eof) {
		ssize_t k = read(tf->fd, tf->buf + tf->len, tf->cap - tf->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			tf->rerrno = errno;
		if (k <= 0)
			tf->eof = true;
		else
			tf->len += (size_t)k;
	}
	return tf->len - tf->pos;
}

static int fail(struct tracefile *tf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct tracefile *tf, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(tf->err, tf->errlen, "%s: ", tf->path);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < tf->errlen)
		vsnprintf(tf->err + n, tf->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t offset(const struct tracefile *tf)
{
	return tf->base + tf->pos;
}

static int truncated(struct tracefile *tf)
{
	if (tf->rerrno)
		return fail(tf, "cannot read at byte %" PRIu64 ": %s", offset(tf), strerror(tf->rerrno));
	return fail(tf, "truncated at byte %" PRIu64 " (the tracer did not finish writing it); "
		    "read up to its last complete event", offset(tf));
}

struct tracefile *tracefile_open(const char *path, char *err, size_t errlen)
{
	struct tracefile *tf = xcalloc(1, sizeof(*tf));
	tf->path = xstrdup(path);
	tf->err = err;
	tf->errlen = errlen;
	tf->cap = 1 << 16;
	tf->buf = xmalloc(tf->cap);
	tf->fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;
	if (tf->fd < 0) {
		r = fail(tf, "%s", strerror(errno));
	} else {
		size_t n = fill(tf, HEADER_SIZE);
		unsigned version = n >= 10 ? tf->buf[8] | tf->buf[9] << 8 : 0;
		if (tf->rerrno)
			r = fail(tf, "cannot read: %s", strerror(tf->rerrno));
		else if (n == 0)
			r = fail(tf, "empty file, not an fntrace trace file");
		else if (memcmp(tf->buf, magic, n < sizeof(magic) ? n : sizeof(magic)))
			r = fail(tf, "not an fntrace trace file");
		else if (n < HEADER_SIZE)
			r = fail(tf, "truncated in its header");
		else if (version > TRACEFILE_VERSION)
			r = fail(tf, "trace file format version %u is newer than this fntrace reads (%u); "
				 "read it with a newer fntrace", version, TRACEFILE_VERSION);
		else if (version == 0)
			r = fail(tf, "corrupt header: format version 0");
		tf->pos = HEADER_SIZE;
		tf->meta.version = version;
	}
	if (r) {
		tracefile_close(tf);
		return NULL;
	}
	tf->fn0 = funcs_count();
	return tf;
}

static void free_thread(taddr_t key, void *val, void *arg)
{
	struct rthread *t = val;
	(void)key;
	(void)arg;
	free(t->v);
	free(t);
}

void tracefile_close(struct tracefile *tf)
{
	if (!tf)
		return;
	if (tf->fd >= 0)
		close(tf->fd);
	addrmap_each(&tf->threads, free_thread, NULL);
	addrmap_free(&tf->threads);
	free(tf->keep);
	free(tf->meta.program);
	free(tf->meta.build_id);
	free(tf->meta.writer);
	free(tf->values);
	free(tf->buf);
	free(tf->path);
	free(tf);
}

/* Undoes funcs_escape: the registry escapes names again when they are added. */
static char *unescape(const uint8_t *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && isxdigit(s[i + 2]) && isxdigit(s[i + 3])) {
			char hex[3] = { (char)s[i + 2], (char)s[i + 3], 0 };
			out[o++] = (char)strtoul(hex, NULL, 16);
			i += 3;
		} else {
			out[o++] = (char)s[i];
		}
	}
	out[o] = 0;
	return out;
}

/* Reads a varint of an extension's payload at *p, before end. Returns false if it is cut short. */
/* A values record's text as it may be printed: fntrace wrote it escaped, but a file can hold
 * anything; a byte that would drive a terminal (no printable ASCII, no printable UTF-8
 * character) becomes \xNN. */
static char *printable(const uint8_t *s, size_t len)
{
	char *in = xmalloc(len + 1), *out = xmalloc(4 * len + 1), *o = out;
	memcpy(in, s, len);
	in[len] = '\0';
	for (size_t i = 0; i < len;) {
		size_t n = (uint8_t)in[i] >= 0x80 ? util_utf8_char(in + i) : 0;
		if (n) {
			memcpy(o, in + i, n);
			o += n;
			i += n;
		} else if ((uint8_t)in[i] < 0x20 || (uint8_t)in[i] >= 0x7f) {
			o += sprintf(o, "\\x%02x", (uint8_t)in[i++]);
		} else {
			*o++ = in[i++];
		}
	}
	*o = '\0';
	free(in);
	return out;
}

static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* What the extensions that describe the run say. A malformed one is ignored, as an unknown one
 * is: it changes the meaning of nothing else. */
static void read_meta(struct tracefile *tf, uint8_t tag, const uint8_t *s, size_t len)
{
	struct tracefile_meta *m = &tf->meta;
	const uint8_t *end = s + len;
	uint64_t real, mono, plen;
	switch (tag) {
	case REC_DATE:
		if (get_varint(&s, end, &real) && get_varint(&s, end, &mono)) {
			m->has_date = true;
			m->realtime_ns = real;
			m->monotonic_ns = mono;
			sink_wall_anchor(real, mono);   /* for the wall-clock column */
		}
		break;
	case REC_PROGRAM:
		if (get_varint(&s, end, &plen) && plen <= (uint64_t)(end - s)) {
			free(m->program);
			free(m->build_id);
			m->program = unescape(s, (size_t)plen);
			m->build_id = unescape(s + plen, (size_t)(end - s - plen));
		}
		break;
	case REC_WRITER:
		free(m->writer);
		m->writer = unescape(s, len);
		break;
	}
}

/* A function info record: the module and source line of the function defined last (none yet:
 * ignored, as a malformed one is). */
static void read_func_info(struct tracefile *tf, const uint8_t *s, size_t len)
{
	const uint8_t *end = s + len;
	uint64_t mlen;
	if (!tf->nfn || !get_varint(&s, end, &mlen) || mlen > (uint64_t)(end - s))
		return;
	char *mod = unescape(s, (size_t)mlen), *line = unescape(s + mlen, (size_t)(end - s - mlen));
	funcs_describe(tf->fn0 + tf->nfn - 1, *mod ? mod : NULL, *line ? line : NULL);
	free(mod);
	free(line);
}

const struct tracefile_meta *tracefile_meta(const struct tracefile *tf)
{
	return &tf->meta;
}

/* The tracer matches a library function's name without its "@library" too. */
static bool wanted(struct tracefile *tf, const char *name)
{
	bool inc = glob_any_func(tf->include, name) || !tf->include;
	bool exc = glob_any_func(tf->exclude, name);   /* matched even if not included: the glob is used */
	return inc && !exc;
}

static void define_func(struct tracefile *tf, uint64_t addr, const uint8_t *s, size_t len)
{
	char *name = unescape(s, len);
	uint32_t id = funcs_add(name, addr);
	free(name);
	xgrow(&tf->keep, &tf->capkeep, tf->nfn + 1, sizeof(*tf->keep));
	tf->keep[tf->nfn++] = wanted(tf, funcs_name(id));
}

static void select_thread(struct tracefile *tf, int32_t tid, int32_t pid)
{
	struct rthread *t = tf->cur;
	if (t && t->tid == tid) {
		t->pid = pid;
		return;
	}
	if (t && !t->n) {
		/* Only threads with open calls are kept: memory follows threads, not events. */
		addrmap_del(&tf->threads, (taddr_t)(uint32_t)t->tid);
		free_thread(0, t, NULL);
	}
	t = addrmap_get(&tf->threads, (taddr_t)(uint32_t)tid);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->tid = tid;
		addrmap_put(&tf->threads, (taddr_t)(uint32_t)tid, t);
	}
	t->pid = pid;
	tf->cur = t;
}

static uint16_t clamp(size_t depth, size_t max)
{
	return (uint16_t)(depth > max ? max : depth);
}

/* Sends the event of record tag with fields f, at time tf->ts. Returns 0 or -1 (corrupt). */
static int send(struct tracefile *tf, uint8_t tag, const uint64_t *f)
{
	struct rthread *t = tf->cur;
	struct event ev = { .ts = tf->ts };
	if (tag == REC_PROC_EXIT) {
		if (!f[0] || f[0] > INT32_MAX || f[1] > UINT32_MAX)
			return fail(tf, "corrupt at byte %" PRIu64 ": bad process end", offset(tf));
		ev.pid = ev.tid = (int32_t)f[0];
		ev.fn = (uint32_t)f[1];
		ev.kind = EV_PROC_EXIT;
		sink_event(&ev);
		return 0;
	}
	if (!t)
		return fail(tf, "corrupt at byte %" PRIu64 ": an event before any thread", offset(tf));
	ev.pid = t->pid;
	ev.tid = t->tid;
	ev.args = tag == REC_ENTRY || tag == REC_EXIT ? tf->values : NULL;
	switch (tag) {
	case REC_ENTRY:
		if (f[0] >= tf->nfn)
			return fail(tf, "corrupt at byte %" PRIu64 ": a call of function %" PRIu64 ", not defined",
				    offset(tf), f[0]);
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = (struct rframe){ tf->ts, (uint32_t)f[0], tf->keep[f[0]] };
		if (!tf->keep[f[0]])
			return 0;
		ev.kind = EV_ENTRY;
		ev.fn = tf->fn0 + (uint32_t)f[0];
		ev.depth = clamp(++t->kept, 0xffff);
		break;
	case REC_EXIT: {
		if (!t->n)
			return fail(tf, "corrupt at byte %" PRIu64 ": a return with no open call in thread %d",
				    offset(tf), t->tid);
		struct rframe fr = t->v[--t->n];
		if (!fr.kept)
			return 0;
		ev.kind = EV_EXIT;
		ev.fn = tf->fn0 + fr.fn;
		ev.t0 = fr.ts;
		ev.depth = clamp(t->kept--, 0xffff);
		break;
	}
	case REC_SIGNAL:
		if (f[0] > UINT32_MAX)
			return fail(tf, "corrupt at byte %" PRIu64 ": bad signal number", offset(tf));
		ev.kind = EV_SIGNAL;
		ev.fn = (uint32_t)f[0];
		ev.depth = clamp(t->kept, 0xfffe);
		break;
	case REC_THREAD_START:
		ev.kind = EV_THREAD_START;
		ev.depth = clamp(t->kept, 0xfffe);
		break;
	}
	sink_event(&ev);
	return 0;
}

/* How many varint fields each record has before its name or payload; -1: no such record. */
static int nfields(uint8_t tag)
{
	switch (tag) {
	case REC_EXIT: case REC_THREAD_START: case REC_VALUES:
		return 1;
	case REC_ENTRY: case REC_SIGNAL: case REC_THREAD: case REC_FUNC: case REC_PROC_NAME:
	case REC_THREAD_NAME:
		return 2;
	case REC_PROC_EXIT:
		return 3;
	case REC_END:
		return 0;
	default:
		return tag >= REC_EXTENSION ? 1 : -1;
	}
}

/* Reads and handles one record. Returns 1 to go on, 0 at the end record, -1 on error. */
static int record(struct tracefile *tf)
{
	size_t avail = fill(tf, MAX_FIXED);
	if (!avail || tf->rerrno)
		return truncated(tf);
	const uint8_t *p = tf->buf + tf->pos, *end = p + avail;
	uint8_t tag = *p++;
	int n = nfields(tag);
	uint64_t f[3] = { 0 };
	if (n < 0)
		return fail(tf, "corrupt at byte %" PRIu64 ": unknown record type %#x", offset(tf), tag);
	for (int i = 0; i < n; i++) {
		unsigned shift = 0;
		for (;;) {
			if (p == end)
				return truncated(tf);   /* MAX_FIXED bytes hold any record's fields */
			uint8_t b = *p++;
			if (shift == 63 && b > 1)
				return fail(tf, "corrupt at byte %" PRIu64 ": a number too large", offset(tf));
			f[i] |= (uint64_t)(b & 0x7f) << shift;
			if (!(b & 0x80))
				break;
			shift += 7;
		}
	}
	size_t used = (size_t)(p - (tf->buf + tf->pos)), len = 0;
	const uint8_t *name = NULL;
	if (tag == REC_VALUES && tf->meta.version < 2)
		return fail(tf, "corrupt at byte %" PRIu64 ": unknown record type %#x", offset(tf), tag);
	if (tag == REC_FUNC || tag == REC_PROC_NAME || tag == REC_THREAD_NAME || tag == REC_VALUES ||
	    tag >= REC_EXTENSION) {
		if (f[n - 1] > NAME_LIMIT)
			return fail(tf, "corrupt at byte %" PRIu64 ": a name of %" PRIu64 " bytes", offset(tf), f[n - 1]);
		len = (size_t)f[n - 1];
		if (fill(tf, used + len) < used + len)
			return truncated(tf);
		name = tf->buf + tf->pos + used;
	}
	int r = 0;
	switch (tag) {
	case REC_END:
		r = 0;
		break;
	case REC_THREAD: {
		/* Ids fit in 31 bits: a larger difference is corrupt, and must not overflow the sum. */
		int64_t d = unzigzag(f[0]);
		int64_t tid = d < -INT32_MAX || d > INT32_MAX ? 0 : tf->tid + d;
		int64_t pid = f[1] ? (int64_t)f[1] : tf->pid;
		if (tid <= 0 || tid > INT32_MAX || pid <= 0 || pid > INT32_MAX)
			return fail(tf, "corrupt at byte %" PRIu64 ": bad thread or process id", offset(tf));
		tf->tid = (int32_t)tid;
		tf->pid = (int32_t)pid;
		select_thread(tf, tf->tid, tf->pid);
		r = 1;
		break;
	}
	case REC_FUNC:
		define_func(tf, f[0], name, len);
		r = 1;
		break;
	case REC_PROC_NAME:
	case REC_THREAD_NAME: {
		if (!f[0] || f[0] > INT32_MAX)
			return fail(tf, "corrupt at byte %" PRIu64 ": bad process or thread id", offset(tf));
		char *s = unescape(name, len);
		(tag == REC_PROC_NAME ? names_process : names_thread)((int32_t)f[0], s);
		free(s);
		r = 1;
		break;
	}
	case REC_VALUES:
		free(tf->values);
		tf->values = printable(name, len);
		r = 1;
		break;
	case REC_FUNC_INFO:
		read_func_info(tf, name, len);
		r = 1;
		break;
	case REC_COMMAND: {
		char *cmd = unescape(name, len);
		names_command(cmd);
		free(cmd);
		r = 1;
		break;
	}
	default:
		if (tag >= REC_EXTENSION) {
			read_meta(tf, tag, name, len);
			r = 1;
			break;
		}
		/* An event: its time delta is its last field. */
		tf->ts += (uint64_t)unzigzag(f[n - 1]);
		if (!tf->meta.nevents++ || tf->ts < tf->meta.first_ts)
			tf->meta.first_ts = tf->ts;
		if (tf->ts > tf->tmax)
			tf->tmax = tf->ts;
		r = send(tf, tag, f) ? -1 : 1;
		free(tf->values);   /* a values record is for the one event after it */
		tf->values = NULL;
		if (r < 0)
			return -1;
		break;
	}
	tf->pos += used + len;
	return r;
}

static void collect_thread(taddr_t key, void *val, void *arg)
{
	struct rthread ***end = arg;
	(void)key;
	*(*end)++ = val;
}

static int by_tid(const void *pa, const void *pb)
{
	const struct rthread *a = *(struct rthread *const *)pa, *b = *(struct rthread *const *)pb;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

/* Closes every call still open (the file was cut, or is corrupt) at the latest time the file
 * holds, innermost first, thread by thread in order of tid: every view then sees the same
 * complete calls, as when a live trace ends with calls open. */
static void close_open_calls(struct tracefile *tf)
{
	struct rthread **v = xmalloc((tf->threads.n + 1) * sizeof(*v)), **end = v;
	addrmap_each(&tf->threads, collect_thread, &end);
	qsort(v, (size_t)(end - v), sizeof(*v), by_tid);
	tf->ts = tf->meta.last_ts = tf->tmax;
	for (struct rthread **t = v; t < end; t++) {
		tf->cur = *t;
		while ((*t)->n)
			send(tf, REC_EXIT, NULL);
	}
	free(v);
}

int tracefile_replay(struct tracefile *tf, char **include, char **exclude, char *err, size_t errlen)
{
	tf->include = include;
	tf->exclude = exclude;
	tf->err = err;
	tf->errlen = errlen;
	int r;
	while ((r = record(tf)) > 0)
		;
	close_open_calls(tf);
	return r;
}
