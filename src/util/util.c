/* util: allocation that never fails, the one error-printing family, time. */
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

const char *util_progname = "fntrace";
unsigned util_debug;
void (*util_before_message)(void);

static noreturn void out_of_memory(size_t n)
{
	fprintf(stderr, "%s: out of memory allocating %zu bytes\n", util_progname, n);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);
	if (!p)
		out_of_memory(nmemb * n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		out_of_memory(strlen(s) + 1);
	return p;
}

void xgrow_slow(void *vp, size_t *cap, size_t need, size_t elsz)
{
	void **v = vp;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	*v = xrealloc(*v, ncap * elsz);
	*cap = ncap;
}

size_t util_sort_unique(uint64_t *v, size_t n)
{
	if (n < 2)
		return n;
	/* Digits of 16 bits, least significant first; a digit all values share needs no pass. */
	uint64_t same = ~0ull, first = v[0];
	for (size_t i = 1; i < n; i++)
		same &= ~(v[i] ^ first);
	uint64_t *tmp = xmalloc(n * sizeof(*tmp)), *src = v, *dst = tmp;
	size_t *count = xmalloc(65536 * sizeof(*count));
	for (unsigned shift = 0; shift < 64; shift += 16) {
		if (((same >> shift) & 0xffff) == 0xffff)
			continue;
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xffff]++;
		for (size_t d = 0, sum = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || v[u - 1] != src[i])
			v[u++] = src[i];
	free(tmp);
	free(count);
	return u;
}

