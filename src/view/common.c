/* view/common: what every formatter shares. */
#include "view.h"
#include "../rec/names.h"
#include "../util/addrmap.h"
#include "../util/util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *name;
	const struct view_ops *ops;
} formats[] = {
	[VIEW_GRAPH] = { "graph", &view_graph_ops },
	[VIEW_FLAT] = { "flat", &view_flat_ops },
	[VIEW_SUMMARY] = { "summary", &view_summary_ops },
	[VIEW_CHROME] = { "chrome", &view_chrome_ops },
	[VIEW_FOLDED] = { "folded", &view_folded_ops },
	[VIEW_JSON] = { "json", &view_json_ops },
	[VIEW_SVG] = { "svg", &view_svg_ops },
};

static const char *const sorts[] = {
	[VIEW_SORT_TOTAL] = "total", [VIEW_SORT_SELF] = "self", [VIEW_SORT_CALLS] = "calls",
	[VIEW_SORT_AVG] = "avg", [VIEW_SORT_NAME] = "name",
};

const char *view_format_name(enum view_format f)
{
	return formats[f].name;
}

const struct view_ops *view_ops_of(enum view_format f)
{
	return formats[f].ops;
}

int view_format_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcmp(name, formats[i].name))
			return (int)i;
	return -1;
}

int view_sort_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sorts); i++)
		if (sorts[i] && !strcmp(name, sorts[i]))
			return (int)i;
	return -1;
}

/* put_uint of v < 1000 in width >= 3 columns, blank-padded: a duration's usual case, with no
 * loop. */
static char *put_small(char *p, uint64_t v, int width)
{
	memset(p, ' ', (size_t)width);
	p += width;
	p[-1] = (char)('0' + v % 10);
	if (v >= 10)
		p[-2] = (char)('0' + v / 10 % 10);
	if (v >= 100)
		p[-3] = (char)('0' + v / 100);
	return p;
}

/* Writes v right-aligned in width columns (more if it needs them) at p; returns the end. */
static char *put_uint(char *p, uint64_t v, int width, int zero_pad)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = n; i < width; i++)
		*p++ = zero_pad ? '0' : ' ';
	while (n)
		*p++ = tmp[--n];
	return p;
}

void view_fmt_duration(uint64_t ns, char buf[32])
{
	/* By hand, not snprintf: the graph prints one of these per call. */
	static const char units[][3] = { "us", "ms", " s" };
	char *p = buf;
	if (ns < 1000) {
		p = put_small(p, ns, 8);
		memcpy(p, " ns", 4);
		return;
	}
	/* (each unit's divisors constant: multiplications, not divisions) */
	unsigned u = ns < 1000000 ? 0 : ns < 1000000000 ? 1 : 2;
	uint64_t whole = u == 0 ? ns / 1000 : u == 1 ? ns / 1000000 : ns / 1000000000;
	uint64_t frac = u == 0 ? ns % 1000 : u == 1 ? ns % 1000000 / 1000 : ns % 1000000000 / 1000000;
	p = whole < 1000 ? put_small(p, whole, 4) : put_uint(p, whole, 4, 0);
	*p++ = '.';
	p[0] = (char)('0' + frac / 100);   /* (frac < 1000: three digits) */
	p[1] = (char)('0' + frac / 10 % 10);
	p[2] = (char)('0' + frac % 10);
	p += 3;
	*p++ = ' ';
	memcpy(p, units[u], 3);
}

const char *view_signame(int sig, char buf[16])
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

const char *view_end_text(const struct event *ev, char buf[64])
{
	int status = (int)ev->fn;
	char name[16];
	if (WIFSIGNALED(status))
		snprintf(buf, 64, "killed by %s%s", view_signame(WTERMSIG(status), name),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, 64, "exited with %d", WEXITSTATUS(status));
	return buf;
}

const char *view_end_line(struct view *o, const struct event *ev, char buf[64])
{
	char text[64];
	if (!WIFSIGNALED((int)ev->fn) && ev->pid == o->leader)
		return NULL;
	snprintf(buf, 64, "+++ %.50s +++", view_end_text(ev, text));
	return buf;
}

void view_json_str(FILE *fp, const char *s)
{
	putc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t n = c >= 0x80 ? util_utf8_char(s) : 0;
		if (n) {   /* JSON is UTF-8 */
			fwrite(s, 1, n, fp);
			s += n - 1;
		} else if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			putc(c, fp);
	}
	putc('"', fp);
}

void view_xml_str(FILE *fp, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&apos;", fp); break;
		default:
			if (c >= 0x80 && util_utf8_char(s)) {   /* the SVG is UTF-8 */
				size_t n = util_utf8_char(s);
				fwrite(s, 1, n, fp);
				s += n - 1;
			} else if (c < 0x20 || c >= 0x7f) {
				fprintf(fp, "\\x%02x", c);
			} else {
				putc(c, fp);
			}
		}
	}
}

void view_ids_note(struct view_ids *ids, const struct event *ev)
{
	if (!ids->procs) {
		ids->procs = xcalloc(1, sizeof(*ids->procs));
		ids->threads = xcalloc(1, sizeof(*ids->threads));
	}
	if (ev->tid == ids->last_tid && ev->kind != EV_PROC_EXIT)
		return;
	addrmap_put(ids->procs, (taddr_t)(uint32_t)ev->pid, (void *)1);
	if (ev->kind == EV_PROC_EXIT)
		return;
	addrmap_put(ids->threads, (taddr_t)(uint32_t)ev->tid, (void *)(uintptr_t)(uint32_t)ev->pid);
	ids->last_tid = ev->tid;
}

struct id_pair {
	taddr_t key;
	uintptr_t val;
};

struct id_list {
	struct id_pair *v;
	size_t n;
};

static void collect_id(taddr_t key, void *val, void *arg)
{
	struct id_list *l = arg;
	l->v[l->n++] = (struct id_pair){ key, (uintptr_t)val };
}

static int by_key(const void *pa, const void *pb)
{
	const struct id_pair *a = pa, *b = pb;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* The entries of m, by key. */
static void sorted_ids(const struct addrmap *m, struct id_list *l)
{
	l->v = xmalloc((m->n + 1) * sizeof(*l->v));
	l->n = 0;
	addrmap_each(m, collect_id, l);
	qsort(l->v, l->n, sizeof(*l->v), by_key);
}

void view_ids_each(struct view_ids *ids, void (*fn)(struct view *o, int32_t pid, int32_t tid, const char *name),
		  struct view *o)
{
	if (!ids->procs)
		return;
	struct id_list l;
	sorted_ids(ids->procs, &l);
	for (size_t i = 0; i < l.n; i++)
		fn(o, (int32_t)l.v[i].key, 0, names_of_process((int32_t)l.v[i].key));
	free(l.v);
	sorted_ids(ids->threads, &l);
	for (size_t i = 0; i < l.n; i++)
		fn(o, (int32_t)l.v[i].val, (int32_t)l.v[i].key, names_of_thread((int32_t)l.v[i].key));
	free(l.v);
	addrmap_free(ids->procs);
	addrmap_free(ids->threads);
	free(ids->procs);
	free(ids->threads);
	ids->procs = ids->threads = NULL;
}
