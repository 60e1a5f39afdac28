/* options: parse the command line, check PROGRAM, print help and version. */
#include "options.h"
#include "../args/format.h"
#include "../args/spec.h"
#include "../elf/symtab.h"
#include "../rec/trigger.h"
#include "../util/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FNTRACE_VERSION
#define FNTRACE_VERSION "0.1.0"
#endif

enum { OPT_FLAT = 256, OPT_ONCE, OPT_DEBUG, OPT_SEPARATELY, OPT_PER_THREAD, OPT_NO_LIBCALLS, OPT_NO_DEMANGLE,
       OPT_FORMAT, OPT_PER_PROCESS, OPT_WEIGHT, OPT_DEBUGINFO_PATH, OPT_FAST, OPT_NO_FAST,
       OPT_DIFF, OPT_GRAPH, OPT_INFO, OPT_TUI, OPT_STRSIZE, OPT_TID, OPT_PID_FILTER, OPT_TIME_FILTER,
       OPT_TIME_RANGE, OPT_FIELDS, OPT_COLOR, OPT_NO_PAGER, OPT_NO_CACHE, OPT_SRCLINE };

static const char usage_text[] =
"Usage: fntrace [OPTIONS] [--] PROGRAM [ARGS...]\n"
"       fntrace [OPTIONS] -p PID[,PID...]\n"
"       fntrace [OPTIONS] -r FILE\n"
"Trace every function call of PROGRAM: entries, exits, nesting and durations.\n"
"\n"
"Output:\n"
"  -o, --output FILE     write the trace to FILE instead of stderr (stdout with\n"
"                        -r); lines are written as the calls happen\n"
"      --format=FORMAT   graph (the default), flat, summary, chrome (Chrome trace\n"
"                        JSON for Perfetto), folded (folded stacks for flame\n"
"                        graphs), json (an object per event a line), svg (a\n"
"                        flame graph to open in a browser); the last four need\n"
"                        -o FILE, unless reading a file with -r\n"
"      --flat            one line per function entry, exactly `name();`\n"
"      --output-fields=LIST  graph, flat: the columns, in order, of duration, tid,\n"
"                        time (wall clock), elapsed (since the first event),\n"
"                        delta (since the line before), module (the file of\n"
"                        the function); +LIST adds to the default (graph:\n"
"                        duration,tid; flat: none)\n"
"      --srcline         graph, flat, -c, json: each function's file:line, from\n"
"                        DWARF (-g, or a debug file); with -w, kept in the file\n"
"  -t, -tt, -ttt         the wall-clock time first on each line, as strace:\n"
"                        HH:MM:SS, with microseconds, in seconds since 1970\n"
"  -c, --summary         per-function table (total, self, calls, avg, min, max)\n"
"                        instead of the call graph\n"
"  -s, --sort KEY        with -c: order by total (the default), self, calls, avg\n"
"                        or name\n"
"      --per-thread      with -c: one table per thread; folded, svg: a root\n"
"                        frame per thread\n"
"      --per-process     the same per process\n"
"      --weight=WHAT     folded, svg: weigh call paths by time (ns, the default)\n"
"                        or by calls\n"
"      --output-separately  with -o FILE: one file per process, FILE.PID, never\n"
"                        through a link nor over a file already there\n"
"  -q, --quiet           print no trace (with -w: only write the trace file)\n"
"      --color=WHEN      graph: durations from 1 ms yellow, from 1 s red, signals\n"
"                        and ends in colour: auto (on a terminal, unless NO_COLOR\n"
"                        is set; the default), always, never\n"
"      --no-pager        with -r on a terminal: no pager ($PAGER, or less -FRX)\n"
"\n"
"Trace files:\n"
"  -w, --write FILE      also write every event to the trace file FILE\n"
"  -r, --read FILE       show the trace file FILE instead of running a program,\n"
"                        with any output option; -i and -x filter by name\n"
"      --diff FILE       with -r A -c: per function, calls, total and self time\n"
"                        in A and in FILE, their changes and percentages, the\n"
"                        largest change of total time first (of self, calls,\n"
"                        avg with -s; by name with -s name), whichever way it\n"
"                        went; a function called in one file only shows `-`\n"
"                        in the other and `new` or `gone` as percentage\n"
"      --graph FUNC      with -r: the callers of each function matching the glob\n"
"                        FUNC and the functions it calls, with counts and times,\n"
"                        added up over the run (uftrace's `graph FUNC`)\n"
"      --info            with -r: what the file holds: command, date, program\n"
"                        and build-id, processes, threads, events, duration,\n"
"                        the fntrace version that wrote it\n"
"      --tui             with -r: browse the file in the terminal: the call graph\n"
"                        folded and unfolded, the summary sorted by any column,\n"
"                        a function's callers, callees and call paths, search\n"
"                        (? shows the keys)\n"
"\n"
"Arguments and return values:\n"
"  -a, --auto-args       show the arguments and return value of every function\n"
"                        whose prototype is known: from DWARF (-g, or a debug\n"
"                        file), else from the C library list fntrace ships\n"
"  -A, --argument SPEC   show the arguments SPEC names, uftrace's syntax:\n"
"                        FUNC@arg1/s,arg2/x,fparg1 (FUNC a glob; FUNC alone: its\n"
"                        known prototype); repeatable\n"
"  -R, --retval SPEC     the same for return values: FUNC@retval/x, or FUNC\n"
"      --strsize N       show at most N bytes of a string (default 32), then ...\n"
"\n"
"Processes:\n"
"  -f, --follow-forks    trace child processes too (fork, vfork, clone, exec);\n"
"                        -ff: and one file per process, as --output-separately\n"
"  -p, --pid PID         attach to a running process and all its threads\n"
"                        (repeatable, or a comma list); detach on Ctrl-C,\n"
"                        SIGTERM or SIGHUP, leaving it running as before\n"
"\n"
"Filters:\n"
"  -i, --include GLOB    trace only functions whose name matches GLOB (repeatable)\n"
"  -x, --exclude GLOB    never trace functions matching GLOB (repeatable)\n"
"  -F, --filter GLOB     show only the calls made inside functions matching GLOB,\n"
"                        those functions included (repeatable)\n"
"  -N, --notrace GLOB    hide the functions matching GLOB and every call made\n"
"                        inside them (repeatable)\n"
"      --tid TID[,TID...]  show only the events of these threads (repeatable)\n"
"      --pid-filter PID[,PID...]  show only the events of these processes\n"
"                        (repeatable; -p attaches, this filters, -f or -r)\n"
"      --time-filter TIME  hide the calls shorter than TIME (5us, 1.5ms, 2s), not\n"
"                        the calls around a longer one; live, a call shows once\n"
"                        it returns\n"
"      --time-range=START~END  show only the calls begun between START and END\n"
"                        (and the calls around them): +1.5ms or 1.5ms is a time\n"
"                        since the first event, 21774.3336 a timestamp of the\n"
"                        event clock in seconds; either end may be left out\n"
"  -C, --caller-filter GLOB  show only the calls of functions matching GLOB and\n"
"                        the calls on the way to them, not what they call;\n"
"                        live, a path shows when the call is reached\n"
"  -T, --trigger FUNC@ACTION[,ACTION...]  what calls of functions matching the\n"
"                        glob FUNC do (repeatable): trace_on (showing starts at\n"
"                        FUNC, which is shown; off until then), trace_off\n"
"                        (showing stops at FUNC), depth=N (inside FUNC, at most\n"
"                        N deep), filter (as -F), notrace (as -N)\n"
"  -D, --depth N         show calls nested at most N deep (under -F: counted from\n"
"                        the -F function, at depth 1)\n"
"  -l, --lib GLOB        also trace every function inside shared libraries whose\n"
"                        file name or soname matches GLOB, as name@soname\n"
"                        (repeatable; -l '*' for all)\n"
"      --no-libcalls     do not show the program's calls into shared libraries\n"
"      --no-demangle     show C++ and Rust names as they are in the binary\n"
"      --once            trace each function's first call only, then remove its\n"
"                        breakpoint\n"
"      --debuginfo-path=PATH  where stripped binaries' debug files are, as in\n"
"                        elfutils: DIR/.build-id/ by build-id, and by\n"
"                        .gnu_debuglink next to the file, in its .debug/ and\n"
"                        under DIR (default :.debug:/usr/lib/debug)\n"
"\n"
"Tracing:\n"
"      --fast            record calls inside the program, without a stop per call:\n"
"                        jumps to injected trampolines where a function's entry\n"
"                        or a return site can take one, breakpoints elsewhere\n"
"                        (the default, with -p too)\n"
"      --no-fast         breakpoints only (also FNTRACE_FAST=0 in the environment)\n"
"      --no-cache        build the fast path's maps and discovery's functions\n"
"                        again instead of reading them from the cache,\n"
"                        $XDG_CACHE_HOME/fntrace or ~/.cache/fntrace\n"
"                        (FNTRACE_CACHE=DIR chooses another, FNTRACE_CACHE=off\n"
"                        is --no-cache)\n"
"\n"
"Other:\n"
"      --debug=LIST      debug output on stderr: step, bp, elf, stop, fast, all\n"
"                        (step: how each breakpoint's instruction is stepped over;\n"
"                        fast: what --fast patched in-process, and why not the rest)\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and exit\n"
"\n"
"The default output is a call graph like `uftrace replay`. fntrace exits with\n"
"PROGRAM's exit status, or dies of the signal that killed it; if the trace could\n"
"not be written whole (a full disk), it says so, and exits 1 if PROGRAM\n"
"succeeded.\n";