size_t util_upper(const taddr_t *v, size_t n, taddr_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void util_sort_by_key(void *v, size_t n, size_t size, uint64_t (*key)(const void *elem))
{
	if (n < 2)
		return;
	struct keyed {
		uint64_t key;
		size_t i;
	} *src = xmalloc(n * sizeof(*src)), *dst = xmalloc(n * sizeof(*dst));
	uint8_t *base = v;
	uint64_t same = ~0ull;
	for (size_t i = 0; i < n; i++) {
		src[i] = (struct keyed){ key(base + i * size), i };
		same &= ~(src[i].key ^ src[0].key);
	}
	/* Digits of 8 bits, least significant first (a stable pass each); one all keys share needs
	 * no pass. */
	for (unsigned shift = 0; shift < 64; shift += 8) {
		if (((same >> shift) & 0xff) == 0xff)
			continue;
		size_t start[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			start[((src[i].key >> shift) & 0xff) + 1]++;
		for (size_t d = 1; d <= 256; d++)
			start[d] += start[d - 1];
		for (size_t i = 0; i < n; i++)
			dst[start[(src[i].key >> shift) & 0xff]++] = src[i];
		struct keyed *t = src;
		src = dst;
		dst = t;
	}
	uint8_t *out = xmalloc(n * size);
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * size, base + src[i].i * size, size);
	memcpy(v, out, n * size);
	free(out);
	free(src);
	free(dst);
}

/* Copies s to out (outlen > 0) with what could drive a terminal escaped as \xNN: control bytes,
 * DEL, C1 controls and bytes that are no valid UTF-8. Valid UTF-8 text is kept as it is. */
void util_escape(const char *s, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	while (*u && o + 5 < outlen) {
		size_t len = *u < 0x80 ? 1 : (*u & 0xe0) == 0xc0 ? 2 : (*u & 0xf0) == 0xe0 ? 3 :
			     (*u & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len > 0 && !(*u < 0x20 || *u == 0x7f) && !(*u == 0xc2 && u[1] >= 0x80 && u[1] < 0xa0);
		for (size_t i = 1; ok && i < len; i++)
			ok = (u[i] & 0xc0) == 0x80;
		if (ok && len > 1)   /* overlong forms and surrogates are no valid UTF-8 */
			ok = !(len == 2 && *u < 0xc2) && !(len == 3 && *u == 0xe0 && u[1] < 0xa0) &&
			     !(len == 3 && *u == 0xed && u[1] >= 0xa0) && !(len == 4 && *u == 0xf0 && u[1] < 0x90) &&
			     !(len == 4 && (*u > 0xf4 || (*u == 0xf4 && u[1] >= 0x90)));
		if (ok && o + len < outlen) {
			memcpy(out + o, u, len);
			o += len;
			u += len;
		} else {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *u++);
		}
	}
	out[o] = 0;
}

/* The last message printed, and how many times it came again since: a warning that would be
 * printed hundreds of times is printed once, with a count when another message comes or at the
 * end. */
static char last_msg[2048];
static unsigned long last_repeats;

void util_msg_flush(void)
{
	if (last_repeats && util_before_message)
		util_before_message();
	if (last_repeats)
		fprintf(stderr, "%s: (the message above was repeated %lu more time%s)\n", util_progname,
			last_repeats, last_repeats == 1 ? "" : "s");
	last_repeats = 0;
	last_msg[0] = 0;
}

static void vmsg(const char *fmt, va_list ap, int err)
{
	static bool registered;
	char buf[1024], text[1024 + 128], shown[sizeof(text) * 4 + 8];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		buf[0] = 0;
	if (err)
		snprintf(text, sizeof(text), "%s: %s", buf, strerror(err));
	else
		snprintf(text, sizeof(text), "%s", buf);
	/* Paths and names in messages may come from the traced program or a hostile file. */
	util_escape(text, shown, sizeof(shown));
	if (!registered) {
		atexit(util_msg_flush);
		registered = true;
	}
	if (last_msg[0] && !strncmp(shown, last_msg, sizeof(last_msg) - 1)) {
		last_repeats++;
		return;
	}
	util_msg_flush();
	util_status_clear();
	if (util_before_message)
		util_before_message();
	size_t len = strnlen(shown, sizeof(last_msg) - 1);
	memcpy(last_msg, shown, len);
	last_msg[len] = 0;
	fprintf(stderr, "%s: %s\n", util_progname, shown);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

void warn_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
	exit(1);
}

void debug_msg(const char *fmt, ...)
{
	char buf[4096], shown[sizeof(buf) * 4 + 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	util_escape(buf, shown, sizeof(shown));
	util_msg_flush();
	util_status_clear();
	if (util_before_message)
		util_before_message();
	fprintf(stderr, "%s: debug: %s\n", util_progname, shown);
}

void util_assert_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: internal error at %s:%d: assertion '%s' failed: ", util_progname, file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

size_t util_utf8_char(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp, min;
	size_t n;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {   /* stops at the terminating NUL, which is no continuation */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the status line ----
 * Slow work (reading a big library's symbols) says what it is doing on the terminal once it has
 * taken a second: the line is written by a signal handler (a CLOCK_MONOTONIC timer's SIGRTMIN;
 * SIGALRM belongs to the views' flushing), so a single long read shows it too,
 * and it is erased as soon as the work is done or any other message comes. */
static bool status_enabled;
static char status_text[256];                   /* "\rfntrace: ...\e[K", complete when len > 0 */
static volatile sig_atomic_t status_len;
static volatile sig_atomic_t status_shown;
static bool status_armed;
static timer_t status_timer;

static void status_show(int sig)
{
	(void)sig;
	int saved = errno;
	if (status_len && write(STDERR_FILENO, status_text, (size_t)status_len) > 0)
		status_shown = 1;
	errno = saved;
}

void util_status_enable(void)
{
	struct sigaction sa;
	struct sigevent ev;
	status_enabled = isatty(STDERR_FILENO);
	if (!status_enabled)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = status_show;
	sa.sa_flags = SA_RESTART;   /* the work it interrupts goes on as if nothing happened */
	sigaction(SIGRTMIN, &sa, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	status_enabled = timer_create(CLOCK_MONOTONIC, &ev, &status_timer) == 0;
}

void util_status(const char *fmt, ...)
{
	if (!status_enabled)
		return;
	char buf[1024], shown[sizeof(buf) * 4 + 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	util_escape(buf, shown, sizeof(shown));
	struct winsize ws;
	size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
	size_t room = width - 1 < sizeof(status_text) - 16 ? width - 1 : sizeof(status_text) - 16;
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, &old);
	/* One terminal row: a line that wrapped could not be taken back with a carriage return. */
	int n = snprintf(status_text, sizeof(status_text), "\r%s: %.*s", util_progname,
			 (int)(room > strlen(util_progname) + 2 ? room - strlen(util_progname) - 2 : 0), shown);
	if (n > 0 && (size_t)n < sizeof(status_text) - 4) {
		memcpy(status_text + n, "\033[K", 3);
		status_len = n + 3;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (status_shown)
		status_show(0);
	else if (!status_armed) {
		struct itimerspec it = { { 0, 0 }, { 1, 0 } };
		timer_settime(status_timer, 0, &it, NULL);
		status_armed = true;
	}
}

void util_status_clear(void)
{
	if (!status_enabled || !status_armed)
		return;
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	timer_settime(status_timer, 0, &off, NULL);
	status_armed = false;
	status_len = 0;
	if (status_shown && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		return;
	status_shown = 0;
}
