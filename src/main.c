/* fntrace: parse options, pick the mode, run it; nothing else. */
#include "cli/options.h"
#include "elf/buildid.h"
#include "elf/debuginfo.h"
#include "view/analysis.h"
#include "view/tui.h"
#include "view/view.h"
#include "rec/sink.h"
#include "rec/tracefile.h"
#include "trace/trace.h"
#include "util/glob.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Names each glob of globs (given with option) that matched nothing, once the trace is over. */
static void warn_unused(char **globs, const char *option, const char *what)
{
	size_t i = 0;
	for (const char *g; (g = glob_unused(globs, &i));)
		warn_msg("%s '%s' matched no %s", option, g, what);
}

/* Ends fntrace the way the program ended: same exit status, or death by the same signal. */
static noreturn void exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = { 0, 0 };
		sigset_t set;
		setrlimit(RLIMIT_CORE, &no_core);   /* the program dumped its core, if any; we don't */
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* The program a -w file is of: its path (for -p, the first process's executable) and build-id. */
static void record_program(const struct options *o)
{
	char exe[64], path[PATH_MAX], hex[256];
	ssize_t n = -1;
	if (o->npids) {
		snprintf(exe, sizeof(exe), "/proc/%d/exe", o->pids[0]);
		n = readlink(exe, path, sizeof(path) - 1);
	} else if (realpath(o->path, path)) {
		n = (ssize_t)strlen(path);
	}
	if (n < 0)
		snprintf(path, sizeof(path), "%s", o->npids ? exe : o->path);
	else
		path[n] = 0;
	buildid_read(o->npids ? exe : path, hex, sizeof(hex));
	tracefile_write_program(path, hex);
}

int main(int argc, char **argv)
{
	struct options o;
	options_parse(argc, argv, &o);
	util_status_enable();
	if (o.diff || o.graph || o.info || o.tui) {
		struct analysis a = { o.read, o.diff, o.graph, o.info, o.include, o.exclude, o.depth,
				      (enum view_sort)o.sort, o.output };
		exit(o.tui ? tui_run(&a) : analysis_run(&a));
	}

	static struct view_config oc;
	oc.format = o.format;
	oc.first_hit_order = o.once && o.format == VIEW_SUMMARY;
	oc.per_thread = o.per_thread;
	oc.per_process = o.per_process;
	oc.sort = (enum view_sort)o.sort;
	oc.weight_calls = o.weight_calls;
	oc.path = o.output;
	oc.separately = o.separately;
	oc.replay = o.read != NULL;
	char err[512];
	struct tracefile *tf = NULL;
	if (o.read && !(tf = tracefile_open(o.read, err, sizeof(err))))
		die("%s", err);
	if (!o.quiet) {
		view_open(&oc);
		sink_on_idle(view_idle);
	}
	sink_setup(o.quiet ? NULL : view_event, o.depth);
	if (o.write) {
		sink_record(o.write);
		record_program(&o);
	}

	trace_opts.include = o.include;
	trace_opts.exclude = o.exclude;
	trace_opts.once = o.once;
	trace_opts.returns = o.format != VIEW_FLAT || o.depth > 0 || o.write;   /* a file has every view */
	trace_opts.follow = o.follow;
	trace_opts.libs = o.libs;
	trace_opts.libcalls = !o.no_libcalls;
	trace_opts.demangle = !o.no_demangle;
	debuginfo_set_path(o.debuginfo_path);
	/* The fast path is the default, launched or attached (-p). FNTRACE_FAST=0 forces int3 as
	 * --no-fast does, for running the test suite on both paths. */
	const char *fast_env = getenv("FNTRACE_FAST");
	bool fast_default = !fast_env || strcmp(fast_env, "0");
	trace_opts.fast = (o.fast || fast_default) && !o.no_fast;
	/* FNTRACE_FAST_SAFE=1: the trampolines -p uses (no trap or fault on purpose), in every mode */
	const char *safe_env = getenv("FNTRACE_FAST_SAFE");
	trace_opts.fast_safe = safe_env && !strcmp(safe_env, "1");

	int status = tf ? tracefile_replay(tf, o.include, o.exclude, err, sizeof(err))
			: trace_run(o.argv, o.path, o.pids, o.npids);
	warn_unused(o.include, "-i/--include", tf ? "function in the trace file" : "function");
	warn_unused(o.exclude, "-x/--exclude", tf ? "function in the trace file" : "function");
	warn_unused(o.libs, "-l/--lib", "library the program loaded");
	bool complete = sink_finish() == 0;
	if (!o.quiet)
		complete = view_close() && complete;
	tracefile_close(tf);
	if (tf && status)
		die("%s", err);   /* after the output: the events before the problem are shown */
	/* The program's status is what fntrace promises; a lost trace fails a run that succeeded. */
	if (!complete && !WIFSIGNALED(status) && !(WIFEXITED(status) && WEXITSTATUS(status)))
		exit(1);
	util_msg_flush();     /* exit_like may end by a signal, with no atexit */
	exit_like(status);
}
