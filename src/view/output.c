/* view/output: the files views write to, and the routing of events to them.
 *
 * Every write is checked: what could not be written is counted, and view_close() says so. A
 * file per process (--output-separately) is created, never followed through a link nor taken
 * over if it exists, and closed when its process ends. Output waiting in a buffer is written
 * when the tracer is about to wait for the program (view_idle), at most every FLUSH_NS while
 * the program keeps it busy, so a reader sees each line promptly at no cost per call. */
#include "view.h"
#include "../util/addrmap.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* Output waits in its buffer at most this long, once the tracer waits for the program. */
#define FLUSH_NS 20000000ull
#define BUF_SIZE (1 << 16)

/* A file this run created, for a pid used again. */
struct made {
	dev_t dev;
	ino_t ino;
};

/* Where a stream's bytes go: the cookie of its FILE. */
struct ofile {
	int fd;
	char *name;               /* for messages: the path, or "stderr" */
	int err;                  /* the first write error, or 0: nothing is written after it */
	uint64_t lost;            /* bytes not written because of it */
};

static const struct view_config *config;
static struct view *shared;         /* the one stream, unless separately */
static struct addrmap by_pid;       /* separately: pid -> struct view, while the process lives */
static struct addrmap created;      /* separately: pid -> struct made, once FILE.PID was created */
static bool failed;                 /* some output was lost, and said so */
static struct view **dirty;         /* streams written to since the last flush */
static size_t ndirty, capdirty;
static uint64_t last_flush;
static volatile sig_atomic_t timer_armed;

