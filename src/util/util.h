/* util: allocation that never fails, the one error-printing family, time, tracee addresses. */
#ifndef FNTRACE_UTIL_H
#define FNTRACE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdnoreturn.h>

/* An address in the traced program. Never a pointer in ours: print with "%#" PRIx64. */
typedef uint64_t taddr_t;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation wrappers: on out-of-memory they print one line and exit(1); callers never check. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Grows *v (of *cap elements of size elsz) so that it holds at least need elements. Inline,
 * since the call stacks push through it at every traced call and it seldom has to grow. */
void xgrow_slow(void *vp, size_t *cap, size_t need, size_t elsz);
static inline void xgrow(void *vp, size_t *cap, size_t need, size_t elsz)
{
	if (need > *cap)
		xgrow_slow(vp, cap, need, elsz);
}
/* Sorts v[0..n) in increasing order and drops repeated values. Returns the new count. A radix
 * sort: the maps of big files sort hundreds of thousands of addresses, where qsort's calls to a
 * comparison were a tenth of start-up. */
size_t util_sort_unique(uint64_t *v, size_t n);
/* Sorts the n elements of size bytes at v by key(element), increasing, keeping the order of
 * equal keys. A radix sort on the bytes of the keys that differ: sorting tens of thousands of
 * patches or writes by address with qsort was a few percent of a big program's start-up. */
/* The index of the first element of v (sorted ascending, n of them) above x: n if none. */
size_t util_upper(const taddr_t *v, size_t n, taddr_t x);
void util_sort_by_key(void *v, size_t n, size_t size, uint64_t (*key)(const void *elem));

/* The program name used as the prefix of every message ("fntrace"). */
extern const char *util_progname;

/* Called before any message is printed, if set: the trace on stderr is written out first, so
 * that messages come after the lines before them. */
extern void (*util_before_message)(void);

/* "fntrace: <message>" on stderr. die() exits with status 1; die_errno() appends ": strerror(errno)". */
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints how many times the last message was repeated, if it was (it is printed once). Runs at
 * exit too; call it before an exit that skips atexit handlers. */
void util_msg_flush(void);
/* Copies s to out (at most outlen bytes, NUL included) with control bytes, C1 controls and
 * bytes of no valid UTF-8 written as \xNN: what any message prints of a path or name. */
void util_escape(const char *s, char *out, size_t outlen);

/* A status line for slow work, on stderr if it is a terminal: util_status_enable() once, then
 * util_status("reading symbols of %s", ...) as the work goes. The line shows once the work has
 * taken a second, changes with each call, and goes at util_status_clear() or any message. */
void util_status_enable(void);
void util_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void util_status_clear(void);

/* Debug output, one flag per module, set by --debug=LIST. */
enum { DBG_STEP = 1, DBG_BP = 2, DBG_ELF = 4, DBG_STOP = 8, DBG_FAST = 16 };
extern unsigned util_debug;
void debug_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define DEBUG(flag, ...) do { if (util_debug & (flag)) debug_msg(__VA_ARGS__); } while (0)

/* Assertions that stay on in release builds and say where they fired. */
#define ASSERT(cond, ...) do { if (!(cond)) util_assert_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)
noreturn void util_assert_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The length (2 to 4) of the UTF-8 sequence at s if it is a well-formed, printable character:
 * not overlong, no surrogate, at most U+10FFFF, no C1 control (U+0080-U+009F) and no bidi
 * embedding, override or isolate (they would reorder what a terminal shows). 0 otherwise. */
size_t util_utf8_char(const char *s);

/* Nanoseconds on CLOCK_MONOTONIC: the one clock every event is stamped with. */
uint64_t util_now_ns(void);

#endif
