/* fntrace: parse options, pick the mode, run it; nothing else. */
#include "args/choose.h"
#include "cli/options.h"
#include "elf/buildid.h"
#include "elf/debuginfo.h"
#include "view/analysis.h"
#include "view/tui.h"
#include "view/view.h"
#include "rec/filter.h"
#include "rec/funcs.h"
#include "rec/sink.h"
#include "rec/hold.h"
#include "rec/trigger.h"
#include "rec/tracefile.h"
#include "trace/trace.h"
#include "util/dcache.h"
#include "util/glob.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Names each glob of globs (given with option) that matched nothing, once the trace is over. */
static void warn_unused(char **globs, const char *option, const char *what)
{
	size_t i = 0;
	for (const char *g; (g = glob_unused(globs, &i));)
		warn_msg("%s '%s' matched no %s", option, g, what);
}

/* The -i globs, with copies of the -F and -N ones added: the filters need their functions traced
 * whatever -i leaves out. Copies: a -F glob is used when some call shows it, not when the tracer
 * finds its function (glob.h notes globs by address). NULL (trace everything) without -i. */
static char **traced_globs(const struct options *o)
{
	if (!o->include)
		return NULL;
	char **lists[] = { o->include, o->filter, o->notrace, o->callers, trigger_globs() };
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		for (char **g = lists[i]; g && *g; g++)
			n++;
	char **v = xmalloc((n + 1) * sizeof(*v));
	n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		for (char **g = lists[i]; g && *g; g++)
			v[n++] = i ? xstrdup(*g) : *g;
	v[n] = NULL;
	return v;
}

