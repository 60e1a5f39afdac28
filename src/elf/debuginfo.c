/* debuginfo: separate debug files, found as libdwfl's standard lookup finds them: by build-id, then
 * by .gnu_debuglink, then (DEBUGINFOD_URLS set) on debuginfod servers. */
#include "debuginfo.h"

#include "../util/util.h"

#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *search_path;   /* NULL: libdwfl's default */
#define DEFAULT_PATH ":.debug:/usr/lib/debug"

static struct stat main_stat;   /* the file being looked up (one lookup at a time) */

void debuginfo_set_path(char *path)
{
	search_path = path;
}

/* The CRC-32 of .gnu_debuglink (the zlib one) of the whole file fd. Returns 0, or -1. */
static int file_crc(int fd, uint32_t *crc)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	uint8_t buf[65536];
	uint32_t c = 0xffffffffu;
	off_t off = 0;
	for (ssize_t n; (n = pread(fd, buf, sizeof(buf), off)) != 0; off += n) {
		if (n < 0)
			return -1;
		for (ssize_t i = 0; i < n; i++)
			c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
	}
	*crc = ~c;
	return 0;
}

/* Whether fd, a candidate found by debuglink, is the module's debug file: the same build-id if
 * the module has one, else the CRC the link gives (if check). */
static bool debug_matches(int fd, const unsigned char *id, int idlen, bool check, GElf_Word crc)
{
	if (idlen > 0) {
		Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		const void *did = NULL;
		ssize_t dlen = e ? dwelf_elf_gnu_build_id(e, &did) : -1;
		bool same = dlen == idlen && !memcmp(did, id, (size_t)idlen);
		elf_end(e);
		return same;
	}
	uint32_t c;
	return !check || (!file_crc(fd, &c) && c == crc);
}

/* "a/b/c" of parts a, b (either may be NULL) and c, malloc'd. */
static char *join(const char *a, const char *b, const char *c)
{
	size_t n = (a ? strlen(a) + 1 : 0) + (b ? strlen(b) + 1 : 0) + strlen(c) + 1;
	char *s = xmalloc(n);
	snprintf(s, n, "%s%s%s%s%s", a ? a : "", a ? "/" : "", b ? b : "", b ? "/" : "", c);
	return s;
}

/* Opens [dir/][sub/]file unless it is the main file itself. Returns the descriptor and its
 * name in *name (malloc'd), or -1 with errno set (ENOENT for the main file). */