static noreturn void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", util_progname);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see fntrace --help)\n");
	exit(1);
}

static void push(char ***v, const char *s)
{
	size_t n = 0;
	while (*v && (*v)[n])
		n++;
	*v = xrealloc(*v, (n + 2) * sizeof(**v));
	(*v)[n] = (char *)s;
	(*v)[n + 1] = NULL;
}

static unsigned parse_debug(const char *s)
{
	unsigned flags = 0;
	char *copy = xstrdup(s), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "step"))
			flags |= DBG_STEP;
		else if (!strcmp(tok, "bp"))
			flags |= DBG_BP;
		else if (!strcmp(tok, "elf"))
			flags |= DBG_ELF;
		else if (!strcmp(tok, "stop"))
			flags |= DBG_STOP;
		else if (!strcmp(tok, "fast"))
			flags |= DBG_FAST;
		else if (!strcmp(tok, "all"))
			flags |= ~0u;
		else
			usage_error("--debug: unknown category '%s' (step, bp, elf, stop, fast, all)", tok);
	}
	free(copy);
	return flags;
}

/* PROGRAM as execvp finds it: itself if it has a slash, else the first executable regular file
 * of that name in PATH. A malloc'd path, or NULL if PATH has none. */
static char *find_program(const char *prog)
{
	struct stat sb;
	char *path = NULL;
	if (strchr(prog, '/'))
		return xstrdup(prog);
	const char *env = getenv("PATH");
	char *dirs = xstrdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d && !path; d = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];
		snprintf(cand, sizeof(cand), "%s/%s", *d ? d : ".", prog);
		if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
			path = xstrdup(cand);
	}
	free(dirs);
	return path;
}

