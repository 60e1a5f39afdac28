/* view/svg: a flame graph in one self-contained SVG file (--format=svg), drawn like flamegraph.pl.
 *
 * A frame per call path, as wide as its time (or calls, --weight=calls), its callees stacked on
 * it, siblings by name; the root "all" at the bottom. Every frame has a hover title (name, time,
 * share); the embedded script (no network access) shows it at the bottom, zooms into a frame on
 * click and back on "Reset Zoom" or Escape, and zooms at load to the frame named in the URL's
 * fragment "#zoom=NAME". The names the script needs it reads from the titles. */
#include "view.h"
#include "stacks.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 1200
#define XPAD 10
#define FRAME_H 16
#define TOP 40                 /* title above the frames */
#define BOTTOM 30              /* details line below */
#define MIN_PX 0.1             /* narrower frames are not drawn */
#define CHAR_PX 7.0            /* the width of a character at font-size 12 in monospace */
#define STR(x) #x
#define XSTR(x) STR(x)

struct svg {
	struct stacks st;
	uint64_t total;            /* weight of everything: the root's */
	size_t depth;              /* of the deepest frame drawn */
	double *cursor;            /* per depth: where the next sibling starts, in weight units */
	size_t capcursor;
};

static const char script[] =
"var frames, details, unzoomBtn, boxes = [], W = " XSTR(WIDTH) ", XPAD = " XSTR(XPAD) ";\n"
"function nameOf(g) {\n"
"  var t = g.querySelector('title').textContent;\n"
"  return t.substring(0, t.lastIndexOf(' ('));\n"
"}\n"
"function label(b, w) {\n"
"  var n = Math.floor((w - 6) / 7), name = nameOf(b.g);\n"
"  b.t.textContent = n < 3 ? '' : name.length <= n ? name : name.substring(0, n - 2) + '..';\n"
"}\n"
"function place(b, x, w) {\n"
"  b.g.removeAttribute('display');\n"
"  b.r.setAttribute('x', x.toFixed(2));\n"
"  b.r.setAttribute('width', w.toFixed(2));\n"
"  b.t.setAttribute('x', (x + 3).toFixed(2));\n"
"  label(b, w);\n"
"}\n"
"function zoom(g) {\n"
"  var z = boxes.filter(function (b) { return b.g === g; })[0];\n"
"  if (!z) return;\n"
"  var scale = (W - 2 * XPAD) / z.w, eps = 1e-6;\n"
"  boxes.forEach(function (b) {\n"
"    var inside = b.x >= z.x - eps && b.x + b.w <= z.x + z.w + eps;\n"
"    if (b.y > z.y && b.x <= z.x + eps && b.x + b.w >= z.x + z.w - eps)\n"
"      place(b, XPAD, W - 2 * XPAD);\n"
"    else if (b.y <= z.y && inside && b.w * scale >= 0.1)\n"
"      place(b, XPAD + (b.x - z.x) * scale, b.w * scale);\n"
"    else\n"
"      b.g.setAttribute('display', 'none');\n"
"  });\n"
"  unzoomBtn.removeAttribute('display');\n"
"  document.documentElement.setAttribute('data-zoomed', nameOf(g));\n"
"}\n"
"function unzoom() {\n"
"  boxes.forEach(function (b) { place(b, b.x, b.w); });\n"
"  unzoomBtn.setAttribute('display', 'none');\n"
"  document.documentElement.removeAttribute('data-zoomed');\n"
"}\n"
"function init(evt) {\n"
"  frames = document.getElementById('frames');\n"
"  details = document.getElementById('details').firstChild;\n"
"  unzoomBtn = document.getElementById('unzoom');\n"
"  Array.prototype.forEach.call(frames.querySelectorAll('g.frame'), function (g) {\n"
"    var r = g.querySelector('rect');\n"
"    boxes.push({ g: g, r: r, t: g.querySelector('text'), x: parseFloat(r.getAttribute('x')),\n"
"                 w: parseFloat(r.getAttribute('width')), y: parseFloat(r.getAttribute('y')) });\n"
"  });\n"
"  frames.addEventListener('click', function (e) {\n"
"    var g = e.target.closest('g.frame');\n"
"    if (g) zoom(g);\n"
"  });\n"
"  frames.addEventListener('mouseover', function (e) {\n"
"    var g = e.target.closest('g.frame');\n"
"    if (g) details.nodeValue = g.querySelector('title').textContent;\n"
"  });\n"
"  frames.addEventListener('mouseout', function () { details.nodeValue = ' '; });\n"
"  unzoomBtn.addEventListener('click', unzoom);\n"
"  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') unzoom(); });\n"
"  var m = /^#zoom=(.*)$/.exec(window.location.hash);\n"
"  if (m) {\n"
"    var want = decodeURIComponent(m[1]), best = null;\n"
"    boxes.forEach(function (b) {\n"
"      if (nameOf(b.g) === want && (!best || b.w > best.w)) best = b;\n"
"    });\n"
"    if (best) zoom(best.g);\n"
"  }\n"
"}\n";

static void svg_init(struct view *o)
{
	struct svg *g = xcalloc(1, sizeof(*g));
	stacks_init(&g->st, o->cfg);
	o->state = g;
}

