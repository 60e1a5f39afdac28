/* view/tui (--tui): a trace file in a full-screen terminal view, as `uftrace tui` shows one.
 *
 * Four screens: the call graph (calls merged by path, per thread or per process, folded and
 * unfolded with the keyboard), the summary (the -c table, sorted by any column), one function's
 * callers, callees and call paths (what --graph prints), and the help. The data is read once:
 * the call tree (calltree.c) and the per-function profile (profile.c) both grow with the number
 * of distinct functions and call paths, not with the number of calls. Nothing here reads events
 * after the start but the 'p' key, which reads the file again to group the tree differently. */
#include "tui.h"
#include "analysis.h"
#include "calltree.h"
#include "profile.h"
#include "../rec/funcs.h"
#include "../rec/names.h"

#include <curses.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <locale.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum tui_screen { SCR_GRAPH, SCR_SUMMARY, SCR_FUNC, SCR_CALLS, SCR_HELP };

/* One call of the function the calls screen lists. */
struct tcall {
	uint64_t start, duration;   /* start: ns since the first event of the file */
	int32_t tid;
	uint16_t depth;
	char *values;               /* "(3, 0x7ffd1000) = 7" where the file has them, else NULL */
};

/* The calls screen keeps at most this many calls (32 bytes each, and their values), the first
 * ones. */
#define CALLS_MAX 200000

/* The summary's columns, in the order 's' goes through them. */
enum column { COL_TOTAL, COL_SELF, COL_CALLS, COL_AVG, COL_MIN, COL_MAX, COL_NAME, NCOLUMNS };
static const char *const column_names[NCOLUMNS] = { "Total", "Self", "Calls", "Avg", "Min", "Max", "Function" };

/* A scrolling list: the row under the cursor and the first row on the screen. */
struct list {
	size_t n, cur, top;
};

/* A row of the function screen. */
enum frow_kind { FROW_CALLER, FROW_SELF, FROW_CALLEE, FROW_BLANK, FROW_HEADING, FROW_PATH };
struct frow {
	enum frow_kind kind;
	const struct pedge *e;    /* FROW_CALLER, FROW_CALLEE */
	uint32_t node;            /* FROW_PATH: the call-tree node */
};

#define HISTORY_MAX 64

static struct tui {
	const struct analysis *a;
	struct profile *pf;
	struct calltree ct;
	struct pfunc **funcs;     /* the summary's rows, sorted by sort */
	enum column sort;
	enum tui_screen screen;
	enum tui_screen origin;       /* the graph or the summary: where the function screen goes back to */
	enum tui_screen before_help;
	struct list graph, summary, func, calls;
	struct tcall *callv;      /* the calls screen's rows, by start time */
	size_t capcalls;
	uint64_t ncalls;          /* the calls of its function in the file, listed or not */
	uint64_t first_ts;        /* of the file's first event: calls' starts are counted from it */
	bool seen_first;
	const char *calls_of;     /* the interned name of that function */
	struct addrmap entry_args;/* tid << 16 | depth -> the arguments of its open call (malloc'd) */
	struct frow *frows;
	size_t capfrows;
	const struct pfunc *history[HISTORY_MAX];   /* the function screens on the way, the last shown */
	size_t nhistory;
	char pattern[128];        /* the last search */
	bool is_regex;            /* it is a POSIX extended regular expression ('r'), compiled in regex */
	regex_t regex;
	int hscroll;              /* columns the titles and rows are scrolled to the left (< >) */
	char msg[256];            /* said on the status line until the next key */
} tui;

static volatile sig_atomic_t quit_signal;

static void on_quit_signal(int sig)
{
	quit_signal = sig;
}

/* ---- reading the file ---- */

static void into_both(const struct event *ev)
{
	profile_event(tui.pf, ev);
	calltree_event(&tui.ct, ev);
}

static void into_tree(const struct event *ev)
{
	calltree_event(&tui.ct, ev);
}

/* Reads the file again into fn. It was read whole once: its warnings, if any, were said then, and
 * would now land in the middle of the screen. */
static void replay_quietly(void (*fn)(const struct event *ev))
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null >= 0)
		dup2(null, 2);
	analysis_replay(tui.a, tui.a->read, fn, NULL);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (null >= 0)
		close(null);
}