/* Resolves PROGRAM like execvp would; returns a malloc'd path or exits with the reason. */
static char *resolve_program(const char *prog)
{
	struct stat sb;
	char *path = find_program(prog);
	if (!path)
		die("%s: command not found in PATH", prog);
	if (stat(path, &sb))
		die_errno("cannot run %s", path);
	if (S_ISDIR(sb.st_mode))
		die("cannot run %s: Is a directory", path);
	if (!S_ISREG(sb.st_mode))
		die("cannot run %s: not a regular file", path);
	if (access(path, X_OK))
		die_errno("cannot run %s", path);
	struct symtab st;
	char err[512];
	if (symtab_load(path, &st, err, sizeof(err))) {
		FILE *f = fopen(path, "re");
		char magic[2] = { 0 };
		if (f) {
			if (fread(magic, 1, 2, f) != 2)
				magic[0] = 0;
			fclose(f);
		}
		if (magic[0] == '#' && magic[1] == '!')
			die("%s: not an ELF file but a script; trace its interpreter instead (fntrace /bin/sh %s)",
			    path, path);
		die("%s", err);
	}
	symtab_free(&st);
	return path;
}

/* -A or -R SPEC, parsed now: a script written for uftrace learns at once what fntrace does not
 * take. */
static void parse_spec(struct args_spec **v, size_t *n, const char *option, const char *arg)
{
	char err[256];
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	if (!args_spec_parse(arg, &(*v)[*n], err, sizeof(err))) {
		fprintf(stderr, "%s: %s %s (see fntrace --help)\n", util_progname, option, err);
		exit(1);
	}
	(*n)++;
}

static noreturn void bad_id(const char *option, const char *tok, const char *what)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s: '%s' is not a %s id", option, tok, what);
	usage_error("%s", msg);
}

/* Appends the ids of arg, a comma list, to *ids (*n of them); option names the option in
 * messages ("-p/--pid"), what the kind of id ("process"). */
static void parse_ids(int **ids, int *n, const char *arg, const char *option, const char *what)
{
	char *copy = xstrdup(arg), *save = NULL;
	int before = *n;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		errno = 0;
		long v = strtol(tok, &end, 10);
		if (errno || end == tok || *end || v < 1 || v > INT32_MAX)
			bad_id(option, tok, what);
		*ids = xrealloc(*ids, (size_t)(*n + 1) * sizeof(**ids));
		(*ids)[(*n)++] = (int)v;
	}
	free(copy);
	if (*n == before)
		bad_id(option, arg, what);
}

/* Reads digits[.digits] at *s, moving *s past them, as whole and nine digits of fraction.
 * Returns false if there are no digits or the number is too large. */
static bool parse_decimal(const char **s, uint64_t *whole, uint64_t *frac)
{
	const char *p = *s;
	*whole = *frac = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*whole > (UINT64_MAX - 9) / 10)
			return false;
		*whole = *whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		uint64_t scale = 100000000;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			*frac += (uint64_t)(*p - '0') * scale;   /* digits past the ninth add 0 */
	}
	*s = p;
	return true;
}

/* whole.frac (frac in billionths) of a unit of unit_ns, in ns; false if it overflows. */
static bool scaled(uint64_t whole, uint64_t frac, uint64_t unit_ns, uint64_t *ns)
{
	if (whole > UINT64_MAX / unit_ns)
		return false;
	*ns = whole * unit_ns + frac * unit_ns / 1000000000u;
	return true;
}

/* A duration with its unit, "5us", "1.5ms", "2s", in ns. Returns false if s is none. */
static bool parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	uint64_t whole, frac;
	if (!parse_decimal(&s, &whole, &frac))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(s, units[i].name))
			return scaled(whole, frac, units[i].ns, ns);
	return false;
}

/* One end of a --time-range: empty (open), a duration since the first event ("+1.5ms" or
 * "1.5ms"), or a timestamp of the event clock in seconds ("21774.3336"). */