static ssize_t ofile_write(void *cookie, const char *buf, size_t len)
{
	struct ofile *f = cookie;
	size_t off = 0;
	while (!f->err && off < len) {
		ssize_t k = write(f->fd, buf + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {   /* an inherited non-blocking pipe: wait for room */
			poll(&(struct pollfd){ .fd = f->fd, .events = POLLOUT }, 1, -1);
			continue;
		}
		if (k <= 0)
			f->err = k < 0 ? errno : EIO;
		else
			off += (size_t)k;
	}
	f->lost += len - off;
	return (ssize_t)len;   /* counted, not retried: stdio must not stop the views */
}

static int ofile_close(void *cookie)
{
	struct ofile *f = cookie;
	if (f->fd > 2 && close(f->fd) && !f->err)
		f->err = errno;   /* a file system may report a failed write only here */
	return 0;
}

/* Says what f could not write; returns whether it lost anything. Frees f. */
static bool ofile_report(struct ofile *f)
{
	bool lost = f->err != 0;
	if (f->err == EPIPE)
		warn_msg("writing the trace to %s: %s (the reader is gone; %" PRIu64 " bytes not written)",
			 f->name, strerror(f->err), f->lost);
	else if (f->err)
		warn_msg("writing the trace to %s: %s (trace incomplete: %" PRIu64 " bytes not written)", f->name,
			 strerror(f->err), f->lost);
	free(f->name);
	free(f);
	return lost;
}

/* A buffered stream on fd, which it closes (unless it is 0-2) with the stream. */
static FILE *stream_new(int fd, const char *name, struct ofile **fo)
{
	struct ofile *f = xcalloc(1, sizeof(*f));
	f->fd = fd;
	f->name = xstrdup(name);
	FILE *fp = fopencookie(f, "w", (cookie_io_functions_t){ .write = ofile_write, .close = ofile_close });
	if (!fp)
		die_errno("cannot open a stream on %s", name);
	setvbuf(fp, NULL, isatty(fd) ? _IOLBF : _IOFBF, BUF_SIZE);
	*fo = f;
	return fp;
}

static struct view *view_new(FILE *fp, struct ofile *f)
{
	struct view *o = xcalloc(1, sizeof(*o));
	o->ops = view_ops_of(config->format);
	o->cfg = config;
	o->fp = fp;
	o->file = f;
	o->ops->init(o);
	return o;
}

/* Messages on stderr come after the trace lines before them. */
static void flush_shared(void)
{
	if (shared && shared->fp)
		fflush(shared->fp);
}

static void on_alarm(int sig)
{
	(void)sig;
	timer_armed = 0;
}

void view_open(const struct view_config *cfg)
{
	config = cfg;
	/* No SA_RESTART: the alarm must end the tracer's wait, for view_idle to run. */
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	if (cfg->separately)
		return;   /* files open as processes appear */
	int fd = cfg->replay ? 1 : 2;
	const char *name = cfg->replay ? "stdout" : "stderr";
	if (cfg->path) {
		name = cfg->path;
		if ((fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
			die_errno("cannot open output file %s", cfg->path);
	}
	struct ofile *f;
	FILE *fp = stream_new(fd, name, &f);
	shared = view_new(fp, f);
	if (fd == 2)
		util_before_message = flush_shared;
}

/* Creates path for pid's trace: never through a symbolic link, never over a file that was
 * there before (the name is predictable: someone may have put one there). A pid used again
 * appends to the file made for the first process of that pid, if it is still that file.
 * Returns the fd, or -1 with errno set. */
static int create_separate(const char *path, int32_t pid)
{
	static bool raised;
	for (;;) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		struct made *m = addrmap_get(&created, (taddr_t)(uint32_t)pid);
		struct stat sb;
		if (fd >= 0) {
			if (!m && !fstat(fd, &sb)) {
				m = xmalloc(sizeof(*m));
				*m = (struct made){ sb.st_dev, sb.st_ino };
				addrmap_put(&created, (taddr_t)(uint32_t)pid, m);
			}
			return fd;
		}
		if (errno == EEXIST && m) {
			if ((fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0)
				return -1;
			if (fstat(fd, &sb) || sb.st_dev != m->dev || sb.st_ino != m->ino) {
				close(fd);
				errno = EEXIST;   /* replaced since: not ours */
				return -1;
			}
			return fd;
		}
		/* Out of descriptors (every process alive has its file open): take what the hard
		 * limit allows, once. Only fntrace's own limit: the program was started with ours. */
		struct rlimit rl;
		if (errno == EMFILE && !raised && !getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			raised = true;
			rl.rlim_cur = rl.rlim_max;
			if (!setrlimit(RLIMIT_NOFILE, &rl))
				continue;
			errno = EMFILE;
		}
		return -1;
	}
}

/* The view of process pid, made at its first event. */
static struct view *separate_of(int32_t pid)
{
	struct view *o = addrmap_get(&by_pid, (taddr_t)(uint32_t)pid);
	if (o)
		return o;
	char path[4096];
	snprintf(path, sizeof(path), "%s.%d", config->path, pid);
	int fd = create_separate(path, pid);
	if (fd < 0) {
		if (errno == EEXIST)
			warn_msg("%s exists already; not overwritten (the trace of process %d is not written)", path,
				 pid);
		else
			warn_errno("cannot create output file %s (the trace of process %d is not written)", path, pid);
		failed = true;
		o = xcalloc(1, sizeof(*o));   /* no file: its events go nowhere */
	} else {
		struct ofile *f;
		FILE *fp = stream_new(fd, path, &f);
		o = view_new(fp, f);
	}
	o->leader = pid;
	addrmap_put(&by_pid, (taddr_t)(uint32_t)pid, o);
	return o;
}

static void forget_dirty(struct view *o)
{
	for (size_t i = 0; i < ndirty; i++)
		if (dirty[i] == o) {
			dirty[i] = dirty[--ndirty];
			return;
		}
}

static void close_one(struct view *o)
{
	if (o->dirty)
		forget_dirty(o);
	if (o->fp) {
		o->ops->finish(o);
		fclose(o->fp);
		failed |= ofile_report(o->file);
	}
	free(o);
}

/* o has output to flush at the next view_idle. */
static void mark_dirty(struct view *o)
{
	if (!o->dirty) {
		o->dirty = true;
		xgrow(&dirty, &capdirty, ndirty + 1, sizeof(*dirty));
		dirty[ndirty++] = o;
	}
}

void view_event(const struct event *ev)
{
	struct view *o = shared ? shared : separate_of(ev->pid);   /* (one test per event) */
	if (!o->fp) {
		if (ev->kind == EV_PROC_EXIT && !shared)
			close_one(addrmap_del(&by_pid, (taddr_t)(uint32_t)ev->pid));
		return;
	}
	if (!o->leader)
		o->leader = ev->pid;
	o->ops->event(o, ev);
	if (!shared && ev->kind == EV_PROC_EXIT) {
		/* Its file is complete: a thousand processes must not hold a thousand files. */
		close_one(addrmap_del(&by_pid, (taddr_t)(uint32_t)ev->pid));
		return;
	}
	mark_dirty(o);
}

void view_events(const struct event *ev, size_t n)
{
	struct view *o = shared;
	if (!n)
		return;
	if (!o || !o->fp || !o->ops->events) {
		for (size_t i = 0; i < n; i++)
			view_event(&ev[i]);
		return;
	}
	if (!o->leader)
		o->leader = ev[0].pid;
	o->ops->events(o, ev, n);
	mark_dirty(o);
}

/* Arms the alarm to end the tracer's wait in ns, unless it is armed already. */
static void alarm_in(uint64_t ns)
{
	if (timer_armed)
		return;
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = (suseconds_t)(ns / 1000 + 1) } };
	timer_armed = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

void view_idle(bool pending)
{
	if (!ndirty) {
		if (pending)
			alarm_in(FLUSH_NS);   /* to read what the program records meanwhile */
		return;
	}
	uint64_t now = util_now_ns();
	if (now - last_flush < FLUSH_NS) {
		/* Written a moment ago: the alarm ends the wait in time to write the rest. */
		alarm_in(FLUSH_NS - (now - last_flush));
		return;
	}
	for (size_t i = 0; i < ndirty; i++) {
		fflush(dirty[i]->fp);
		dirty[i]->dirty = false;
	}
	ndirty = 0;
	last_flush = now;
	if (pending)
		alarm_in(FLUSH_NS);
}

static void close_each(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	close_one(val);
}

static void free_each(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

bool view_close(void)
{
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	util_before_message = NULL;
	if (shared)
		close_one(shared);
	shared = NULL;
	addrmap_each(&by_pid, close_each, NULL);
	addrmap_free(&by_pid);
	addrmap_each(&created, free_each, NULL);
	addrmap_free(&created);
	free(dirty);
	dirty = NULL;
	ndirty = capdirty = 0;
	return !failed;
}