static void svg_event(struct view *o, const struct event *ev)
{
	struct svg *g = o->state;
	stacks_event(&g->st, ev);
}

static double px(const struct svg *g, double w)
{
	return g->total ? w * (WIDTH - 2 * XPAD) / (double)g->total : 0;
}

/* First walk: how deep the drawn frames go. */
static void measure(struct stacks *s, const uint32_t *path, size_t depth, void *arg)
{
	struct svg *g = arg;
	if (px(g, (double)s->v[path[depth - 1]].weight) >= MIN_PX && depth > g->depth)
		g->depth = depth;
}

/* flamegraph.pl's "hot" colours, from a hash of the name so a function keeps its colour. */
static void colour(const char *name, char buf[32])
{
	uint32_t h = 2166136261u;
	for (const char *c = name; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	double v1 = (h & 0xff) / 255.0, v2 = (h >> 8 & 0xff) / 255.0, v3 = (h >> 16 & 0xff) / 255.0;
	snprintf(buf, 32, "rgb(%d,%d,%d)", 205 + (int)(50 * v3), (int)(230 * v1), (int)(55 * v2));
}

static void frame(struct view *o, struct svg *g, const char *name, uint64_t weight, double x, size_t depth)
{
	FILE *fp = o->fp;
	double w = px(g, (double)weight), left = XPAD + px(g, x);
	double y = TOP + (double)(g->depth - depth) * FRAME_H;
	char dur[32], fill[32];
	const char *d = dur;
	if (o->cfg->weight_calls) {
		snprintf(dur, sizeof(dur), "%" PRIu64 " call%s", weight, weight == 1 ? "" : "s");
	} else {
		view_fmt_duration(weight, dur);
		while (*d == ' ')
			d++;
	}
	colour(name, fill);
	fputs("<g class=\"frame\"><title>", fp);
	view_xml_str(fp, name);
	fprintf(fp, " (%s, %.2f%%)</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
		"rx=\"2\" ry=\"2\"/><text x=\"%.2f\" y=\"%.1f\">", d, g->total ? 100.0 * (double)weight / (double)g->total : 0,
		left, y, w, FRAME_H - 1, fill, left + 3, y + 11.5);
	/* The label fits the frame: a prefix of the name and "..", or nothing. */
	size_t fit = w > 6 ? (size_t)((w - 6) / CHAR_PX) : 0, len = strlen(name);
	if (fit >= 3) {
		char *label = xstrdup(name);
		if (len > fit)
			strcpy(label + fit - 2, "..");
		view_xml_str(fp, label);
		free(label);
	}
	fputs("</text></g>\n", fp);
}

/* Second walk: draw. Children start where their parent does, siblings follow each other. */
static void draw(struct stacks *s, const uint32_t *path, size_t depth, void *arg)
{
	struct view *o = arg;
	struct svg *g = o->state;
	uint64_t weight = s->v[path[depth - 1]].weight;
	xgrow(&g->cursor, &g->capcursor, depth + 2, sizeof(*g->cursor));
	double x = g->cursor[depth];
	g->cursor[depth] += (double)weight;
	g->cursor[depth + 1] = x;
	if (px(g, (double)weight) >= MIN_PX)
		frame(o, g, stacks_label(s, path[depth - 1]), weight, x, depth);
}

static void noop(struct stacks *s, const uint32_t *path, size_t depth, void *arg)
{
}

static void svg_finish(struct view *o)
{
	struct svg *g = o->state;
	FILE *fp = o->fp;
	stacks_walk(&g->st, noop, NULL);   /* weighs the tree */
	g->total = g->st.v[0].weight;
	stacks_walk(&g->st, measure, g);
	int height = TOP + (int)(g->depth + 1) * FRAME_H + BOTTOM;
	fprintf(fp, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" onload=\"init(evt)\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", WIDTH, height, WIDTH, height);
	fputs("<style type=\"text/css\">\n"
	      "text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	      ".frame { cursor: pointer; }\n"
	      ".frame:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	      "#title { font-size: 17px; text-anchor: middle; }\n"
	      "#unzoom { cursor: pointer; }\n"
	      "</style>\n<script type=\"text/ecmascript\"><![CDATA[\n", fp);
	fputs(script, fp);
	fputs("]]></script>\n", fp);
	fprintf(fp, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f8f8f8\"/>\n", WIDTH, height);
	fprintf(fp, "<text id=\"title\" x=\"%d\" y=\"24\">Flame Graph (fntrace, %s)</text>\n", WIDTH / 2,
		o->cfg->weight_calls ? "width: calls" : "width: time");
	fprintf(fp, "<text id=\"unzoom\" x=\"%d\" y=\"24\" display=\"none\">Reset Zoom</text>\n", XPAD);
	fprintf(fp, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", XPAD, height - 10);
	fputs("<g id=\"frames\">\n", fp);
	if (g->total) {
		xgrow(&g->cursor, &g->capcursor, 2, sizeof(*g->cursor));
		g->cursor[1] = 0;
		frame(o, g, "all", g->total, 0, 0);
		stacks_walk(&g->st, draw, o);
	}
	fputs("</g>\n</svg>\n", fp);
	stacks_free(&g->st);
	free(g->cursor);
	free(g);
}

const struct view_ops view_svg_ops = { svg_init, svg_event, svg_finish, NULL };