static bool parse_range_end(const char *s, uint64_t *ns, bool *rel)
{
	uint64_t whole, frac;
	const char *p = s;
	*rel = *s == '+';
	if (*rel)
		return parse_duration(s + 1, ns);
	if (parse_decimal(&p, &whole, &frac) && !*p)
		return scaled(whole, frac, 1000000000u, ns);
	*rel = true;
	return parse_duration(s, ns);
}

static void parse_range(const char *arg, struct time_range *r)
{
	const char *tilde = strchr(arg, '~');
	if (!tilde)
		usage_error("--time-range: '%s' is not START~END (either may be left out)", arg);
	char *start = strndup(arg, (size_t)(tilde - arg));
	const char *end = tilde + 1;
	*r = (struct time_range){ 0, UINT64_MAX, false, false };
	if (*start && !parse_range_end(start, &r->start, &r->start_rel))
		usage_error("--time-range: '%s' is no timestamp (seconds, as 21774.3336) nor a time since the "
			    "start (+1.5ms; ns, us, ms, s)", start);
	if (*end && !parse_range_end(end, &r->end, &r->end_rel))
		usage_error("--time-range: '%s' is no timestamp (seconds, as 21774.3336) nor a time since the "
			    "start (+1.5ms; ns, us, ms, s)", end);
	if (!*start)
		r->start_rel = true;   /* from the first event */
	free(start);
}

/* -T GLOB@ACTION[,ACTION...]: filter and notrace add to -F and -N, the others are triggers. The
 * last @ ends GLOB, which may name a library function (malloc@libc.so.6@trace_off). */