/* The wall clock's time of the event clock's now, for the time column (-t). */
static void anchor_wall_clock(void)
{
	struct timespec real;
	uint64_t mono = util_now_ns();
	clock_gettime(CLOCK_REALTIME, &real);
	sink_wall_anchor((uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec, mono);
}

/* --srcline that found nothing is said, so that no line reads as "no DWARF" when the file was
 * written without it, or the build had no -g. */
static void warn_no_srcline(const struct options *o)
{
	for (uint32_t fn = 0; fn < funcs_count(); fn++)
		if (funcs_srcline(fn))
			return;
	if (o->read)
		warn_msg("--srcline: %s holds no source line (it was written without --srcline, or of code "
			 "without DWARF)", o->read);
	else if (funcs_count())
		warn_msg("%s", "--srcline: no function called has DWARF line information (built without -g, "
			 "and no debug file found)");
}

/* Ends fntrace the way the program ended: same exit status, or death by the same signal. */
/* The disk cache of maps and discovered functions (util/dcache.h): FNTRACE_CACHE, else the
 * user's cache directory. Nothing in it is the program's: it is fntrace's own file. */
static void configure_cache(void)
{
	char *dir = dcache_default_dir();
	dcache_configure(dir);
	free(dir);
}

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

/* Whether the trace is shown in colour: --color, or on a terminal that can show it. */
static bool use_color(const struct options *o)
{
	if (o->color)
		return o->color > 0;
	const char *term = getenv("TERM"), *no = getenv("NO_COLOR");
	int fd = o->read ? 1 : 2;
	return !o->output && isatty(fd) && !(no && *no) && term && strcmp(term, "dumb");
}

int main(int argc, char **argv)
{
	struct options o;
	options_parse(argc, argv, &o);
	util_status_enable();
	bool color = use_color(&o);   /* before a pager takes stdout */
	bool pageable = o.read && !o.output && !o.quiet && !o.no_pager && !o.tui && isatty(1), paged = false;
	if (o.diff || o.graph || o.info || o.tui) {
		struct analysis a = { o.read, o.diff, o.graph, o.info, o.include, o.exclude, o.depth,
				      (enum view_sort)o.sort, o.output };
		paged = pageable && view_pager_start();   /* not for --tui: it has the terminal */
		int r = o.tui ? tui_run(&a) : analysis_run(&a);
		if (paged)
			view_pager_end();
		exit(r);
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
	oc.color = color;
	oc.srcline = o.srcline;
	options_columns(&o, &oc);
	static struct args_config ac;
	ac = (struct args_config){ o.auto_args, o.arg_specs, o.narg_specs, o.ret_specs, o.nret_specs, o.strsize };
	args_configure(&ac);
	char err[512];
	struct tracefile *tf = NULL;
	if (o.read && !(tf = tracefile_open(o.read, err, sizeof(err))))
		die("%s", err);
	paged = pageable && view_pager_start();
	if (!o.read)
		anchor_wall_clock();
	if (!o.quiet) {
		view_open(&oc);
		sink_on_idle(view_idle);
	}
	filter_setup(o.filter, o.notrace);
	filter_ids(o.tids, o.ntids, o.pid_filter, o.npid_filter);
	hold_setup(o.time_min, o.has_range ? &o.range : NULL, o.callers);
	sink_setup(o.quiet ? NULL : view_event, o.depth);
	sink_setup_batch(o.quiet ? NULL : view_events);
	if (o.write) {
		/* -r FILE -w OTHER keeps the values FILE has */
		sink_record(o.write, args_enabled() || (tf && tracefile_meta(tf)->version >= 2));
		record_program(&o);
	}

	char **traced = traced_globs(&o);
	trace_opts.include = traced;
	trace_opts.exclude = o.exclude;
	trace_opts.once = o.once;
	/* A file has every view; the filters need the exits to know where a subtree ends. */
	trace_opts.returns = o.format != VIEW_FLAT || o.depth > 0 || o.write || filter_active() || trigger_active() ||
			     hold_active();
	trace_opts.follow = o.follow;
	trace_opts.libs = o.libs;
	trace_opts.libcalls = !o.no_libcalls;
	trace_opts.demangle = !o.no_demangle;
	trace_opts.srcline = o.srcline;
	debuginfo_set_path(o.debuginfo_path);
	/* The fast path is the default, launched or attached (-p). FNTRACE_FAST=0 forces int3 as
	 * --no-fast does, for running the test suite on both paths. */
	const char *fast_env = getenv("FNTRACE_FAST");
	bool fast_default = !fast_env || strcmp(fast_env, "0");
	trace_opts.fast = (o.fast || fast_default) && !o.no_fast;
	/* FNTRACE_FAST_SAFE=1: the trampolines -p uses (no trap or fault on purpose), in every mode */
	const char *safe_env = getenv("FNTRACE_FAST_SAFE");
	trace_opts.fast_safe = safe_env && !strcmp(safe_env, "1");
	if (!tf && !o.no_cache)
		configure_cache();

	int status = tf ? tracefile_replay(tf, traced, o.exclude, err, sizeof(err))
			: trace_run(o.argv, o.path, o.pids, o.npids);
	warn_unused(o.include, "-i/--include", tf ? "function in the trace file" : "function");
	warn_unused(o.exclude, "-x/--exclude", tf ? "function in the trace file" : "function");
	warn_unused(o.filter, "-F/--filter", tf ? "function called in the trace file" : "function called");
	warn_unused(o.notrace, "-N/--notrace", tf ? "function called in the trace file" : "function called");
	warn_unused(o.callers, "-C/--caller-filter", tf ? "function called in the trace file" : "function called");
	warn_unused(trigger_globs(), "-T/--trigger", tf ? "function called in the trace file" : "function called");
	filter_warn_unseen();
	warn_unused(o.libs, "-l/--lib", "library the program loaded");
	if (!tf)
		args_warn_unused();
	if (o.srcline)
		warn_no_srcline(&o);
	bool complete = sink_finish() == 0;
	if (!o.quiet)
		complete = view_close() && complete;
	tracefile_close(tf);
	if (paged)
		view_pager_end();
	if (tf && status)
		die("%s", err);   /* after the output: the events before the problem are shown */
	/* The program's status is what fntrace promises; a lost trace fails a run that succeeded. */
	if (!complete && !WIFSIGNALED(status) && !(WIFEXITED(status) && WEXITSTATUS(status)))
		exit(1);
	util_msg_flush();     /* exit_like may end by a signal, with no atexit */
	exit_like(status);
}