static int try_open(const char *dir, const char *sub, const char *file, char **name)
{
	char *path = join(dir, sub, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat sb;
	if (fd >= 0 && !fstat(fd, &sb) && sb.st_ino == main_stat.st_ino && sb.st_dev == main_stat.st_dev) {
		close(fd);
		fd = -1;
		errno = ENOENT;
	}
	if (fd < 0)
		free(path);
	else
		*name = path;
	return fd;
}

/* What to look for in the directories of the path: the link's name (or the file's own plus
 * ".debug", when it has none), and what a candidate must match. */
struct link {
	const char *file, *base;   /* the debuglink's name; the main file's basename */
	bool invented;             /* no link: file is base + ".debug", base is tried too */
	GElf_Word crc;             /* 0: none to check */
	const unsigned char *id;   /* the main file's build-id, idlen bytes (0: none) */
	int idlen;
};

/* Tries one candidate place: the link's name, then (a made-up link, not the file's directory)
 * the basename. Returns a matching file's descriptor, -1 with errno ENOENT or ENOTDIR if nothing
 * is there, -1 with errno 0 if what is there does not match, or -1 with another errno. */
static int try_place(const struct link *l, const char *dir, const char *sub, bool basename_too, bool check,
		     char **name)
{
	int fd = try_open(dir, sub, l->file, name);
	if (fd < 0 && basename_too && l->base)
		fd = try_open(dir, sub, l->base, name);
	if (fd < 0)
		return -1;
	if (debug_matches(fd, l->id, l->idlen, check, l->crc))
		return fd;
	close(fd);
	free(*name);
	*name = NULL;
	errno = 0;
	return -1;
}

/* One element of the path: the main file's directory (empty), a directory in it (relative), or
 * a directory holding the main file's directory below it (absolute). Where nothing is found, the
 * subdirectory is tried again without its first component, and so on, then without any, as
 * libdwfl does. Returns as try_place. */
static int try_dir(const struct link *l, const char *elem, const char *dirname, bool check, char **name)
{
	if (!*elem)
		return try_place(l, dirname, NULL, false, check, name);
	const char *dir = dirname, *sub = elem;
	if (*elem == '/') {
		if (!dirname || *dirname != '/') {
			errno = ENOENT;
			return -1;
		}
		dir = elem;
		sub = dirname + 1;
	}
	while (!sub || *sub) {
		int fd = try_place(l, dir, sub, l->invented, check, name);
		if (fd >= 0 || (errno != ENOENT && errno != ENOTDIR) || !sub)
			return fd;
		sub = strchr(sub, '/');
		sub = sub ? sub + 1 : NULL;
	}
	errno = ENOENT;   /* (a directory ending in '/': nothing more there) */
	return -1;
}

/* The lookup by debuglink of file_name's debug file in every element of the debug path (a
 * leading + or - on the path or an element says whether to check the CRC). Returns the
 * descriptor and *name, or -1 (errno 0 if nothing was found, else why the search stopped). */
static int by_debuglink(const struct link *l0, const char *file_name, char **name)
{
	struct link l = *l0;
	const char *slash = file_name ? strrchr(file_name, '/') : NULL;
	l.base = !file_name ? NULL : slash ? slash + 1 : file_name;
	char *made = NULL;
	if (!l.file) {
		if (!l.base) {
			errno = 0;
			return -1;
		}
		made = xmalloc(strlen(l.base) + sizeof(".debug"));
		strcpy(stpcpy(made, l.base), ".debug");
		l.file = made;
		l.invented = true;
		l.crc = 0;
	}
	char *dirname = NULL;
	if (slash) {
		dirname = xmalloc((size_t)(slash - file_name) + 1);
		memcpy(dirname, file_name, (size_t)(slash - file_name));
		dirname[slash - file_name] = 0;
	}
	char *path = xstrdup(search_path ? search_path : DEFAULT_PATH), *rest = path;
	bool defcheck = true;
	if (*rest == '+' || *rest == '-')
		defcheck = *rest++ == '+';
	int fd = -1;
	errno = 0;
	for (char *elem; fd < 0 && (elem = strsep(&rest, ":"));) {
		bool check = defcheck;
		if (*elem == '+' || *elem == '-')
			check = *elem++ == '+';
		fd = try_dir(&l, elem, dirname, check && l.crc, name);
		if (fd < 0 && errno && errno != ENOENT && errno != ENOTDIR)
			break;
		if (fd < 0)
			errno = 0;
	}
	free(path);
	free(dirname);
	free(made);
	return fd;
}

static bool debuginfod_wanted(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	return urls && *urls;
}

/* libdwfl's find_debuginfo callback. Without DEBUGINFOD_URLS, the standard lookup's first two
 * steps are made here: the standard one (elfutils 0.188) loads libdebuginfod and libcurl's
 * dependencies in every run whatever the variable says, a tenth of tracing a small program. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
			  const char *file_name, const char *debuglink, GElf_Word crc, char **name)
{
	if (debuginfod_wanted())
		return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc, name);
	struct link l = { .file = debuglink, .crc = crc };
	GElf_Addr vaddr;
	l.idlen = dwfl_module_build_id(mod, &l.id, &vaddr);
	if (l.idlen > 0) {
		errno = 0;
		int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc, name);
		if (fd >= 0 || errno)
			return fd;   /* (found, or an error other than finding nothing: that is all) */
	}
	int fd = by_debuglink(&l, file_name, name);
	if (fd < 0 && !errno && file_name) {   /* (a symlink: its target's name may be the one linked) */
		char *canon = realpath(file_name, NULL);
		if (canon && strcmp(canon, file_name))
			fd = by_debuglink(&l, canon, name);
		free(canon);
	}
	return fd;
}

int debuginfo_open(const char *path, const char *name, char **found)
{
	static const Dwfl_Callbacks cb = {
		.find_debuginfo = find_debuginfo,
		.debuginfo_path = &search_path,
	};
	*found = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), dfd = -1;
	if (fd < 0)
		return -1;
	if (fstat(fd, &main_stat))
		main_stat = (struct stat){0};
	Dwfl *dwfl = dwfl_begin(&cb);
	if (!dwfl) {
		close(fd);
		return -1;
	}
	/* The module owns fd from here. Reported under its real name: the debuglink search looks
	 * in that file's directory (path may be /proc/PID/exe). Asking for its symbol table makes
	 * libdwfl look for the debug file (the file itself has no .symtab) with the callback above,
	 * and that is all it needs to read: not the DWARF, which Debian compresses. */
	Dwfl_Module *mod = dwfl_report_offline(dwfl, name, name, fd);
	dwfl_report_end(dwfl, NULL, NULL);
	const char *debug = NULL;
	if (mod && dwfl_module_getsymtab(mod) >= 0)
		dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &debug);
	struct stat sb;
	if (debug && (dfd = open(debug, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) >= 0) {
		if (!fstat(dfd, &sb) && S_ISREG(sb.st_mode)) {
			*found = xstrdup(debug);
		} else {
			close(dfd);
			dfd = -1;
		}
	}
	dwfl_end(dwfl);
	return dfd;
}
