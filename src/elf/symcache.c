/* symcache: ELF files' symbol tables, read once and shared. */
#include "symcache.h"
#include "debuginfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDLE_MAX 16   /* files no module uses any more, kept for the next exec of them */

/* A file as stat() identifies it; all zero for "no file". */
struct ident {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct symfile {
	struct symtab st;        /* first: a symtab pointer is its symfile's */
	struct ident file;
	bool own_symtab;         /* the file has a .symtab: no debug file is looked for */
	bool complete;           /* debug file read and discovery run (symcache_complete) */
	struct ident debug;      /* the debug file read then, if any */
	unsigned refs;           /* modules using it */
	struct symfile *next;
};

static struct symfile *files;   /* most recently put back or read first */

static struct ident ident_of(const struct stat *sb)
{
	return (struct ident){ sb->st_dev, sb->st_ino, sb->st_size, sb->st_mtim };
}

static bool same_ident(const struct ident *a, const struct ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Frees the idle files beyond the first IDLE_MAX. */
static void trim(void)
{
	size_t idle = 0;
	for (struct symfile **pf = &files; *pf;) {
		struct symfile *f = *pf;
		if (f->refs || ++idle <= IDLE_MAX) {
			pf = &f->next;
			continue;
		}
		*pf = f->next;
		symtab_free(&f->st);
		free(f);
	}
}

struct symtab *symcache_get(const char *path, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO's open would wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct symtab *st = symcache_get_fd(fd, path, err, errlen);
	close(fd);
	return st;
}

struct symtab *symcache_get_fd(int fd, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	struct symfile *f;
	if (fstat(fd, &sb)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	struct ident id = ident_of(&sb);
	for (f = files; f && !same_ident(&f->file, &id); f = f->next)
		;
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		if (symtab_load_fd(fd, path, &f->st, err, errlen)) {
			free(f);
			return NULL;
		}
		f->file = id;
		f->own_symtab = !f->st.stripped;
		f->next = files;
		files = f;
	}
	f->refs++;
	return &f->st;
}

struct symtab *symcache_ref(struct symtab *st)
{
	((struct symfile *)st)->refs++;
	return st;
}

/* Reads the debug file open on dfd (if any) and discovers what is left, once. */
static void complete(struct symfile *f, int dfd, const char *dpath, const struct ident *did)
{
	if (dfd >= 0)
		symtab_read_debug(&f->st, dfd, dpath);
	symtab_discover(&f->st);
	f->complete = true;
	f->debug = *did;
}

struct symtab *symcache_complete(struct symtab *st, const char *path, const char *name)
{
	struct symfile *f = (struct symfile *)st;
	char *dpath = NULL;
	struct stat sb;
	struct ident did = { 0 };
	int dfd = -1;
	/* A file with a .symtab of its own needs no debug file; a stripped one is looked up
	 * every time, so a debug file installed or replaced since it was read is seen. */
	if (!f->own_symtab) {
		dfd = debuginfo_open(path, name, &dpath);
		if (dfd >= 0 && !fstat(dfd, &sb))
			did = ident_of(&sb);
	}
	if (!f->complete) {
		complete(f, dfd, dpath, &did);
	} else if (!same_ident(&f->debug, &did)) {
		/* Read with another debug file (or none): this one gets a table of its own. */
		struct symfile *g;
		for (g = files; g && !(g->complete && same_ident(&g->file, &f->file) && same_ident(&g->debug, &did));
		     g = g->next)
			;
		char err[512];
		if (!g) {
			g = xcalloc(1, sizeof(*g));
			if (symtab_load(path, &g->st, err, sizeof(err))) {
				free(g);
				g = NULL;
			} else {
				g->file = f->file;
				g->own_symtab = f->own_symtab;
				g->next = files;
				files = g;
				complete(g, dfd, dpath, &did);
			}
		}
		if (g) {
			g->refs++;
			symcache_put(st);
			st = &g->st;
		}
	}
	if (dfd >= 0)
		close(dfd);
	free(dpath);
	return st;
}

void symcache_put(struct symtab *st)
{
	struct symfile *put = (struct symfile *)st, **pf;
	for (pf = &files; *pf && *pf != put; pf = &(*pf)->next)
		;
	if (!*pf || !put->refs)
		return;
	put->refs--;
	*pf = put->next;   /* to the front: the last ones used are the ones kept */
	put->next = files;
	files = put;
	trim();
}

size_t symcache_idle(void)
{
	size_t n = 0;
	for (const struct symfile *f = files; f; f = f->next)
		n += !f->refs;
	return n;
}
