/* flags: the symbolic names of the flag and constant arguments strace decodes. The values are the
 * kernel's and glibc's for x86-64, taken from the headers fntrace is built with, so a name can
 * never disagree with the system's. */
#include "flags.h"

#include "proto.h"
#include "text.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct flag_name {
	uint64_t value;
	const char *name;
};

/* How a set reads a value. */
enum flag_how {
	FLAGS_BITS,     /* field (the bits of mask, one named value) then one name per bit */
	FLAGS_VALUE,    /* one named value, or the number in decimal */
	FLAGS_MODE,     /* octal with a leading 0, as strace prints modes */
	FLAGS_SIGNAL,   /* SIGINT; glibc knows the names (sigabbrev_np) */
};

struct flagset {
	const char *name;
	enum flag_how how;
	uint64_t mask;                  /* FLAGS_BITS: the field's bits (O_ACCMODE), or 0 */
	const struct flag_name *field;  /* named values of the field, or of the whole (FLAGS_VALUE) */
	unsigned nfield;
	const struct flag_name *bits;
	unsigned nbits;
	const char *zero;               /* what 0 is called when nothing else names it, or NULL: "0" */
};

#define F(x) { (uint64_t)(x), #x }
#define SET(n) n, (unsigned)ARRAY_SIZE(n)

static const struct flag_name open_mode[] = { F(O_RDONLY), F(O_WRONLY), F(O_RDWR) };
/* O_TMPFILE includes O_DIRECTORY and O_SYNC includes O_DSYNC: listed first so that each takes
 * both bits. (O_LARGEFILE is 0 in x86-64's headers; the kernel's 0x8000 shows in hex.) */
static const struct flag_name open_bits[] = {
	F(O_TMPFILE), F(O_SYNC), F(O_CREAT), F(O_EXCL), F(O_NOCTTY), F(O_TRUNC), F(O_APPEND),
	F(O_NONBLOCK), F(O_DSYNC), F(O_ASYNC), F(O_DIRECT), F(O_DIRECTORY), F(O_NOFOLLOW),
	F(O_NOATIME), F(O_CLOEXEC), F(O_PATH),
};
static const struct flag_name prot_bits[] = {
	F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), F(PROT_GROWSDOWN), F(PROT_GROWSUP),
};
static const struct flag_name map_type[] = { F(MAP_SHARED), F(MAP_PRIVATE), F(MAP_SHARED_VALIDATE) };
static const struct flag_name map_bits[] = {
	F(MAP_FIXED), F(MAP_ANONYMOUS), F(MAP_32BIT), F(MAP_GROWSDOWN), F(MAP_DENYWRITE),
	F(MAP_EXECUTABLE), F(MAP_LOCKED), F(MAP_NORESERVE), F(MAP_POPULATE), F(MAP_NONBLOCK),
	F(MAP_STACK), F(MAP_HUGETLB), F(MAP_SYNC), F(MAP_FIXED_NOREPLACE),
};
static const struct flag_name at_bits[] = {
	F(AT_SYMLINK_NOFOLLOW), F(AT_REMOVEDIR), F(AT_SYMLINK_FOLLOW), F(AT_NO_AUTOMOUNT),
	F(AT_EMPTY_PATH), F(AT_EACCESS),
};
static const struct flag_name dirfd_values[] = { F(AT_FDCWD) };
static const struct flag_name whence_values[] = {
	F(SEEK_SET), F(SEEK_CUR), F(SEEK_END), F(SEEK_DATA), F(SEEK_HOLE),
};
static const struct flag_name access_bits[] = { F(R_OK), F(W_OK), F(X_OK) };
static const struct flag_name wait_bits[] = {
	F(WNOHANG), F(WUNTRACED), F(WCONTINUED), F(WEXITED), F(WNOWAIT), F(__WNOTHREAD), F(__WALL),
	F(__WCLONE),
};
static const struct flag_name af_values[] = {
	F(AF_UNSPEC), F(AF_UNIX), F(AF_INET), F(AF_INET6), F(AF_NETLINK), F(AF_PACKET),
};
static const struct flag_name socktype_values[] = {
	F(SOCK_STREAM), F(SOCK_DGRAM), F(SOCK_RAW), F(SOCK_RDM), F(SOCK_SEQPACKET), F(SOCK_PACKET),
};
static const struct flag_name socktype_bits[] = { F(SOCK_NONBLOCK), F(SOCK_CLOEXEC) };
static const struct flag_name msg_bits[] = {
	F(MSG_OOB), F(MSG_PEEK), F(MSG_DONTROUTE), F(MSG_CTRUNC), F(MSG_TRUNC), F(MSG_DONTWAIT),
	F(MSG_EOR), F(MSG_WAITALL), F(MSG_NOSIGNAL), F(MSG_MORE), F(MSG_CMSG_CLOEXEC),
};
static const struct flag_name clock_values[] = {
	F(CLOCK_REALTIME), F(CLOCK_MONOTONIC), F(CLOCK_PROCESS_CPUTIME_ID), F(CLOCK_THREAD_CPUTIME_ID),
	F(CLOCK_MONOTONIC_RAW), F(CLOCK_REALTIME_COARSE), F(CLOCK_MONOTONIC_COARSE), F(CLOCK_BOOTTIME),
};