/* Builds the call tree again with the other grouping. */
static void regroup(void)
{
	bool by_process = !tui.ct.by_process;
	calltree_free(&tui.ct);
	calltree_init(&tui.ct, by_process);
	replay_quietly(into_tree);
	calltree_rows(&tui.ct);
	tui.graph = (struct list){ tui.ct.nrows, 0, 0 };
	snprintf(tui.msg, sizeof(tui.msg), "the call graph per %s", by_process ? "process" : "thread");
}

static void into_calls(const struct event *ev)
{
	if (!tui.seen_first) {
		tui.first_ts = ev->ts;
		tui.seen_first = true;
	}
	if ((ev->kind != EV_EXIT && ev->kind != EV_ENTRY) || funcs_name(ev->fn) != tui.calls_of)
		return;
	taddr_t key = (taddr_t)(uint32_t)ev->tid << 16 | ev->depth;
	if (ev->kind == EV_ENTRY) {
		if (ev->args) {
			free(addrmap_del(&tui.entry_args, key));   /* (a longjmp left that one open) */
			addrmap_put(&tui.entry_args, key, xstrdup(ev->args));
		}
		return;
	}
	char *args = addrmap_del(&tui.entry_args, key);
	if (tui.ncalls++ >= CALLS_MAX) {
		free(args);
		return;
	}
	char *values = NULL;
	if (args || ev->args) {
		size_t len = (args ? strlen(args) : 0) + (ev->args ? strlen(ev->args) : 0) + 6;
		values = xmalloc(len);
		snprintf(values, len, "(%s)%s%s", args ? args : "", ev->args ? " = " : "", ev->args ? ev->args : "");
	}
	free(args);
	xgrow(&tui.callv, &tui.capcalls, tui.calls.n + 1, sizeof(*tui.callv));
	tui.callv[tui.calls.n++] = (struct tcall){ ev->t0 - tui.first_ts, ev->ts - ev->t0, ev->tid, ev->depth,
						   values };
}

static void free_value(taddr_t key, void *val, void *arg)
{
	free(val);
}

/* Frees the calls screen's values, and the arguments of calls left open. */
static void free_calls(void)
{
	for (size_t i = 0; i < tui.calls.n; i++)
		free(tui.callv[i].values);
	addrmap_each(&tui.entry_args, free_value, NULL);
	addrmap_free(&tui.entry_args);
	tui.entry_args = (struct addrmap){ 0 };
}

