/* view/columns: the optional columns of the graph and --flat (--output-fields, -t): the
 * wall-clock time, the time since the first event, the time since the previous line, the
 * module of the line's function; and the source line that follows a function's name.
 *
 * The wall clock is the event clock (CLOCK_MONOTONIC) plus an offset: measured when tracing
 * starts, or read from the date record of a trace file (sink.h). */
#include "view.h"
#include "../rec/funcs.h"
#include "../rec/sink.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *name, *label;
	int width;
} fields[] = {
	[VIEW_F_DURATION] = { "duration", "DURATION", 11 },
	[VIEW_F_TID] = { "tid", "TID", 9 },
	[VIEW_F_TIME] = { "time", "TIME", 18 },
	[VIEW_F_ELAPSED] = { "elapsed", "ELAPSED", 11 },
	[VIEW_F_DELTA] = { "delta", "DELTA", 11 },
	[VIEW_F_MODULE] = { "module", "MODULE", 16 },
};
/* The time column's width for each time_style: HH:MM:SS.nnnnnnnnn, -t, -tt, -ttt. */
static const int time_widths[] = { 18, 8, 15, 17 };

int view_field_by_name(const char *name)
{
	for (int f = VIEW_F_DURATION; f <= VIEW_F_MODULE; f++)
		if (!strcmp(fields[f].name, name))
			return f;
	return -1;
}

static int width_of(const struct view_config *cfg, int f)
{
	return f == VIEW_F_TIME ? time_widths[cfg->time_style] : fields[f].width;
}

void view_cols_header(FILE *fp, const struct view_config *cfg)
{
	/* "#" in the first column, each label right-aligned over its column. */
	char line[256];
	int n = 0;
	for (unsigned i = 0; i < cfg->nfields; i++) {
		int f = cfg->fields[i], w = width_of(cfg, f);
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%*s", i ? " " : "", w, fields[f].label);
	}
	line[0] = '#';
	fprintf(fp, "%s   FUNCTION\n", line);
}

/* The wall-clock time of ts in cfg's style. */
static void put_time(const struct view_config *cfg, uint64_t ts, char *buf, size_t len)
{
	int64_t wall = (int64_t)ts + sink_wall_offset();
	time_t sec = (time_t)(wall / 1000000000);
	long ns = (long)(wall % 1000000000);
	struct tm tm;
	if (cfg->time_style == 3 || !sink_has_wall()) {
		/* No anchor (a file older than the date record): the event clock's own seconds. */
		snprintf(buf, len, "%lld.%06ld", (long long)sec, ns / 1000);
		return;
	}
	localtime_r(&sec, &tm);
	size_t n = strftime(buf, len, "%H:%M:%S", &tm);
	if (cfg->time_style == 0)
		snprintf(buf + n, len - n, ".%09ld", ns);
	else if (cfg->time_style == 2)
		snprintf(buf + n, len - n, ".%06ld", ns / 1000);
}

const char *view_dur_color(const struct view_config *cfg, const char *dur)
{
	size_t n = strlen(dur);
	if (!cfg->color || n < 2)
		return "";
	if (!strcmp(dur + n - 2, "ms"))
		return "\033[33m";
	return !strcmp(dur + n - 2, " s") ? VIEW_RED : "";
}

/* ns - from as a duration; "-" before it if ns is the earlier (lines of threads interleave). */
static void put_delta(uint64_t ns, uint64_t from, char *buf)
{
	char d[32];
	view_fmt_duration(ns >= from ? ns - from : from - ns, d);
	if (ns < from) {
		char *p = d;
		while (p[1] == ' ')
			p++;
		*p = '-';
	}
	memcpy(buf, d, sizeof(d));
}

size_t view_cols_put(const struct view_config *cfg, struct view_cols *c, uint64_t ts, const char *dur, int32_t tid,
		     const char *module, char *buf, size_t len)
{
	size_t n = 0;
	char text[256];
	for (unsigned i = 0; i < cfg->nfields && n < len; i++) {
		int f = cfg->fields[i];
		switch (f) {
		case VIEW_F_DURATION:
			snprintf(text, sizeof(text), "%s", dur);
			break;
		case VIEW_F_TID:
			snprintf(text, sizeof(text), "[%7d]", tid);
			break;
		case VIEW_F_TIME:
			put_time(cfg, ts, text, sizeof(text));
			break;
		case VIEW_F_ELAPSED:
			view_fmt_duration(ts - sink_start_ts(), text);
			break;
		case VIEW_F_DELTA:
			if (c->started)
				put_delta(ts, c->last_ts, text);
			else
				text[0] = 0;
			break;
		case VIEW_F_MODULE:
			snprintf(text, sizeof(text), "%s", module ? module : "");
			break;
		}
		const char *color = f == VIEW_F_DURATION ? view_dur_color(cfg, text) : "";
		n += (size_t)snprintf(buf + n, len - n, "%s%s%*s%s", i ? " " : "", color, width_of(cfg, f), text,
				      *color ? VIEW_RESET : "");
	}
	c->started = true;
	c->last_ts = ts;
	return n < len ? n : len - 1;
}

const char *view_srcline_note(const struct view_config *cfg, uint32_t fn)
{
	static char note[1100];
	const char *line = cfg->srcline ? funcs_srcline(fn) : NULL;
	if (!line)
		return "";
	snprintf(note, sizeof(note), " /* %.1024s */", line);
	return note;
}