static const struct flagset sets[] = {
	{ "open", FLAGS_BITS, O_ACCMODE, SET(open_mode), SET(open_bits), NULL },
	{ "prot", FLAGS_BITS, 0, NULL, 0, SET(prot_bits), "PROT_NONE" },
	{ "mmap", FLAGS_BITS, MAP_TYPE, SET(map_type), SET(map_bits), NULL },
	{ "at", FLAGS_BITS, 0, NULL, 0, SET(at_bits), NULL },
	{ "dirfd", FLAGS_VALUE, 0, SET(dirfd_values), NULL, 0, NULL },
	{ "whence", FLAGS_VALUE, 0, SET(whence_values), NULL, 0, NULL },
	{ "access", FLAGS_BITS, 0, NULL, 0, SET(access_bits), "F_OK" },
	{ "wait", FLAGS_BITS, 0, NULL, 0, SET(wait_bits), NULL },
	{ "af", FLAGS_VALUE, 0, SET(af_values), NULL, 0, NULL },
	{ "socktype", FLAGS_BITS, 0xf, SET(socktype_values), SET(socktype_bits), NULL },
	{ "msg", FLAGS_BITS, 0, NULL, 0, SET(msg_bits), NULL },
	{ "clock", FLAGS_VALUE, 0, SET(clock_values), NULL, 0, NULL },
	{ "mode", FLAGS_MODE, 0, NULL, 0, NULL, 0, NULL },
	{ "signal", FLAGS_SIGNAL, 0, NULL, 0, NULL, 0, NULL },
};

const struct flagset *flagset_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		if (!strcmp(sets[i].name, name))
			return &sets[i];
	return NULL;
}

const char *flagset_name(const struct flagset *fs)
{
	return fs->name;
}

static const char *name_of(const struct flag_name *names, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (names[i].value == v)
			return names[i].name;
	return NULL;
}

/* A flag word: the field's name (always, even when 0: O_RDONLY), then each named bit, then what
 * is left in hex. */
static void format_bits(const struct flagset *fs, uint64_t v, struct text *t)
{
	bool any = false;
	uint64_t rest = v;
	if (fs->mask) {
		const char *field = name_of(fs->field, fs->nfield, v & fs->mask);
		if (field) {
			text_puts(t, field);
			any = true;
			rest &= ~fs->mask;
		}
	}
	for (unsigned i = 0; i < fs->nbits && rest; i++) {
		uint64_t b = fs->bits[i].value;
		if (b && (rest & b) == b) {
			text_printf(t, "%s%s", any ? "|" : "", fs->bits[i].name);
			any = true;
			rest &= ~b;
		}
	}
	if (rest || !any) {
		if (!rest && fs->zero)
			text_puts(t, fs->zero);
		else
			text_printf(t, "%s%#" PRIx64, any ? "|" : "", rest);
	}
}

static void format_signal(int64_t v, struct text *t)
{
	const char *abbrev = v > 0 && v < 65 ? sigabbrev_np((int)v) : NULL;
	if (abbrev)
		text_printf(t, "SIG%s", abbrev);
	else if (v >= SIGRTMIN && v <= SIGRTMAX)
		text_printf(t, "SIGRT_%d", (int)(v - SIGRTMIN));
	else
		text_printf(t, "%" PRId64, v);
}

void flagset_format(const struct flagset *fs, uint64_t v, unsigned size, struct text *t)
{
	int64_t s = arg_sign_extend(v, size);
	if (size && size < 8)
		v &= (UINT64_C(1) << (8 * size)) - 1;
	switch (fs->how) {
	case FLAGS_BITS:
		format_bits(fs, v, t);
		break;
	case FLAGS_VALUE: {
		const char *name = name_of(fs->field, fs->nfield, (uint64_t)s);
		if (name)
			text_puts(t, name);
		else
			text_printf(t, "%" PRId64, s);
		break;
	}
	case FLAGS_MODE:
		text_printf(t, "%#" PRIo64, v);
		break;
	case FLAGS_SIGNAL:
		format_signal(s, t);
		break;
	}
}

void flags_errno(int e, struct text *t)
{
	const char *name = strerrorname_np(e);
	if (name)
		text_printf(t, " %s (%s)", name, strerror(e));
	else
		text_printf(t, " errno %d", e);
}
