/* fntrace: parse options, pick the mode, run it; nothing else. */
#include "cli/options.h"
#include "out/out.h"
#include "rec/sink.h"
#include "trace/trace.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
	struct options o;
	options_parse(argc, argv, &o);

	FILE *fp = stderr;
	if (o.output && !(fp = fopen(o.output, "we")))
		die_errno("cannot open output file %s", o.output);
	static char buf[1 << 16];
	setvbuf(fp, buf, isatty(fileno(fp)) ? _IOLBF : _IOFBF, sizeof(buf));

	static const struct out_ops *const formats[] = {
		[OUT_GRAPH] = &out_graph_ops, [OUT_FLAT] = &out_flat_ops, [OUT_SUMMARY] = &out_summary_ops,
	};
	const struct out_ops *ops = formats[o.format];
	out_cfg.fp = fp;
	out_cfg.first_hit_order = o.once && o.format == OUT_SUMMARY;
	sink_setup(ops->event, o.depth);

	trace_opts.include = o.include;
	trace_opts.exclude = o.exclude;
	trace_opts.once = o.once;
	trace_opts.returns = o.format != OUT_FLAT || o.depth > 0;

	int status = trace_run(o.argv, o.path);
	ops->finish();
	if (WIFSIGNALED(status))
		fprintf(fp, "+++ killed by SIG%s%s +++\n", sigabbrev_np(WTERMSIG(status)),
			WCOREDUMP(status) ? " (core dumped)" : "");
	fflush(fp);
	exit_like(status);
}
