/* analysis: read trace files into profiles and compare them (--diff) or show one function's
 * callers and callees (--graph); --info is in info.c. */
#include "analysis.h"
#include "profile.h"
#include "../rec/funcs.h"
#include "../rec/sink.h"
#include "../rec/tracefile.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

static bool replay_failed;   /* some file was cut or corrupt: the exit status says so */

void analysis_replay(const struct analysis *a, const char *path, void (*fn)(const struct event *ev),
		     struct tracefile **keep)
{
	char err[512];
	struct tracefile *tf = tracefile_open(path, err, sizeof(err));
	if (!tf)
		die("%s", err);
	sink_setup(fn, a->depth);
	if (tracefile_replay(tf, a->include, a->exclude, err, sizeof(err))) {
		warn_msg("%s", err);
		replay_failed = true;
	}
	sink_setup(NULL, 0);
	if (keep)
		*keep = tf;
	else
		tracefile_close(tf);
}

int analysis_run(const struct analysis *a)
{
	FILE *fp = stdout;
	if (a->output && !(fp = fopen(a->output, "we")))
		die_errno("cannot create %s", a->output);
	if (a->diff)
		analysis_diff(fp, a);
	else if (a->graph)
		analysis_graph(fp, a);
	else
		analysis_info(fp, a);
	if (fflush(fp) || ferror(fp) || (fp != stdout && fclose(fp))) {
		warn_errno("writing %s", a->output ? a->output : "the standard output");
		return 1;
	}
	return replay_failed;
}

/* ---- the profiles being filled ---- */

static struct profile *current;

static void into_current(const struct event *ev)
{
	profile_event(current, ev);
}

static struct profile *profile_of(const struct analysis *a, const char *path)
{
	current = profile_new();
	analysis_replay(a, path, into_current, NULL);
	struct profile *pf = current;
	current = NULL;
	return pf;
}

/* Dies now, before anything is read, if path is no trace file: the user learns it at once. */
static void check_readable(const char *path)
{
	char err[512];
	struct tracefile *tf = tracefile_open(path, err, sizeof(err));
	if (!tf)
		die("%s", err);
	tracefile_close(tf);
}

/* ---- --diff ---- */

/* One row: a function in A, in B, or in both. */
struct drow {
	const char *name;
	const struct pfunc *a, *b;   /* NULL where the function was not called */
};

static enum view_sort diff_key;