static void parse_trigger(struct options *o, const char *arg)
{
	const char *at = strrchr(arg, '@');
	if (!at || at == arg || !at[1])
		usage_error("-T/--trigger: '%s' is not FUNC@ACTION[,ACTION...]", arg);
	char *glob = strndup(arg, (size_t)(at - arg)), *acts = xstrdup(at + 1), *save = NULL;
	unsigned actions = 0, depth = 0;
	for (char *a = strtok_r(acts, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		char *end;
		if (!strcmp(a, "trace_on") || !strcmp(a, "trace-on"))
			actions |= TRIGGER_ON;
		else if (!strcmp(a, "trace_off") || !strcmp(a, "trace-off"))
			actions |= TRIGGER_OFF;
		else if (!strcmp(a, "filter"))
			push(&o->filter, glob);
		else if (!strcmp(a, "notrace"))
			push(&o->notrace, glob);
		else if (!strncmp(a, "depth=", 6) && (depth = (unsigned)strtoul(a + 6, &end, 10)) >= 1 && depth <= 65535 &&
			 !*end && a[6] >= '0' && a[6] <= '9')
			actions |= TRIGGER_DEPTH;
		else
			usage_error("-T/--trigger: unknown action '%s' (trace_on, trace_off, depth=N, filter, notrace)", a);
	}
	if ((actions & (TRIGGER_ON | TRIGGER_OFF)) == (TRIGGER_ON | TRIGGER_OFF))
		usage_error("-T/--trigger: '%s' turns the trace both on and off", arg);
	free(acts);
	if (actions)
		trigger_add(glob, actions, depth);
	o->triggers = true;
}

/* getopt's own words for an option it did not take (it would print them itself with opterr, but
 * as argv[0] and on a line of its own): arg is the argument it was in. */
static noreturn void bad_option(const char *arg, const struct option *longopts)
{
	if (strncmp(arg, "--", 2) || !arg[2]) {
		if (optopt > 0 && optopt < 128 && optopt != '?')
			usage_error("invalid option -- '%s'", (char[]){ (char)optopt, 0 });
		usage_error("unrecognized option '%s'", arg);
	}
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	char all[1024] = "";
	size_t n = 0, at = 0;
	for (const struct option *lo = longopts; lo->name; lo++) {
		if (strncmp(lo->name, name, len))
			continue;
		if (strlen(lo->name) == len) {   /* exact: its value was what did not fit */
			if (lo->has_arg == no_argument && eq)
				usage_error("option '--%s' doesn't allow an argument", lo->name);
			break;
		}
		n++;
		at += (size_t)snprintf(all + at, at < sizeof(all) ? sizeof(all) - at : 0, " '--%s'", lo->name);
		if (at >= sizeof(all))
			at = sizeof(all) - 1;
	}
	if (n > 1) {
		fprintf(stderr, "%s: option '%s' is ambiguous; possibilities:%s (see fntrace --help)\n",
			util_progname, arg, all);
		exit(1);
	}
	usage_error("unrecognized option '%s'", arg);
}

static noreturn void missing_argument(const char *arg, const struct option *longopts)
{
	if (strncmp(arg, "--", 2))
		usage_error("option requires an argument -- '%s'", (char[]){ (char)optopt, 0 });
	for (const struct option *lo = longopts; lo->name; lo++)
		if (!strncmp(lo->name, arg + 2, strlen(arg + 2)) && lo->has_arg == required_argument &&
		    lo->val == optopt) {
			fprintf(stderr, "%s: option '--%s' requires an argument (see fntrace --help)\n", util_progname,
				lo->name);
			exit(1);
		}
	usage_error("option '%s' requires an argument", arg);
}

/* Each absolute directory of a --debuginfo-path must exist; the relative ones are relative to
 * each binary's own directory. A leading + or - (CRC checks, in elfutils) is not a path. */
static void check_debuginfo_path(const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		d += *d == '+' || *d == '-';
		struct stat sb;
		if (*d != '/')
			continue;
		if (stat(d, &sb))
			die("--debuginfo-path: %s: %s", d, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			die("--debuginfo-path: %s: Not a directory", d);
	}
	free(copy);
}

/* The options that shape one output format go with that format only. */
static void check_output_options(const struct options *o)
{
	bool stacks = o->format == VIEW_FOLDED || o->format == VIEW_SVG;
	if (o->per_thread && o->per_process)
		usage_error("%s", "--per-thread and --per-process cannot be used together");
	if (o->per_thread && o->format != VIEW_SUMMARY && !stacks)
		usage_error("%s", "--per-thread goes with -c/--summary, --format=folded or --format=svg");
	if (o->per_process && o->format != VIEW_SUMMARY && !stacks)
		usage_error("%s", "--per-process goes with -c/--summary, --format=folded or --format=svg");
	if (o->sort && o->format != VIEW_SUMMARY)
		usage_error("%s", "-s/--sort goes with -c/--summary");
	if ((o->fields || o->tstamps) && o->format != VIEW_GRAPH && o->format != VIEW_FLAT)
		usage_error("%s goes with the call graph or --flat", o->fields ? "--output-fields" : "-t");
	if (o->srcline && (stacks || o->format == VIEW_CHROME))
		usage_error("%s", "--srcline goes with the call graph, --flat, -c/--summary or --format=json");
	if (o->weight_given && !stacks)
		usage_error("%s", "--weight goes with --format=folded or --format=svg");
	if (o->quiet && o->output)
		usage_error("%s", "-q/--quiet and -o/--output cannot be used together");
	if (o->format >= VIEW_CHROME && !o->output && !o->read && !o->quiet)
		usage_error("--format=%s makes a file for other tools: name it with -o/--output FILE",
			    view_format_name(o->format));
}

/* Parses --output-fields and -t into cfg's columns. Exits with a message on an unknown field. */
void options_columns(const struct options *o, struct view_config *cfg)
{
	cfg->nfields = 0;
	if (!o->fields && !o->tstamps)
		return;
	bool flat = o->format == VIEW_FLAT;
	const char *list = o->fields ? o->fields : "+";
	if (*list == '+') {
		list++;
		if (!flat) {
			cfg->fields[cfg->nfields++] = VIEW_F_DURATION;
			cfg->fields[cfg->nfields++] = VIEW_F_TID;
		}
	}
	char *copy = xstrdup(list), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int f = view_field_by_name(tok);
		if (f < 0)
			usage_error("--output-fields: unknown field '%s' (duration, tid, time, elapsed, delta, module)",
				    tok);
		if (flat && f == VIEW_F_DURATION)
			usage_error("%s", "--output-fields: no duration with --flat (it prints entries)");
		if (cfg->nfields == VIEW_MAX_FIELDS)
			usage_error("--output-fields: '%s' has too many fields", list);
		cfg->fields[cfg->nfields++] = (uint8_t)f;
	}
	free(copy);
	cfg->time_style = o->tstamps > 3 ? 3 : o->tstamps;
	bool has_time = false;
	for (unsigned i = 0; i < cfg->nfields; i++)
		has_time |= cfg->fields[i] == VIEW_F_TIME;
	if (o->tstamps && !has_time && cfg->nfields < VIEW_MAX_FIELDS) {
		memmove(cfg->fields + 1, cfg->fields, cfg->nfields);
		cfg->fields[0] = VIEW_F_TIME;
		cfg->nfields++;
	}
	if (!cfg->nfields)
		usage_error("--output-fields: '%s' has no field", o->fields);
}

/* --diff, --graph and --info read trace files and print what no other view does: each its own
 * output, with the options that make sense for it. format_given: --format or --flat was. */
static void check_analysis_options(const struct options *o, bool format_given)
{
	const char *what = o->diff ? "--diff" : o->graph ? "--graph" : o->info ? "--info" : NULL;
	if (!what)
		return;
	if ((o->diff != NULL) + (o->graph != NULL) + o->info > 1)
		usage_error("%s", "--diff, --graph and --info cannot be used together");
	if (!o->read)
		usage_error("%s reads trace files: it needs -r/--read FILE", what);
	if (o->diff && o->format != VIEW_SUMMARY)
		usage_error("%s", "--diff compares the summaries of two files: it goes with -r FILE -c/--summary");
	if (!o->diff && (o->format != VIEW_GRAPH || format_given))
		usage_error("%s is an output of its own: no -c/--summary, --flat or --format with it", what);
	if (o->per_thread || o->per_process)
		usage_error("%s adds up every thread and process: no --per-thread or --per-process with it", what);
	if (o->quiet)
		usage_error("%s and -q/--quiet cannot be used together", what);
	if (o->sort && !o->diff)
		usage_error("%s", "-s/--sort goes with -c/--summary");
	if (o->filter || o->notrace || o->callers || o->triggers || o->ntids || o->npid_filter || o->time_min ||
	    o->has_range)
		usage_error("%s adds up whole files: no -F, -N, -C, -T, --tid, --pid-filter, --time-filter or "
			    "--time-range with it", what);
	if (o->srcline)
		usage_error("%s and --srcline cannot be used together", what);
	if (o->info && (o->include || o->exclude || o->depth))
		usage_error("%s", "--info describes the whole file: no -i, -x or -D with it");
}