static int by_start(const void *pa, const void *pb)
{
	const struct tcall *x = pa, *y = pb;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Opens the calls screen of f: the file is read again for them, only when asked (a big trace
 * holds millions). */
static void list_calls(const struct pfunc *f)
{
	free_calls();
	tui.calls_of = f->name;
	tui.calls = (struct list){ 0 };
	tui.ncalls = 0;
	tui.seen_first = false;
	replay_quietly(into_calls);
	if (tui.calls.n)
		qsort(tui.callv, tui.calls.n, sizeof(*tui.callv), by_start);
	if (tui.ncalls > tui.calls.n)
		snprintf(tui.msg, sizeof(tui.msg), "the first %zu calls of %" PRIu64 " (by their return)", tui.calls.n,
			 tui.ncalls);
	tui.screen = SCR_CALLS;
}

/* ---- the summary's order ---- */

static uint64_t avg_of(const struct pfunc *f)
{
	return f->calls ? f->sum / f->calls : 0;
}

static uint64_t column_value(const struct pfunc *f, enum column c)
{
	switch (c) {
	case COL_TOTAL: return f->total;
	case COL_SELF: return f->self;
	case COL_CALLS: return f->calls;
	case COL_AVG: return avg_of(f);
	case COL_MIN: return f->min;
	case COL_MAX: return f->max;
	default: return 0;
	}
}

/* Largest first, by name for a tie (and by name alone for the name column). */
static int by_column(const void *pa, const void *pb)
{
	const struct pfunc *x = *(struct pfunc *const *)pa, *y = *(struct pfunc *const *)pb;
	uint64_t vx = column_value(x, tui.sort), vy = column_value(y, tui.sort);
	if (vx != vy)
		return vx > vy ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void sort_summary(void)
{
	if (tui.summary.n)
		qsort(tui.funcs, tui.summary.n, sizeof(*tui.funcs), by_column);
	tui.summary.cur = tui.summary.top = 0;
}

/* ---- the function screen ---- */

static struct frow *frow_add(enum frow_kind kind)
{
	xgrow(&tui.frows, &tui.capfrows, tui.func.n + 1, sizeof(*tui.frows));
	struct frow *r = &tui.frows[tui.func.n++];
	*r = (struct frow){ .kind = kind };
	return r;
}

/* Fills the rows for f: its callers, f, its callees, then every call path that ends in it. */
static void show_function(const struct pfunc *f)
{
	size_t nin, nout;
	struct pedge **in = profile_callers(tui.pf, f, &nin), **out = profile_callees(f, &nout);
	tui.func.n = 0;
	for (size_t i = 0; i < nin; i++)
		frow_add(FROW_CALLER)->e = in[i];
	frow_add(FROW_SELF);
	tui.func.cur = tui.func.n - 1;
	tui.func.top = 0;
	for (size_t i = 0; i < nout; i++)
		frow_add(FROW_CALLEE)->e = out[i];
	free(in);
	free(out);
	frow_add(FROW_BLANK);
	frow_add(FROW_HEADING);
	for (size_t node = 1; node < tui.ct.n; node++)
		if (!tui.ct.v[node].group && funcs_name(tui.ct.v[node].fn) == f->name)
			frow_add(FROW_PATH)->node = (uint32_t)node;
	tui.screen = SCR_FUNC;
}

/* Opens the function screen of f, remembering the way back. */
static void open_function(const struct pfunc *f)
{
	if (!f)
		return;
	if (tui.screen != SCR_FUNC)
		tui.nhistory = 0, tui.origin = tui.screen;
	if (tui.nhistory == HISTORY_MAX)
		memmove(tui.history, tui.history + 1, --tui.nhistory * sizeof(*tui.history));
	tui.history[tui.nhistory++] = f;
	show_function(f);
}

static void go_back(void)
{
	if (tui.nhistory > 1) {
		tui.nhistory--;
		show_function(tui.history[tui.nhistory - 1]);
		return;
	}
	tui.nhistory = 0;
	tui.screen = tui.origin;
}

static const struct pfunc *function_of_node(uint32_t node)
{
	const struct ctnode *c = &tui.ct.v[node];
	return c->group ? NULL : profile_find(tui.pf, funcs_name(c->fn));
}

/* ---- drawing ---- */

/* How far < and > scroll, and how far at most: a line is at most put_line's buffer long. */
#define HSCROLL_STEP 8
#define HSCROLL_MAX 1000

/* Writes a whole line at y: cut at the screen's width, or filled with blanks to it. The column
 * titles and the rows under them (every line but the top one and the status line) are shown
 * from column tui.hscroll on, so that the end of a long line can be read. */
static void put_line(int y, int attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put_line(int y, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	const char *from = buf;
	if (y > 0 && y < LINES - 1 && tui.hscroll) {
		size_t len = strlen(buf);
		from = buf + ((size_t)tui.hscroll < len ? (size_t)tui.hscroll : len);
		while ((*from & 0xc0) == 0x80)   /* not inside a UTF-8 character */
			from++;
	}
	attrset(attr);
	mvaddnstr(y, 0, from, COLS);
	for (int x = getcurx(stdscr); x < COLS && getcury(stdscr) == y; x++)
		addch(' ');
	attrset(A_NORMAL);
}

static int body_height(void)
{
	return LINES > 3 ? LINES - 3 : 1;
}

/* Scrolls l so that its cursor is on the screen. */
static void keep_visible(struct list *l)
{
	size_t h = (size_t)body_height();
	if (l->cur < l->top)
		l->top = l->cur;
	else if (l->cur >= l->top + h)
		l->top = l->cur - h + 1;
}

/* "thread 1128 (fib)" or "process 1128 (fib)". */
static const char *group_label(const struct ctnode *c, char *buf, size_t len)
{
	int32_t id = (int32_t)c->fn;
	const char *name = tui.ct.by_process ? names_of_process(id) : names_of_thread(id);
	snprintf(buf, len, "%s %d%s%s%s", tui.ct.by_process ? "process" : "thread", id, name ? " (" : "",
		 name ? name : "", name ? ")" : "");
	return buf;
}

static void draw_graph_row(int y, size_t i, bool selected)
{
	uint32_t node = tui.ct.rows[i];
	const struct ctnode *c = &tui.ct.v[node];
	char total[32], label[128];
	view_fmt_duration(c->total, total);
	const char *mark = !c->child ? "  " : c->folded ? "+ " : "- ";
	const char *name = c->group ? group_label(c, label, sizeof(label)) : funcs_name(c->fn);
	/* Deep calls (a recursion) would push their names off the screen: past the room, the
	 * indentation stops growing and the depth is written out instead. */
	int indent = 2 * c->depth, room = COLS - 25 - 32 > 16 ? COLS - 25 - 32 : 16;
	char deep[16] = "";
	if (indent > room) {
		indent = room;
		snprintf(deep, sizeof(deep), "[%u] ", c->depth);
	}
	put_line(y, selected ? A_REVERSE : A_NORMAL, "%11s  %10" PRIu64 "  %*s%s%s%s", total, c->calls, indent, "",
		 deep, mark, name);
}

static bool wide_summary(void)
{
	return COLS >= 100;   /* room for Min and Max */
}

/* The summary's column title, with a '*' on the column the rows are sorted by. */
static const char *title(enum column c, char buf[16])
{
	snprintf(buf, 16, "%s%s", c == tui.sort ? "*" : "", column_names[c]);
	return buf;
}

static void draw_summary_titles(void)
{
	char t[NCOLUMNS][16];
	for (int c = 0; c < NCOLUMNS; c++)
		title((enum column)c, t[c]);
	if (wide_summary())
		put_line(1, A_BOLD, "%11s  %11s  %10s  %11s  %11s  %11s  %s", t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
	else
		put_line(1, A_BOLD, "%11s  %11s  %10s  %11s  %s", t[0], t[1], t[2], t[3], t[6]);
}

static void draw_summary_row(int y, size_t i, bool selected)
{
	const struct pfunc *f = tui.funcs[i];
	char tot[32], self[32], av[32], min[32], max[32];
	int attr = selected ? A_REVERSE : A_NORMAL;
	view_fmt_duration(f->total, tot);
	view_fmt_duration(f->self, self);
	view_fmt_duration(avg_of(f), av);
	view_fmt_duration(f->min, min);
	view_fmt_duration(f->max, max);
	if (wide_summary())
		put_line(y, attr, "%11s  %11s  %10" PRIu64 "  %11s  %11s  %11s  %s", tot, self, f->calls, av, min, max,
			 f->name);
	else
		put_line(y, attr, "%11s  %11s  %10" PRIu64 "  %11s  %s", tot, self, f->calls, av, f->name);
}

/* "_start > main > fib", the start cut off ("... > main > fib") to fit in width. */
static void path_text(uint32_t node, char *buf, size_t len, int width)
{
	size_t end = len - 1;
	buf[end] = 0;
	for (uint32_t p = node; p && !tui.ct.v[p].group; p = tui.ct.v[p].parent) {
		const char *name = funcs_name(tui.ct.v[p].fn);
		size_t need = strlen(name) + (p == node ? 0 : 3);
		if (need > end || (int)(len - 1 - end + need) > width - 4) {
			memcpy(buf + end - 4, "... ", 4);
			end -= 4;
			break;
		}
		if (p != node) {
			end -= 3;
			memcpy(buf + end, " > ", 3);
		}
		end -= strlen(name);
		memcpy(buf + end, name, strlen(name));
	}
	memmove(buf, buf + end, len - end);
}

static void draw_func_row(int y, size_t i, bool selected)
{
	const struct frow *r = &tui.frows[i];
	const struct pfunc *f = tui.history[tui.nhistory - 1];
	int attr = selected ? A_REVERSE : A_NORMAL;
	char t[32], s[32], path[512];
	switch (r->kind) {
	case FROW_CALLER:
	case FROW_CALLEE:
		view_fmt_duration(r->e->total, t);
		view_fmt_duration(r->e->self, s);
		put_line(y, attr, "%11s  %11s  %10" PRIu64 "  %s%s", t, s, r->e->calls,
			 r->kind == FROW_CALLER ? "    " : "    -> ",
			 r->kind == FROW_CALLER ? r->e->caller->name : r->e->callee->name);
		break;
	case FROW_SELF:
		view_fmt_duration(f->total, t);
		view_fmt_duration(f->self, s);
		put_line(y, attr, "%11s  %11s  %10" PRIu64 "  %s", t, s, f->calls, f->name);
		break;
	case FROW_BLANK:
		put_line(y, attr, "%s", "");
		break;
	case FROW_HEADING:
		put_line(y, attr | A_BOLD, "%11s  %11s  %10s  %s", "Total", "", "Calls", "Call paths (Enter: show in the graph)");
		break;
	case FROW_PATH: {
		const struct ctnode *c = &tui.ct.v[r->node];
		view_fmt_duration(c->total, t);
		path_text(r->node, path, sizeof(path), COLS - 38);   /* what the columns leave */
		put_line(y, attr, "%11s  %11s  %10" PRIu64 "  %s", t, "", c->calls, path);
		break;
	}
	}
}

static void draw_calls_row(int y, size_t i, bool selected)
{
	const struct tcall *c = &tui.callv[i];
	char start[32], d[32];
	view_fmt_duration(c->start, start);
	view_fmt_duration(c->duration, d);
	put_line(y, selected ? A_REVERSE : A_NORMAL, "%11s  %11s  %10d  %5u  %s%s", start, d, c->tid, c->depth,
		 tui.calls_of, c->values ? c->values : "");
}

static const char *const help_lines[] = {
	"Keys, on every screen:",
	"  Up Down j k PgUp PgDn Home End   move",
	"  g  the call graph    c  the summary (-c)    Tab  the one, then the other",
	"  /  search a function (text, or a glob with * ? [)    n N  next, previous",
	"  r  search with a regular expression (POSIX, extended)    < >  scroll sideways",
	"  ?  h  this help    q  quit (Ctrl-C too)",
	"The call graph:",
	"  Enter Space  fold or unfold    + Right  unfold    - Left  fold, or go up",
	"  u  the caller    e  unfold all    x  fold all    f  the function's screen",
	"  p  per process or per thread",
	"The summary:",
	"  s S  sort by the next (previous) column    Enter f  the function's screen",
	"A function's screen: its callers, itself, its callees (->), its call paths:",
	"  Enter  that function, or the path in the graph    l  its calls one by one",
	"  b Backspace Left  back",
	"",
	"Any key closes this help.",
};

static void draw_titles(void)
{
	switch (tui.screen) {
	case SCR_GRAPH:
		put_line(1, A_BOLD, "%11s  %10s  %s", "Total", "Calls", "Function");
		break;
	case SCR_SUMMARY:
		draw_summary_titles();
		break;
	case SCR_FUNC:
		put_line(1, A_BOLD, "%11s  %11s  %10s  %s", "Total", "Self", "Calls", "Function");
		break;
	case SCR_CALLS:
		put_line(1, A_BOLD, "%11s  %11s  %10s  %5s  %s", "Start", "Duration", "TID", "Depth", "Function");
		break;
	case SCR_HELP:
		put_line(1, A_BOLD, "%s", "Help");
		break;
	}
}

static const char *status_hint(void)
{
	switch (tui.screen) {
	case SCR_GRAPH: return "Enter: fold  f: function  c: summary  /: search  ?: help  q: quit";
	case SCR_SUMMARY: return "s: sort  Enter: function  /: search  ?: help  q: quit";
	case SCR_FUNC: return "Enter: go there  l: its calls  b: back  /: search  ?: help  q: quit";
	case SCR_CALLS: return "b: back  g: graph  c: summary  ?: help  q: quit";
	default: return "";
	}
}

static void draw_status(void)
{
	if (tui.msg[0])
		put_line(LINES - 1, A_NORMAL, "%s", tui.msg);
	else if (tui.hscroll)
		put_line(LINES - 1, A_NORMAL, "scrolled %d columns (< back); %s", tui.hscroll, status_hint());
	else if (tui.screen == SCR_SUMMARY)
		put_line(LINES - 1, A_NORMAL, "sorted by %s; %s", column_names[tui.sort], status_hint());
	else
		put_line(LINES - 1, A_NORMAL, "%s", status_hint());
}

static const char *screen_name(void)
{
	static const char *const names[] = { "call graph", "summary", "function", "calls", "help" };
	return names[tui.screen];
}

static struct list *list_of_screen(void)
{
	switch (tui.screen) {
	case SCR_GRAPH: return &tui.graph;
	case SCR_SUMMARY: return &tui.summary;
	case SCR_CALLS: return &tui.calls;
	default: return &tui.func;
	}
}

static void draw(void)
{
	erase();
	put_line(0, A_REVERSE, " %s - fntrace %s", screen_name(), tui.a->read);
	draw_titles();
	int h = body_height();
	if (tui.screen == SCR_HELP) {
		for (int y = 0; y < h && y < (int)(sizeof(help_lines) / sizeof(*help_lines)); y++)
			put_line(2 + y, A_NORMAL, "%s", help_lines[y]);
	} else {
		struct list *l = list_of_screen();
		void (*row)(int, size_t, bool) = tui.screen == SCR_GRAPH ? draw_graph_row
			: tui.screen == SCR_SUMMARY ? draw_summary_row : tui.screen == SCR_FUNC ? draw_func_row
			: draw_calls_row;
		keep_visible(l);
		for (int y = 0; y < h && l->top + (size_t)y < l->n; y++)
			row(2 + y, l->top + (size_t)y, l->top + (size_t)y == l->cur);
	}
	draw_status();
	refresh();
}

/* ---- search ---- */

static bool matches(const char *name)
{
	if (tui.is_regex)
		return !regexec(&tui.regex, name, 0, NULL, 0);
	if (strpbrk(tui.pattern, "*?["))
		return !fnmatch(tui.pattern, name, 0);
	return strstr(name, tui.pattern) != NULL;
}

/* Reads a search pattern on the status line after prompt into buf; false if the user gave up
 * (Esc) or gave nothing. */
static bool read_pattern(const char *prompt, char buf[static sizeof(tui.pattern)])
{
	size_t n = 0;
	buf[0] = 0;
	for (;;) {
		put_line(LINES - 1, A_NORMAL, "%s%s", prompt, buf);
		move(LINES - 1, (int)(n + strlen(prompt)));
		curs_set(1);
		refresh();
		int ch = getch();
		curs_set(0);
		if (quit_signal || ch == 27)
			return false;
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			return n > 0;
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n)
			buf[--n] = 0;
		else if (ch >= 32 && ch < 256 && ch != 127 && n + 1 < sizeof(tui.pattern))
			buf[n++] = (char)ch, buf[n] = 0;
	}
}

/* The graph's next node (dir 1) or previous (-1) matching the pattern, folded ones included. */
static void search_graph(int dir)
{
	struct calltree *ct = &tui.ct;
	if (!tui.graph.n)
		return;
	uint32_t start = ct->rows[tui.graph.cur], node = start, first = ct->v[0].child;
	bool wrapped = false;
	for (size_t k = 1; k < ct->n; k++) {
		if (dir < 0 && node == first)
			wrapped = true;
		node = dir > 0 ? calltree_next(ct, node) : calltree_prev(ct, node);
		if (dir > 0 && node == first)
			wrapped = true;
		if (ct->v[node].group || !matches(funcs_name(ct->v[node].fn)))
			continue;
		calltree_reveal(ct, node);
		calltree_rows(ct);
		tui.graph.n = ct->nrows;
		tui.graph.cur = (size_t)calltree_row_of(ct, node);
		if (wrapped)
			snprintf(tui.msg, sizeof(tui.msg), "search went on from the %s", dir > 0 ? "top" : "bottom");
		return;
	}
	snprintf(tui.msg, sizeof(tui.msg), "no call of a function matching '%s'", tui.pattern);
}

static const char *func_row_name(size_t i)
{
	const struct frow *r = &tui.frows[i];
	switch (r->kind) {
	case FROW_CALLER: return r->e->caller->name;
	case FROW_CALLEE: return r->e->callee->name;
	case FROW_SELF: return tui.history[tui.nhistory - 1]->name;
	case FROW_PATH: return funcs_name(tui.ct.v[r->node].fn);
	default: return NULL;
	}
}

/* The same in the summary or a function's screen, whose rows are all on the list. */
static void search_list(struct list *l, const char *(*name_of)(size_t i), int dir)
{
	for (size_t k = 1; k <= l->n; k++) {
		size_t i = (l->cur + (dir > 0 ? k : l->n - k)) % l->n;
		const char *name = name_of(i);
		if (name && matches(name)) {
			if (dir > 0 ? i <= l->cur : i >= l->cur)
				snprintf(tui.msg, sizeof(tui.msg), "search went on from the %s", dir > 0 ? "top" : "bottom");
			l->cur = i;
			return;
		}
	}
	snprintf(tui.msg, sizeof(tui.msg), "no function matching '%s'", tui.pattern);
}

static const char *summary_row_name(size_t i)
{
	return tui.funcs[i]->name;
}

static void search(int dir)
{
	if (!tui.pattern[0]) {
		snprintf(tui.msg, sizeof(tui.msg), "%s", "no search yet: / starts one");
		return;
	}
	if (tui.screen == SCR_GRAPH)
		search_graph(dir);
	else if (tui.screen == SCR_SUMMARY)
		search_list(&tui.summary, summary_row_name, dir);
	else if (tui.screen == SCR_FUNC)
		search_list(&tui.func, func_row_name, dir);
}

/* Reads a new search, a text or glob (/) or a regular expression (r), and makes it the one n
 * and N go on with. A regular expression that does not compile is said, and the last search
 * stays. */
static bool new_search(bool regex)
{
	char buf[sizeof(tui.pattern)];
	if (!read_pattern(regex ? "regex: " : "/", buf))
		return false;
	if (regex) {
		regex_t re;
		int err = regcomp(&re, buf, REG_EXTENDED | REG_NOSUB);
		if (err) {
			char why[128];
			regerror(err, &re, why, sizeof(why));
			snprintf(tui.msg, sizeof(tui.msg), "bad regular expression '%s': %s", buf, why);
			return false;
		}
		if (tui.is_regex)
			regfree(&tui.regex);
		tui.regex = re;
	} else if (tui.is_regex) {
		regfree(&tui.regex);
	}
	tui.is_regex = regex;
	snprintf(tui.pattern, sizeof(tui.pattern), "%s", buf);
	return true;
}

static void scroll_sideways(int by)
{
	tui.hscroll += by;
	if (tui.hscroll < 0)
		tui.hscroll = 0;
	if (tui.hscroll > HSCROLL_MAX)
		tui.hscroll = HSCROLL_MAX;
}

/* ---- keys ---- */

/* Moves l's cursor for a movement key; false if ch is none. */
static bool move_key(struct list *l, int ch)
{
	size_t h = (size_t)body_height();
	if (!l->n)
		return ch == KEY_UP || ch == KEY_DOWN || ch == 'j' || ch == 'k';
	switch (ch) {
	case KEY_UP: case 'k': if (l->cur) l->cur--; break;
	case KEY_DOWN: case 'j': if (l->cur + 1 < l->n) l->cur++; break;
	case KEY_PPAGE: l->cur = l->cur > h ? l->cur - h : 0; break;
	case KEY_NPAGE: l->cur = l->cur + h < l->n ? l->cur + h : l->n - 1; break;
	case KEY_HOME: l->cur = 0; break;
	case KEY_END: l->cur = l->n - 1; break;
	default: return false;
	}
	return true;
}

static void set_folded(uint32_t node, bool folded)
{
	tui.ct.v[node].folded = folded;
	calltree_rows(&tui.ct);   /* the rows above node stay where they are, and so does the cursor */
	tui.graph.n = tui.ct.nrows;
}

static void graph_key(int ch)
{
	if (!tui.graph.n)
		return;
	uint32_t node = tui.ct.rows[tui.graph.cur];
	struct ctnode *c = &tui.ct.v[node];
	switch (ch) {
	case '\n': case '\r': case KEY_ENTER: case ' ':
		if (c->child)
			set_folded(node, !c->folded);
		break;
	case '+': case KEY_RIGHT:
		if (c->child && c->folded)
			set_folded(node, false);
		else if (c->child)
			tui.graph.cur++;
		break;
	case '-': case KEY_LEFT:
		if (c->child && !c->folded)
			set_folded(node, true);
		else if (c->parent)
			tui.graph.cur = (size_t)calltree_row_of(&tui.ct, c->parent);
		break;
	case 'u':
		if (c->parent)
			tui.graph.cur = (size_t)calltree_row_of(&tui.ct, c->parent);
		break;
	case 'e': case 'x':
		calltree_fold_all(&tui.ct, ch == 'x');
		calltree_rows(&tui.ct);
		tui.graph.n = tui.ct.nrows;
		calltree_reveal(&tui.ct, node);   /* keep the cursor on its node */
		calltree_rows(&tui.ct);
		tui.graph.n = tui.ct.nrows;
		tui.graph.cur = (size_t)calltree_row_of(&tui.ct, node);
		break;
	case 'f':
		open_function(function_of_node(node));
		break;
	case 'p':
		regroup();
		break;
	}
}

static void summary_key(int ch)
{
	switch (ch) {
	case 's': case 'S':
		tui.sort = (enum column)((tui.sort + (ch == 's' ? 1 : NCOLUMNS - 1)) % NCOLUMNS);
		sort_summary();
		break;
	case '\n': case '\r': case KEY_ENTER: case 'f':
		if (tui.summary.n)
			open_function(tui.funcs[tui.summary.cur]);
		break;
	}
}

static void func_key(int ch)
{
	const struct frow *r = &tui.frows[tui.func.cur];
	switch (ch) {
	case '\n': case '\r': case KEY_ENTER:
		if (r->kind == FROW_CALLER && r->e->caller != profile_root(tui.pf))
			open_function(r->e->caller);
		else if (r->kind == FROW_CALLEE)
			open_function(r->e->callee);
		else if (r->kind == FROW_PATH) {
			calltree_reveal(&tui.ct, r->node);
			calltree_rows(&tui.ct);
			tui.graph.n = tui.ct.nrows;
			tui.graph.cur = (size_t)calltree_row_of(&tui.ct, r->node);
			tui.screen = SCR_GRAPH;
		}
		break;
	case 'l':
		list_calls(tui.history[tui.nhistory - 1]);
		break;
	case 'b': case KEY_BACKSPACE: case 127: case 8: case KEY_LEFT: case 27:
		go_back();
		break;
	}
}

static void calls_key(int ch)
{
	if (ch == 'b' || ch == KEY_BACKSPACE || ch == 127 || ch == 8 || ch == KEY_LEFT || ch == 27)
		tui.screen = SCR_FUNC;
}

/* Handles one key; false when it is time to quit. */
static bool key(int ch)
{
	if (ch == 'q')
		return false;
	tui.msg[0] = 0;
	if (tui.screen == SCR_HELP) {
		tui.screen = tui.before_help;
		return true;
	}
	if (move_key(list_of_screen(), ch))
		return true;
	switch (ch) {
	case '?': case 'h':
		tui.before_help = tui.screen;
		tui.screen = SCR_HELP;
		return true;
	case 'g':
		tui.screen = SCR_GRAPH;
		return true;
	case 'c':
		tui.screen = SCR_SUMMARY;
		return true;
	case '\t':
		tui.screen = tui.screen == SCR_GRAPH ? SCR_SUMMARY : SCR_GRAPH;
		return true;
	case '/': case 'r':
		if (new_search(ch == 'r'))
			search(1);
		return true;
	case '<': case '>': case KEY_SLEFT: case KEY_SRIGHT:
		scroll_sideways(ch == '>' || ch == KEY_SRIGHT ? HSCROLL_STEP : -HSCROLL_STEP);
		return true;
	case 'n': case 'N':
		search(ch == 'n' ? 1 : -1);
		return true;
	}
	if (tui.screen == SCR_GRAPH)
		graph_key(ch);
	else if (tui.screen == SCR_SUMMARY)
		summary_key(ch);
	else if (tui.screen == SCR_FUNC)
		func_key(ch);
	else
		calls_key(ch);
	return true;
}

/* ---- the terminal ---- */

static void catch_quit_signals(void)
{
	/* Ours, not ncurses's: it leaves SIGINT and SIGTERM alone when they are not SIG_DFL. No
	 * SA_RESTART: the signal ends getch()'s wait, and the loop restores the terminal. */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_quit_signal }, old;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler != SIG_IGN)   /* nohup's stays */
			sigaction(sigs[i], &sa, NULL);
}

static void load(const struct analysis *a)
{
	tui.a = a;
	tui.pf = profile_new();
	calltree_init(&tui.ct, false);
	analysis_replay(a, a->read, into_both, NULL);
	calltree_rows(&tui.ct);
	tui.graph.n = tui.ct.nrows;
	size_t n;
	tui.funcs = profile_funcs(tui.pf, &n);
	tui.summary.n = n;
	tui.sort = COL_TOTAL;
	sort_summary();
}

int tui_run(const struct analysis *a)
{
	if (!isatty(0) || !isatty(1))
		die("--tui needs a terminal: the standard %s is not one", isatty(0) ? "output" : "input");
	load(a);
	setlocale(LC_CTYPE, "");   /* function names may be UTF-8 */
	catch_quit_signals();
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr)
		die("--tui: cannot drive this terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	timeout(250);   /* getch() returns now and then: a signal's flag is seen */
	for (;;) {
		if (quit_signal)
			break;
		draw();
		int ch = getch();
		if (ch == ERR || ch == KEY_RESIZE)
			continue;   /* ncurses took the new size already: the next draw uses it */
		if (!key(ch))
			break;
	}
	endwin();
	delscreen(scr);
	if (quit_signal) {
		signal(quit_signal, SIG_DFL);
		raise(quit_signal);
	}
	if (tui.is_regex)
		regfree(&tui.regex);
	free(tui.funcs);
	free(tui.frows);
	free_calls();
	free(tui.callv);
	calltree_free(&tui.ct);
	profile_free(tui.pf);
	return 0;
}