static int64_t signed_diff(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

static uint64_t calls_of(const struct pfunc *f) { return f ? f->calls : 0; }
static uint64_t total_of(const struct pfunc *f) { return f ? f->total : 0; }
static uint64_t self_of(const struct pfunc *f) { return f ? f->self : 0; }
static uint64_t avg_of(const struct pfunc *f) { return f && f->calls ? f->total / f->calls : 0; }

/* The size of the change that orders the rows, whichever way it went. */
static uint64_t change_of(const struct drow *r)
{
	uint64_t (*get)(const struct pfunc *) = diff_key == VIEW_SORT_SELF ? self_of
		: diff_key == VIEW_SORT_CALLS ? calls_of : diff_key == VIEW_SORT_AVG ? avg_of : total_of;
	uint64_t a = get(r->a), b = get(r->b);
	return a > b ? a - b : b - a;
}

static int by_change(const void *pa, const void *pb)
{
	const struct drow *x = pa, *y = pb;
	if (diff_key != VIEW_SORT_NAME) {
		uint64_t cx = change_of(x), cy = change_of(y);
		if (cx != cy)
			return cx > cy ? -1 : 1;
	}
	return strcmp(x->name, y->name);
}

/* "+1.234 ms", "-850 ns", "0 ns": a change of time, right-aligned in 12 columns. */
static void fmt_change(int64_t d, char out[48])
{
	char buf[32];
	view_fmt_duration(d < 0 ? (uint64_t)-d : (uint64_t)d, buf);
	const char *s = buf + strspn(buf, " ");
	snprintf(out, 48, "%*s%c%s", (int)(11 - strlen(s)), "", d > 0 ? '+' : d < 0 ? '-' : ' ', s);
}

/* The change as a percentage of A's value; "new" and "gone" for a function in one trace only. */
static void fmt_percent(const struct drow *r, uint64_t a, uint64_t b, char out[16])
{
	if (!r->a)
		snprintf(out, 16, "new");
	else if (!r->b)
		snprintf(out, 16, "gone");
	else if (!a)
		snprintf(out, 16, b ? "+inf%%" : "0.0%%");
	else
		snprintf(out, 16, "%+.1f%%", ((double)b - (double)a) * 100.0 / (double)a);
}

static void fmt_time(const struct pfunc *f, uint64_t ns, char out[32])
{
	if (f)
		view_fmt_duration(ns, out);
	else
		snprintf(out, 32, "%11s", "-");
}

static void fmt_calls(const struct pfunc *f, char out[24])
{
	if (f)
		snprintf(out, 24, "%" PRIu64, f->calls);
	else
		snprintf(out, 24, "-");
}

static void diff_header(FILE *fp)
{
	fprintf(fp, "%11s  %11s  %12s  %8s   %11s  %11s  %12s  %8s   %8s  %8s  %9s  %s\n", "Total A", "Total B",
		"Change", "%", "Self A", "Self B", "Change", "%", "Calls A", "Calls B", "Change", "Function");
	fprintf(fp, "%.11s  %.11s  %.12s  %.8s   %.11s  %.11s  %.12s  %.8s   %.8s  %.8s  %.9s  %s\n",
		"============", "============", "============", "============", "============", "============",
		"============", "============", "============", "============", "============", "====================");
}

static void diff_row(FILE *fp, const struct drow *r)
{
	char ta[32], tb[32], tc[48], tp[16], sa[32], sb[32], sc[48], sp[16], ca[24], cb[24];
	fmt_time(r->a, total_of(r->a), ta);
	fmt_time(r->b, total_of(r->b), tb);
	fmt_change(signed_diff(total_of(r->a), total_of(r->b)), tc);
	fmt_percent(r, total_of(r->a), total_of(r->b), tp);
	fmt_time(r->a, self_of(r->a), sa);
	fmt_time(r->b, self_of(r->b), sb);
	fmt_change(signed_diff(self_of(r->a), self_of(r->b)), sc);
	fmt_percent(r, self_of(r->a), self_of(r->b), sp);
	fmt_calls(r->a, ca);
	fmt_calls(r->b, cb);
	fprintf(fp, "%11s  %11s  %12s  %8s   %11s  %11s  %12s  %8s   %8s  %8s  %+9" PRId64 "  %s\n", ta, tb, tc, tp, sa,
		sb, sc, sp, ca, cb, signed_diff(calls_of(r->a), calls_of(r->b)), r->name);
}

void analysis_diff(FILE *fp, const struct analysis *a)
{
	check_readable(a->diff);
	struct profile *pa = profile_of(a, a->read), *pb = profile_of(a, a->diff);
	size_t na, nb;
	struct pfunc **fa = profile_funcs(pa, &na), **fb = profile_funcs(pb, &nb);
	struct drow *rows = xmalloc((na + nb + 1) * sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; i < na; i++)
		rows[n++] = (struct drow){ fa[i]->name, fa[i], profile_find(pb, fa[i]->name) };
	for (size_t i = 0; i < nb; i++)
		if (!profile_find(pa, fb[i]->name))
			rows[n++] = (struct drow){ fb[i]->name, NULL, fb[i] };
	diff_key = a->sort;
	qsort(rows, n, sizeof(*rows), by_change);
	fprintf(fp, "# A: %s\n# B: %s\n", a->read, a->diff);
	diff_header(fp);
	for (size_t i = 0; i < n; i++)
		diff_row(fp, &rows[i]);
	free(rows);
	free(fa);
	free(fb);
	profile_free(pa);
	profile_free(pb);
}

/* ---- --graph ---- */

/* A library function f@lib matches by f too, as with -i and -x. */
static bool name_matches(const char *glob, const char *name)
{
	if (!fnmatch(glob, name, 0))
		return true;
	const char *at = strrchr(name, '@');
	if (!at || at == name)
		return false;
	char *bare = xstrdup(name);
	bare[at - name] = 0;
	bool m = !fnmatch(glob, bare, 0);
	free(bare);
	return m;
}

static int by_name(const void *pa, const void *pb)
{
	return strcmp((*(struct pfunc *const *)pa)->name, (*(struct pfunc *const *)pb)->name);
}

static void graph_line(FILE *fp, uint64_t total, uint64_t self, uint64_t calls, const char *indent, const char *name)
{
	char t[32], s[32];
	view_fmt_duration(total, t);
	view_fmt_duration(self, s);
	fprintf(fp, "%11s  %11s  %10" PRIu64 "  %s%s\n", t, s, calls, indent, name);
}

/* f's callers (each with the time of f's calls from it), f, and its callees (each with the time
 * of its calls from f), like gprof's call graph entries. */
static void graph_of(FILE *fp, struct profile *pf, struct pfunc *f)
{
	size_t nin, nout;
	struct pedge **in = profile_callers(pf, f, &nin), **out = profile_callees(f, &nout);
	fprintf(fp, "%11s  %11s  %10s  %s\n", "Total", "Self", "Calls", "Function");
	fprintf(fp, "%11s  %11s  %10s  %s\n", "===========", "===========", "==========", "====================");
	for (size_t i = 0; i < nin; i++)
		graph_line(fp, in[i]->total, in[i]->self, in[i]->calls, "    ", in[i]->caller->name);
	graph_line(fp, f->total, f->self, f->calls, "", f->name);
	for (size_t i = 0; i < nout; i++)
		graph_line(fp, out[i]->total, out[i]->self, out[i]->calls, "    -> ", out[i]->callee->name);
	free(in);
	free(out);
}

void analysis_graph(FILE *fp, const struct analysis *a)
{
	struct profile *pf = profile_of(a, a->read);
	size_t n, shown = 0;
	struct pfunc **all = profile_funcs(pf, &n);
	qsort(all, n, sizeof(*all), by_name);
	for (size_t i = 0; i < n; i++) {
		if (!name_matches(a->graph, all[i]->name))
			continue;
		fprintf(fp, "%s# %s: callers above, callees below (->)\n", shown++ ? "\n" : "", all[i]->name);
		graph_of(fp, pf, all[i]);
	}
	free(all);
	profile_free(pf);
	if (!shown)
		die("--graph: no function matching '%s' was called in %s", a->graph, a->read);
}