/* --tui shows a trace file in every view itself: only the filters go with it. */
static void check_tui_options(const struct options *o, bool format_given)
{
	if (!o->tui)
		return;
	if (!o->read)
		usage_error("%s", "--tui shows a trace file: it needs -r/--read FILE");
	if (o->diff || o->graph || o->info)
		usage_error("--tui and %s cannot be used together", o->diff ? "--diff" : o->graph ? "--graph" : "--info");
	if (o->format != VIEW_GRAPH || format_given || o->output || o->quiet || o->write || o->sort || o->per_thread
	    || o->per_process || o->weight_given || o->separately)
		usage_error("%s", "--tui is a view of its own: only -i, -x and -D go with it");
	/* Issue 11's display filters and columns are the sink's and the graph's: not the TUI's, yet. */
	if (o->filter || o->notrace || o->callers || o->triggers || o->ntids || o->npid_filter || o->time_min ||
	    o->has_range || o->fields || o->tstamps || o->srcline)
		usage_error("%s", "--tui is a view of its own: only -i, -x and -D go with it");
}

/* path with its directory made absolute and free of links (the file itself may not exist
 * yet), malloc'd; or a copy of path if its directory cannot be resolved. */
static char *canonical(const char *path)
{
	char *copy = xstrdup(path), *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : copy) : ".", *base = slash ? slash + 1 : copy;
	if (slash)
		*slash = 0;
	char *real = realpath(dir, NULL), *out;
	if (!real)
		out = xstrdup(path);
	else {
		out = xmalloc(strlen(real) + strlen(base) + 2);
		sprintf(out, "%s/%s", real, base);
	}
	free(real);
	free(copy);
	return out;
}

/* Whether a and b are the same regular file, or the same name of a file not there yet. Devices
 * (-o /dev/null -w /dev/null) are no conflict. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	bool ea = !stat(a, &sa), eb = !stat(b, &sb);
	if (ea || eb)
		return ea && eb && S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	char *ca = canonical(a), *cb = canonical(b);
	bool same = !strcmp(ca, cb);
	free(ca);
	free(cb);
	return same;
}

/* A file fntrace writes must not be one it reads or another it writes: opening it would
 * destroy it (-o PROG PROG truncated the program) or leave two writers in it. Checked before
 * anything is opened. prog is PROGRAM as given, or NULL. */
static void check_files(const struct options *o, const char *prog)
{
	const char *out = o->separately ? NULL : o->output;
	/* Not found: resolve_program says so, after these checks. */
	char *path = prog && (out || o->write) ? find_program(prog) : NULL;
	if (out && o->write && same_file(out, o->write))
		usage_error("%s", "-o/--output and -w/--write cannot name the same file");
	if (out && o->read && same_file(out, o->read))
		usage_error("%s", "-o/--output and -r/--read cannot name the same file");
	if (out && o->diff && same_file(out, o->diff))
		usage_error("%s", "-o/--output and --diff cannot name the same file");
	if (o->write && o->read && same_file(o->write, o->read))
		usage_error("%s", "-r/--read and -w/--write cannot name the same file");
	if (path && out && same_file(out, path))
		usage_error("-o/--output %s is PROGRAM itself: it would be overwritten", out);
	if (path && o->write && same_file(o->write, path))
		usage_error("-w/--write %s is PROGRAM itself: it would be overwritten", o->write);
	free(path);
}

/* -r replays a file: what only changes how a program is traced has no place there. */
static void check_read_options(const struct options *o, bool program)
{
	if (program)
		usage_error("%s", "-r/--read and PROGRAM cannot be used together");
	if (o->npids)
		usage_error("%s", "-r/--read and -p/--pid cannot be used together");
	if (o->follow)
		usage_error("%s", "-r/--read and -f/--follow-forks cannot be used together (the file has what was traced)");
	if (o->once)
		usage_error("%s", "-r/--read and --once cannot be used together");
	if (o->libs)
		usage_error("%s", "-r/--read and -l/--lib cannot be used together (the file has what was traced)");
	if (o->no_libcalls)
		usage_error("%s", "-r/--read and --no-libcalls cannot be used together (the file has what was traced)");
	if (o->no_demangle)
		usage_error("%s", "-r/--read and --no-demangle cannot be used together (the file has the names as traced)");
	if (o->debuginfo_path)
		usage_error("%s", "-r/--read and --debuginfo-path cannot be used together (the file has the names as traced)");
	if (o->write && (o->diff || o->graph || o->info))
		usage_error("-w/--write and %s cannot be used together (nothing is traced)",
			    o->diff ? "--diff" : o->graph ? "--graph" : "--info");
	if (o->fast || o->no_fast)
		usage_error("-r/--read and %s cannot be used together (a file is read, nothing traced)",
			    o->fast ? "--fast" : "--no-fast");
	if (o->auto_args || o->narg_specs || o->nret_specs)
		usage_error("-r/--read and %s cannot be used together (the file has the values as traced)",
			    o->auto_args ? "-a/--auto-args" : o->narg_specs ? "-A/--argument" : "-R/--retval");
}

