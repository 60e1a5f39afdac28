/* out/common: what every formatter shares, and the routing of events to streams. */
#include "out.h"
#include "../util/addrmap.h"
#include "../util/util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct out_config *config;
static struct out *shared;          /* the one stream, unless separately */
static struct addrmap by_pid;       /* separately: pid -> struct out */
static char shared_buf[1 << 16];

static const struct out_ops *ops_of(enum out_format f)
{
	static const struct out_ops *const formats[] = {
		[OUT_GRAPH] = &out_graph_ops, [OUT_FLAT] = &out_flat_ops, [OUT_SUMMARY] = &out_summary_ops,
	};
	return formats[f];
}

static struct out *out_new(FILE *fp)
{
	struct out *o = xcalloc(1, sizeof(*o));
	o->ops = ops_of(config->format);
	o->cfg = config;
	o->fp = fp;
	o->ops->init(o);
	return o;
}

void out_open(const struct out_config *cfg)
{
	config = cfg;
	if (cfg->separately)
		return;   /* files open as processes appear */
	FILE *fp = stderr;
	if (cfg->path && !(fp = fopen(cfg->path, "we")))
		die_errno("cannot open output file %s", cfg->path);
	setvbuf(fp, shared_buf, isatty(fileno(fp)) ? _IOLBF : _IOFBF, sizeof(shared_buf));
	shared = out_new(fp);
}

static struct out *stream_of(int32_t pid)
{
	if (shared)
		return shared;
	struct out *o = addrmap_get(&by_pid, (taddr_t)(uint32_t)pid);
	if (!o) {
		char path[4096];
		snprintf(path, sizeof(path), "%s.%d", config->path, pid);
		FILE *fp = fopen(path, "we");
		if (!fp) {
			warn_errno("cannot open output file %s", path);
			fp = fopen("/dev/null", "we");
		}
		o = out_new(fp);
		o->leader = pid;
		addrmap_put(&by_pid, (taddr_t)(uint32_t)pid, o);
	}
	return o;
}

void out_event(const struct event *ev)
{
	struct out *o = stream_of(ev->pid);
	if (!o->leader)
		o->leader = ev->pid;
	o->ops->event(o, ev);
}

static void close_one(struct out *o)
{
	o->ops->finish(o);
	if (o->fp == stderr)
		fflush(o->fp);
	else
		fclose(o->fp);
	free(o);
}

static void close_each(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	close_one(val);
}

void out_close(void)
{
	if (shared)
		close_one(shared);
	shared = NULL;
	addrmap_each(&by_pid, close_each, NULL);
	addrmap_free(&by_pid);
}

void out_fmt_duration(uint64_t ns, char buf[32])
{
	static const char *const units[] = { "us", "ms", " s" };
	if (ns < 1000) {
		snprintf(buf, 32, "%8" PRIu64 " ns", ns);
		return;
	}
	unsigned u = 0;
	uint64_t div = 1000;
	while (u + 1 < 3 && ns >= div * 1000) {
		div *= 1000;
		u++;
	}
	snprintf(buf, 32, "%4" PRIu64 ".%03" PRIu64 " %s", ns / div, ns % div * 1000 / div, units[u]);
}

const char *out_signame(int sig, char buf[16])
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, 16, "SIG%s", abbrev);
	else if (sig == SIGRTMIN)
		snprintf(buf, 16, "SIGRTMIN");
	else if (sig > SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, 16, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, 16, "SIG%d", sig);
	return buf;
}

const char *out_end_line(struct out *o, const struct event *ev, char buf[64])
{
	int status = (int)ev->fn;
	char name[16];
	if (WIFSIGNALED(status)) {
		snprintf(buf, 64, "+++ killed by %s%s +++", out_signame(WTERMSIG(status), name),
			 WCOREDUMP(status) ? " (core dumped)" : "");
		return buf;
	}
	if (ev->pid == o->leader)
		return NULL;
	snprintf(buf, 64, "+++ exited with %d +++", WEXITSTATUS(status));
	return buf;
}