void options_parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "output",  required_argument, NULL, 'o' },
		{ "flat",    no_argument,       NULL, OPT_FLAT },
		{ "summary", no_argument,       NULL, 'c' },
		{ "include", required_argument, NULL, 'i' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "filter",  required_argument, NULL, 'F' },
		{ "notrace", required_argument, NULL, 'N' },
		{ "tid",     required_argument, NULL, OPT_TID },
		{ "pid-filter", required_argument, NULL, OPT_PID_FILTER },
		{ "time-filter", required_argument, NULL, OPT_TIME_FILTER },
		{ "time-range", required_argument, NULL, OPT_TIME_RANGE },
		{ "caller-filter", required_argument, NULL, 'C' },
		{ "trigger", required_argument, NULL, 'T' },
		{ "output-fields", required_argument, NULL, OPT_FIELDS },
		{ "color",   required_argument, NULL, OPT_COLOR },
		{ "colour",  required_argument, NULL, OPT_COLOR },
		{ "no-pager", no_argument,      NULL, OPT_NO_PAGER },
		{ "srcline", no_argument,       NULL, OPT_SRCLINE },
		{ "depth",   required_argument, NULL, 'D' },
		{ "once",    no_argument,       NULL, OPT_ONCE },
		{ "lib",     required_argument, NULL, 'l' },
		{ "no-libcalls", no_argument,   NULL, OPT_NO_LIBCALLS },
		{ "no-demangle", no_argument,   NULL, OPT_NO_DEMANGLE },
		{ "follow-forks", no_argument,  NULL, 'f' },
		{ "output-separately", no_argument, NULL, OPT_SEPARATELY },
		{ "per-thread", no_argument,    NULL, OPT_PER_THREAD },
		{ "per-process", no_argument,   NULL, OPT_PER_PROCESS },
		{ "format",  required_argument, NULL, OPT_FORMAT },
		{ "sort",    required_argument, NULL, 's' },
		{ "weight",  required_argument, NULL, OPT_WEIGHT },
		{ "write",   required_argument, NULL, 'w' },
		{ "read",    required_argument, NULL, 'r' },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "diff",    required_argument, NULL, OPT_DIFF },
		{ "graph",   required_argument, NULL, OPT_GRAPH },
		{ "info",    no_argument,       NULL, OPT_INFO },
		{ "tui",     no_argument,       NULL, OPT_TUI },
		{ "pid",     required_argument, NULL, 'p' },
		{ "debug",   required_argument, NULL, OPT_DEBUG },
		{ "debuginfo-path", required_argument, NULL, OPT_DEBUGINFO_PATH },
		{ "fast",    no_argument,       NULL, OPT_FAST },
		{ "no-fast", no_argument,       NULL, OPT_NO_FAST },
		{ "no-cache", no_argument,      NULL, OPT_NO_CACHE },
		{ "auto-args", no_argument,     NULL, 'a' },
		{ "argument", required_argument, NULL, 'A' },
		{ "retval",  required_argument, NULL, 'R' },
		{ "strsize", required_argument, NULL, OPT_STRSIZE },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool flat = false, summary = false;
	int format = -1, nfollow = 0;
	int c;
	memset(o, 0, sizeof(*o));
	o->format = VIEW_GRAPH;
	o->strsize = ARGS_STRSIZE_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:ci:x:F:N:C:T:D:fp:l:s:tw:r:qaA:R:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case OPT_FLAT:
			flat = true;
			break;
		case 'c':
			summary = true;
			break;
		case 'i':
			push(&o->include, optarg);
			break;
		case 'x':
			push(&o->exclude, optarg);
			break;
		case 'F':
			push(&o->filter, optarg);
			break;
		case 'N':
			push(&o->notrace, optarg);
			break;
		case 'D': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 65535)
				usage_error("-D/--depth: '%s' is not a depth from 1 to 65535", optarg);
			o->depth = (unsigned)v;
			break;
		}
		case OPT_ONCE:
			o->once = true;
			break;
		case 'l':
			push(&o->libs, optarg);
			break;
		case OPT_NO_LIBCALLS:
			o->no_libcalls = true;
			break;
		case OPT_NO_DEMANGLE:
			o->no_demangle = true;
			break;
		case OPT_FAST:
			o->fast = true;
			break;
		case OPT_NO_FAST:
			o->no_fast = true;
			break;
		case OPT_NO_CACHE:
			o->no_cache = true;
			break;
		case 'f':
			o->follow = true;
			nfollow++;   /* -ff, as strace's: one file per process too */
			break;
		case OPT_SEPARATELY:
			o->separately = true;
			break;
		case OPT_PER_THREAD:
			o->per_thread = true;
			break;
		case OPT_PER_PROCESS:
			o->per_process = true;
			break;
		case OPT_FORMAT:
			if ((format = view_format_by_name(optarg)) < 0)
				usage_error("--format: unknown format '%s' (graph, flat, summary, chrome, folded, json, svg)",
					    optarg);
			break;
		case 's':
			if ((o->sort = view_sort_by_name(optarg)) < 0)
				usage_error("-s/--sort: unknown key '%s' (total, self, calls, avg, name)", optarg);
			break;
		case OPT_WEIGHT:
			if (strcmp(optarg, "time") && strcmp(optarg, "calls"))
				usage_error("--weight: '%s' is neither time nor calls", optarg);
			o->weight_calls = !strcmp(optarg, "calls");
			o->weight_given = true;
			break;
		case 'w':
			o->write = optarg;
			break;
		case 'r':
			o->read = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_DIFF:
			o->diff = optarg;
			break;
		case OPT_GRAPH:
			o->graph = optarg;
			break;
		case OPT_INFO:
			o->info = true;
			break;
		case OPT_TUI:
			o->tui = true;
			break;
		case 'p':
			parse_ids(&o->pids, &o->npids, optarg, "-p/--pid", "process");
			break;
		case OPT_TID:
			parse_ids(&o->tids, &o->ntids, optarg, "--tid", "thread");
			break;
		case 'C':
			push(&o->callers, optarg);
			break;
		case OPT_FIELDS:
			o->fields = optarg;
			break;
		case 't':
			o->tstamps++;
			break;
		case OPT_COLOR:
			if (!strcmp(optarg, "auto"))
				o->color = 0;
			else if (!strcmp(optarg, "always"))
				o->color = 1;
			else if (!strcmp(optarg, "never"))
				o->color = -1;
			else
				usage_error("--color: '%s' is not auto, always or never", optarg);
			break;
		case OPT_NO_PAGER:
			o->no_pager = true;
			break;
		case OPT_SRCLINE:
			o->srcline = true;
			break;
		case 'T':
			parse_trigger(o, optarg);
			break;
		case OPT_TIME_FILTER:
			if (!parse_duration(optarg, &o->time_min) || !o->time_min)
				usage_error("--time-filter: '%s' is not a duration like 5us, 1.5ms or 2s (ns, us, ms, s)",
					    optarg);
			break;
		case OPT_TIME_RANGE:
			parse_range(optarg, &o->range);
			o->has_range = true;
			break;
		case OPT_PID_FILTER:
			parse_ids(&o->pid_filter, &o->npid_filter, optarg, "--pid-filter", "process");
			break;
		case OPT_DEBUG:
			util_debug |= parse_debug(optarg);
			break;
		case OPT_DEBUGINFO_PATH:
			check_debuginfo_path(optarg);
			o->debuginfo_path = optarg;
			break;
		case 'a':
			o->auto_args = true;
			break;
		case 'A':
			parse_spec(&o->arg_specs, &o->narg_specs, "-A/--argument", optarg);
			break;
		case 'R':
			parse_spec(&o->ret_specs, &o->nret_specs, "-R/--retval", optarg);
			break;
		case OPT_STRSIZE: {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 65536)
				usage_error("--strsize: '%s' is not a length from 0 to 65536", optarg);
			o->strsize = (unsigned)v;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			printf("fntrace %s\n", FNTRACE_VERSION);
			exit(0);
		case ':':
			missing_argument(argv[optind - 1], longopts);
		default:
			bad_option(argv[optind - 1], longopts);
		}
	}
	if (flat && summary)
		usage_error("%s", "--flat and -c/--summary cannot be used together");
	o->format = flat ? VIEW_FLAT : summary ? VIEW_SUMMARY : VIEW_GRAPH;
	if (format >= 0 && (flat || summary) && (enum view_format)format != o->format)
		usage_error("--format and %s cannot be used together", flat ? "--flat" : "-c/--summary");
	if (format >= 0)
		o->format = (enum view_format)format;
	if (nfollow > 1 && !o->output)
		usage_error("%s", "-ff writes one file per process, FILE.PID: it needs -o/--output FILE");
	o->separately |= nfollow > 1;
	if (o->separately && !o->output)
		usage_error("%s", "--output-separately needs -o/--output FILE");
	if (o->fast && o->no_fast)
		usage_error("%s", "--fast and --no-fast cannot be used together");
	check_tui_options(o, format >= 0 || flat);
	check_analysis_options(o, format >= 0 || flat);
	check_output_options(o);
	check_files(o, optind < argc ? argv[optind] : NULL);
	if (o->read) {
		check_read_options(o, optind < argc);
		return;
	}
	if (o->npids) {
		if (optind < argc)
			usage_error("%s", "-p/--pid and PROGRAM cannot be used together");
		o->argv = NULL;
		return;
	}
	if (optind >= argc)
		usage_error("%s", "no PROGRAM to trace (or -p PID)");
	o->argv = argv + optind;
	o->path = resolve_program(argv[optind]);
}
